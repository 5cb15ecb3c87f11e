package server_test

// The harness of the integration tests: a real rallypoint node (embedded
// NATS, the server SDK endpoint on 127.0.0.1), game server processes built
// with this package connected to it, and a TCP relay to cut connections
// with. Nothing here imitates the service.

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/sigv4"
	"github.com/rallypoint/rallypoint/sdk/server"
)

// wait bounds every wait in these tests.
const wait = 10 * time.Second

const location = "custom-lab"

// service is a running node with one Anywhere fleet in location custom-lab
// and two registered computes, host-1 and host-2.
type service struct {
	t       testing.TB
	cfg     node.Config
	n       *node.Node
	fleetID string
	token   string // host-1's compute auth token
	expires time.Time
}

func startService(t testing.TB, tweak func(*node.Config)) *service {
	t.Helper()
	cfg := node.Config{
		DataDir:     t.TempDir(),
		Listen:      "127.0.0.1:0",
		AdminListen: "127.0.0.1:0",
		NodeID:      "sdkit",
		AccessKeys:  []sigv4.Credentials{{AccessKeyID: "RPAKSDKSERVERTEST001", SecretAccessKey: "secret-secret-secret-secret-secret-0001"}},
		Logger:      slog.New(slog.DiscardHandler),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	s := &service{t: t, cfg: cfg}
	s.start()
	t.Cleanup(func() { _ = s.n.Shutdown(context.Background()) })

	ctx := context.Background()
	f := s.n.Fleets()
	if _, err := f.CreateLocation(ctx, location, nil); err != nil {
		t.Fatal(err)
	}
	fl, err := f.CreateFleet(ctx, fleet.CreateFleetInput{Name: "sdk-it", ComputeType: fleet.ComputeTypeAnywhere, Locations: []string{location}})
	if err != nil {
		t.Fatal(err)
	}
	s.fleetID = fl.ID
	for _, c := range []string{"host-1", "host-2"} {
		if _, err := f.RegisterCompute(ctx, fleet.RegisterComputeInput{FleetID: fl.ID, Name: c, IPAddress: "127.0.0.1", DNSName: c + ".lab", Location: location, CertificatePath: "/etc/" + c + "/cert.pem"}); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := f.IssueComputeAuthToken(ctx, fl.ID, "host-1")
	if err != nil {
		t.Fatal(err)
	}
	s.token, s.expires = tok.Token, tok.Expires
	return s
}

func (s *service) start() {
	s.t.Helper()
	n, err := node.Start(context.Background(), s.cfg)
	if err != nil {
		s.t.Fatalf("start node: %v", err)
	}
	s.n = n
}

// restart shuts the node down, which closes the server SDK sockets with
// 1012, and starts it again on the same address and data.
func (s *service) restart() {
	s.t.Helper()
	addr := s.n.PublicAddr()
	if err := s.n.Shutdown(context.Background()); err != nil {
		s.t.Fatalf("shut the node down: %v", err)
	}
	s.cfg.Listen = addr
	s.start()
}

func (s *service) fleets() *fleet.Service { return s.n.Fleets() }

// url is the endpoint RegisterCompute hands out.
func (s *service) url() string { return s.n.Fleets().ServiceSDKEndpoint() }

func (s *service) ref(pid string) fleet.ProcessRef {
	return fleet.ProcessRef{FleetID: s.fleetID, Compute: "host-1", ProcessID: pid}
}

// gameServer is a game server process on host-1: a Process and what its
// callbacks saw.
type gameServer struct {
	*server.Process
	pid       string
	logs      *logSink
	started   chan server.GameSession
	terminate chan struct{}
}

// launch connects a game server process to url (the node's endpoint if
// empty) with fast timings and opts, and calls ProcessReady. It is
// destroyed at cleanup.
func (s *service) launch(t testing.TB, pid, url string, opts ...server.Option) *gameServer {
	t.Helper()
	g := s.connect(t, pid, url, opts...)
	g.ready(t)
	return g
}

// connect is launch without ProcessReady.
func (s *service) connect(t testing.TB, pid, url string, opts ...server.Option) *gameServer {
	t.Helper()
	if url == "" {
		url = s.url()
	}
	logger, sink := newLogSink(t)
	base := []server.Option{
		server.WithLogger(logger),
		server.WithCallTimeout(wait),
		server.WithHeartbeat(time.Hour, 0),
		server.WithReconnectBackoff(10*time.Millisecond, 100*time.Millisecond),
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	proc, err := server.Connect(ctx, server.ServerParameters{
		WebSocketURL: url, ProcessID: pid, HostID: "host-1", FleetID: s.fleetID, AuthToken: s.token,
	}, append(base, opts...)...)
	if err != nil {
		t.Fatalf("Connect %s: %v", pid, err)
	}
	t.Cleanup(func() { _ = proc.Destroy() })
	return &gameServer{Process: proc, pid: pid, logs: sink, started: make(chan server.GameSession, 8), terminate: make(chan struct{}, 8)}
}

func (g *gameServer) ready(t testing.TB) {
	t.Helper()
	err := g.ProcessReady(server.ProcessParameters{
		OnStartGameSession: func(gs server.GameSession) { g.started <- gs },
		OnProcessTerminate: func() { g.terminate <- struct{}{} },
		Port:               7777,
		LogParameters:      server.LogParameters{LogPaths: []string{"/local/game/logs"}},
	})
	if err != nil {
		t.Fatalf("ProcessReady %s: %v", g.pid, err)
	}
}

// nextGameSession waits for OnStartGameSession.
func (g *gameServer) nextGameSession(t testing.TB) server.GameSession {
	t.Helper()
	return recv(t, g.started, "OnStartGameSession of "+g.pid)
}

// createGameSession places a game session; with only one idle process in
// the fleet, it lands on that one.
func (s *service) createGameSession(t testing.TB, in fleet.CreateGameSessionInput) fleet.GameSession {
	t.Helper()
	in.FleetID, in.Location = s.fleetID, location
	if in.MaximumPlayerSessionCount == 0 {
		in.MaximumPlayerSessionCount = 100
	}
	gs, err := s.fleets().CreateGameSession(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateGameSession: %v", err)
	}
	return gs
}

// activeGameSession launches a process, places a game session on it and
// activates it.
func (s *service) activeGameSession(t testing.TB, pid string, opts ...server.Option) (*gameServer, fleet.GameSession) {
	t.Helper()
	g := s.launch(t, pid, "", opts...)
	gs := s.createGameSession(t, fleet.CreateGameSessionInput{})
	if got := g.nextGameSession(t); got.GameSessionID != gs.ID {
		t.Fatalf("OnStartGameSession got %s, want %s", got.GameSessionID, gs.ID)
	}
	if err := g.ActivateGameSession(); err != nil {
		t.Fatalf("ActivateGameSession: %v", err)
	}
	return g, gs
}

func (s *service) playerSessions(t testing.TB, gameSessionID string, players ...string) []fleet.PlayerSessionView {
	t.Helper()
	var in []fleet.NewPlayer
	for _, p := range players {
		in = append(in, fleet.NewPlayer{PlayerID: p, PlayerData: "data-" + p})
	}
	ps, err := s.fleets().CreatePlayerSessions(context.Background(), gameSessionID, in)
	if err != nil {
		t.Fatalf("CreatePlayerSessions: %v", err)
	}
	return ps
}

// playerSessionStatus is the status the service has for a player session.
func (s *service) playerSessionStatus(t testing.TB, id string) string {
	t.Helper()
	ps, err := s.fleets().PlayerSessions(context.Background(), fleet.PlayerSessionFilter{PlayerSessionID: id})
	if err != nil || len(ps) != 1 {
		t.Fatalf("PlayerSessions(%s) = %v, %v", id, ps, err)
	}
	return ps[0].Status
}

func (s *service) gameSession(t testing.TB, id string) fleet.GameSession {
	t.Helper()
	gs, err := s.fleets().GameSession(context.Background(), id)
	if err != nil {
		t.Fatalf("GameSession(%s): %v", id, err)
	}
	return gs
}

func (s *service) process(t testing.TB, pid string) fleet.Process {
	t.Helper()
	p, err := s.fleets().Process(context.Background(), s.ref(pid))
	if err != nil {
		t.Fatalf("Process(%s): %v", pid, err)
	}
	return p
}

func recv[T any](t testing.TB, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(wait):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// eventually polls cond until it holds.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// logSink keeps a Process's logs, shown if the test fails, and lets a test
// check that something was logged.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func newLogSink(t testing.TB) (*slog.Logger, *logSink) {
	sink := &logSink{}
	// Registered before the Process's Destroy, so it runs after it.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("process log:\n%s", sink.String())
		}
	})
	return slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug})), sink
}

