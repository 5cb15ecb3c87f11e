// A real `rallypoint serve` for the tests: built from the repository,
// started on loopback ports in a temporary data directory, stopped after.

import { spawn, execFile, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

// build-test/test/harness.js → the repository root, four levels up.
const repoRoot = resolve(fileURLToPath(import.meta.url), "../../../../..");

export interface Server {
  public: string;
  admin: string;
  stop(): Promise<void>;
}

let binary: Promise<string> | undefined;

/** build builds the binary once per test process, into a directory removed at exit. */
function build(): Promise<string> {
  binary ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "rallypoint-js-bin-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    const bin = join(dir, "rallypoint");
    await promisify(execFile)("go", ["build", "-o", bin, "./cmd/rallypoint"], { cwd: repoRoot });
    return bin;
  })();
  return binary;
}

/**
 * startServer starts a server with --insecure-dev, so the admin listener
 * takes unsigned calls, and any extra flags.
 */
export async function startServer(...flags: string[]): Promise<Server> {
  const bin = await build();
  const dir = await mkdtemp(join(tmpdir(), "rallypoint-js-"));
  const args = ["serve", "--data-dir", dir, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--insecure-dev", ...flags];
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [pub, admin] = await listening(child, 20_000);
    return { public: pub, admin, stop };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\nserver stderr:\n${stderr}`);
  }
}

const listeningLine = /rallypoint is listening: public (http:\/\/\S+)\s+admin \(control plane\) (http:\/\/\S+)/;

function listening(child: ChildProcess, timeoutMs: number): Promise<[string, string]> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("the server did not say it was listening")), timeoutMs);
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const m = listeningLine.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve([m[1]!, m[2]!]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}`));
    });
  });
}

/** adminCall makes an unsigned AWS JSON 1.1 call on the admin listener. */
export async function adminCall(s: Server, target: string, body: object): Promise<Record<string, unknown>> {
  const res = await fetch(s.admin + "/", {
    method: "POST",
    headers: { "X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1" },
    body: JSON.stringify(body),
  });
  const doc = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${target}: ${res.status} ${JSON.stringify(doc)}`);
  return doc;
}

/** setUpDuel makes a guest identity pool and a 1v1 STANDALONE configuration named duel; it returns the pool id. */
export async function setUpDuel(s: Server): Promise<string> {
  const pool = await adminCall(s, "AWSCognitoIdentityService.CreateIdentityPool", { IdentityPoolName: "js", AllowUnauthenticatedIdentities: true });
  const rules = {
    ruleLanguageVersion: "1.0",
    playerAttributes: [{ name: "skill", type: "number", default: 10 }],
    teams: [
      { name: "red", minPlayers: 1, maxPlayers: 1 },
      { name: "blue", minPlayers: 1, maxPlayers: 1 },
    ],
  };
  await adminCall(s, "GameLift.CreateMatchmakingRuleSet", { Name: "duel", RuleSetBody: JSON.stringify(rules) });
  await adminCall(s, "GameLift.CreateMatchmakingConfiguration", {
    Name: "duel",
    RuleSetName: "duel",
    RequestTimeoutSeconds: 60,
    AcceptanceRequired: false,
    FlexMatchMode: "STANDALONE",
  });
  return pool.IdentityPoolId as string;
}
