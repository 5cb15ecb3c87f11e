// Latency to locations from a browser, which cannot send UDP: time
// WebSocket round trips to an endpoint in each location instead.

import { RallypointError } from "./errors.js";
import { defaultWebSocket, withoutQuery, type SocketTarget, type WebSocketConstructor } from "./socket.js";

export interface RttOptions {
  /** The WebSocket implementation; the global one by default. */
  WebSocket?: WebSocketConstructor;
  /** Give up on a location after this many ms in all. Default 5000. */
  timeoutMs?: number;
}

/**
 * measureWebSocketRtt opens a socket to target, times `probes` `ping`
 * round trips one after another, closes it, and returns the median in ms.
 * The socket's opening is not timed: it costs several round trips (TCP,
 * TLS, the upgrade) and would be counted in no game's traffic.
 */
export async function measureWebSocketRtt(target: string | SocketTarget, probes = 5, o: RttOptions = {}): Promise<number> {
  const { url, protocols } = typeof target === "string" ? { url: target, protocols: undefined } : target;
  const WS = o.WebSocket ?? defaultWebSocket();
  const timeoutMs = o.timeoutMs ?? 5000;
  const ws = new WS(url, protocols);
  try {
    return await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RallypointError("Timeout", `no ping answers from ${withoutQuery(url)} within ${timeoutMs} ms`)), timeoutMs);
      const samples: number[] = [];
      let sentAt = 0;
      const probe = () => {
        sentAt = performance.now();
        ws.send(JSON.stringify({ action: "ping", requestId: `rtt-${samples.length}` }));
      };
      ws.onopen = probe;
      ws.onmessage = (ev) => {
        let reply: { requestId?: unknown } | undefined;
        try {
          reply = typeof ev.data === "string" ? JSON.parse(ev.data) : undefined;
        } catch {
          return;
        }
        // Other frames (a resent matchmaking event) are not answers.
        if (reply?.requestId !== `rtt-${samples.length}`) return;
        samples.push(performance.now() - sentAt);
        if (samples.length < Math.max(1, probes)) return probe();
        clearTimeout(timer);
        resolve(median(samples));
      };
      // Node 20's WebSocket may report a failed handshake with an error and no close.
      const failed = (why: string) => {
        clearTimeout(timer);
        reject(new RallypointError("ConnectionRefused", `the socket to ${withoutQuery(url)} ${why} before ${probes} pings were answered`));
      };
      ws.onerror = () => failed("failed");
      ws.onclose = (ev) => failed(`closed (${ev.code})`);
    });
  } finally {
    ws.onclose = ws.onerror = null;
    ws.close(1000);
  }
}

/**
 * measureLatencies measures every location at once and returns
 * milliseconds by location, whole and at least 1, as startMatchmaking's
 * latencyInMs takes them. A location that cannot be measured is left out,
 * as a player who cannot reach it should not be placed there.
 */
export async function measureLatencies(
  locations: Record<string, string | SocketTarget>,
  probes = 5,
  o: RttOptions = {},
): Promise<Record<string, number>> {
  const names = Object.keys(locations);
  const results = await Promise.allSettled(names.map((n) => measureWebSocketRtt(locations[n]!, probes, o)));
  const out: Record<string, number> = {};
  results.forEach((r, i) => {
    if (r.status === "fulfilled") out[names[i]!] = Math.max(1, Math.round(r.value));
  });
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