func (l *logSink) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logSink) count(msg string) int {
	// The text handler quotes a message only if it has to.
	quoted := strconv.Quote(msg)
	n := 0
	for line := range strings.Lines(l.String()) {
		if strings.Contains(line, " msg="+quoted+" ") || strings.Contains(line, " msg="+msg+" ") {
			n++
		}
	}
	return n
}

// cutAndWait cuts the game server's connection through r and waits until
// it has dialed again through it. A call made before the process notices
// the cut would be written to the dead socket and fail with ErrReplyLost.
func (g *gameServer) cutAndWait(t testing.TB, r *relay) {
	t.Helper()
	before, _ := r.stats()
	r.cut(false)
	eventually(t, "the process dials again", func() bool {
		accepted, _ := r.stats()
		return accepted > before
	})
}

// relay is a TCP relay on 127.0.0.1 in front of the node: the game server
// dials it, and the test cuts its connections (as a network failure
// would) or stops it from letting new ones through.
type relay struct {
	t        testing.TB
	ln       net.Listener
	upstream string

	mu       sync.Mutex
	down     bool
	conns    map[net.Conn]struct{}
	accepted int
	refused  int
	// ended counts connections that ended without the test cutting them.
	ended int
	wg    sync.WaitGroup
}

func newRelay(t testing.TB, upstream string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{t: t, ln: ln, upstream: upstream, conns: make(map[net.Conn]struct{})}
	r.wg.Add(1)
	go r.serve()
	t.Cleanup(r.close)
	return r
}

