// Player identities from a rallypoint identity pool, over Cognito's wire
// protocol (AWS JSON 1.1, unsigned, on the public listener).

import { RallypointError } from "./errors.js";

/** Temporary credentials from GetCredentialsForIdentity: good only for signing the identity's socket URL. */
export interface Credentials {
  accessKeyId: string;
  secretKey: string;
  sessionToken: string;
  expiration: Date;
}

/** A player identity: its id is the player id everywhere in rallypoint. */
export interface Identity {
  /** The identity id, `<region>:<uuid>`. */
  id: string;
  poolId: string;
  /** A rallypoint-signed OpenID token for the socket's token authentication. */
  token: string;
  tokenExpires: Date;
  /** Present when signed in with credentials (the default), for SigV4-presigned sockets. */
  credentials?: Credentials;
  /**
   * Signs in again as the same identity, for when the token or credentials
   * lapse. Guests and logins have one; a developer token does not (its
   * token comes from the studio's backend: pass connect's `refresh`).
   */
  refresh?: () => Promise<Identity>;
}

export interface PoolOptions {
  /** The public listener, e.g. `http://127.0.0.1:7400`. */
  endpoint: string;
  poolId: string;
  /** Also get credentials for SigV4-presigned sockets (one more call). Default true. */
  credentials?: boolean;
  /** The fetch to use; the global one by default. */
  fetch?: typeof fetch;
}

export interface GuestOptions extends PoolOptions {
  /** A guest's identity id from an earlier sign-in, to come back as the same player. */
  identityId?: string;
}

export interface LoginOptions extends PoolOptions {
  /** The login provider as the pool names it, e.g. `accounts.google.com`. */
  provider: string;
  /** The provider's id token for the player. */
  idToken: string;
  /** A guest identity to link the login to, so the guest keeps its id. */
  identityId?: string;
}

/** signInGuest gets an unauthenticated identity (a new one, or identityId's) and its token. */
export async function signInGuest(o: GuestOptions): Promise<Identity> {
  return signIn(o, o.identityId, undefined);
}

/** signInWithLogin gets the identity of an OpenID Connect login (one identity per login). */
export async function signInWithLogin(o: LoginOptions): Promise<Identity> {
  return signIn(o, o.identityId, { [o.provider]: o.idToken });
}

/**
 * signInWithDeveloperToken wraps a token the studio's backend got with
 * GetOpenIdTokenForDeveloperIdentity. It makes no call.
 */
export function signInWithDeveloperToken(o: { identityId: string; token: string }): Identity {
  const claims = jwtClaims(o.token);
  if (!claims) throw new RallypointError("InvalidToken", "the developer token is not a JWT");
  return {
    id: o.identityId,
    poolId: typeof claims.aud === "string" ? claims.aud : "",
    token: o.token,
    tokenExpires: expiry(claims),
  };
}

async function signIn(o: PoolOptions, identityId: string | undefined, logins: Record<string, string> | undefined): Promise<Identity> {
  const call = (target: string, body: object) => poolCall(o, target, body);
  const withLogins = logins ? { Logins: logins } : {};
  let id = identityId;
  if (!id) {
    const r = await call("GetId", { IdentityPoolId: o.poolId, ...withLogins });
    id = str(r, "IdentityId");
  }
  const t = await call("GetOpenIdToken", { IdentityId: id, ...withLogins });
  const token = str(t, "Token");
  const claims = jwtClaims(token);
  if (!claims) throw new RallypointError("InvalidResponse", "GetOpenIdToken returned a token that is not a JWT");
  const identity: Identity = {
    id: str(t, "IdentityId"),
    poolId: o.poolId,
    token,
    tokenExpires: expiry(claims),
    refresh: () => signIn(o, identity.id, logins),
  };
  if (o.credentials !== false) {
    const c = await call("GetCredentialsForIdentity", { IdentityId: identity.id, ...withLogins });
    const cr = c.Credentials as Record<string, unknown> | undefined;
    if (!cr) throw new RallypointError("InvalidResponse", "GetCredentialsForIdentity returned no Credentials");
    identity.credentials = {
      accessKeyId: str(cr, "AccessKeyId"),
      secretKey: str(cr, "SecretKey"),
      sessionToken: str(cr, "SessionToken"),
      // Cognito's JSON protocol sends timestamps as epoch seconds.
      expiration: new Date(Number(cr.Expiration) * 1000),
    };
  }
  return identity;
}

/** poolCall makes one Cognito call and maps its error document to a RallypointError. */
async function poolCall(o: PoolOptions, target: string, body: object): Promise<Record<string, unknown>> {
  const doFetch = o.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await doFetch(o.endpoint.replace(/\/+$/, "") + "/", {
      method: "POST",
      headers: {
        "X-Amz-Target": "AWSCognitoIdentityService." + target,
        "Content-Type": "application/x-amz-json-1.1",
      },
      body: JSON.stringify(body),
    });
  } catch (err) {
    throw new RallypointError("NetworkError", `${target}: ${(err as Error).message}`);
  }
  let doc: Record<string, unknown> = {};
  try {
    doc = (await res.json()) as Record<string, unknown>;
  } catch {
    // Handled below: an error status keeps its status, a 2xx is malformed.
  }
  if (!res.ok) {
    // __type may be qualified ("com.amazonaws...#NotAuthorizedException").
    const type = typeof doc.__type === "string" ? doc.__type.split("#").pop()! : `HTTP${res.status}`;
    const message = String(doc.message ?? doc.Message ?? res.statusText);
    throw new RallypointError(type, `${target}: ${message}`, res.status);
  }
  if (typeof doc !== "object" || doc === null) throw new RallypointError("InvalidResponse", `${target}: the answer is not a JSON object`);
  return doc;
}

function str(doc: Record<string, unknown>, key: string): string {
  const v = doc[key];
  if (typeof v !== "string" || v === "") throw new RallypointError("InvalidResponse", `the answer has no ${key}`);
  return v;
}

/** jwtClaims reads a JWT's payload without verifying it: the client only needs to know when it lapses. */
function jwtClaims(token: string): Record<string, unknown> | undefined {
  const part = token.split(".")[1];
  if (!part) return undefined;
  try {
    const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const claims: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof claims === "object" && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function expiry(claims: Record<string, unknown>): Date {
  // No exp: treat the token as lasting; the server's 1008 still tells us.
  return typeof claims.exp === "number" ? new Date(claims.exp * 1000) : new Date(8.64e15);
}
