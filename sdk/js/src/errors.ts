/**
 * RallypointError is every failure the SDK reports: an error answered by the
 * identity pool (`__type`), an error reply on the socket (`error.code`), or
 * one the SDK itself detects (the codes in {@link ClientErrorCode}).
 */
export class RallypointError extends Error {
  /** The service's error code, e.g. `NotFoundException`, or a {@link ClientErrorCode}. */
  readonly code: string;
  /** The HTTP status of an identity-pool call, when there was one. */
  readonly status: number | undefined;

  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = "RallypointError";
    this.code = code;
    this.status = status;
  }
}

/** Codes of the errors the SDK raises itself rather than relays from the server. */
export type ClientErrorCode =
  /** The WebSocket upgrade failed: refused (bad or expired credentials) or unreachable. */
  | "ConnectionRefused"
  /** The socket dropped before the request's reply arrived; the request may or may not have been done. */
  | "ConnectionLost"
  /** close() was called. */
  | "ConnectionClosed"
  /** No reply within the request timeout. */
  | "Timeout"
  /** The server answered something that is not the protocol. */
  | "InvalidResponse"
  /** The identity pool could not be reached. */
  | "NetworkError"
  /** A developer token that is not a JWT. */
  | "InvalidToken";
