// Package testworld runs, for tests, a real rallypoint node with fleets,
// computes and game server processes that run the real server SDK in the
// test process, and the AWS SDK's GameLift client pointed at the node.
// Only tests import it.
package testworld

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/sigv4"
	"github.com/rallypoint/rallypoint/sdk/server"
)

// Key is the access key the world's client signs with.
var Key = sigv4.Credentials{AccessKeyID: "RPAKTESTKEY0000000001", SecretAccessKey: "test-secret-key-with-enough-characters-0"}

// World is a node and the game servers connected to it.
type World struct {
	T   testing.TB
	Dir string
	// Tune adjusts the node's configuration before each start.
	Tune func(*node.Config)
	// listen is the public address: port 0 at first, then the bound one,
	// so that game servers find the node again after a restart.
	listen string
	N      *node.Node
	C      *gamelift.Client

	mu      sync.Mutex
	running []*GameServer
	nextPID int
}

// New starts a node on a fresh data directory; tune, if not nil, adjusts
// its configuration.
func New(t testing.TB, tune func(*node.Config)) *World {
	w := &World{T: t, Dir: t.TempDir(), listen: "127.0.0.1:0", Tune: tune}
	w.Start()
	t.Cleanup(func() {
		w.mu.Lock()
		servers := w.running
		w.mu.Unlock()
		for _, g := range servers {
			_ = g.Proc.Destroy()
		}
		if w.N != nil {
			_ = w.N.Shutdown(context.Background())
		}
	})
	return w
}

// Start starts the node (again) on the world's data directory.
func (w *World) Start() {
	w.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := node.Config{
		DataDir:     w.Dir,
		Listen:      w.listen,
		AdminListen: "127.0.0.1:0",
		NodeID:      "test",
		NATSListen:  "127.0.0.1:0",
		AccessKeys:  []sigv4.Credentials{Key},
		Logger:      Logger(),
	}
	if w.Tune != nil {
		w.Tune(&cfg)
	}
	n, err := node.Start(ctx, cfg)
	if err != nil {
		w.T.Fatalf("start node: %v", err)
	}
	w.N = n
	w.listen = n.PublicAddr()
	w.C = gamelift.New(gamelift.Options{
		Region:           "local",
		BaseEndpoint:     aws.String("http://" + n.AdminAddr()),
		Credentials:      credentials.NewStaticCredentialsProvider(Key.AccessKeyID, Key.SecretAccessKey, ""),
		RetryMaxAttempts: 3,
	})
}

// Restart stops the node and starts it again on the same data directory;
// the game servers reconnect by themselves.
func (w *World) Restart() {
	w.T.Helper()
	if err := w.N.Shutdown(context.Background()); err != nil {
		w.T.Fatalf("shutdown: %v", err)
	}
	w.Start()
}

// Fleet creates the custom locations (if new) and an Anywhere fleet over
// them, and returns the fleet id.
func (w *World) Fleet(name string, locations ...string) string {
	w.T.Helper()
	return w.FleetCost(name, "", locations...)
}

// FleetCost is Fleet with the fleet's AnywhereConfiguration.Cost (none
// when cost is empty), which queues order placements by.
func (w *World) FleetCost(name, cost string, locations ...string) string {
	w.T.Helper()
	ctx := context.Background()
	var locs []types.LocationConfiguration
	for _, l := range locations {
		_, err := w.C.CreateLocation(ctx, &gamelift.CreateLocationInput{LocationName: aws.String(l)})
		var conflict *types.ConflictException
		if err != nil && !errors.As(err, &conflict) {
			w.T.Fatalf("CreateLocation %s: %v", l, err)
		}
		locs = append(locs, types.LocationConfiguration{Location: aws.String(l)})
	}
	in := &gamelift.CreateFleetInput{Name: aws.String(name), ComputeType: types.ComputeTypeAnywhere, Locations: locs}
	if cost != "" {
		in.AnywhereConfiguration = &types.AnywhereConfiguration{Cost: aws.String(cost)}
	}
	out, err := w.C.CreateFleet(ctx, in)
	if err != nil {
		w.T.Fatalf("CreateFleet %s: %v", name, err)
	}
	return aws.ToString(out.FleetAttributes.FleetId)
}

// GameServer is one game server process: it activates every game session
// it is given while Activate is set (it is at first).
type GameServer struct {
	Proc     *server.Process
	FleetID  string
	Location string
	Compute  string
	Sessions atomic.Int32
	Activate atomic.Bool
	// Started receives each game session the process is given; Updated
	// each UpdateGameSession it is sent.
	Started chan server.GameSession
	Updated chan server.UpdateGameSession
}

