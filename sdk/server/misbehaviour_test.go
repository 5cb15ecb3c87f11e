package server

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

func TestConnectQuery(t *testing.T) {
	p := newPeer(t)
	_, pc := connect(t, p)
	if pc.path != "/sdk" {
		t.Errorf("path = %q, want /sdk", pc.path)
	}
	want := map[string]string{
		"pID":           "proc-1",
		"sdkVersion":    SDKVersion,
		"sdkLanguage":   "Go",
		"ComputeId":     "compute-1",
		"FleetId":       "fleet-1234",
		"Authorization": "token-1",
	}
	for k, v := range want {
		if got := pc.query.Get(k); got != v {
			t.Errorf("query %s = %q, want %q", k, got, v)
		}
	}
	if pc.query.Get("IdempotencyToken") == "" {
		t.Error("no IdempotencyToken")
	}
	if pc.query.Has("stale") {
		t.Error("the URL's own query was kept")
	}
	if len(pc.query) != 7 {
		t.Errorf("query has %d parameters, want 7: %v", len(pc.query), pc.query)
	}
}

func TestConnectRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		want   error
	}{
		{"unauthorized", http.StatusUnauthorized, ErrUnauthorized},
		{"forbidden", http.StatusForbidden, ErrForbidden},
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

func TestConnectRetries(t *testing.T) {
	p := newPeer(t)
	p.refuseNext(3, http.StatusServiceUnavailable)
	proc, pc := connect(t, p)
	if n := p.refusedCount(); n != 3 {
		t.Errorf("refused %d, want 3", n)
	}
	if proc == nil || pc == nil {
		t.Fatal("not connected")
	}
}

func TestConnectGivesUpWithContext(t *testing.T) {
	p := newPeer(t)
	p.refuseNext(1000, http.StatusServiceUnavailable)
	sp := testParams
	sp.WebSocketURL = p.url("/sdk")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := Connect(ctx, sp, WithReconnectBackoff(5*time.Millisecond, 10*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Connect = %v, want deadline exceeded", err)
	}
	if strings.Contains(err.Error(), "token-1") {
		t.Errorf("error shows the token: %v", err)
	}
}

func TestProcessReadyAndStartGameSession(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)

	type started struct {
		gs  GameSession
		err error
	}
	startedc := make(chan started, 1)
	errc := async(func() error {
		return proc.ProcessReady(ProcessParameters{
			Port:          7777,
			LogParameters: LogParameters{LogPaths: []string{"/var/log/game"}},
			OnStartGameSession: func(gs GameSession) {
				// Calling back into the SDK from the callback must work.
				startedc <- started{gs, proc.ActivateGameSession()}
			},
		})
	})
	m := pc.next(actionActivateServerProcess)
	if m.fields["Port"] != float64(7777) || m.str("SdkLanguage") != "Go" || m.str("SdkVersion") != SDKVersion {
		t.Errorf("ActivateServerProcess = %s", m)
	}
	// The reply and the push come back to back: the push must not be taken
	// for one to a process that is not ready.
	pc.ok(m, nil)
	pc.push(pushCreateGameSession, map[string]any{
		"GameSessionId":             "arn:aws:gamelift:local::gamesession/fleet-1234/gs-1",
		"GameSessionName":           "match",
		"MaximumPlayerSessionCount": 8,
		"Port":                      7777,
		"GameProperties":            map[string]string{"mode": "ctf"},
	})
	if err := waitErr(t, errc); err != nil {
		t.Fatalf("ProcessReady: %v", err)
	}
	p.nextHeartbeat()

	act := pc.next(actionActivateGameSession)
	if act.str("GameSessionId") != "arn:aws:gamelift:local::gamesession/fleet-1234/gs-1" {
		t.Errorf("ActivateGameSession = %s", act)
	}
	pc.ok(act, nil)
	s := waitFor(t, startedc, "OnStartGameSession")
	if s.err != nil {
		t.Errorf("ActivateGameSession from the callback: %v", s.err)
	}
	if s.gs.Name != "match" || s.gs.FleetID != "fleet-1234" || s.gs.GameProperties["mode"] != "ctf" || s.gs.MaximumPlayerSessionCount != 8 {
		t.Errorf("game session = %+v", s.gs)
	}
	if id, _ := proc.GetGameSessionID(); id != s.gs.GameSessionID {
		t.Errorf("GetGameSessionID = %q", id)
	}
	if err := proc.ProcessReady(ProcessParameters{Port: 7777}); !errors.Is(err, ErrAlreadyReady) {
		t.Errorf("second ProcessReady = %v", err)
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
		{400, ErrBadRequest, TypeBadRequest},
		{404, ErrNotFound, TypeNotFound},
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

func TestReplyPayloads(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	ready(t, proc, pc, ProcessParameters{})

	type describe struct {
		r   DescribePlayerSessionsResult
		err error
	}
	dc := make(chan describe, 1)
	go func() {
		r, err := proc.DescribePlayerSessions(DescribePlayerSessionsRequest{GameSessionID: "gs-1", Limit: 10})
		dc <- describe{r, err}
	}()
	m := pc.next(actionDescribePlayerSessions)
	pc.ok(m, map[string]any{"NextToken": "next", "PlayerSessions": []map[string]any{{
		"PlayerSessionId": "psess-1", "PlayerId": "player-1", "GameSessionId": "gs-1", "FleetId": "fleet-1234",
		"IpAddress": "10.0.0.1", "DnsName": "host", "Port": 7777, "PlayerData": "d", "Status": "ACTIVE",
		"CreationTime": 1700000000123, "TerminationTime": 0,
	}}})
	d := waitFor(t, dc, "DescribePlayerSessions")
	if d.err != nil {
		t.Fatal(d.err)
	}
	if d.r.NextToken != "next" || len(d.r.PlayerSessions) != 1 {
		t.Fatalf("result = %+v", d.r)
	}
	ps := d.r.PlayerSessions[0]
	if ps.PlayerSessionID != "psess-1" || ps.Status != PlayerSessionActive || ps.Port != 7777 ||
		!ps.CreationTime.Equal(time.UnixMilli(1700000000123)) || !ps.TerminationTime.IsZero() {
		t.Errorf("player session = %+v", ps)
	}

	type creds struct {
		r   GetFleetRoleCredentialsResult
		err error
	}
	cc := make(chan creds, 1)
	go func() {
		r, err := proc.GetFleetRoleCredentials(GetFleetRoleCredentialsRequest{RoleArn: "arn:aws:iam::123456789012:role/game"})
		cc <- creds{r, err}
	}()
	m = pc.next(actionGetFleetRoleCredentials)
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

func TestConnectionRefusedHidesToken(t *testing.T) {
	p := newPeer(t)
	sp := testParams
	sp.WebSocketURL = p.url("/sdk")
	sp.AuthToken = "secret/token+1"
	p.srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := Connect(ctx, sp, WithReconnectBackoff(5*time.Millisecond, 5*time.Millisecond))
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("err = %v", err)
	}
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

func TestReconnectKeepsState(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	ready(t, proc, pc, ProcessParameters{})
	startGameSession(t, proc, pc, "gs-1")

	// A request in flight when the connection drops fails, saying so.
	errc := async(func() error { return proc.AcceptPlayerSession("psess-1") })
	pc.next(actionAcceptPlayerSession)
	_ = pc.conn.CloseNow()
	err := waitErr(t, errc)
	if !errors.Is(err, ErrReplyLost) || !strings.Contains(err.Error(), "may or may not have taken effect") {
		t.Fatalf("in-flight call: %v", err)
	}

	pc2 := p.accept()
	for _, k := range []string{"pID", "ComputeId", "FleetId", "Authorization"} {
		if pc2.query.Get(k) != pc.query.Get(k) {
			t.Errorf("redial %s = %q, want %q", k, pc2.query.Get(k), pc.query.Get(k))
		}
	}
	if pc2.query.Get("IdempotencyToken") == pc.query.Get("IdempotencyToken") {
		t.Error("redial reused the IdempotencyToken")
	}
	// Nothing is re-sent: the first message on the new socket is the next
	// call, and the process still has its game session.
	errc = async(func() error { return proc.AcceptPlayerSession("psess-2") })
	m := pc2.next(actionAcceptPlayerSession)
	if m.str("GameSessionId") != "gs-1" || m.str("PlayerSessionId") != "psess-2" {
		t.Errorf("after reconnect: %s", m)
	}
	pc2.ok(m, nil)
	if err := waitErr(t, errc); err != nil {
		t.Fatal(err)
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

func TestCallWaitsForReconnect(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p, WithReconnectBackoff(20*time.Millisecond, 20*time.Millisecond))
	ready(t, proc, pc, ProcessParameters{})
	p.refuseNext(3, http.StatusServiceUnavailable)
	// Call while the SDK redials.
	redialing(t, p, pc)
	errc := async(func() error { _, err := proc.GetComputeCertificate(); return err })
	pc2 := p.accept()
	pc2.ok(pc2.next(actionGetComputeCertificate), map[string]any{"CertificatePath": "/cert.pem", "ComputeName": "compute-1"})
	if err := waitErr(t, errc); err != nil {
		t.Fatalf("call during reconnect: %v", err)
	}
}

func TestCallTimesOutWhileReconnecting(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p, WithCallTimeout(150*time.Millisecond), WithReconnectBackoff(20*time.Millisecond, 20*time.Millisecond))
	ready(t, proc, pc, ProcessParameters{})
	p.refuseNext(1000, http.StatusServiceUnavailable)
	redialing(t, p, pc)
	_, err := proc.GetComputeCertificate()
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "no connection") {
		t.Fatalf("err = %v", err)
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

func TestRefreshConnection(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	ready(t, proc, pc, ProcessParameters{})
	startGameSession(t, proc, pc, "gs-1")

	// A request in flight on the old socket still gets its reply there.
	errc := async(func() error { return proc.AcceptPlayerSession("psess-1") })
	inflight := pc.next(actionAcceptPlayerSession)

	pc.push(pushRefreshConnection, map[string]any{
		"RefreshConnectionEndpoint": p.url("/refreshed"),
		"AuthToken":                 "token-2",
	})
	pc2 := p.accept()
	if pc2.path != "/refreshed" || pc2.query.Get("Authorization") != "token-2" || pc2.query.Get("pID") != "proc-1" {
		t.Errorf("refresh dialed %s with %v", pc2.path, pc2.query)
	}
	// Once the SDK has moved, new requests go to the new socket.
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

	// A later drop redials the new endpoint with the new token.
	_ = pc2.conn.CloseNow()
	pc3 := p.accept()
	if pc3.path != "/refreshed" || pc3.query.Get("Authorization") != "token-2" {
		t.Errorf("redial after refresh went to %s with token %q", pc3.path, pc3.query.Get("Authorization"))
	}
}

func TestTerminateProcess(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	terminated := make(chan struct{}, 1)
	ready(t, proc, pc, ProcessParameters{OnProcessTerminate: func() { terminated <- struct{}{} }})
	if _, err := proc.GetTerminationTime(); !errors.Is(err, ErrNoTerminationTime) {
		t.Errorf("GetTerminationTime before = %v", err)
	}
	pc.push(pushTerminateProcess, map[string]any{"TerminationTime": 1700000060500})
	waitFor(t, terminated, "OnProcessTerminate")
	tt, err := proc.GetTerminationTime()
	if err != nil || !tt.Equal(time.UnixMilli(1700000060500)) {
		t.Errorf("GetTerminationTime = %v, %v", tt, err)
	}
}

func TestTerminateProcessWithoutCallback(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	ready(t, proc, pc, ProcessParameters{})
	pc.push(pushTerminateProcess, map[string]any{"TerminationTime": 1700000060000})
	m := pc.next(actionTerminateServerProcess)
	if len(m.fields) != 2 {
		t.Errorf("TerminateServerProcess = %s", m)
	}
	pc.ok(m, nil)
}

func TestHeartbeats(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p, WithHeartbeat(10*time.Millisecond, 5*time.Millisecond))
	healthy := make(chan bool, 1)
	healthy <- true
	ready(t, proc, pc, ProcessParameters{OnHealthCheck: func() bool {
		select {
		case h := <-healthy:
			return h
		default:
			return false
		}
	}})
	for range 3 {
		if h := p.nextHeartbeat(); h.fields["HealthStatus"] != false {
			t.Errorf("heartbeat = %s, want HealthStatus false", h)
		}
	}
	// ProcessEnding stops them.
	errc := async(proc.ProcessEnding)
	pc.ok(pc.next(actionTerminateServerProcess), nil)
	if err := waitErr(t, errc); err != nil {
		t.Fatal(err)
	}
	// One may have been under way; after that, none.
	for len(p.heartbeats) > 0 {
		<-p.heartbeats
	}
	select {
	case h := <-p.heartbeats:
		select {
		case h2 := <-p.heartbeats:
			t.Errorf("heartbeats after ProcessEnding: %s, %s", h, h2)
		case <-time.After(100 * time.Millisecond):
		}
	case <-time.After(100 * time.Millisecond):
	}
}

func TestSlowHealthCheckIsUnhealthy(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p, WithHealthCheckTimeout(20*time.Millisecond))
	release := make(chan struct{})
	defer close(release)
	errc := async(func() error {
		return proc.ProcessReady(ProcessParameters{Port: 7777, OnHealthCheck: func() bool { <-release; return true }})
	})
	pc.ok(pc.next(actionActivateServerProcess), nil)
	if err := waitErr(t, errc); err != nil {
		t.Fatal(err)
	}
	if h := p.nextHeartbeat(); h.fields["HealthStatus"] != false {
		t.Errorf("heartbeat = %s, want unhealthy", h)
	}
}

func TestNoHealthCheckIsHealthy(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	errc := async(func() error { return proc.ProcessReady(ProcessParameters{Port: 7777}) })
	pc.ok(pc.next(actionActivateServerProcess), nil)
	if err := waitErr(t, errc); err != nil {
		t.Fatal(err)
	}
	if h := p.nextHeartbeat(); h.fields["HealthStatus"] != true {
		t.Errorf("heartbeat = %s, want healthy", h)
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
func noProcessGoroutines(t *testing.T) {
	t.Helper()
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	if i := bytes.Index(buf, []byte("sdk/server.(*Process)")); i >= 0 {
		t.Errorf("a Process goroutine is still running:\n%s", buf[max(0, i-2000):min(len(buf), i+2000)])
	}
}

func TestDestroyFromCallback(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	done := make(chan error, 1)
	ready(t, proc, pc, ProcessParameters{OnProcessTerminate: func() { done <- proc.Destroy() }})
	pc.push(pushTerminateProcess, map[string]any{"TerminationTime": 1})
	if err := waitFor(t, done, "Destroy from OnProcessTerminate"); err != nil {
		t.Fatal(err)
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

func TestDefaultInstance(t *testing.T) {
	if err := ProcessReady(ProcessParameters{Port: 1}); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("ProcessReady before InitSDK = %v", err)
	}
	p := newPeer(t)
	sp := testParams
	sp.WebSocketURL = p.url("/sdk")
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := InitSDK(ctx, sp, WithLogger(testLogger(t)), WithHeartbeat(time.Hour, 0)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = Destroy() })
	pc := p.accept()
	if err := InitSDK(ctx, sp); !errors.Is(err, ErrAlreadyInitialized) {
		t.Errorf("second InitSDK = %v", err)
	}
	errc := async(func() error { return ProcessReady(ProcessParameters{Port: 7777}) })
	pc.ok(pc.next(actionActivateServerProcess), nil)
	if err := waitErr(t, errc); err != nil {
		t.Fatal(err)
	}
	if id, err := GetGameSessionID(); id != "" || err != nil {
		t.Errorf("GetGameSessionID = %q, %v", id, err)
	}
	if err := Destroy(); err != nil {
		t.Fatal(err)
	}
	if err := Destroy(); !errors.Is(err, ErrNotInitialized) {
		t.Errorf("second Destroy = %v", err)
	}
}
