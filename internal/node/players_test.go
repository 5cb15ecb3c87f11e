package node_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"
	"github.com/aws/smithy-go"
	"github.com/coder/websocket"
	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/testworld"
)

// duel is a world with one fleet location, game servers, a queue and a
// one-versus-one configuration "duel".
func duel(t *testing.T, tune func(*node.Config)) *testworld.World {
	t.Helper()
	w := testworld.New(t, func(c *node.Config) {
		c.MatchmakingInterval = 100 * time.Millisecond
		if tune != nil {
			tune(c)
		}
	})
	fleet := w.Fleet("arena", "custom-eu")
	w.Servers(fleet, "custom-eu", 2)
	w.Duel("duel", fleet)
	return w
}

func startMatch(t *testing.T, p *testworld.Player) string {
	t.Helper()
	return startMatchIn(t, p, "duel")
}

func startMatchIn(t *testing.T, p *testworld.Player, config string) string {
	t.Helper()
	r := p.Do(map[string]any{
		"action":            "startMatchmaking",
		"configurationName": config,
		"playerAttributes":  map[string]any{"skill": map[string]any{"N": 20}},
		"latencyInMs":       map[string]any{"custom-eu": 30},
	})
	if r["ok"] != true {
		t.Fatalf("startMatchmaking: %v", r)
	}
	ticket, _ := r["ticket"].(map[string]any)
	id, _ := ticket["ticketId"].(string)
	if id == "" {
		t.Fatalf("startMatchmaking reply without a ticket id: %v", r)
	}
	return id
}

// gameSessionPlayer finds the player's entry in a MatchmakingSucceeded
// event's gameSessionInfo.
func gameSessionPlayer(t *testing.T, ev map[string]any, player string) (ip string, port float64, playerSession string) {
	t.Helper()
	d, _ := ev["detail"].(map[string]any)
	gs, _ := d["gameSessionInfo"].(map[string]any)
	ip, _ = gs["ipAddress"].(string)
	port, _ = gs["port"].(float64)
	players, _ := gs["players"].([]any)
	for _, p := range players {
		m, _ := p.(map[string]any)
		if m["playerId"] == player {
			playerSession, _ = m["playerSessionId"].(string)
		}
	}
	if ip == "" || port == 0 || playerSession == "" {
		t.Fatalf("MatchmakingSucceeded lacks the address or %s's player session: %v", player, gs)
	}
	return ip, port, playerSession
}

// The whole player flow with the clients a studio already has: the
// Cognito SDK for an identity and credentials, a SigV4-presigned socket,
// a match request over it, and the result pushed without polling.
func TestCognitoIdentityToPushedMatchResult(t *testing.T) {
	w := duel(t, nil)
	events := w.Events("rp.events.matchmaking.>")
	pool := w.GuestPool("arena-players")
	alice := testworld.Guest(t, w.N, pool)
	bob := testworld.Guest(t, w.N, pool)
	if alice.ID == bob.ID || !strings.HasPrefix(alice.ID, "local:") {
		t.Fatalf("identity ids %q and %q: want two distinct <region>:<uuid> ids", alice.ID, bob.ID)
	}
	if r := alice.Do(map[string]any{"action": "ping"}); r["ok"] != true {
		t.Fatalf("ping: %v", r)
	}
	aliceTicket := startMatch(t, alice)
	bobTicket := startMatch(t, bob)

	for _, p := range []struct {
		player *testworld.Player
		ticket string
	}{{alice, aliceTicket}, {bob, bobTicket}} {
		ev := p.player.Event("MatchmakingSucceeded")
		ip, port, ps := gameSessionPlayer(t, ev, p.player.ID)
		if ip != "127.0.0.1" || port < 7000 {
			t.Errorf("%s was sent address %s:%v, want the game server's 127.0.0.1:70xx", p.player.ID, ip, port)
		}
		// The player session named in the push exists, RESERVED for this
		// player, in the game session the push names.
		out, err := w.C.DescribePlayerSessions(context.Background(), &gamelift.DescribePlayerSessionsInput{PlayerSessionId: aws.String(ps)})
		if err != nil || len(out.PlayerSessions) != 1 {
			t.Fatalf("DescribePlayerSessions %s: %v %v", ps, out, err)
		}
		got := out.PlayerSessions[0]
		if aws.ToString(got.PlayerId) != p.player.ID || got.Status != types.PlayerSessionStatusReserved {
			t.Errorf("player session %s: player %s status %s, want %s RESERVED", ps, aws.ToString(got.PlayerId), got.Status, p.player.ID)
		}
		// The socket saw the ticket's events in order, first to last.
		var types []string
		for _, e := range p.player.Events() {
			types = append(types, testworld.EventType(e))
		}
		if len(types) < 2 || types[0] != "MatchmakingSearching" || types[len(types)-1] != "MatchmakingSucceeded" {
			t.Errorf("%s received %v, want MatchmakingSearching first and MatchmakingSucceeded last", p.player.ID, types)
		}
		r := p.player.Do(map[string]any{"action": "describeMatchmaking", "ticketId": p.ticket})
		ticket, _ := r["ticket"].(map[string]any)
		if r["ok"] != true || ticket["status"] != "COMPLETED" {
			t.Errorf("describeMatchmaking %s: %v", p.ticket, r)
		}
	}

	// What reached the player is exactly what is on the stream.
	want := alice.Event("MatchmakingSucceeded")
	timeout := time.After(30 * time.Second)
	for {
		var ev testworld.Event
		select {
		case ev = <-events:
		case <-timeout:
			t.Fatalf("event %v never appeared on the stream", want["id"])
		}
		if ev.Type() == "MatchmakingSucceeded" && ev.Doc["id"] == want["id"] {
			a, _ := json.Marshal(ev.Doc)
			b, _ := json.Marshal(want)
			if !bytes.Equal(a, b) {
				t.Errorf("pushed event differs from the stream's:\npushed %s\nstream %s", b, a)
			}
			return
		}
	}
}

