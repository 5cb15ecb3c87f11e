// The SDK against a real `rallypoint serve`: identities, both ways of
// authenticating the socket, matchmaking with pushed events, and
// reconnecting after a drop and after the token lapses.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  connect,
  measureLatencies,
  measureWebSocketRtt,
  playerSession,
  RallypointError,
  signInGuest,
  signInWithDeveloperToken,
  socketTarget,
  type Connection,
  type MatchmakingEvent,
} from "@rallypoint/client";
import { setUpDuel, startServer, type Server } from "./harness.js";

const quickReconnect = { initialDelayMs: 20, maxDelayMs: 200 };

/**
 * flakyNetwork is the platform's WebSocket behind a switch: while offline,
 * new sockets fail as when the network is down. It counts the event frames
 * that arrive, before the SDK drops repeats.
 */
function flakyNetwork() {
  const net = { offline: false, eventFrames: 0 };
  class FlakyWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      if (net.offline) throw new Error("network is down");
      super(url, protocols);
      this.addEventListener("message", (ev) => {
        if (typeof ev.data === "string" && ev.data.startsWith('{"event"')) net.eventFrames++;
      });
    }
  }
  return { net, WebSocket: FlakyWebSocket };
}

/** next reads events until one of the ticket's has the wanted type, failing on a timeout. */
async function next(events: AsyncIterator<MatchmakingEvent>, ticketId: string, type: string, seen: MatchmakingEvent[] = []): Promise<MatchmakingEvent> {
  const deadline = AbortSignal.timeout(15_000);
  const timedOut = new Promise<never>((_, reject) =>
    deadline.addEventListener("abort", () => reject(new Error(`no ${type} for ${ticketId}; saw ${seen.map((e) => e.type).join(", ")}`))),
  );
  for (;;) {
    const r = await Promise.race([events.next(), timedOut]);
    assert.ok(!r.done, `the events ended before ${type}`);
    seen.push(r.value);
    if (r.value.type === type && r.value.tickets.some((t) => t.ticketId === ticketId)) return r.value;
  }
}

