package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The whole flow, as the quick start runs it: `serve --demo`, two arena
// servers per location started with the commands it prints, and eight
// bots. For every bot, each of the eleven steps is checked from outside:
//
//  1. it got an identity;
//  2. it opened a signed socket;
//  3. the connection was recorded while it was connected (and is gone after);
//  4. it asked for a match with its latency to each location;
//  5. FlexMatch matched its ticket;
//  6. the match was placed through the queue;
//  7. the outcome was published on the event stream;
//  8. the notifier consumed it, and
//  9. pushed it down the bot's socket (the event it got is the stream's);
//  10. with the game server's address and its player session id;
//  11. it joined the game server over UDP, which validated its player
//     session (ACTIVE, then COMPLETED when it left).
func TestQuickStartEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs serve, arena and bot")
	}
	ctx := context.Background()
	dir := t.TempDir()
	rallypoint := build(t, dir, "./cmd/rallypoint", "rallypoint")
	arenaBin := build(t, dir, "./examples/arena", "arena")
	botBin := build(t, dir, "./examples/arena/bot", "bot")
	hook := newConnectHook(t)

	serve := startProc(t, rallypoint, "serve", "--data-dir", filepath.Join(dir, "data"),
		"--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--nats-listen", "127.0.0.1:0",
		"--access-key", keyID+":"+secret, "--demo", "--demo-beacons", "127.0.0.1:0,127.0.0.1:0",
		"--gateway-route", "$connect="+hook.srv.URL)
	admin := serve.await(t, listening)[2]
	hook.admin = admin
	natsURL := serve.await(t, regexp.MustCompile(`clients at (nats://[0-9.:]+)`))[1]
	serve.await(t, regexp.MustCompile(`demo ready`))
	arenas := regexp.MustCompile(`go run ./examples/arena --endpoint (\S+) --fleet (\S+) --compute (\S+) --token (\S+) --listen`).
		FindAllStringSubmatch(serve.output(), -1)
	botCmd := regexp.MustCompile(`go run ./examples/arena/bot --endpoint (\S+) --pool (\S+) --configuration (\S+) --bots 8`).
		FindStringSubmatch(serve.output())
	if len(arenas) != 4 || botCmd == nil {
		t.Fatalf("serve --demo did not print four arena commands and a bot command:\n%s", serve.output())
	}
	gl := gamelift.New(gamelift.Options{
		Region: "us-east-1", BaseEndpoint: aws.String("http://" + admin),
		Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, ""), RetryMaxAttempts: 3,
	})
	stream := followSucceeded(t, natsURL)

	for i, a := range arenas {
		p := startProc(t, arenaBin, "--endpoint", a[1], "--fleet", a[2], "--compute", a[3], "--token", a[4],
			"--listen", "127.0.0.1:0", "--process-id", fmt.Sprintf("e2e-%d", i))
		p.await(t, regexp.MustCompile(`ready on port`))
	}

	bots := startProc(t, botBin, "--endpoint", botCmd[1], "--pool", botCmd[2], "--configuration", botCmd[3], "--bots", "8", "--sigv4")
	if err := bots.exit(t); err != nil {
		t.Fatalf("bots: %v\n%s", err, bots.output())
	}
	out := bots.output()
	if !strings.Contains(out, "8 of 8 bots played and left, 0 failed") {
		t.Fatalf("bots did not all play:\n%s", out)
	}

	locations := []string{"custom-demo-east", "custom-demo-west"}
	for n := 1; n <= 8; n++ {
		line := func(re string) []string {
			m := regexp.MustCompile(fmt.Sprintf(`bot %d: `, n) + re).FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("bot %d: no line matching %q in:\n%s", n, re, out)
			}
			return m
		}
		// 1, 2
		player := line(`signed in as guest (\S+)`)[1]
		line(`connected \(SigV4-presigned URL\)`)
		// 3
		conn := hook.connection(t, player)
		if !hook.sawOpen(conn) {
			t.Errorf("bot %d: its connection %s was never readable through @connections while it was connected", n, conn)
		}
		if status := hook.get(t, conn); status != http.StatusGone {
			t.Errorf("bot %d: @connections/%s after it left: %d, want 410", n, conn, status)
		}
		// 4, 5
		ticketID := line(`ticket (\S+) QUEUED`)[1]
		tk, err := gl.DescribeMatchmaking(ctx, &gamelift.DescribeMatchmakingInput{TicketIds: []string{ticketID}})
		if err != nil || len(tk.TicketList) != 1 {
			t.Fatalf("bot %d: DescribeMatchmaking %s: %v", n, ticketID, err)
		}
		ticket := tk.TicketList[0]
		for _, l := range locations {
			if ticket.Players[0].LatencyInMs[l] <= 0 {
				t.Errorf("bot %d: ticket %s has no latency to %s: %v", n, ticketID, l, ticket.Players[0].LatencyInMs)
			}
		}
		if ticket.Status != types.MatchmakingConfigurationStatusCompleted || aws.ToString(ticket.Players[0].PlayerId) != player || aws.ToString(ticket.Players[0].Team) == "" {
			t.Errorf("bot %d: ticket %s is %s for %s on team %q", n, ticketID, ticket.Status, aws.ToString(ticket.Players[0].PlayerId), aws.ToString(ticket.Players[0].Team))
		}
		// 6
		info := ticket.GameSessionConnectionInfo
		if info == nil {
			t.Fatalf("bot %d: completed ticket without connection info", n)
		}
		// 7, 8, 9
		m := line(`matched: game server (\S+), team (\S+), player session (\S+), event (\S+)`)
		addr, psID, eventID := m[1], m[3], m[4]
		ev, ok := stream.get(eventID)
		if !ok {
			t.Fatalf("bot %d: the event it was pushed (%s) is not on the stream", n, eventID)
		}
		// 10
		gsi := ev.Detail.GameSessionInfo
		if addr != fmt.Sprintf("%s:%d", gsi.IPAddress, gsi.Port) || addr != fmt.Sprintf("%s:%d", aws.ToString(info.IpAddress), aws.ToInt32(info.Port)) {
			t.Errorf("bot %d: went to %s; the event says %s:%d, the ticket %s:%d", n, addr, gsi.IPAddress, gsi.Port, aws.ToString(info.IpAddress), aws.ToInt32(info.Port))
		}
		if !ev.names(player, psID) {
			t.Errorf("bot %d: the stream's event does not give %s the player session %s", n, player, psID)
		}
		// A match is placed under its match id.
		pl, err := gl.DescribeGameSessionPlacement(ctx, &gamelift.DescribeGameSessionPlacementInput{PlacementId: aws.String(ev.Detail.MatchID)})
		if err != nil || pl.GameSessionPlacement.Status != types.GameSessionPlacementStateFulfilled ||
			aws.ToString(pl.GameSessionPlacement.GameSessionArn) != gsi.GameSessionArn {
			t.Errorf("bot %d: placement %s: %+v, %v", n, ev.Detail.MatchID, pl, err)
		}
		// 11
		line(`joined the game as ` + regexp.QuoteMeta(player))
		line(`left the game`)
		ps, err := gl.DescribePlayerSessions(ctx, &gamelift.DescribePlayerSessionsInput{PlayerSessionId: aws.String(psID)})
		if err != nil || len(ps.PlayerSessions) != 1 {
			t.Fatalf("bot %d: DescribePlayerSessions %s: %v", n, psID, err)
		}
		s := ps.PlayerSessions[0]
		if s.Status != types.PlayerSessionStatusCompleted || aws.ToString(s.GameSessionId) != gsi.GameSessionArn {
			t.Errorf("bot %d: player session %s is %s in %s; want COMPLETED (accepted, then left) in %s", n, psID, s.Status, aws.ToString(s.GameSessionId), gsi.GameSessionArn)
		}
	}
}

