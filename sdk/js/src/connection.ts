// A player's socket: requests matched to replies by requestId, matchmaking
// events delivered once each, and reconnection after the socket drops.

import { RallypointError } from "./errors.js";
import { parseEvent, type MatchmakingEvent } from "./events.js";
import type { Identity } from "./identity.js";
import {
  defaultWebSocket,
  socketTarget,
  withoutQuery,
  type SocketOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./socket.js";
import type { MatchLocation, MatchmakingTicket, StartMatchmakingInput } from "./types.js";

export interface ConnectOptions extends SocketOptions {
  /** The WebSocket implementation; the global one by default. */
  WebSocket?: WebSocketConstructor;
  /**
   * Signs in again when the token or credentials lapse. Default: the
   * identity's own refresh (guests and logins have one).
   */
  refresh?: (identity: Identity) => Promise<Identity>;
  /**
   * Reconnect after the socket drops (the default), or not (false). The
   * first retry waits between half of initialDelayMs (default 500) and all
   * of it; each next one twice as long, up to maxDelayMs (default 30000).
   */
  reconnect?: boolean | { initialDelayMs?: number; maxDelayMs?: number };
  /** How long a request waits for its reply, in ms, including while reconnecting. Default 15000. */
  requestTimeoutMs?: number;
  /**
   * Sends a ping this often, in ms, because the server closes a socket
   * that sent nothing for 10 minutes, whatever it pushed. Default 240000; 0 turns it off.
   */
  keepAliveMs?: number;
}

/** What a Connection tells its listeners. */
export interface ConnectionEvents {
  /** A matchmaking event about this player; each event id is delivered once. */
  event: (e: MatchmakingEvent) => void;
  /** Any other frame: a custom route's answer, an @connections push (parsed JSON, or the text when not JSON). */
  message: (data: unknown) => void;
  /** The socket dropped; a new one is tried after delayMs. */
  reconnecting: (info: { attempt: number; delayMs: number; code: number; reason: string }) => void;
  /** A new socket is open. */
  reconnected: () => void;
  /** The connection ended for good: close() was called, the server deleted it (1000), or reconnecting is off. */
  close: (info: { code: number; reason: string }) => void;
}

export type ConnectionState = "open" | "reconnecting" | "closed";

type Reply = Record<string, unknown> & { ok: boolean };

interface Pending {
  frame: string;
  sent: boolean;
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

// What the server's close frame says when the token lapsed: sign in again.
const closeTokenExpired = { code: 1008, reason: "token expired" };
// Close code of a deleted connection (@connections DELETE): the studio meant it.
const closeNormal = 1000;
// Event ids remembered to drop repeats; a resend is of a ticket's latest event.
const seenLimit = 1024;
// Events kept for a listener yet to come; more would be stale news.
const unclaimedLimit = 32;

/** connect signs the socket, opens it and resolves once it is open. */
export function connect(identity: Identity, options: ConnectOptions): Promise<Connection> {
  return Connection.connect(identity, options);
}

/**
 * Connection is a player's socket to rallypoint. Make one with connect().
 * It reopens itself after an unexpected close until close() is called.
 */
export class Connection {
  #identity: Identity;
  readonly #opts: ConnectOptions;
  readonly #WebSocket: WebSocketConstructor;
  #ws: WebSocketLike | undefined;
  #state: ConnectionState = "open";
  #staleIdentity = false;
  readonly #pending = new Map<string, Pending>();
  readonly #seen = new Set<string>();
  // Events that arrived while nobody listened, for the first listener: the
  // event resent on connecting may come before connect()'s caller can listen.
  readonly #unclaimed: MatchmakingEvent[] = [];
  readonly #listeners = new Map<keyof ConnectionEvents, Set<(...args: never[]) => void>>();
  #nextRequestId = 0;
  #keepAlive: ReturnType<typeof setInterval> | undefined;
  #wake: (() => void) | undefined;
  #closed: Promise<void> | undefined;

  private constructor(identity: Identity, options: ConnectOptions) {
    this.#identity = identity;
    this.#opts = options;
    this.#WebSocket = options.WebSocket ?? defaultWebSocket();
  }

  /** Same as connect(). */
  static async connect(identity: Identity, options: ConnectOptions): Promise<Connection> {
    const c = new Connection(identity, options);
    try {
      await c.#open();
    } catch (err) {
      c.#state = "closed";
      throw err;
    }
    return c;
  }

  /** The identity in use: a refreshed one after the token lapsed. */
  get identity(): Identity {
    return this.#identity;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** on adds a listener and returns the function that removes it. */
  on<K extends keyof ConnectionEvents>(name: K, fn: ConnectionEvents[K]): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(fn);
    if (name === "event" && this.#unclaimed.length > 0) {
      queueMicrotask(() => {
        for (const e of this.#unclaimed.splice(0)) this.#emit("event", e);
      });
    }
    return () => void set.delete(fn);
  }

  /**
   * events iterates over the matchmaking events that arrive from now on
   * (and those that arrived while nothing listened), and ends when the
   * connection closes. An event goes to the listeners present when it
   * arrives, so start it before startMatchmaking.
   */
  events(): AsyncIterableIterator<MatchmakingEvent> {
    const queue: MatchmakingEvent[] = [];
    let done = this.#state === "closed";
    let wake: (() => void) | undefined;
    const offEvent = this.on("event", (e) => {
      queue.push(e);
      wake?.();
    });
    const offClose = this.on("close", () => {
      done = true;
      wake?.();
    });
    const stop = (): IteratorResult<MatchmakingEvent> => {
      done = true;
      offEvent();
      offClose();
      return { value: undefined, done: true };
    };
    return {
      async next() {
        while (queue.length === 0 && !done) await new Promise<void>((r) => (wake = r));
        const e = queue.shift();
        return e ? { value: e, done: false } : stop();
      },
      async return() {
        queue.length = 0;
        return stop();
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** startMatchmaking asks for a match for this player alone and returns the new ticket. */
  async startMatchmaking(input: StartMatchmakingInput): Promise<MatchmakingTicket> {
    const r = await this.request("startMatchmaking", { ...input });
    return r.ticket as MatchmakingTicket;
  }

  /** describeMatchmaking returns one of the player's tickets; another's is NotFoundException. */
  async describeMatchmaking(ticketId: string): Promise<MatchmakingTicket> {
    const r = await this.request("describeMatchmaking", { ticketId });
    return r.ticket as MatchmakingTicket;
  }

  /** stopMatchmaking cancels the player's ticket. */
  async stopMatchmaking(ticketId: string): Promise<void> {
    await this.request("stopMatchmaking", { ticketId });
  }

  /** acceptMatch accepts (true) or rejects a proposed match while the ticket is REQUIRES_ACCEPTANCE. */
  async acceptMatch(ticketId: string, accept: boolean): Promise<void> {
    await this.request("acceptMatch", { ticketId, acceptanceType: accept ? "ACCEPT" : "REJECT" });
  }

  /** describeLocations lists where a configuration's matches may be played. */
  async describeLocations(configurationName: string): Promise<MatchLocation[]> {
    const r = await this.request("describeLocations", { configurationName });
    return (r.locations ?? []) as MatchLocation[];
  }

  /** ping makes one round trip and returns its time in ms. */
  async ping(): Promise<number> {
    const start = performance.now();
    await this.request("ping", {});
    return performance.now() - start;
  }

  /**
   * request sends a frame with an action and resolves with its reply, or
   * rejects with the reply's error. A request made while reconnecting is
   * sent once the socket is back; one already sent when the socket dropped
   * fails with ConnectionLost, since it may or may not have been done.
   */
  request(action: string, fields: Record<string, unknown>): Promise<Reply> {
    if (this.#state === "closed") return Promise.reject(new RallypointError("ConnectionClosed", "the connection is closed"));
    const requestId = String(++this.#nextRequestId);
    return new Promise((resolve, reject) => {
      const timeout = this.#opts.requestTimeoutMs ?? 15000;
      const p: Pending = {
        frame: JSON.stringify({ action, requestId, ...fields }),
        sent: false,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#pending.delete(requestId);
          reject(new RallypointError("Timeout", `${action}: no reply within ${timeout} ms`));
        }, timeout),
      };
      this.#pending.set(requestId, p);
      this.#sendPending(p);
    });
  }

  /** send writes a frame as it is, for custom routes; it fails unless the socket is open. */
  send(frame: string | Record<string, unknown>): void {
    if (this.#ws?.readyState !== 1) throw new RallypointError("ConnectionLost", "the socket is not open");
    this.#ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** close ends the connection for good; it resolves once the socket has closed. */
  close(): Promise<void> {
    if (this.#state !== "closed") {
      const ws = this.#ws;
      this.#closed = ws
        ? new Promise<void>((resolve) => {
            const prev = ws.onclose;
            ws.onclose = (ev) => {
              prev?.(ev);
              resolve();
            };
            // A peer that never answers the close must not hold the caller.
            setTimeout(resolve, 2000);
          })
        : Promise.resolve();
      this.#finish(closeNormal, "closed by the client");
      ws?.close(closeNormal);
    }
    return this.#closed ?? Promise.resolve();
  }

  /** _dropForTest closes the socket as a network failure would, so the connection reconnects. Tests only. */
  _dropForTest(): void {
    this.#ws?.close(4000, "dropped for a test");
  }

  /** #open makes one socket and resolves when it is open. */
  async #open(): Promise<void> {
    const target = await socketTarget(this.#identity, this.#opts);
    await new Promise<void>((resolve, reject) => {
      const ws = new this.#WebSocket(target.url, target.protocols);
      this.#ws = ws;
      let settled = false; // opened, or refused
      ws.onopen = () => {
        settled = true;
        if (this.#state === "closed") {
          ws.close(closeNormal);
          reject(new RallypointError("ConnectionClosed", "the connection was closed while connecting"));
          return;
        }
        this.#state = "open";
        this.#startKeepAlive();
        for (const p of this.#pending.values()) this.#sendPending(p);
        resolve();
      };
      ws.onmessage = (ev) => {
        if (typeof ev.data === "string") this.#onFrame(ev.data);
      };
      const refused = () => {
        if (settled) return;
        settled = true; // a close after the error is not news
        if (this.#ws === ws) this.#ws = undefined;
        // Browsers hide the refused upgrade's status, so 401 (expired),
        // 403 (not valid) and an unreachable server look alike here.
        reject(new RallypointError("ConnectionRefused", `the WebSocket upgrade to ${withoutQuery(target.url)} failed: credentials refused (401/403) or server unreachable`));
      };
      // A failed handshake may end with an error and no close (Node 20's
      // WebSocket does so); once open, the close that follows an error
      // says all there is to know.
      ws.onerror = refused;
      ws.onclose = (ev) => {
        if (!settled) return refused();
        if (this.#ws !== ws) return;
        this.#ws = undefined;
        this.#onDrop(ev.code, ev.reason);
      };
    });
  }

  #onFrame(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.#emit("message", text);
      return;
    }
    if (typeof msg !== "object" || msg === null || Array.isArray(msg)) {
      this.#emit("message", msg);
      return;
    }
    const m = msg as Record<string, unknown>;
    if ("event" in m) {
      const e = parseEvent(m.event);
      if (e) {
        if (this.#seen.has(e.id)) return;
        this.#seen.add(e.id);
        if (this.#seen.size > seenLimit) this.#seen.delete(this.#seen.values().next().value!);
        if (this.#listeners.get("event")?.size) {
          this.#emit("event", e);
        } else if (this.#unclaimed.push(e) > unclaimedLimit) {
          this.#unclaimed.shift();
        }
        return;
      }
    }
    const id = m.requestId === undefined ? undefined : String(m.requestId);
    const p = id === undefined ? undefined : this.#pending.get(id);
    if (!p || typeof m.ok !== "boolean") {
      this.#emit("message", m);
      return;
    }
    this.#pending.delete(id!);
    clearTimeout(p.timer);
    if (m.ok) {
      p.resolve(m as Reply);
    } else {
      const err = (m.error ?? {}) as { code?: string; message?: string };
      p.reject(new RallypointError(err.code ?? "InternalServiceException", err.message ?? "the request failed"));
    }
  }

  /** #onDrop handles the end of an open socket that close() did not ask for. */
  #onDrop(code: number, reason: string): void {
    this.#stopKeepAlive();
    this.#failPending((p) => p.sent, () => new RallypointError("ConnectionLost", `the socket closed (${code} ${reason}) before the reply`));
    if (this.#state === "closed") return;
    if (code === closeNormal || this.#opts.reconnect === false) {
      this.#finish(code, reason);
      return;
    }
    if (code === closeTokenExpired.code && reason === closeTokenExpired.reason) this.#staleIdentity = true;
    this.#state = "reconnecting";
    void this.#reconnect(code, reason);
  }

  async #reconnect(code: number, reason: string): Promise<void> {
    const backoff = typeof this.#opts.reconnect === "object" ? this.#opts.reconnect : {};
    const initial = backoff.initialDelayMs ?? 500;
    const max = backoff.maxDelayMs ?? 30000;
    for (let attempt = 1; this.#state === "reconnecting"; attempt++) {
      // Exponential, with jitter so that players dropped together by one
      // node's restart do not all come back in the same instant.
      const ceiling = Math.min(max, initial * 2 ** Math.min(attempt - 1, 30));
      const delayMs = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
      this.#emit("reconnecting", { attempt, delayMs, code, reason });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delayMs);
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.#wake = undefined;
      if (this.#state !== "reconnecting") return;
      try {
        if (this.#staleIdentity || this.#lapsing()) {
          const refresh = this.#opts.refresh ?? this.#identity.refresh;
          if (refresh) {
            this.#identity = await refresh(this.#identity);
            this.#staleIdentity = false;
          } else if (this.#lapsing()) {
            this.#finish(closeTokenExpired.code, "token expired and no way to sign in again: pass connect's refresh option");
            return;
          }
        }
        await this.#open();
        this.#emit("reconnected");
        return;
      } catch (err) {
        // A refused upgrade may be a token the server no longer takes:
        // signing in again costs one call, so do it next time.
        if (err instanceof RallypointError && err.code === "ConnectionRefused") this.#staleIdentity = true;
        code = 1006;
        reason = (err as Error).message;
      }
    }
  }

  /** #lapsing tells whether what the socket authenticates with ends within 30 seconds. */
  #lapsing(): boolean {
    const until = this.#opts.sigv4 ? this.#identity.credentials?.expiration : this.#identity.tokenExpires;
    return until !== undefined && until.getTime() - Date.now() < 30_000;
  }

  #sendPending(p: Pending): void {
    if (p.sent || this.#ws?.readyState !== 1) return;
    this.#ws.send(p.frame);
    p.sent = true;
  }

  #failPending(which: (p: Pending) => boolean, err: () => Error): void {
    for (const [id, p] of this.#pending) {
      if (!which(p)) continue;
      this.#pending.delete(id);
      clearTimeout(p.timer);
      p.reject(err());
    }
  }

  #startKeepAlive(): void {
    const every = this.#opts.keepAliveMs ?? 240_000;
    if (every > 0) this.#keepAlive = setInterval(() => void this.ping().catch(() => {}), every);
  }

  #stopKeepAlive(): void {
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
  }

  #finish(code: number, reason: string): void {
    this.#state = "closed";
    this.#stopKeepAlive();
    this.#wake?.();
    this.#failPending(() => true, () => new RallypointError("ConnectionClosed", `the connection closed (${code} ${reason})`));
    this.#emit("close", { code, reason });
  }

  #emit<K extends keyof ConnectionEvents>(name: K, ...args: Parameters<ConnectionEvents[K]>): void {
    for (const fn of this.#listeners.get(name) ?? []) {
      try {
        (fn as (...a: unknown[]) => void)(...args);
      } catch (err) {
        // A listener's bug must not break the socket's reading; report it
        // where the platform reports uncaught errors.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}
