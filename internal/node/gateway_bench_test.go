package node_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/events"
	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/testworld"
)

// The gateway benchmarks run the server in this process and the players in
// another: the test binary started again with loadClientEnv set, so the
// server's memory and CPU are its own. The client process takes a file of
// tokens, opens one socket per token, and then answers "expect K" lines on
// its stdin with "got K" once its sockets have received K frames in all.

const loadClientEnv = "RP_GATEWAY_LOAD_CLIENT"

func TestMain(m *testing.M) {
	if os.Getenv(loadClientEnv) != "" {
		os.Exit(loadClient())
	}
	os.Exit(m.Run())
}

// gatewayLoad is a node with n connected players in a separate process.
type gatewayLoad struct {
	w       *testworld.World
	players []string
	in      *bufio.Writer
	out     *bufio.Scanner
	cmd     *exec.Cmd
	stdin   interface{ Close() error }
}

func newGatewayLoad(b *testing.B, n int) (*gatewayLoad, memSample) {
	b.Helper()
	w := testworld.New(b, func(c *node.Config) {
		c.Players.TokenTTL = 2 * time.Hour
	})
	ctx := context.Background()
	ids := w.N.Identities()
	pool := w.GuestPool("load")
	tokens := make([]string, n)
	players := make([]string, n)
	var wg sync.WaitGroup
	var failed atomic.Value
	sem := make(chan struct{}, 32)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			id, err := ids.GetID(ctx, pool, nil)
			if err == nil {
				tokens[i], err = ids.OpenIDToken(ctx, id, nil)
			}
			if err != nil {
				failed.Store(err)
			}
			players[i] = id
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatalf("make identities: %v", err)
	}
	file := b.TempDir() + "/tokens"
	if err := os.WriteFile(file, []byte(strings.Join(tokens, "\n")), 0o600); err != nil {
		b.Fatal(err)
	}

	before := sampleMemory()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), loadClientEnv+"=1", "RP_LOAD_URL=ws://"+w.N.PublicAddr()+node.GatewayPath, "RP_LOAD_TOKENS="+file)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	l := &gatewayLoad{w: w, players: players, in: bufio.NewWriter(stdin), out: bufio.NewScanner(stdout), cmd: cmd, stdin: stdin}
	b.Cleanup(func() {
		_ = l.stdin.Close()
		_ = cmd.Wait()
	})
	if line := l.line(b); line != fmt.Sprintf("connected %d", n) {
		b.Fatalf("load client: %q", line)
	}
	// Let the registry writes and the sockets settle before measuring.
	time.Sleep(2 * time.Second)
	after := sampleMemory()
	return l, after.minus(before)
}

func (l *gatewayLoad) line(b *testing.B) string {
	b.Helper()
	if !l.out.Scan() {
		b.Fatalf("load client ended: %v", l.out.Err())
	}
	return l.out.Text()
}

// memSample is the server process's memory: what the Go runtime holds for
// the heap and goroutine stacks, and the resident set the kernel counts.
type memSample struct{ heapStack, rss int64 }

func sampleMemory() memSample {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{heapStack: int64(ms.HeapInuse + ms.StackInuse), rss: residentBytes()}
}

func (m memSample) minus(o memSample) memSample {
	return memSample{heapStack: m.heapStack - o.heapStack, rss: m.rss - o.rss}
}

func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// BenchmarkGatewayIdleConnections opens 10,000 player sockets from another
// process and reports what each costs the server: bytes per connection and
// connections per GiB, by the Go runtime's heap and stacks and by RSS.
//
//	go test -run '^$' -bench GatewayIdleConnections -benchtime 1x ./internal/node/
func BenchmarkGatewayIdleConnections(b *testing.B) {
	const n = 10000
	for b.Loop() {
		_, mem := newGatewayLoad(b, n)
		b.ReportMetric(float64(mem.heapStack)/n, "heap+stack-B/conn")
		b.ReportMetric(float64(mem.rss)/n, "rss-B/conn")
		b.ReportMetric(float64(1<<30)/(float64(mem.rss)/n), "conns/GiB-rss")
	}
}

