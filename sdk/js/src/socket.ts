// Where a player's socket goes and how it authenticates, and the small
// part of the WebSocket API the SDK uses, so any implementation will do.

import type { Identity } from "./identity.js";
import { presignUrl } from "./sigv4.js";
import { RallypointError } from "./errors.js";

/**
 * The part of the WHATWG WebSocket the SDK uses. The browsers' and Node 22's
 * global WebSocket fit it, as does the `ws` package's.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onerror: Handler<unknown> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

// A handler typed as a method's signature, which TypeScript compares with
// bivariant parameters: the DOM's WebSocket, whose handlers take Event
// subtypes, then fits WebSocketLike.
type Handler<E> = { handle(ev: E): void }["handle"];

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface SocketOptions {
  /**
   * The public listener: `http(s)://host:port` or `ws(s)://host:port`, to
   * which `/ws` is added when it has no path; or the socket's full URL.
   */
  endpoint: string;
  /** Presign the URL with the identity's credentials instead of sending its token. */
  sigv4?: boolean;
  /** The SigV4 region; by default the identity pool id's prefix (`us-east-1` of `us-east-1:...`). */
  region?: string;
  /**
   * How the token goes when not signing: as the subprotocol pair
   * `["rallypoint", token]` (the default; what browsers can do), or as
   * `?token=` for WebSocket clients that take no subprotocols.
   */
  tokenIn?: "protocol" | "query";
}

/** A socket URL with its authentication, ready for `new WebSocket(url, protocols)`. */
export interface SocketTarget {
  url: string;
  protocols?: string[];
}

/** The subprotocol offered beside the token; the server echoes it. */
const subprotocol = "rallypoint";

/** socketTarget makes the authenticated socket URL for an identity. */
export async function socketTarget(identity: Identity, o: SocketOptions): Promise<SocketTarget> {
  const u = new URL(o.endpoint);
  if (u.protocol === "http:") u.protocol = "ws:";
  else if (u.protocol === "https:") u.protocol = "wss:";
  if (u.pathname === "/" || u.pathname === "") u.pathname = "/ws";
  if (o.sigv4) {
    const credentials = identity.credentials;
    if (!credentials) {
      throw new RallypointError("InvalidRequestException", "sigv4 needs the identity's credentials: sign in with credentials (the default)");
    }
    const region = o.region ?? (identity.poolId.split(":")[0] || "us-east-1");
    return { url: await presignUrl(u.toString(), { credentials, region }) };
  }
  if (o.tokenIn === "query") {
    u.searchParams.set("token", identity.token);
    return { url: u.toString() };
  }
  return { url: u.toString(), protocols: [subprotocol, identity.token] };
}

/** defaultWebSocket is the platform's WebSocket, or an error saying how to supply one. */
export function defaultWebSocket(): WebSocketConstructor {
  const ws = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof ws !== "function") {
    throw new RallypointError(
      "InvalidRequestException",
      "no global WebSocket: pass one as the WebSocket option (Node 20 has it with --experimental-websocket; Node 22 and browsers have it)",
    );
  }
  return ws as WebSocketConstructor;
}

/** withoutQuery is a socket URL fit for an error message: no token or signature. */
export function withoutQuery(url: string): string {
  const u = new URL(url);
  u.search = "";
  return u.toString();
}
