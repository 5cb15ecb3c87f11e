import { test } from "node:test";
import assert from "node:assert/strict";
import { presignUrl } from "@rallypoint/client";

// The expected URL was made by aws-sdk-go-v2's v4.Signer.PresignHTTP (the
// signer docs/players.md shows) with these inputs, so this test holds the
// SDK to what AWS clients produce, beyond what rallypoint happens to accept:
// a path with a prefix, a query to sort and encode, and a session token
// with characters that need encoding.
test("presignUrl signs as the AWS SDK does", async () => {
  const got = await presignUrl("http://127.0.0.1:7400/prod/ws?b=2&a=x%20y", {
    credentials: {
      accessKeyId: "ASIAEXAMPLEKEY",
      secretKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
      sessionToken: "session/token+with=odd chars",
    },
    region: "us-east-1",
    now: new Date("2026-11-26T05:26:59Z"),
  });
  const want = new URL(
    "http://127.0.0.1:7400/prod/ws?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLEKEY%2F20261126%2Fus-east-1%2Fexecute-api%2Faws4_request&X-Amz-Date=20261126T052659Z&X-Amz-Expires=300&X-Amz-Security-Token=session%2Ftoken%2Bwith%3Dodd%20chars&X-Amz-SignedHeaders=host&a=x%20y&b=2&X-Amz-Signature=317ce2cacd803f4b314e95f57c1a0af4a060eaf25eef2d6793f9bb878fb66fdb",
  );
  assert.equal(new URL(got).searchParams.get("X-Amz-Signature"), want.searchParams.get("X-Amz-Signature"));
  assert.equal(got, want.toString());
});

test("presignUrl replaces earlier signing parameters and keeps ws URLs' host", async () => {
  const creds = { accessKeyId: "AK", secretKey: "SK", sessionToken: "T" };
  const now = new Date("2026-01-02T03:04:05Z");
  const fresh = await presignUrl("ws://example.test/ws", { credentials: creds, region: "local", now });
  const again = await presignUrl(fresh, { credentials: creds, region: "local", now });
  assert.equal(again, fresh);
  assert.match(fresh, /^ws:\/\/example\.test\/ws\?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AK%2F20260102%2Flocal%2Fexecute-api%2Faws4_request&X-Amz-Date=20260102T030405Z&/);
});