// The temporary credentials a player gets sign its socket, and nothing
// else: the control plane refuses them.
func TestPlayerCredentialsCannotCallTheControlPlane(t *testing.T) {
	w := testworld.New(t, nil)
	pool := w.GuestPool("players")
	p := testworld.Guest(t, w.N, pool)
	c := gamelift.New(gamelift.Options{
		Region:           "local",
		BaseEndpoint:     aws.String("http://" + w.N.AdminAddr()),
		Credentials:      credentials.NewStaticCredentialsProvider(p.Creds.AccessKeyID, p.Creds.SecretAccessKey, p.Creds.SessionToken),
		RetryMaxAttempts: 1,
	})
	_, err := c.ListFleets(context.Background(), &gamelift.ListFleetsInput{})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnrecognizedClientException" {
		t.Fatalf("ListFleets with a player's credentials: %v, want UnrecognizedClientException", err)
	}
	// Nor do they manage other players' sockets.
	req, _ := http.NewRequest(http.MethodPost, "http://"+w.N.AdminAddr()+"/@connections/anything", strings.NewReader("hi"))
	if err := v4.NewSigner().SignHTTP(context.Background(), p.Creds, req, sha256Hex("hi"), "execute-api", "local", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("@connections POST signed with a player's credentials: HTTP %d, want 403", resp.StatusCode)
	}
}

// A socket cut while its ticket searches loses nothing: on reconnecting,
// the player is sent its ticket's latest event first.
func TestReconnectingPlayerGetsTheResultItMissed(t *testing.T) {
	w := duel(t, nil)
	pool := w.GuestPool("arena-players")
	alice := testworld.Guest(t, w.N, pool)
	ticket := startMatch(t, alice)
	alice.Event("MatchmakingSearching")
	alice.Close()

	bob := testworld.Guest(t, w.N, pool)
	startMatch(t, bob)
	bob.Event("MatchmakingSucceeded")

	alice.Connect(w.N)
	ev := alice.Event("MatchmakingSucceeded")
	first := alice.Events()[0]
	if first["id"] != ev["id"] {
		t.Fatalf("first frame after reconnecting is %s, want the MatchmakingSucceeded it missed", testworld.EventType(first))
	}
	d, _ := ev["detail"].(map[string]any)
	tickets, _ := d["tickets"].([]any)
	found := false
	for _, tk := range tickets {
		if m, _ := tk.(map[string]any); m["ticketId"] == ticket {
			found = true
		}
	}
	if !found {
		t.Fatalf("resent event does not name alice's ticket %s: %v", ticket, d)
	}
}

// Two nodes share one engine: the event the notifier handles on one node
// reaches a socket on the other, and the @connections API of either node
// reaches a socket on the other.
func TestTwoGatewayNodes(t *testing.T) {
	hook := newConnectHook(t)
	w := duel(t, func(c *node.Config) { c.Players.Routes = map[string]string{"$connect": hook.url} })
	b, _ := w.Join("b")
	pool := w.GuestPool("arena-players")
	onA := testworld.Guest(t, w.N, pool)
	onB := testworld.Guest(t, b, pool)
	startMatch(t, onA)
	startMatch(t, onB)
	onA.Event("MatchmakingSucceeded")
	onB.Event("MatchmakingSucceeded")

	// @connections through node b to the socket on node a.
	conn := hook.connectionOf(t, onA)
	status, body := connections(t, b, http.MethodPost, conn, `{"hello":"from b"}`)
	if status != http.StatusOK {
		t.Fatalf("POST @connections via b: %d %s", status, body)
	}
	testworld.Eventually(t, "the message from b on a's socket", func() bool {
		for _, f := range onA.Frames() {
			if string(f) == `{"hello":"from b"}` {
				return true
			}
		}
		return false
	})
	status, body = connections(t, b, http.MethodGet, conn, "")
	if status != http.StatusOK || !strings.Contains(body, `"connectedAt"`) || !strings.Contains(body, `"lastActiveAt"`) {
		t.Fatalf("GET @connections via b: %d %s", status, body)
	}
	status, _ = connections(t, b, http.MethodDelete, conn, "")
	if status != http.StatusNoContent {
		t.Fatalf("DELETE @connections via b: %d", status)
	}
	onA.Closed()
	status, _ = connections(t, b, http.MethodPost, conn, "late")
	if status != http.StatusGone {
		t.Fatalf("POST @connections to a closed connection: %d, want 410", status)
	}
}

