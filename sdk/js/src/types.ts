// The socket's wire types. Member names are the protocol's own (camelCase),
// so a reply is returned as it arrives, without a copy into other shapes.

/** A player attribute in GameLift's typed form: exactly one member is set. */
export type AttributeValue =
  | { S: string }
  | { N: number }
  | { SL: string[] }
  | { SDM: Record<string, number> };

export interface StartMatchmakingInput {
  /** The matchmaking configuration to search in. */
  configurationName: string;
  /** The player's attributes, by the rule set's attribute names. */
  playerAttributes?: Record<string, AttributeValue>;
  /** Milliseconds to each location, as measured by the client (see measureLatencies). */
  latencyInMs?: Record<string, number>;
  /** A ticket id of the client's choosing; the server makes one when absent. */
  ticketId?: string;
}

export type TicketStatus =
  | "QUEUED"
  | "SEARCHING"
  | "REQUIRES_ACCEPTANCE"
  | "PLACING"
  | "COMPLETED"
  | "FAILED"
  | "CANCELLED"
  | "TIMED_OUT";

/** A matchmaking ticket, as startMatchmaking and describeMatchmaking answer it. */
export interface MatchmakingTicket {
  ticketId: string;
  configurationName?: string;
  configurationArn?: string;
  status: TicketStatus;
  statusReason?: string;
  statusMessage?: string;
  /** ISO 8601. */
  startTime?: string;
  endTime?: string;
  /** Seconds, once the configuration has made a match. */
  estimatedWaitTime?: number;
  players: TicketPlayer[];
  /** Where to play, once the ticket is COMPLETED with a placed game session. */
  gameSessionConnectionInfo?: GameSessionConnectionInfo;
}

export interface TicketPlayer {
  playerId: string;
  playerAttributes?: Record<string, AttributeValue>;
  team?: string;
  latencyInMs?: Record<string, number>;
}

export interface GameSessionConnectionInfo {
  gameSessionArn: string;
  ipAddress?: string;
  dnsName?: string;
  port?: number;
  matchedPlayerSessions?: { playerId: string; playerSessionId: string }[];
}

/** A place a configuration's matches may be played, as describeLocations answers it. */
export interface MatchLocation {
  location: string;
  /** A UDP ping beacon: usable by native clients, not by browsers (see measureLatencies). */
  pingBeacon?: { udpEndpoint: { domain: string; port: number } };
}
