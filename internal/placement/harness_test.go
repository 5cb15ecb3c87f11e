package placement_test

import (
	"context"
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

	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/sigv4"
	"github.com/rallypoint/rallypoint/sdk/server"
)

var testKey = sigv4.Credentials{AccessKeyID: "RPAKTESTKEY0000000001", SecretAccessKey: "test-secret-key-with-enough-characters-0"}

// world is a real rallypoint node with fleets, computes and game server
// processes that run the real server SDK in this test process.
type world struct {
	t   testing.TB
	dir string
	// listen is the public address: port 0 at first, then the bound one,
	// so that game servers find the node again after a restart.
	listen string
	n      *node.Node
	c      *gamelift.Client

	mu      sync.Mutex
	running []*gameServer
	nextPID int
}

func newWorld(t testing.TB) *world {
	w := &world{t: t, dir: t.TempDir(), listen: "127.0.0.1:0"}
	w.start()
	t.Cleanup(func() {
		w.mu.Lock()
		servers := w.running
		w.mu.Unlock()
		for _, g := range servers {
			_ = g.proc.Destroy()
		}
		if w.n != nil {
			_ = w.n.Shutdown(context.Background())
		}
	})
	return w
}

func (w *world) start() {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := node.Start(ctx, node.Config{
		DataDir:     w.dir,
		Listen:      w.listen,
		AdminListen: "127.0.0.1:0",
		NodeID:      "test",
		NATSListen:  "127.0.0.1:0",
		AccessKeys:  []sigv4.Credentials{testKey},
		Logger:      testLogger(),
	})
	if err != nil {
		w.t.Fatalf("start node: %v", err)
	}
	w.n = n
	w.listen = n.PublicAddr()
	w.c = gamelift.New(gamelift.Options{
		Region:           "local",
		BaseEndpoint:     aws.String("http://" + n.AdminAddr()),
		Credentials:      credentials.NewStaticCredentialsProvider(testKey.AccessKeyID, testKey.SecretAccessKey, ""),
		RetryMaxAttempts: 1,
	})
}

// restart stops the node and starts it again on the same data directory;
// the game servers reconnect by themselves.
func (w *world) restart() {
	w.t.Helper()
	if err := w.n.Shutdown(context.Background()); err != nil {
		w.t.Fatalf("shutdown: %v", err)
	}
	w.start()
}

// fleet creates the custom locations (if new) and a fleet over them, and
// returns the fleet id.
func (w *world) fleet(name, cost string, locations ...string) string {
	w.t.Helper()
	ctx := context.Background()
	var locs []types.LocationConfiguration
	for _, l := range locations {
		_, err := w.c.CreateLocation(ctx, &gamelift.CreateLocationInput{LocationName: aws.String(l)})
		var conflict *types.ConflictException
		if err != nil && !errorsAs(err, &conflict) {
			w.t.Fatalf("CreateLocation %s: %v", l, err)
		}
		locs = append(locs, types.LocationConfiguration{Location: aws.String(l)})
	}
	in := &gamelift.CreateFleetInput{Name: aws.String(name), ComputeType: types.ComputeTypeAnywhere, Locations: locs}
	if cost != "" {
		in.AnywhereConfiguration = &types.AnywhereConfiguration{Cost: aws.String(cost)}
	}
	out, err := w.c.CreateFleet(ctx, in)
	if err != nil {
		w.t.Fatalf("CreateFleet %s: %v", name, err)
	}
	return aws.ToString(out.FleetAttributes.FleetId)
}

// gameServer is one game server process: it activates every game session
// it is given (unless told not to) and counts them.
type gameServer struct {
	proc     *server.Process
	fleetID  string
	location string
	compute  string
	sessions atomic.Int32
	activate atomic.Bool
	started  chan server.GameSession
}

// servers registers a compute in the fleet location and starts count game
// server processes on it.
func (w *world) servers(fleetID, location string, count int) []*gameServer {
	w.t.Helper()
	ctx := context.Background()
	w.mu.Lock()
	compute := fmt.Sprintf("c%d-%s", w.nextPID, location)
	w.nextPID++
	w.mu.Unlock()
	if _, err := w.c.RegisterCompute(ctx, &gamelift.RegisterComputeInput{
		FleetId: aws.String(fleetID), ComputeName: aws.String(compute), IpAddress: aws.String("127.0.0.1"), Location: aws.String(location),
	}); err != nil {
		w.t.Fatalf("RegisterCompute: %v", err)
	}
	tok, err := w.c.GetComputeAuthToken(ctx, &gamelift.GetComputeAuthTokenInput{FleetId: aws.String(fleetID), ComputeName: aws.String(compute)})
	if err != nil {
		w.t.Fatalf("GetComputeAuthToken: %v", err)
	}
	var out []*gameServer
	for i := range count {
		g := &gameServer{fleetID: fleetID, location: location, compute: compute, started: make(chan server.GameSession, 4)}
		g.activate.Store(true)
		w.mu.Lock()
		pid := fmt.Sprintf("pid-%d", w.nextPID)
		w.nextPID++
		w.mu.Unlock()
		proc, err := server.Connect(ctx, server.ServerParameters{
			WebSocketURL: w.n.Fleets().ServiceSDKEndpoint(),
			ProcessID:    pid,
			HostID:       compute,
			FleetID:      fleetID,
			AuthToken:    aws.ToString(tok.AuthToken),
		})
		if err != nil {
			w.t.Fatalf("connect game server: %v", err)
		}
		g.proc = proc
		err = proc.ProcessReady(server.ProcessParameters{
			Port: 7000 + i,
			OnStartGameSession: func(gs server.GameSession) {
				g.sessions.Add(1)
				select {
				case g.started <- gs:
				default:
				}
				if g.activate.Load() {
					go func() { _ = proc.ActivateGameSession() }()
				}
			},
		})
		if err != nil {
			w.t.Fatalf("ProcessReady: %v", err)
		}
		w.mu.Lock()
		w.running = append(w.running, g)
		w.mu.Unlock()
		out = append(out, g)
	}
	return out
}

// eventually waits for cond, failing the test after a generous while.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testLogger logs to stderr when RP_TEST_LOG is set, for debugging.
func testLogger() *slog.Logger {
	if os.Getenv("RP_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
