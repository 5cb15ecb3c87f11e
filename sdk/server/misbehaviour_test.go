package server

// Tests of how the Process copes with a service that misbehaves, or does
// what rallypoint's service cannot be made to do on demand: replies that
// are malformed, lack StatusCode or name another Action; status codes it
// never sends (401, 409, 429, 5xx); close codes 1000, 1001 and 1011;
// replies slow enough for call timeouts, or cut off by a drop; pushes it
// does not send yet (UpdateGameSession) or never should (before
// ProcessReady). They run against the misbehaving peer of
// rogue_peer_test.go. Everything a correct service does is tested against
// the real one in service_test.go.

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestConnectRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		want   error
	}{
		// rallypoint refuses with 403 (see TestServiceConnectRefused).
		{"unauthorized", http.StatusUnauthorized, ErrUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPeer(t)
			p.refuseNext(100, tc.status)
			sp := testParams
			sp.WebSocketURL = p.url("/sdk")
			sp.AuthToken = "secret-token"
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			_, err := Connect(ctx, sp, WithReconnectBackoff(time.Millisecond, time.Millisecond))
			if !errors.Is(err, tc.want) {
				t.Fatalf("Connect = %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret-token") {
				t.Errorf("error shows the token: %v", err)
			}
			if p.refusedCount() != 1 {
				t.Errorf("%d attempts, want 1 (no retry on %d)", p.refusedCount(), tc.status)
			}
		})
	}
}

func TestGameSessionPushBeforeReadyIgnored(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	pc.push(pushCreateGameSession, map[string]any{"GameSessionId": "gs-early"})
	if _, err := proc.GetComputeCertificate(); !errors.Is(err, ErrProcessNotReady) {
		t.Errorf("GetComputeCertificate before ready = %v", err)
	}
	// Frames are handled in order: when ProcessReady has its reply, the
	// push before it was handled.
	errc := async(func() error { return proc.ProcessReady(ProcessParameters{Port: 1}) })
	pc.ok(pc.next(actionActivateServerProcess), nil)
	if err := waitErr(t, errc); err != nil {
		t.Fatal(err)
	}
	if id, _ := proc.GetGameSessionID(); id != "" {
		t.Errorf("game session %q taken before ProcessReady", id)
	}
	if err := proc.ActivateGameSession(); !errors.Is(err, ErrNoGameSession) {
		t.Errorf("ActivateGameSession = %v, want ErrNoGameSession", err)
	}
}

func TestUpdateGameSessionPush(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	updates := make(chan UpdateGameSession, 1)
	ready(t, proc, pc, ProcessParameters{OnUpdateGameSession: func(u UpdateGameSession) { updates <- u }})
	pc.push(pushUpdateGameSession, map[string]any{
		"GameSession":      map[string]any{"GameSessionId": "gs-1", "Name": "n", "Status": "ACTIVE", "MatchmakerData": "{}"},
		"UpdateReason":     "MATCHMAKING_DATA_UPDATED",
		"BackfillTicketId": "ticket-1",
	})
	u := waitFor(t, updates, "OnUpdateGameSession")
	if u.UpdateReason != UpdateMatchmakingDataUpdated || u.BackfillTicketID != "ticket-1" || u.GameSession.Status != GameSessionActive || u.GameSession.Name != "n" {
		t.Errorf("update = %+v", u)
	}
}

func TestErrorReply(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	ready(t, proc, pc, ProcessParameters{})
	startGameSession(t, proc, pc, "gs-1")

	for _, tc := range []struct {
		status int
		want   error
		typ    string
	}{
		// rallypoint's 400, 403 and 404 are in service_test.go.
		{409, ErrConflict, TypeConflict},
		{418, ErrBadRequest, TypeBadRequest},
		{429, ErrTooManyRequests, TypeTooManyRequests},
		{500, ErrInternalService, TypeInternalService},
	} {
		errc := async(func() error { return proc.AcceptPlayerSession("psess-1") })
		pc.fail(pc.next(actionAcceptPlayerSession), tc.status, "player session psess-1 is not RESERVED")
		err := waitErr(t, errc)
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, tc.want) {
			t.Fatalf("status %d: err = %v, want *Error matching %v", tc.status, err, tc.want)
		}
		if e.Code != tc.status || e.Type != tc.typ || e.Message != "player session psess-1 is not RESERVED" || e.Action != actionAcceptPlayerSession {
			t.Errorf("status %d: error = %+v", tc.status, e)
		}
	}
}

