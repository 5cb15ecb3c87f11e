package gateway_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/coder/websocket"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/gateway"
)

// Records exist while a socket is open, a player may hold several, and
// they are gone after a client close and after Shutdown.
func TestRecordsFollowTheSockets(t *testing.T) {
	w := newWorld(t)
	n := w.node("a", nil)
	p := w.player()
	first, second := n.connect(t, p), n.connect(t, p)
	ids := w.recordsOf(p.id)
	if len(ids) != 2 || len(w.playerConnections(p.id)) != 2 {
		t.Fatalf("records %v, player connections %v", ids, w.playerConnections(p.id))
	}
	for _, id := range ids {
		if !slices.Contains(w.playerConnections(p.id), id) {
			t.Errorf("player's list lacks %s", id)
		}
	}

	if err := first.c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatalf("client close: %v", err)
	}
	eventually(t, "one record to go", func() bool { return len(w.recordsOf(p.id)) == 1 && len(w.playerConnections(p.id)) == 1 })
	second.ping()

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- n.g.Shutdown(ctx) }()
	second.expectClose(websocket.StatusGoingAway, "server shutting down")
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if recs := w.records(); len(recs) != 0 || w.playerConnections(p.id) != nil {
		t.Errorf("after Shutdown: records %v, player connections %v", recs, w.playerConnections(p.id))
	}
	if _, resp, err := n.dial(t, dialOpts{header: http.Header{"Authorization": {"Bearer " + p.token}}}); err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("upgrade after Shutdown: %v %s", err, status(resp))
	}
}

// A node that dies without closing its sockets has its records swept by
// another node once its lease expires; a restarted node sweeps its own.
func TestCrashedNodesRecordsAreSwept(t *testing.T) {
	w := newWorld(t)
	fast := func(c *cfgT) { c.LeaseTTL = 500 * time.Millisecond; c.SweepInterval = 100 * time.Millisecond }
	a := w.node("a", fast)
	p := w.player()
	a.connect(t, p)
	if len(w.recordsOf(p.id)) != 1 {
		t.Fatal("no record")
	}
	a.crash()
	w.node("b", fast)
	eventually(t, "node b to sweep node a's records", func() bool {
		return len(w.recordsOf(p.id)) == 0 && w.playerConnections(p.id) == nil
	})

	// A record left by an earlier run of node c is removed when c starts.
	stale := map[string]any{"connectionId": "stalestalestale0", "playerId": p.id, "identityId": p.id, "node": "c", "connectedAt": time.Now().UTC()}
	b, _ := json.Marshal(stale)
	if _, err := w.e.Bucket(engine.BucketConnections).Put(context.Background(), "stalestalestale0", b); err != nil {
		t.Fatal(err)
	}
	w.node("c", nil)
	if _, ok := w.records()["stalestalestale0"]; ok {
		t.Error("node c kept a record of its previous run")
	}
}