function until<T>(subscribe: (fn: (v: T) => void) => () => void, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 15_000);
    const off = subscribe((v) => {
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}

describe("against rallypoint serve", () => {
  let server: Server;
  let poolId: string;
  const open: Connection[] = [];
  const guest = () => signInGuest({ endpoint: server.public, poolId });

  before(async () => {
    server = await startServer();
    poolId = await setUpDuel(server);
  });

  after(async () => {
    await Promise.all(open.map((c) => c.close()));
    await server?.stop();
  });

  test("guests sign in and come back as the same player", async () => {
    const g = await guest();
    assert.match(g.id, /^local:/);
    assert.equal(g.poolId, poolId);
    assert.ok(g.tokenExpires.getTime() > Date.now());
    assert.ok(g.credentials && g.credentials.expiration.getTime() > Date.now());
    const again = await signInGuest({ endpoint: server.public, poolId, identityId: g.id, credentials: false });
    assert.equal(again.id, g.id);
    assert.equal(again.credentials, undefined);
  });

  test("an unknown pool is the service's error", async () => {
    await assert.rejects(signInGuest({ endpoint: server.public, poolId: "local:00000000-0000-0000-0000-000000000000" }), (err) => {
      assert.ok(err instanceof RallypointError);
      assert.equal(err.code, "ResourceNotFoundException");
      assert.ok((err.status ?? 0) >= 400);
      return true;
    });
  });

  test("two players match, one over a SigV4 socket and one over a token socket", async () => {
    const [ga, gb] = await Promise.all([guest(), guest()]);
    const a = await connect(ga, { endpoint: server.public, sigv4: true });
    const b = await connect(gb, { endpoint: server.public });
    open.push(a, b);
    const ea = a.events();
    const eb = b.events();

    const ta = await a.startMatchmaking({ configurationName: "duel", playerAttributes: { skill: { N: 20 } }, latencyInMs: { "custom-eu": 30 } });
    assert.equal(ta.players[0]?.playerId, ga.id);
    await next(ea, ta.ticketId, "MatchmakingSearching");
    const tb = await b.startMatchmaking({ configurationName: "duel" });

    const seenByB: MatchmakingEvent[] = [];
    for (const [events, ticket, me, seen] of [[ea, ta, ga, [] as MatchmakingEvent[]], [eb, tb, gb, seenByB]] as const) {
      const won = await next(events, ticket.ticketId, "MatchmakingSucceeded", seen);
      assert.ok(playerSession(won, me.id)?.team, "the event names the player's team");
      assert.equal(won.gameSessionInfo?.players.length, 2);
      assert.equal(won.gameSessionInfo?.ipAddress, undefined, "STANDALONE places nothing");
    }

    assert.equal(seenByB[0]?.type, "MatchmakingSearching");

    const described = await a.describeMatchmaking(ta.ticketId);
    assert.equal(described.status, "COMPLETED");
    await assert.rejects(b.describeMatchmaking(ta.ticketId), { name: "RallypointError", code: "NotFoundException" });
    await assert.rejects(a.acceptMatch(ta.ticketId, true), { code: "InvalidRequestException" });
    await a.stopMatchmaking(ta.ticketId); // stopping an ended ticket does nothing
    assert.ok((await a.ping()) >= 0);

    // A new socket, as after the game restarts, begins with the ticket's latest event.
    const again = await connect(ga, { endpoint: server.public });
    open.push(again);
    const resumed = await next(again.events(), ta.ticketId, "MatchmakingSucceeded");
    assert.equal(resumed.type, "MatchmakingSucceeded");
  });

  test("a forged token and a missing one are refused", async () => {
    const g = await guest();
    const forged = g.token.slice(0, -4) + (g.token.endsWith("AAAA") ? "BBBB" : "AAAA");
    const identity = signInWithDeveloperToken({ identityId: g.id, token: forged });
    await assert.rejects(connect(identity, { endpoint: server.public }), { code: "ConnectionRefused" });
    await assert.rejects(connect({ ...g, credentials: undefined }, { endpoint: server.public, sigv4: true }), { code: "InvalidRequestException" });
    await assert.rejects(measureWebSocketRtt(server.public.replace("http", "ws") + "/ws", 1), { code: "ConnectionRefused" });
  });

  test("a token in the query works, and pings measure latency", async () => {
    const g = await guest();
    const c = await connect(g, { endpoint: server.public, tokenIn: "query" });
    open.push(c);
    assert.ok((await c.ping()) >= 0);
    const rtt = await measureWebSocketRtt(await socketTarget(g, { endpoint: server.public }), 3);
    assert.ok(rtt > 0 && rtt < 1000, `rtt ${rtt}`);
    const signed = await socketTarget(g, { endpoint: server.public, sigv4: true });
    const latencies = await measureLatencies({ "custom-here": signed, "custom-nowhere": "ws://127.0.0.1:1/ws" }, 3);
    assert.deepEqual(Object.keys(latencies), ["custom-here"]);
    assert.ok(Number.isInteger(latencies["custom-here"]));
  });

  test("a socket dropped while searching reconnects, and the repeated event is delivered once", async () => {
    const [ga, gb] = await Promise.all([guest(), guest()]);
    const { net, WebSocket } = flakyNetwork();
    const a = await connect(ga, { endpoint: server.public, sigv4: true, reconnect: quickReconnect, WebSocket });
    const b = await connect(gb, { endpoint: server.public });
    open.push(a, b);
    const ea = a.events();
    const all: MatchmakingEvent[] = [];
    a.on("event", (e) => all.push(e));

    const ta = await a.startMatchmaking({ configurationName: "duel" });
    await next(ea, ta.ticketId, "MatchmakingSearching");
    const reconnected = until<void>((fn) => a.on("reconnected", fn), "reconnected");
    a._dropForTest();
    await reconnected;

    await b.startMatchmaking({ configurationName: "duel" });
    await next(ea, ta.ticketId, "MatchmakingSucceeded");
    const ids = all.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, "no event is delivered twice");
    assert.ok(net.eventFrames > all.length, `the server resent the latest event on reconnecting (${net.eventFrames} frames, ${all.length} events)`);
  });

  test("a player offline when its match is made learns it on reconnecting", async () => {
    const [ga, gb] = await Promise.all([guest(), guest()]);
    const { net, WebSocket } = flakyNetwork();
    const a = await connect(ga, { endpoint: server.public, reconnect: quickReconnect, WebSocket });
    const b = await connect(gb, { endpoint: server.public });
    open.push(a, b);
    const ea = a.events();
    const eb = b.events();

    const ta = await a.startMatchmaking({ configurationName: "duel" });
    await next(ea, ta.ticketId, "MatchmakingSearching");
    net.offline = true;
    a._dropForTest();
    await until((fn) => a.on("reconnecting", fn), "reconnecting");
    // Made while the socket is down, sent once it is back.
    const pinged = a.ping();

    const tb = await b.startMatchmaking({ configurationName: "duel" });
    await next(eb, tb.ticketId, "MatchmakingSucceeded");
    assert.equal(a.state, "reconnecting");
    net.offline = false;

    const won = await next(ea, ta.ticketId, "MatchmakingSucceeded");
    assert.ok(playerSession(won, ga.id)?.team);
    await pinged;
    assert.equal(a.state, "open");
  });

  test("close() ends the connection without reconnecting", async () => {
    const c = await connect(await guest(), { endpoint: server.public, reconnect: quickReconnect });
    let reconnecting = false;
    c.on("reconnecting", () => (reconnecting = true));
    const closed = until<{ code: number }>((fn) => c.on("close", fn), "close");
    await c.close();
    assert.equal((await closed).code, 1000);
    assert.equal(c.state, "closed");
    await assert.rejects(c.ping(), { code: "ConnectionClosed" });
    assert.equal(reconnecting, false);
  });
});

describe("against a server whose tokens last two seconds", () => {
  let server: Server;
  let poolId: string;

  before(async () => {
    server = await startServer("--player-token-ttl", "2s");
    poolId = await setUpDuel(server);
  });

  after(async () => server?.stop());

  test("a socket closed with 'token expired' signs in again and reconnects", async () => {
    const g = await signInGuest({ endpoint: server.public, poolId, credentials: false });
    const c = await connect(g, { endpoint: server.public, reconnect: quickReconnect });
    try {
      const dropped = until<{ code: number; reason: string }>((fn) => c.on("reconnecting", fn), "reconnecting");
      const reconnected = until<void>((fn) => c.on("reconnected", fn), "reconnected");
      const why = await dropped;
      assert.deepEqual([why.code, why.reason], [1008, "token expired"]);
      await reconnected;
      assert.equal(c.identity.id, g.id);
      assert.notEqual(c.identity.token, g.token);
      assert.ok((await c.ping()) >= 0);
    } finally {
      await c.close();
    }
  });

  test("a developer token that lapses, with nothing to refresh it, ends the connection", async () => {
    const g = await signInGuest({ endpoint: server.public, poolId, credentials: false });
    const c = await connect(signInWithDeveloperToken({ identityId: g.id, token: g.token }), { endpoint: server.public, reconnect: quickReconnect });
    const closed = await until<{ code: number; reason: string }>((fn) => c.on("close", fn), "close");
    assert.equal(closed.code, 1008);
    assert.match(closed.reason, /refresh/);
    assert.equal(c.state, "closed");
  });
});
