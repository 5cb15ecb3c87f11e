// SigV4 query-string presigning (the form API Gateway's IAM-authorized
// WebSocket APIs accept), over crypto.subtle so it runs in browsers.

import type { Credentials } from "./identity.js";

export interface PresignOptions {
  credentials: Pick<Credentials, "accessKeyId" | "secretKey" | "sessionToken">;
  region: string;
  /** Default `execute-api`. */
  service?: string;
  /** How long the URL may be used to connect, in seconds. Default 300. */
  expiresSeconds?: number;
  /** The signing time; now by default. */
  now?: Date;
}

// The SHA-256 of an empty body: a WebSocket upgrade is a GET without one.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/**
 * presignUrl returns url with SigV4 authentication in its query. Only
 * `host` is signed: a browser sets the upgrade's other headers itself.
 */
export async function presignUrl(url: string, o: PresignOptions): Promise<string> {
  const u = new URL(url);
  const service = o.service ?? "execute-api";
  const amzDate = (o.now ?? new Date()).toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${o.region}/${service}/aws4_request`;

  const params: [string, string][] = [];
  u.searchParams.forEach((v, k) => {
    if (!k.startsWith("X-Amz-")) params.push([k, v]);
  });
  params.push(
    ["X-Amz-Algorithm", "AWS4-HMAC-SHA256"],
    ["X-Amz-Credential", `${o.credentials.accessKeyId}/${scope}`],
    ["X-Amz-Date", amzDate],
    ["X-Amz-Expires", String(o.expiresSeconds ?? 300)],
    ["X-Amz-Security-Token", o.credentials.sessionToken],
    ["X-Amz-SignedHeaders", "host"],
  );
  const query = params
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");

  const canonical = [
    "GET",
    // Every service but S3 signs the path encoded once more over its URL form.
    (u.pathname || "/").split("/").map(uriEncode).join("/"),
    query,
    `host:${u.host}\n`,
    "host",
    emptyPayloadHash,
  ].join("\n");
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, hex(await sha256(canonical))].join("\n");

  let key = await hmac(utf8("AWS4" + o.credentials.secretKey), day);
  key = await hmac(key, o.region);
  key = await hmac(key, service);
  key = await hmac(key, "aws4_request");
  const signature = hex(await hmac(key, toSign));

  u.search = `${query}&X-Amz-Signature=${signature}`;
  return u.toString();
}

/** uriEncode is SigV4's encoding: everything but RFC 3986's unreserved characters. */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

function utf8(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(s);
}

async function sha256(s: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", utf8(s));
}

async function hmac(key: Uint8Array<ArrayBuffer>, data: string): Promise<Uint8Array<ArrayBuffer>> {
  const k = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", k, utf8(data)));
}

function hex(b: ArrayBuffer | Uint8Array): string {
  return Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
}