// A node that was only slow, and lost its lease while another node swept
// its records, takes the lease back and writes its sockets' records again:
// its players stay reachable.
func TestNodeThatLostItsLeaseWritesItsRecordsAgain(t *testing.T) {
	w := newWorld(t)
	a := w.node("a", func(c *cfgT) { c.LeaseTTL = 300 * time.Millisecond })
	p := w.player()
	sock := a.connect(t, p)
	ids := w.recordsOf(p.id)
	if len(ids) != 1 {
		t.Fatalf("records %v", ids)
	}
	// What a sweeper does to a node it took for dead: the lease and the
	// records go.
	ctx := context.Background()
	if err := w.e.Bucket(engine.BucketLeases).Delete(ctx, "gateway.a"); err != nil {
		t.Fatal(err)
	}
	if err := w.e.Bucket(engine.BucketConnections).Delete(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := w.e.Bucket(engine.BucketPlayerConnections).Delete(ctx, base64.RawURLEncoding.EncodeToString([]byte(p.id))); err != nil {
		t.Fatal(err)
	}
	eventually(t, "node a to write its records again", func() bool {
		return len(w.recordsOf(p.id)) == 1 && len(w.playerConnections(p.id)) == 1
	})
	if err := a.g.PushToPlayer(ctx, p.id, []byte(`{"event":{"again":true}}`)); err != nil {
		t.Fatalf("PushToPlayer after the records came back: %v", err)
	}
	if got := string(sock.read()); got != `{"event":{"again":true}}` {
		t.Fatalf("push %q", got)
	}
}

// Two gateways share one engine: a push, a send, a describe and a close
// through node B reach a socket on node A.
func TestPushesAndConnectionsAcrossNodes(t *testing.T) {
	w := newWorld(t)
	a, b := w.node("a", nil), w.node("b", nil)
	p := w.player()
	onA, alsoOnB := a.connect(t, p), b.connect(t, p)
	ctx := context.Background()

	if err := b.g.PushToPlayer(ctx, p.id, []byte(`{"event":{"n":1}}`)); err != nil {
		t.Fatalf("PushToPlayer: %v", err)
	}
	for _, c := range []*client{onA, alsoOnB} {
		if got := string(c.read()); got != `{"event":{"n":1}}` {
			t.Fatalf("push %q", got)
		}
	}
	if err := b.g.PushToPlayer(ctx, "local:nobody", []byte(`{}`)); !errors.Is(err, gateway.ErrGone) {
		t.Errorf("PushToPlayer to a player without connections: %v, want ErrGone", err)
	}

	var idOnA string
	for _, id := range w.recordsOf(p.id) {
		if w.records()[id]["node"] == "a" {
			idOnA = id
		}
	}
	// @connections through B's admin handler.
	if resp := signedCall(t, b, http.MethodPost, "/@connections/"+idOnA, []byte("hello from b")); resp.StatusCode != http.StatusOK {
		t.Fatalf("POST: %s", status(resp))
	}
	if got := string(onA.read()); got != "hello from b" {
		t.Fatalf("POSTed frame %q", got)
	}
	onA.ping()
	resp := signedCall(t, b, http.MethodGet, "/prod/@connections/"+idOnA, nil)
	var got struct {
		ConnectedAt  string `json:"connectedAt"`
		LastActiveAt string `json:"lastActiveAt"`
		Identity     struct {
			SourceIP          string `json:"sourceIp"`
			UserAgent         string `json:"userAgent"`
			CognitoIdentityID string `json:"cognitoIdentityId"`
		} `json:"identity"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&got) != nil {
		t.Fatalf("GET: %s", status(resp))
	}
	connected, err1 := time.Parse(time.RFC3339, got.ConnectedAt)
	active, err2 := time.Parse(time.RFC3339, got.LastActiveAt)
	if err1 != nil || err2 != nil || active.Before(connected) || got.Identity.SourceIP != "127.0.0.1" || got.Identity.CognitoIdentityID != p.id || got.Identity.UserAgent == "" {
		t.Errorf("GET: %+v", got)
	}
	if resp := signedCall(t, b, http.MethodDelete, "/@connections/"+idOnA, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %s", status(resp))
	}
	onA.expectClose(websocket.StatusNormalClosure, "connection deleted")
	eventually(t, "the deleted connection's record to go", func() bool { _, ok := w.records()[idOnA]; return !ok })
	alsoOnB.ping()

	for _, method := range []string{http.MethodPost, http.MethodGet, http.MethodDelete} {
		resp := signedCall(t, b, method, "/@connections/"+idOnA, []byte("x"))
		if resp.StatusCode != http.StatusGone || resp.Header.Get("x-amzn-ErrorType") != "GoneException" {
			t.Errorf("%s on a closed connection: %s", method, status(resp))
		}
	}

	// A record naming a node that is not there: 410, and the record goes.
	ghost := map[string]any{"connectionId": "ghostghostghost0", "playerId": p.id, "identityId": p.id, "node": "gone", "connectedAt": time.Now().UTC()}
	raw, _ := json.Marshal(ghost)
	if _, err := w.e.Bucket(engine.BucketConnections).Put(ctx, "ghostghostghost0", raw); err != nil {
		t.Fatal(err)
	}
	if resp := signedCall(t, b, http.MethodGet, "/@connections/ghostghostghost0", nil); resp.StatusCode != http.StatusGone {
		t.Errorf("GET on a dead node's connection: %s", status(resp))
	}
	if _, ok := w.records()["ghostghostghost0"]; ok {
		t.Error("the dead node's record was kept")
	}

	// Unsigned and badly signed requests are refused 403.
	req, _ := http.NewRequest(http.MethodGet, b.admin.URL+"/@connections/"+idOnA, nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned: %v %s", err, status(resp))
	}
	if resp := signedCallAs(t, b, http.MethodGet, "/@connections/"+idOnA, nil, aws.Credentials{AccessKeyID: operatorKey, SecretAccessKey: "wrong"}); resp.StatusCode != http.StatusForbidden || resp.Header.Get("x-amzn-ErrorType") != "ForbiddenException" {
		t.Errorf("bad signature: %s", status(resp))
	}
}

func signedCall(t *testing.T, n *node, method, path string, body []byte) *http.Response {
	return signedCallAs(t, n, method, path, body, aws.Credentials{AccessKeyID: operatorKey, SecretAccessKey: operatorSecret})
}

func signedCallAs(t *testing.T, n *node, method, path string, body []byte, creds aws.Credentials) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, n.admin.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		body = []byte{}
	}
	hash := sha256Hex(body)
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hash, "execute-api", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	t.Cleanup(func() { _, _ = io.Copy(io.Discard, resp.Body); resp.Body.Close() })
	return resp
}
