package serversdk_test

// These tests speak the server SDK wire protocol byte for byte, as the
// official SDKs do, to a real node: they check the frames a game server
// built with Amazon's SDK would see.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/sigv4"
)

type env struct {
	n       *node.Node
	fleetID string
	token   string
}

func start(t *testing.T, tweak func(*node.Config)) *env {
	t.Helper()
	ctx := context.Background()
	cfg := node.Config{
		DataDir:     t.TempDir(),
		Listen:      "127.0.0.1:0",
		AdminListen: "127.0.0.1:0",
		NodeID:      "sdktest",
		AccessKeys:  []sigv4.Credentials{{AccessKeyID: "RPAKSDKTEST000000001", SecretAccessKey: "secret-secret-secret-secret-secret-0000"}},
		Logger:      slog.New(slog.DiscardHandler),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	n, err := node.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Shutdown(context.Background()) })
	f := n.Fleets()
	if _, err := f.CreateLocation(ctx, "custom-lab", nil); err != nil {
		t.Fatal(err)
	}
	fl, err := f.CreateFleet(ctx, fleet.CreateFleetInput{Name: "arena", ComputeType: fleet.ComputeTypeAnywhere, Locations: []string{"custom-lab"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"host-1", "host-2"} {
		if _, err := f.RegisterCompute(ctx, fleet.RegisterComputeInput{FleetID: fl.ID, Name: c, IPAddress: "127.0.0.1", DNSName: c + ".lab", Location: "custom-lab", CertificatePath: "/etc/cert.pem"}); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := f.IssueComputeAuthToken(ctx, fl.ID, "host-1")
	if err != nil {
		t.Fatal(err)
	}
	return &env{n: n, fleetID: fl.ID, token: tok.Token}
}

// endpoint is the URL RegisterCompute hands out, with the query the SDKs
// add.
func (e *env) endpoint(pid, compute, token string) string {
	q := url.Values{
		"pID":              {pid},
		"sdkVersion":       {"5.6.0"},
		"sdkLanguage":      {"Go"},
		"ComputeId":        {compute},
		"FleetId":          {e.fleetID},
		"IdempotencyToken": {"7c0c5b1e-0000-4000-8000-000000000000"},
		"Authorization":    {token},
	}
	return e.n.Fleets().ServiceSDKEndpoint() + "?" + q.Encode()
}

type sdkConn struct {
	t  *testing.T
	ws *websocket.Conn
}

func (e *env) dial(t *testing.T, pid string) *sdkConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, e.endpoint(pid, "host-1", e.token), nil)
	if err != nil {
		t.Fatalf("dial: %v (%v)", err, resp)
	}
	c := &sdkConn{t: t, ws: ws}
	t.Cleanup(func() { ws.CloseNow() })
	return c
}

func (c *sdkConn) send(frame string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read returns the next frame as a generic object.
func (c *sdkConn) read() map[string]any {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	typ, data, err := c.ws.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageText {
		c.t.Fatalf("frame type %v, want text", typ)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		c.t.Fatalf("frame %s: %v", data, err)
	}
	return m
}

// call sends a request and returns its reply, checking the envelope.
func (c *sdkConn) call(action, id, members string) map[string]any {
	c.t.Helper()
	frame := fmt.Sprintf(`{"Action":%q,"RequestId":%q%s}`, action, id, members)
	c.send(frame)
	m := c.read()
	for m["RequestId"] == nil {
		// A push that crossed the request (one sent again around a
		// reconnect, say); the SDKs dispatch it and keep waiting.
		m = c.read()
	}
	if m["Action"] != action || m["RequestId"] != id {
		c.t.Fatalf("reply to %s = %v; want the request's Action and RequestId echoed", frame, m)
	}
	return m
}

func status(m map[string]any) int {
	f, _ := m["StatusCode"].(float64)
	return int(f)
}

func (c *sdkConn) ok(action, id, members string) map[string]any {
	c.t.Helper()
	m := c.call(action, id, members)
	if status(m) != 200 {
		c.t.Fatalf("%s: %v", action, m)
	}
	return m
}

func TestUpgradeIsAuthenticated(t *testing.T) {
	e := start(t, nil)
	other, err := e.n.Fleets().IssueComputeAuthToken(context.Background(), e.fleetID, "host-2")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		url  string
		want int
	}{
		{"no token", strings.Replace(e.endpoint("p", "host-1", "x"), "Authorization=x&", "", 1), http.StatusBadRequest},
		{"garbage token", e.endpoint("p", "host-1", "rp1.garbage.garbage"), http.StatusForbidden},
		{"token of another compute", e.endpoint("p", "host-1", other.Token), http.StatusForbidden},
		{"sigv4 mode", e.endpoint("p", "host-1", "SigV4"), http.StatusForbidden},
		{"unregistered compute", e.endpoint("p", "host-9", e.token), http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			ws, resp, err := websocket.Dial(ctx, tc.url, nil)
			if err == nil {
				ws.CloseNow()
				t.Fatal("upgrade accepted")
			}
			if resp == nil || resp.StatusCode != tc.want {
				t.Fatalf("response %v, want status %d", resp, tc.want)
			}
		})
	}
	// An Origin header from a client library is no reason to refuse.
	octx, ocancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer ocancel()
	ows, _, err := websocket.Dial(octx, e.endpoint("p-origin", "host-1", e.token), &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"http://game-host.example"}}})
	if err != nil {
		t.Fatalf("upgrade with an Origin header: %v", err)
	}
	ows.CloseNow()
	// The trailing slash the C++ SDK adds is fine.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	u := strings.Replace(e.endpoint("p", "host-1", e.token), "/serversdk?", "/serversdk/?", 1)
	ws, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatalf("endpoint with a trailing slash: %v", err)
	}
	ws.CloseNow()
}