// connectHook is a studio service bound to $connect: it learns each
// player's connection id the way a backend on API Gateway does.
type connectHook struct {
	mu    sync.Mutex
	conns map[string]string // identity id -> connection id
	url   string
}

func newConnectHook(t *testing.T) *connectHook {
	h := &connectHook{conns: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			RequestContext struct {
				EventType    string `json:"eventType"`
				ConnectionID string `json:"connectionId"`
				IdentityID   string `json:"identityId"`
			} `json:"requestContext"`
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if ev.RequestContext.EventType == "CONNECT" {
			h.mu.Lock()
			h.conns[ev.RequestContext.IdentityID] = ev.RequestContext.ConnectionID
			h.mu.Unlock()
		}
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL
	return h
}

func (h *connectHook) connectionOf(t *testing.T, p *testworld.Player) string {
	t.Helper()
	var id string
	testworld.Eventually(t, "the player's $connect", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		id = h.conns[p.ID]
		return id != ""
	})
	return id
}

func connections(t *testing.T, n *node.Node, method, id, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+n.AdminAddr()+"/@connections/"+id, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	creds := aws.Credentials{AccessKeyID: testworld.Key.AccessKeyID, SecretAccessKey: testworld.Key.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, sha256Hex(body), "execute-api", "local", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// The notifier runs on one node at a time; when that node stops, another
// takes its consumer over and players keep being told.
func TestNotifierMovesToAnotherNode(t *testing.T) {
	url := externalNATS(t)
	w := duel(t, func(c *node.Config) {
		c.NATSURL, c.NATSListen = url, ""
		c.Players.NotifierLeaseTTL = time.Second
	})
	// STANDALONE: the game servers of the world are connected to the node
	// that stops, and this test is about the notifier.
	if _, err := w.C.CreateMatchmakingConfiguration(context.Background(), &gamelift.CreateMatchmakingConfigurationInput{
		Name:                  aws.String("standalone-duel"),
		RuleSetName:           aws.String("duel"),
		RequestTimeoutSeconds: aws.Int32(120),
		AcceptanceRequired:    aws.Bool(false),
		FlexMatchMode:         types.FlexMatchModeStandalone,
	}); err != nil {
		t.Fatalf("CreateMatchmakingConfiguration: %v", err)
	}
	b, _ := w.Join("b")
	pool := w.GuestPool("arena-players")
	first := testworld.Guest(t, b, pool)
	startMatchIn(t, first, "standalone-duel")
	first.Event("MatchmakingSearching")

	// Node "test" held the notifier (it started first); it stops, and b,
	// which also takes the matchmaking configuration over, pushes. The
	// engine is a NATS server of its own, so it outlives the node.
	if err := w.N.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	second := testworld.Guest(t, b, pool)
	startMatchIn(t, second, "standalone-duel")
	for _, p := range []*testworld.Player{first, second} {
		p.Event("MatchmakingSucceeded")
	}
}

// externalNATS runs a NATS server with JetStream for nodes to share, so
// that any of them can stop.
func externalNATS(t *testing.T) string {
	t.Helper()
	s, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server did not start")
	}
	t.Cleanup(s.Shutdown)
	return s.ClientURL()
}

// Tokens bound a socket's life: an expired one is refused at the upgrade
// (401), and an open socket is closed when its token expires (1008).
func TestExpiredTokens(t *testing.T) {
	w := testworld.New(t, nil)
	ctx := context.Background()
	pool, err := testworld.Cognito(w.N).CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName:               aws.String("studio"),
		AllowUnauthenticatedIdentities: false,
		DeveloperProviderName:          aws.String("login.studio.example"),
	})
	if err != nil {
		t.Fatal(err)
	}
	devToken := func(user string, d int64) string {
		out, err := testworld.Cognito(w.N).GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
			IdentityPoolId: pool.IdentityPoolId,
			Logins:         map[string]string{"login.studio.example": user},
			TokenDuration:  aws.Int64(d),
		})
		if err != nil {
			t.Fatalf("GetOpenIdTokenForDeveloperIdentity: %v", err)
		}
		return aws.ToString(out.Token)
	}
	url := "ws://" + w.N.PublicAddr() + node.GatewayPath

	// No credentials at all, and a token that is not one: refused.
	for _, c := range []struct {
		header string
		want   int
	}{{"", http.StatusUnauthorized}, {"Bearer not.a.token", http.StatusForbidden}} {
		h := http.Header{}
		if c.header != "" {
			h.Set("Authorization", c.header)
		}
		_, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
		if err == nil || resp == nil || resp.StatusCode != c.want {
			t.Errorf("upgrade with %q: %v (response %v), want HTTP %d", c.header, err, resp, c.want)
		}
	}

	short := devToken("erin", 2)
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + short}}})
	if err != nil {
		t.Fatalf("upgrade with a fresh developer token: %v", err)
	}
	defer conn.CloseNow()
	_, _, err = conn.Read(ctx) // nothing is sent until the token expires
	var ce websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.StatusPolicyViolation || ce.Reason != "token expired" {
		t.Fatalf("socket at token expiry: %v, want close 1008 \"token expired\"", err)
	}
	_, resp, err := websocket.Dial(ctx, url+"?token="+short, nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("upgrade with an expired token: %v (response %v), want HTTP 401", err, resp)
	}
	// The node is fine: a fresh token opens a socket.
	conn2, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{"rallypoint", devToken("erin", 60)}})
	if err != nil {
		t.Fatalf("upgrade with a fresh token as a subprotocol: %v", err)
	}
	if conn2.Subprotocol() != "rallypoint" {
		t.Errorf("subprotocol %q, want rallypoint", conn2.Subprotocol())
	}
	conn2.Close(websocket.StatusNormalClosure, "")
}

