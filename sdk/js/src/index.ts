/**
 * @rallypoint/client: the game client's side of rallypoint. Sign in to an
 * identity pool, open the player socket, ask for a match, and be told where
 * to play the moment the match is placed. Runs in browsers and in Node 20+,
 * with no dependency: the platform's fetch, WebSocket and crypto.subtle.
 */

export { RallypointError, type ClientErrorCode } from "./errors.js";
export {
  signInGuest,
  signInWithLogin,
  signInWithDeveloperToken,
  type Identity,
  type Credentials,
  type PoolOptions,
  type GuestOptions,
  type LoginOptions,
} from "./identity.js";
export {
  connect,
  Connection,
  type ConnectOptions,
  type ConnectionEvents,
  type ConnectionState,
} from "./connection.js";
export {
  socketTarget,
  type SocketOptions,
  type SocketTarget,
  type WebSocketLike,
  type WebSocketConstructor,
} from "./socket.js";
export { presignUrl, type PresignOptions } from "./sigv4.js";
export {
  parseEvent,
  involvesTicket,
  playerSession,
  type MatchmakingEvent,
  type MatchmakingEventType,
  type EventTicket,
  type EventPlayer,
  type GameSessionInfo,
} from "./events.js";
export { measureWebSocketRtt, measureLatencies, type RttOptions } from "./latency.js";
export type {
  AttributeValue,
  StartMatchmakingInput,
  MatchmakingTicket,
  TicketStatus,
  TicketPlayer,
  GameSessionConnectionInfo,
  MatchLocation,
} from "./types.js";
