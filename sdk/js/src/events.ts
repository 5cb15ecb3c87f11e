// FlexMatch event documents, as the server pushes them in {"event": ...}
// frames, and their conversion into a flat, typed MatchmakingEvent.

export type MatchmakingEventType =
  | "MatchmakingSearching"
  | "PotentialMatchCreated"
  | "AcceptMatch"
  | "AcceptMatchCompleted"
  | "MatchmakingSucceeded"
  | "MatchmakingTimedOut"
  | "MatchmakingCancelled"
  | "MatchmakingFailed";

/** A player as events name it; members appear as they become known. */
export interface EventPlayer {
  playerId: string;
  team?: string;
  accepted?: boolean;
  playerSessionId?: string;
}

export interface EventTicket {
  ticketId: string;
  startTime?: string;
  players: EventPlayer[];
}

export interface GameSessionInfo {
  gameSessionArn?: string;
  /** Absent for STANDALONE configurations, whose matches the studio's backend places. */
  ipAddress?: string;
  dnsName?: string;
  port?: number;
  players: EventPlayer[];
}

/**
 * One matchmaking event. The members FlexMatch puts in `detail` are lifted
 * up; `document` is the whole event as it arrived, for anything else.
 */
export interface MatchmakingEvent {
  /** The event's id: the same event sent twice (pushed, then resent on reconnecting) has the same id. */
  id: string;
  type: MatchmakingEventType;
  /** ISO 8601, to the second. */
  time: string;
  tickets: EventTicket[];
  matchId?: string;
  gameSessionInfo?: GameSessionInfo;
  estimatedWaitMillis?: string;
  acceptanceTimeout?: number;
  acceptanceRequired?: boolean;
  reason?: string;
  message?: string;
  customEventData?: string;
  document: Record<string, unknown>;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** parseEvent reads an event document, or returns undefined if it is not one. */
export function parseEvent(doc: unknown): MatchmakingEvent | undefined {
  if (!isObject(doc) || typeof doc.id !== "string" || !isObject(doc.detail)) return undefined;
  const d = doc.detail;
  if (typeof d.type !== "string") return undefined;
  const e: MatchmakingEvent = {
    id: doc.id,
    type: d.type as MatchmakingEventType,
    time: typeof doc.time === "string" ? doc.time : "",
    tickets: Array.isArray(d.tickets) ? (d.tickets as EventTicket[]) : [],
    document: doc,
  };
  // Copy only the members present, so a missing one reads as absent
  // rather than as an explicit undefined.
  for (const k of ["matchId", "gameSessionInfo", "estimatedWaitMillis", "acceptanceTimeout", "acceptanceRequired", "reason", "message", "customEventData"] as const) {
    if (d[k] !== undefined) (e as unknown as Json)[k] = d[k];
  }
  return e;
}

/** involvesTicket tells whether an event reports on the given ticket (a backfill's events name others too). */
export function involvesTicket(e: MatchmakingEvent, ticketId: string): boolean {
  return e.tickets.some((t) => t.ticketId === ticketId);
}

/** playerSession finds a player's entry in a MatchmakingSucceeded event: its team and player session id. */
export function playerSession(e: MatchmakingEvent, playerId: string): EventPlayer | undefined {
  return e.gameSessionInfo?.players.find((p) => p.playerId === playerId);
}