// Past the resume window, an ended ticket's last event is no longer sent
// on connecting: the first frame a reconnecting player gets is the reply
// to its own ping.
func TestResumeWindowEnds(t *testing.T) {
	w := duel(t, func(c *node.Config) { c.Players.ResumeWindow = time.Millisecond })
	pool := w.GuestPool("arena-players")
	alice := testworld.Guest(t, w.N, pool)
	bob := testworld.Guest(t, w.N, pool)
	startMatch(t, alice)
	startMatch(t, bob)
	alice.Event("MatchmakingSucceeded")
	alice.Close()
	time.Sleep(10 * time.Millisecond) // past the window
	alice.Connect(w.N)
	alice.Do(map[string]any{"action": "ping"})
	if frames := alice.Frames(); len(frames) != 1 {
		t.Fatalf("reconnecting after the window got %d frames before its ping's reply: %s", len(frames)-1, frames[0])
	}
}

// A player asks where a configuration's matches may be placed and how to
// measure its latency to each place: the queue's fleets' locations, with
// the ping beacon each declares.
func TestDescribeLocations(t *testing.T) {
	w := testworld.New(t, func(c *node.Config) { c.PingBeacon = "127.0.0.1:0" })
	ctx := context.Background()
	beacon := w.N.PingBeaconAddr()
	if _, err := w.C.CreateLocation(ctx, &gamelift.CreateLocationInput{
		LocationName: aws.String("custom-eu"),
		Tags:         []types.Tag{{Key: aws.String("rallypoint:ping-beacon"), Value: aws.String(beacon)}},
	}); err != nil {
		t.Fatal(err)
	}
	w.Duel("duel", w.Fleet("arena", "custom-eu", "custom-us"))
	p := testworld.Guest(t, w.N, w.GuestPool("players"))
	r := p.Do(map[string]any{"action": "describeLocations", "configurationName": "duel"})
	got, _ := json.Marshal(r["locations"])
	host, port, _ := strings.Cut(beacon, ":")
	want := `[{"location":"custom-eu","pingBeacon":{"udpEndpoint":{"domain":"` + host + `","port":` + port + `}}},{"location":"custom-us"}]`
	if r["ok"] != true || string(got) != want {
		t.Fatalf("describeLocations: %v\n got %s\nwant %s", r, got, want)
	}
	r = p.Do(map[string]any{"action": "describeLocations", "configurationName": "nope"})
	if e, _ := r["error"].(map[string]any); r["ok"] != false || e["code"] != "NotFoundException" {
		t.Fatalf("describeLocations of an unknown configuration: %v", r)
	}
	r = p.Do(map[string]any{"action": "describeLocations"})
	if e, _ := r["error"].(map[string]any); e["code"] != "InvalidRequestException" {
		t.Fatalf("describeLocations without a configuration: %v", r)
	}
}