// connectHook is the studio service bound to $connect: it learns each
// player's connection id, and watches it through @connections while the
// socket is open.
type connectHook struct {
	srv   *httptest.Server
	admin string

	mu    sync.Mutex
	conns map[string]string // identity id -> connection id
	open  map[string]bool   // connection ids seen 200 through @connections
}

func newConnectHook(t *testing.T) *connectHook {
	h := &connectHook{conns: map[string]string{}, open: map[string]bool{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var ev struct {
			RequestContext struct {
				EventType    string `json:"eventType"`
				ConnectionID string `json:"connectionId"`
				IdentityID   string `json:"identityId"`
			} `json:"requestContext"`
		}
		if err := json.NewDecoder(r.Body).Decode(&ev); err != nil || ev.RequestContext.EventType != "CONNECT" {
			return
		}
		id := ev.RequestContext.ConnectionID
		h.mu.Lock()
		h.conns[ev.RequestContext.IdentityID] = id
		h.mu.Unlock()
		// The record is written once $connect has answered: watch for it.
		go func() {
			deadline := time.Now().Add(time.Minute)
			for time.Now().Before(deadline) {
				if h.get(t, id) == http.StatusOK {
					h.mu.Lock()
					h.open[id] = true
					h.mu.Unlock()
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *connectHook) connection(t *testing.T, identity string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	id := h.conns[identity]
	if id == "" {
		t.Fatalf("no $connect for %s", identity)
	}
	return id
}

func (h *connectHook) sawOpen(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.open[id]
}

// get is GET @connections/{id}, signed as the studio's backend signs it.
func (h *connectHook) get(t *testing.T, id string) int {
	req, err := http.NewRequest(http.MethodGet, "http://"+h.admin+"/@connections/"+id, nil)
	if err != nil {
		t.Error(err)
		return 0
	}
	empty := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret},
		req, hex.EncodeToString(empty[:]), "execute-api", "us-east-1", time.Now()); err != nil {
		t.Error(err)
		return 0
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// succeeded are the MatchmakingSucceeded events on the stream, by id.
type succeeded struct {
	mu     sync.Mutex
	events map[string]succeededEvent
}

type succeededEvent struct {
	ID     string `json:"id"`
	Detail struct {
		Type            string `json:"type"`
		MatchID         string `json:"matchId"`
		GameSessionInfo struct {
			GameSessionArn string `json:"gameSessionArn"`
			IPAddress      string `json:"ipAddress"`
			Port           int    `json:"port"`
			Players        []struct {
				PlayerID        string `json:"playerId"`
				PlayerSessionID string `json:"playerSessionId"`
			} `json:"players"`
		} `json:"gameSessionInfo"`
	} `json:"detail"`
}

func (e succeededEvent) names(player, playerSession string) bool {
	for _, p := range e.Detail.GameSessionInfo.Players {
		if p.PlayerID == player && p.PlayerSessionID == playerSession {
			return true
		}
	}
	return false
}

func followSucceeded(t *testing.T, url string) *succeeded {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	cons, err := js.OrderedConsumer(context.Background(), "RP_EVENTS", jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"rp.events.matchmaking.*.MatchmakingSucceeded"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &succeeded{events: map[string]succeededEvent{}}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		var ev succeededEvent
		if json.Unmarshal(m.Data(), &ev) == nil {
			s.mu.Lock()
			s.events[ev.ID] = ev
			s.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cc.Stop)
	return s
}

// get waits a little for an event the bots saw to be read from the stream.
func (s *succeeded) get(id string) (succeededEvent, bool) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		ev, ok := s.events[id]
		s.mu.Unlock()
		if ok || time.Now().After(deadline) {
			return ev, ok
		}
		time.Sleep(10 * time.Millisecond)
	}
}