func TestSessionOverTheWire(t *testing.T) {
	ctx := context.Background()
	e := start(t, nil)
	f := e.n.Fleets()
	c := e.dial(t, "proc-1")

	rep := c.ok("ActivateServerProcess", "r1", `,"SdkVersion":"5.6.0","SdkLanguage":"Go","Port":7777,"LogPaths":["/local/game/log.txt"]`)
	if len(rep) != 3 {
		t.Errorf("ActivateServerProcess reply has extra members: %v", rep)
	}
	c.ok("HeartbeatServerProcess", "r2", `,"HealthStatus":true`)

	gs, err := f.CreateGameSession(ctx, fleet.CreateGameSessionInput{
		FleetID: e.fleetID, Location: "custom-lab", Name: "duel", MaximumPlayerSessionCount: 2,
		GameProperties: []fleet.Property{{Key: "mode", Value: "ffa"}}, GameSessionData: "map=dust", MatchmakerData: `{"matchId":"m1"}`,
	})
	if err != nil {
		t.Fatal(err)
	}
	push := c.read()
	want := map[string]any{
		"Action": "CreateGameSession", "StatusCode": 200.0, "GameSessionId": gs.ID, "GameSessionName": "duel",
		"GameSessionData": "map=dust", "MatchmakerData": `{"matchId":"m1"}`, "DnsName": "host-1.lab", "IpAddress": "127.0.0.1",
		"Port": 7777.0, "MaximumPlayerSessionCount": 2.0, "GameProperties": map[string]any{"mode": "ffa"},
	}
	if fmt.Sprint(push) != fmt.Sprint(want) {
		t.Fatalf("CreateGameSession push = %v\nwant %v", push, want)
	}
	if _, ok := push["RequestId"]; ok {
		t.Fatal("a push must not carry a RequestId")
	}
	gsID := fmt.Sprintf("%q", gs.ID)
	c.ok("ActivateGameSession", "r3", `,"GameSessionId":`+gsID)

	ps, err := f.CreatePlayerSessions(ctx, gs.ID, []fleet.NewPlayer{{PlayerID: "alice", PlayerData: "blue"}, {PlayerID: "bob"}})
	if err != nil {
		t.Fatal(err)
	}
	accept := `,"GameSessionId":` + gsID + `,"PlayerSessionId":"` + ps[0].ID + `"`
	c.ok("AcceptPlayerSession", "r4", accept)
	again := c.call("AcceptPlayerSession", "r5", accept)
	if status(again) != 400 || !strings.Contains(again["ErrorMessage"].(string), "ACTIVE, not RESERVED") {
		t.Fatalf("second accept = %v; want 400 saying it is ACTIVE", again)
	}
	unknown := c.call("AcceptPlayerSession", "r6", `,"GameSessionId":`+gsID+`,"PlayerSessionId":"psess-nobody"`)
	if status(unknown) != 404 {
		t.Fatalf("unknown player session = %v; want 404", unknown)
	}

	desc := c.ok("DescribePlayerSessions", "r7", `,"GameSessionId":`+gsID+`,"Limit":1`)
	list := desc["PlayerSessions"].([]any)
	if len(list) != 1 || desc["NextToken"] == "" {
		t.Fatalf("first page = %v", desc)
	}
	first := list[0].(map[string]any)
	if first["PlayerSessionId"] != ps[0].ID || first["PlayerId"] != "alice" || first["Status"] != "ACTIVE" || first["PlayerData"] != "blue" ||
		first["GameSessionId"] != gs.ID || first["FleetId"] != e.fleetID || first["Port"] != 7777.0 || first["IpAddress"] != "127.0.0.1" {
		t.Fatalf("player session on the wire = %v", first)
	}
	if ct, ok := first["CreationTime"].(float64); !ok || int64(ct) < time.Now().Add(-time.Minute).UnixMilli() {
		t.Fatalf("CreationTime = %v; want epoch milliseconds", first["CreationTime"])
	}
	next := c.ok("DescribePlayerSessions", "r8", `,"GameSessionId":`+gsID+`,"Limit":1,"NextToken":"`+desc["NextToken"].(string)+`"`)
	if l := next["PlayerSessions"].([]any); len(l) != 1 || l[0].(map[string]any)["PlayerId"] != "bob" {
		t.Fatalf("second page = %v", next)
	}

	c.ok("UpdatePlayerSessionCreationPolicy", "r9", `,"GameSessionId":`+gsID+`,"PlayerSessionPolicy":"DENY_ALL"`)
	if _, err := f.CreatePlayerSessions(ctx, gs.ID, []fleet.NewPlayer{{PlayerID: "carol"}}); !errors.Is(err, fleet.ErrInvalidGameSessionStatus) {
		t.Fatalf("joining a DENY_ALL session: %v", err)
	}
	c.ok("RemovePlayerSession", "r10", accept)

	cert := c.ok("GetComputeCertificate", "r11", "")
	if cert["CertificatePath"] != "/etc/cert.pem" || cert["ComputeName"] != "host-1" {
		t.Fatalf("GetComputeCertificate = %v", cert)
	}
	if m := c.call("GetFleetRoleCredentials", "r12", `,"RoleArn":"arn:aws:iam::1:role/x"`); status(m) != 400 {
		t.Fatalf("GetFleetRoleCredentials = %v", m)
	}
	if m := c.call("StartMatchBackfill", "r13", `,"GameSessionArn":`+gsID+`,"MatchmakingConfigurationArn":"arn:rallypoint:gamelift:local::matchmakingconfiguration/none","Players":[]`); status(m) != 404 {
		t.Fatalf("StartMatchBackfill without matchmaking = %v", m)
	}
	if m := c.call("Teleport", "r14", ""); status(m) != 400 || !strings.Contains(m["ErrorMessage"].(string), "Teleport") {
		t.Fatalf("unknown action = %v", m)
	}
	if m := c.call("AcceptPlayerSession", "r15", `,"GameSessionId":7`); status(m) != 400 {
		t.Fatalf("ill-typed member = %v", m)
	}

	c.ok("TerminateServerProcess", "r16", "")
	got, err := f.GameSession(ctx, gs.ID)
	if err != nil || got.Status != fleet.GameSessionTerminated {
		t.Fatalf("game session after TerminateServerProcess = %s, %v", got.Status, err)
	}

	resp, err := http.Get("http://" + e.n.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`rallypoint_serversdk_requests_total{action="AcceptPlayerSession",status="200"} 1`,
		`rallypoint_serversdk_requests_total{action="AcceptPlayerSession",status="400"} 2`,
		`rallypoint_serversdk_requests_total{action="unknown",status="400"} 1`,
		`rallypoint_serversdk_pushes_total{action="CreateGameSession"} 1`,
		`rallypoint_serversdk_connections 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestPushesFollowTheProcessAcrossReconnects: a process that reconnects
// with the same process id keeps its game session; a CreateGameSession it
// missed while away is sent again; later pushes reach the new socket.
func TestPushesFollowTheProcessAcrossReconnects(t *testing.T) {
	ctx := context.Background()
	e := start(t, nil)
	f := e.n.Fleets()
	c := e.dial(t, "proc-1")
	c.ok("ActivateServerProcess", "r1", `,"SdkVersion":"5.6.0","SdkLanguage":"Go","Port":7777`)
	c.ws.CloseNow() // dropped without a close frame

	ref := fleet.ProcessRef{FleetID: e.fleetID, Compute: "host-1", ProcessID: "proc-1"}
	var gs fleet.GameSession
	var err error
	// The node may not have noticed the drop yet; either way the push is
	// not lost.
	gs, err = f.CreateGameSession(ctx, fleet.CreateGameSessionInput{FleetID: e.fleetID, Location: "custom-lab", MaximumPlayerSessionCount: 2})
	if err != nil {
		t.Fatal(err)
	}

	c2 := e.dial(t, "proc-1")
	push := c2.read()
	if push["Action"] != "CreateGameSession" || push["GameSessionId"] != gs.ID {
		t.Fatalf("first frame after reconnecting = %v; want the missed CreateGameSession", push)
	}
	// A session without name, data or properties still has every member.
	for _, m := range []string{"GameSessionName", "GameSessionData", "MatchmakerData", "DnsName", "IpAddress", "Port", "MaximumPlayerSessionCount", "GameProperties"} {
		if _, ok := push[m]; !ok {
			t.Errorf("CreateGameSession push lacks %s: %v", m, push)
		}
	}
	c2.ok("ActivateGameSession", "r2", `,"GameSessionId":"`+gs.ID+`"`)

	// A third socket for the same process takes over the pushes while the
	// second stays open.
	c3 := e.dial(t, "proc-1")
	if _, err := f.TerminateGameSession(ctx, gs.ID, fleet.TriggerOnProcessTerminate); err != nil {
		t.Fatal(err)
	}
	term := c3.read()
	if term["Action"] != "TerminateProcess" {
		t.Fatalf("push on the newest socket = %v", term)
	}
	if ms, ok := term["TerminationTime"].(float64); !ok || int64(ms) < time.Now().UnixMilli() {
		t.Fatalf("TerminationTime = %v; want a future epoch in milliseconds", term["TerminationTime"])
	}
	c2.ok("HeartbeatServerProcess", "r3", `,"HealthStatus":true`) // the old socket still answers
	c3.ok("TerminateServerProcess", "r4", "")
	got, _ := f.GameSession(ctx, gs.ID)
	if got.Status != fleet.GameSessionTerminated || got.StatusReason != fleet.ReasonTriggeredOnProcessTerminate {
		t.Fatalf("game session = %s/%s", got.Status, got.StatusReason)
	}
	if p, _ := f.Process(ctx, ref); p.Status != fleet.ProcessTerminated {
		t.Fatalf("process = %s", p.Status)
	}
}

func TestRefreshConnectionBeforeTheTokenExpires(t *testing.T) {
	e := start(t, func(c *node.Config) { c.ComputeAuthTokenTTL = 4 * time.Second })
	c := e.dial(t, "proc-1")
	c.ok("ActivateServerProcess", "r1", `,"SdkVersion":"5.6.0","SdkLanguage":"Go","Port":7777`)
	push := c.read() // sent a quarter of the lifetime before expiry
	if push["Action"] != "RefreshConnection" || push["RefreshConnectionEndpoint"] != e.n.Fleets().ServiceSDKEndpoint() {
		t.Fatalf("push = %v; want RefreshConnection to the service endpoint", push)
	}
	token, _ := push["AuthToken"].(string)
	if token == "" || token == e.token {
		t.Fatalf("RefreshConnection carries token %q; want a fresh one", token)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, e.endpoint("proc-1", "host-1", token), nil)
	if err != nil {
		t.Fatalf("dialing with the refreshed token: %v", err)
	}
	defer ws.CloseNow()
	c2 := &sdkConn{t: t, ws: ws}
	c2.ok("HeartbeatServerProcess", "r2", `,"HealthStatus":true`)
}

// TestPushesCrossNodes: with two nodes over one NATS, a game session
// created through one node reaches a game server connected to the other,
// and the server's calls through its node change the state both see.
func TestPushesCrossNodes(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	natsAddr := ln.Addr().String()
	ln.Close()
	a := start(t, func(c *node.Config) { c.NodeID = "node-a"; c.NATSListen = natsAddr })
	b, err := node.Start(ctx, node.Config{
		DataDir:     t.TempDir(),
		Listen:      "127.0.0.1:0",
		AdminListen: "127.0.0.1:0",
		NATSURL:     "nats://" + natsAddr,
		NodeID:      "node-b",
		InsecureDev: true,
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Shutdown(context.Background()) })

	// The game server dials node B.
	onB := &env{n: b, fleetID: a.fleetID, token: a.token}
	c := onB.dial(t, "proc-1")
	c.ok("ActivateServerProcess", "r1", `,"SdkVersion":"5.6.0","SdkLanguage":"Go","Port":7777`)

	gs, err := a.n.Fleets().CreateGameSession(ctx, fleet.CreateGameSessionInput{FleetID: a.fleetID, Location: "custom-lab", MaximumPlayerSessionCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	if push := c.read(); push["Action"] != "CreateGameSession" || push["GameSessionId"] != gs.ID {
		t.Fatalf("push through node B = %v", push)
	}
	c.ok("ActivateGameSession", "r2", `,"GameSessionId":"`+gs.ID+`"`)
	got, err := a.n.Fleets().GameSession(ctx, gs.ID)
	if err != nil || got.Status != fleet.GameSessionActive {
		t.Fatalf("node A sees the game session as %s, %v", got.Status, err)
	}
}