// url is the server SDK endpoint through the relay.
func (r *relay) url() string { return "ws://" + r.ln.Addr().String() + node.ServerSDKPath }

func (r *relay) serve() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		if r.down {
			r.refused++
			r.mu.Unlock()
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", r.upstream)
		if err != nil {
			r.mu.Unlock()
			c.Close()
			continue
		}
		r.accepted++
		r.conns[c] = struct{}{}
		r.conns[up] = struct{}{}
		r.wg.Add(2)
		r.mu.Unlock()
		go r.pipe(up, c)
		go r.pipe(c, up)
	}
}

// pipe copies from src to dst; when src ends, both connections are closed.
func (r *relay) pipe(dst, src net.Conn) {
	defer r.wg.Done()
	_, _ = io.Copy(dst, src)
	r.mu.Lock()
	if _, live := r.conns[src]; live {
		// The first of the pair to end, and not cut by the test.
		r.ended++
	}
	delete(r.conns, src)
	delete(r.conns, dst)
	r.mu.Unlock()
	src.Close()
	dst.Close()
}

// cut drops every connection through the relay, without a WebSocket close,
// and while down is set refuses new ones (accepting, then closing them).
func (r *relay) cut(down bool) {
	r.mu.Lock()
	r.down = down
	for c := range r.conns {
		delete(r.conns, c)
		c.Close()
	}
	r.mu.Unlock()
}

// up lets connections through again.
func (r *relay) up() {
	r.mu.Lock()
	r.down = false
	r.mu.Unlock()
}

func (r *relay) stats() (accepted, ended int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.accepted, r.ended
}

func (r *relay) refusedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused
}

func (r *relay) close() {
	r.ln.Close()
	r.cut(true)
	r.wg.Wait()
}