func TestMalformedReplies(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	ready(t, proc, pc, ProcessParameters{})

	errc := async(func() error { _, err := proc.GetComputeCertificate(); return err })
	m := pc.next(actionGetComputeCertificate)
	pc.send(map[string]any{"Action": m.action(), "RequestId": m.requestID()})
	if err := waitErr(t, errc); !errors.Is(err, ErrInternalService) || !strings.Contains(err.Error(), "no StatusCode") {
		t.Errorf("reply without StatusCode: %v", err)
	}

	errc = async(func() error { _, err := proc.GetComputeCertificate(); return err })
	m = pc.next(actionGetComputeCertificate)
	pc.send(map[string]any{"Action": "SomethingElse", "RequestId": m.requestID(), "StatusCode": 200})
	if err := waitErr(t, errc); !errors.Is(err, ErrProtocol) {
		t.Errorf("reply with another Action: %v", err)
	}
}

func TestFleetRoleCredentialsOnAnywhere(t *testing.T) {
	// GameLift Anywhere answers 200 with empty credentials; rallypoint
	// refuses the request instead (see TestServiceOtherCalls).
	p := newPeer(t)
	proc, pc := connect(t, p)
	ready(t, proc, pc, ProcessParameters{})
	type creds struct {
		r   GetFleetRoleCredentialsResult
		err error
	}
	cc := make(chan creds, 1)
	go func() {
		r, err := proc.GetFleetRoleCredentials(GetFleetRoleCredentialsRequest{RoleArn: "arn:aws:iam::123456789012:role/game"})
		cc <- creds{r, err}
	}()
	m := pc.next(actionGetFleetRoleCredentials)
	if m.str("RoleSessionName") != "fleet-1234-compute-1" {
		t.Errorf("RoleSessionName = %q", m.str("RoleSessionName"))
	}
	pc.ok(m, map[string]any{"AccessKeyId": ""})
	if c := waitFor(t, cc, "GetFleetRoleCredentials"); !errors.Is(c.err, ErrNotManagedFleet) {
		t.Errorf("GetFleetRoleCredentials on Anywhere = %v", c.err)
	}
}

func TestCallTimeout(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p, WithCallTimeout(100*time.Millisecond))
	ready(t, proc, pc, ProcessParameters{})
	startGameSession(t, proc, pc, "gs-1")
	errc := async(proc.ActivateGameSession)
	m := pc.next(actionActivateGameSession)
	err := waitErr(t, errc)
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "ActivateGameSession") || !strings.Contains(err.Error(), "no reply within 100ms") {
		t.Fatalf("err = %v", err)
	}
	// A late reply is dropped without harm.
	pc.ok(m, nil)
}

func TestTimeoutsInARowRedial(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p, WithCallTimeout(50*time.Millisecond))
	ready(t, proc, pc, ProcessParameters{})
	for range maxTimeoutsInARow {
		if _, err := proc.GetComputeCertificate(); !errors.Is(err, ErrTimeout) {
			t.Fatalf("err = %v", err)
		}
	}
	// The socket is taken for half-open and redialed.
	p.accept()
}