// BenchmarkGatewayPushes pushes frames to 10,000 connected players, each
// push going the notifier's way (the player's connections from the
// registry, then the socket), and reports pushes per second until the
// client process has received them all.
//
//	go test -run '^$' -bench GatewayPushes -benchtime 200000x ./internal/node/
func BenchmarkGatewayPushes(b *testing.B) {
	const n = 10000
	l, _ := newGatewayLoad(b, n)
	gw := l.w.N.Gateway()
	ctx := context.Background()
	frame := []byte(`{"event":{"detail-type":"GameLift Matchmaking Event","detail":{"type":"MatchmakingSearching","tickets":[]}}}`)
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	total := int64(b.N)
	for range 64 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= total {
					return
				}
				if err := gw.PushToPlayer(ctx, l.players[i%n], frame); err != nil {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	fmt.Fprintf(l.in, "expect %d\n", total)
	l.in.Flush()
	if line := l.line(b); line != fmt.Sprintf("got %d", total) {
		b.Fatalf("load client: %q", line)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d pushes failed", f)
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "pushes/s")
}

// loadClient is the client process: it opens a socket per token and
// counts the frames they receive.
func loadClient() int {
	url := os.Getenv("RP_LOAD_URL")
	raw, err := os.ReadFile(os.Getenv("RP_LOAD_TOKENS"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "load client:", err)
		return 1
	}
	tokens := strings.Split(string(raw), "\n")
	var received atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	var failed atomic.Int64
	for _, tok := range tokens {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			conn, _, err := websocket.Dial(ctx, url+"?token="+tok, &websocket.DialOptions{CompressionMode: websocket.CompressionDisabled})
			if err != nil {
				if failed.Add(1) == 1 {
					fmt.Fprintln(os.Stderr, "load client: dial:", err)
				}
				return
			}
			go func() {
				for {
					if _, _, err := conn.Read(context.Background()); err != nil {
						return
					}
					received.Add(1)
				}
			}()
		})
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		fmt.Printf("failed %d\n", f)
		return 1
	}
	fmt.Printf("connected %d\n", len(tokens))
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		var want int64
		if _, err := fmt.Sscanf(in.Text(), "expect %d", &want); err != nil {
			fmt.Fprintln(os.Stderr, "load client: bad command", in.Text())
			return 1
		}
		for received.Load() < want {
			time.Sleep(time.Millisecond)
		}
		fmt.Printf("got %d\n", received.Load())
	}
	return 0
}

// BenchmarkNotifierPushes publishes matchmaking events on the stream, each
// naming one of 10,000 connected players, and reports events per second
// from the first publication until the client process has received them
// all: the notifier's whole path (the durable consumer, the player's latest
// event recorded, the registry, the socket).
//
//	go test -run '^$' -bench NotifierPushes -benchtime 100000x ./internal/node/
func BenchmarkNotifierPushes(b *testing.B) {
	const n = 10000
	l, _ := newGatewayLoad(b, n)
	nc, err := nats.Connect(l.w.N.NATSURL())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	pub := events.NewPublisher(js)
	type player struct {
		PlayerID string `json:"playerId"`
	}
	type ticket struct {
		TicketID string   `json:"ticketId"`
		Players  []player `json:"players"`
	}
	type detail struct {
		Type    string   `json:"type"`
		Tickets []ticket `json:"tickets"`
	}
	total := b.N
	b.ResetTimer()
	start := time.Now()
	for i := range total {
		p := l.players[i%n]
		doc := events.NewDocument("GameLift Matchmaking Event", "local", nil, time.Now(),
			detail{Type: "MatchmakingSearching", Tickets: []ticket{{TicketID: fmt.Sprintf("t-%d", i), Players: []player{{PlayerID: p}}}}})
		if _, err := pub.PublishAsync(events.Event{Subject: events.Subject("matchmaking", "bench", "MatchmakingSearching"), Document: doc}); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("events not stored within a minute")
	}
	fmt.Fprintf(l.in, "expect %d\n", total)
	l.in.Flush()
	if line := l.line(b); line != fmt.Sprintf("got %d", total) {
		b.Fatalf("load client: %q", line)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(total)/elapsed.Seconds(), "events/s")
}