// Servers registers a compute in the fleet location and starts count game
// server processes on it.
func (w *World) Servers(fleetID, location string, count int) []*GameServer {
	w.T.Helper()
	ctx := context.Background()
	w.mu.Lock()
	compute := fmt.Sprintf("c%d-%s", w.nextPID, location)
	w.nextPID++
	w.mu.Unlock()
	if _, err := w.C.RegisterCompute(ctx, &gamelift.RegisterComputeInput{
		FleetId: aws.String(fleetID), ComputeName: aws.String(compute), IpAddress: aws.String("127.0.0.1"), Location: aws.String(location),
	}); err != nil {
		w.T.Fatalf("RegisterCompute: %v", err)
	}
	tok, err := w.C.GetComputeAuthToken(ctx, &gamelift.GetComputeAuthTokenInput{FleetId: aws.String(fleetID), ComputeName: aws.String(compute)})
	if err != nil {
		w.T.Fatalf("GetComputeAuthToken: %v", err)
	}
	var out []*GameServer
	for i := range count {
		g := &GameServer{FleetID: fleetID, Location: location, Compute: compute, Started: make(chan server.GameSession, 16), Updated: make(chan server.UpdateGameSession, 16)}
		g.Activate.Store(true)
		w.mu.Lock()
		pid := fmt.Sprintf("pid-%d", w.nextPID)
		w.nextPID++
		w.mu.Unlock()
		proc, err := server.Connect(ctx, server.ServerParameters{
			WebSocketURL: w.N.Fleets().ServiceSDKEndpoint(),
			ProcessID:    pid,
			HostID:       compute,
			FleetID:      fleetID,
			AuthToken:    aws.ToString(tok.AuthToken),
		})
		if err != nil {
			w.T.Fatalf("connect game server: %v", err)
		}
		g.Proc = proc
		err = proc.ProcessReady(server.ProcessParameters{
			Port: 7000 + i,
			OnStartGameSession: func(gs server.GameSession) {
				g.Sessions.Add(1)
				select {
				case g.Started <- gs:
				default:
				}
				if g.Activate.Load() {
					go func() { _ = proc.ActivateGameSession() }()
				}
			},
			OnUpdateGameSession: func(u server.UpdateGameSession) {
				select {
				case g.Updated <- u:
				default:
				}
			},
		})
		if err != nil {
			w.T.Fatalf("ProcessReady: %v", err)
		}
		w.mu.Lock()
		w.running = append(w.running, g)
		w.mu.Unlock()
		out = append(out, g)
	}
	return out
}

// Event is one event from the node's stream: its subject and document.
type Event struct {
	Subject string
	Doc     map[string]any
	Raw     []byte
}

// Type is the event's detail.type.
func (e Event) Type() string {
	d, _ := e.Doc["detail"].(map[string]any)
	s, _ := d["type"].(string)
	return s
}

// Events follows the events on the node's stream whose subject matches
// filter (such as "rp.events.matchmaking.>"), from the stream's start.
func (w *World) Events(filter string) <-chan Event {
	w.T.Helper()
	nc, err := nats.Connect(w.N.NATSURL())
	if err != nil {
		w.T.Fatal(err)
	}
	w.T.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		w.T.Fatal(err)
	}
	cons, err := js.OrderedConsumer(context.Background(), "RP_EVENTS", jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		w.T.Fatal(err)
	}
	out := make(chan Event, 100000)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		ev := Event{Subject: m.Subject(), Raw: m.Data()}
		if err := json.Unmarshal(m.Data(), &ev.Doc); err != nil {
			w.T.Errorf("undecodable event on %s: %v", m.Subject(), err)
			return
		}
		out <- ev
	})
	if err != nil {
		w.T.Fatal(err)
	}
	w.T.Cleanup(cc.Stop)
	return out
}

// Eventually waits for cond, failing the test after a generous while.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Logger logs to stderr when RP_TEST_LOG is set, for debugging.
func Logger() *slog.Logger {
	if os.Getenv("RP_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// Join starts another node that shares the world's engine, and returns it
// with a client pointed at it. It stops when the test ends.
func (w *World) Join(id string) (*node.Node, *gamelift.Client) {
	w.T.Helper()
	cfg := node.Config{
		DataDir:     w.T.TempDir(),
		Listen:      "127.0.0.1:0",
		AdminListen: "127.0.0.1:0",
		NATSURL:     w.N.NATSURL(),
		NodeID:      id,
		AccessKeys:  []sigv4.Credentials{Key},
		Logger:      Logger(),
	}
	if w.Tune != nil {
		w.Tune(&cfg)
		cfg.NATSURL, cfg.NodeID, cfg.DataDir = w.N.NATSURL(), id, w.T.TempDir()
		cfg.Listen, cfg.AdminListen, cfg.NATSListen = "127.0.0.1:0", "127.0.0.1:0", ""
	}
	n, err := node.Start(context.Background(), cfg)
	if err != nil {
		w.T.Fatalf("start node %s: %v", id, err)
	}
	w.T.Cleanup(func() { _ = n.Shutdown(context.Background()) })
	c := gamelift.New(gamelift.Options{
		Region:           "local",
		BaseEndpoint:     aws.String("http://" + n.AdminAddr()),
		Credentials:      credentials.NewStaticCredentialsProvider(Key.AccessKeyID, Key.SecretAccessKey, ""),
		RetryMaxAttempts: 3,
	})
	return n, c
}