func TestCallerContext(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	ready(t, proc, pc, ProcessParameters{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := async(func() error { _, err := proc.GetComputeCertificateContext(ctx); return err })
	pc.next(actionGetComputeCertificate)
	cancel()
	if err := waitErr(t, errc); !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestReplyLostOnDrop: a request whose reply was due when the connection
// dropped fails, saying it may or may not have taken effect; the redial
// carries a new IdempotencyToken. (Reconnecting is tested against the real
// service; the peer is needed to hold the reply back.)
func TestReplyLostOnDrop(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	ready(t, proc, pc, ProcessParameters{})
	startGameSession(t, proc, pc, "gs-1")

	errc := async(func() error { return proc.AcceptPlayerSession("psess-1") })
	pc.next(actionAcceptPlayerSession)
	_ = pc.conn.CloseNow()
	err := waitErr(t, errc)
	if !errors.Is(err, ErrReplyLost) || !strings.Contains(err.Error(), "may or may not have taken effect") {
		t.Fatalf("in-flight call: %v", err)
	}
	pc2 := p.accept()
	if pc2.query.Get("IdempotencyToken") == pc.query.Get("IdempotencyToken") || pc2.query.Get("IdempotencyToken") == "" {
		t.Error("redial reused the IdempotencyToken")
	}
}

func TestAbnormalCloseStatusReconnects(t *testing.T) {
	p := newPeer(t)
	_, pc := connect(t, p)
	_ = pc.conn.Close(websocket.StatusInternalError, "restarting")
	pc2 := p.accept()
	if pc2.query.Get("pID") != "proc-1" {
		t.Errorf("redial pID = %q", pc2.query.Get("pID"))
	}
}

func TestNormalCloseByServiceEndsSession(t *testing.T) {
	for _, status := range []websocket.StatusCode{websocket.StatusNormalClosure, websocket.StatusGoingAway} {
		t.Run(status.String(), func(t *testing.T) {
			p := newPeer(t)
			proc, pc := connect(t, p)
			ready(t, proc, pc, ProcessParameters{})
			_ = pc.conn.Close(status, "bye")
			p.noConnection(100 * time.Millisecond)
			if _, err := proc.GetComputeCertificate(); !errors.Is(err, ErrClosedByService) {
				t.Errorf("call after close = %v", err)
			}
		})
	}
}

// TestRefreshDrainsInFlight: a reply due on the connection that
// RefreshConnection replaces still arrives there; the old connection is
// closed with 1000 after it. (The refresh itself is tested against the real
// service; the peer is needed to hold the reply back.)
func TestRefreshDrainsInFlight(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	ready(t, proc, pc, ProcessParameters{})
	startGameSession(t, proc, pc, "gs-1")

	errc := async(func() error { return proc.AcceptPlayerSession("psess-1") })
	inflight := pc.next(actionAcceptPlayerSession)
	pc.push(pushRefreshConnection, map[string]any{
		"RefreshConnectionEndpoint": p.url("/refreshed"),
		"AuthToken":                 "token-2",
	})
	pc2 := p.accept()
	eventually(t, "the SDK moves to the new socket", func() bool {
		proc.mu.Lock()
		defer proc.mu.Unlock()
		return proc.gen == 2
	})
	errc2 := async(func() error { return proc.RemovePlayerSession("psess-2") })
	pc2.ok(pc2.next(actionRemovePlayerSession), nil)
	if err := waitErr(t, errc2); err != nil {
		t.Fatal(err)
	}
	pc.ok(inflight, nil)
	if err := waitErr(t, errc); err != nil {
		t.Fatalf("call in flight across the refresh: %v", err)
	}
	if st := websocket.CloseStatus(pc.waitClosed()); st != websocket.StatusNormalClosure {
		t.Errorf("old socket closed with %v, want 1000", st)
	}
}

func TestDestroy(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	ready(t, proc, pc, ProcessParameters{})
	errc := async(func() error { _, err := proc.GetComputeCertificate(); return err })
	pc.next(actionGetComputeCertificate)
	if err := proc.Destroy(); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(t, errc); !errors.Is(err, ErrDestroyed) {
		t.Errorf("pending call = %v", err)
	}
	if st := websocket.CloseStatus(pc.waitClosed()); st != websocket.StatusNormalClosure {
		t.Errorf("closed with %v, want 1000", st)
	}
	if _, err := proc.GetComputeCertificate(); !errors.Is(err, ErrDestroyed) {
		t.Errorf("call after Destroy = %v", err)
	}
	if err := proc.Destroy(); err != nil {
		t.Errorf("second Destroy = %v", err)
	}
	p.noConnection(50 * time.Millisecond)
	noProcessGoroutines(t)
}

// noProcessGoroutines checks that no goroutine of a Process is left.
// Other tests' Processes are destroyed by then, since tests here do not run
// in parallel.
// A goroutine that has just called wg.Done (so Destroy returned) may still
// be on its way out for a moment, so the check looks again until a second
// has passed.
func noProcessGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		i := bytes.Index(buf, []byte("sdk/server.(*Process)"))
		if i < 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("a Process goroutine is still running:\n%s", buf[max(0, i-2000):min(len(buf), i+2000)])
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDestroyWhileReconnecting(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	p.refuseNext(1000, http.StatusServiceUnavailable)
	redialing(t, p, pc)
	if err := proc.Destroy(); err != nil {
		t.Fatal(err)
	}
	noProcessGoroutines(t)
}
