package server

// A misbehaving peer: a WebSocket endpoint that plays the service side of
// the protocol exactly as a test scripts it, so that the tests in
// misbehaviour_test.go can send what rallypoint's real service never sends
// (malformed or late replies, odd status and close codes). It is not a
// stand-in for the service: tests of correct behaviour run against a real
// node in service_test.go.

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// waitTimeout bounds every wait in these tests.
const waitTimeout = 5 * time.Second

// peer is a WebSocket endpoint that speaks the service side of the protocol
// as the test tells it to.
type peer struct {
	t   *testing.T
	srv *httptest.Server

	conns chan *peerConn

	mu sync.Mutex
	// refuse, while > 0, makes upgrades fail with refuseStatus.
	refuse       int
	refuseStatus int
	refused      int
	// autoReply are actions answered with 200 without bothering the test.
	autoReply map[string]bool
	// heartbeats receives every HeartbeatServerProcess auto-replied to.
	heartbeats chan msg
}

// msg is one frame received from the SDK, decoded.
type msg struct {
	raw    []byte
	fields map[string]any
}

func (m msg) action() string    { s, _ := m.fields["Action"].(string); return s }
func (m msg) requestID() string { s, _ := m.fields["RequestId"].(string); return s }
func (m msg) str(k string) string {
	s, _ := m.fields[k].(string)
	return s
}

// peerConn is one accepted connection.
type peerConn struct {
	p      *peer
	conn   *websocket.Conn
	path   string
	query  url.Values
	header http.Header
	in     chan msg
	// closed gets the error that ended the reader, such as the SDK's close.
	closed chan error
}

func newPeer(t *testing.T) *peer {
	t.Helper()
	p := &peer{
		t:          t,
		conns:      make(chan *peerConn, 16),
		autoReply:  map[string]bool{actionHeartbeatServerProcess: true},
		heartbeats: make(chan msg, 64),
	}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// url is the endpoint under path, with a query the SDK must replace.
func (p *peer) url(path string) string {
	return "ws" + strings.TrimPrefix(p.srv.URL, "http") + path + "?stale=1"
}

func (p *peer) refuseNext(n, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse, p.refuseStatus = n, status
}

func (p *peer) refusedCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refused
}

func (p *peer) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if p.refuse > 0 {
		p.refuse--
		p.refused++
		status := p.refuseStatus
		p.mu.Unlock()
		http.Error(w, "refused by test", status)
		return
	}
	p.mu.Unlock()
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		p.t.Errorf("accept: %v", err)
		return
	}
	conn.SetReadLimit(readLimit)
	pc := &peerConn{p: p, conn: conn, path: r.URL.Path, query: r.URL.Query(), header: r.Header,
		in: make(chan msg, 64), closed: make(chan error, 1)}
	go pc.read()
	p.conns <- pc
}

func (pc *peerConn) read() {
	for {
		_, data, err := pc.conn.Read(context.Background())
		if err != nil {
			pc.closed <- err
			close(pc.in)
			return
		}
		var m msg
		m.raw = data
		if err := json.Unmarshal(data, &m.fields); err != nil {
			pc.p.t.Errorf("SDK sent a frame that is not JSON: %s", data)
			continue
		}
		pc.p.mu.Lock()
		auto := pc.p.autoReply[m.action()]
		pc.p.mu.Unlock()
		if auto {
			if m.action() == actionHeartbeatServerProcess {
				pc.p.heartbeats <- m
			}
			pc.send(map[string]any{"Action": m.action(), "RequestId": m.requestID(), "StatusCode": 200})
			continue
		}
		pc.in <- m
	}
}

// accept waits for the SDK's next connection.
func (p *peer) accept() *peerConn {
	p.t.Helper()
	select {
	case pc := <-p.conns:
		p.t.Cleanup(func() { _ = pc.conn.CloseNow() })
		return pc
	case <-time.After(waitTimeout):
		p.t.Fatal("no connection from the SDK")
		return nil
	}
}

// noConnection checks that the SDK does not connect within d.
func (p *peer) noConnection(d time.Duration) {
	p.t.Helper()
	select {
	case <-p.conns:
		p.t.Fatal("the SDK connected again")
	case <-time.After(d):
	}
}

// next waits for the next message that is not auto-replied, and checks its
// action.
func (pc *peerConn) next(action string) msg {
	pc.p.t.Helper()
	select {
	case m, ok := <-pc.in:
		if !ok {
			pc.p.t.Fatalf("connection closed while waiting for %s", action)
		}
		if m.action() != action {
			pc.p.t.Fatalf("got %s, want %s: %s", m.action(), action, m.raw)
		}
		return m
	case <-time.After(waitTimeout):
		pc.p.t.Fatalf("no %s from the SDK", action)
		return msg{}
	}
}

// send writes one frame.
func (pc *peerConn) send(v map[string]any) {
	data, err := json.Marshal(v)
	if err != nil {
		pc.p.t.Errorf("marshal: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	// A failed write is the test's business (it may be closing); ignore.
	_ = pc.conn.Write(ctx, websocket.MessageText, data)
}

// ok replies 200 to m with the given payload members.
func (pc *peerConn) ok(m msg, payload map[string]any) {
	v := map[string]any{"Action": m.action(), "RequestId": m.requestID(), "StatusCode": 200}
	for k, x := range payload {
		v[k] = x
	}
	pc.send(v)
}

// fail replies to m with an error status.
func (pc *peerConn) fail(m msg, status int, message string) {
	pc.send(map[string]any{"Action": m.action(), "RequestId": m.requestID(), "StatusCode": status, "ErrorMessage": message})
}

// push sends a push with no RequestId.
func (pc *peerConn) push(action string, members map[string]any) {
	v := map[string]any{"Action": action}
	for k, x := range members {
		v[k] = x
	}
	pc.send(v)
}

// waitClosed waits for the SDK's side to end and returns why.
func (pc *peerConn) waitClosed() error {
	pc.p.t.Helper()
	select {
	case err := <-pc.closed:
		return err
	case <-time.After(waitTimeout):
		pc.p.t.Fatal("the SDK did not close the connection")
		return nil
	}
}

// nextHeartbeat waits for a heartbeat on any connection.
func (p *peer) nextHeartbeat() msg {
	p.t.Helper()
	select {
	case m := <-p.heartbeats:
		return m
	case <-time.After(waitTimeout):
		p.t.Fatal("no heartbeat")
		return msg{}
	}
}

// testLogger writes the SDK's logs to the test log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}

var testParams = ServerParameters{
	ProcessID: "proc-1",
	HostID:    "compute-1",
	FleetID:   "fleet-1234",
	AuthToken: "token-1",
}

// connect connects a Process to p with fast timings and returns it with the
// peer's side of the connection. The Process is destroyed at cleanup.
func connect(t *testing.T, p *peer, opts ...Option) (*Process, *peerConn) {
	t.Helper()
	sp := testParams
	sp.WebSocketURL = p.url("/sdk")
	base := []Option{
		WithLogger(testLogger(t)),
		WithHeartbeat(time.Hour, 0),
		WithReconnectBackoff(5*time.Millisecond, 50*time.Millisecond),
		WithCallTimeout(waitTimeout),
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	proc, err := Connect(ctx, sp, append(base, opts...)...)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	pc := p.accept()
	t.Cleanup(func() { _ = proc.Destroy() })
	return proc, pc
}

// ready runs ProcessReady against pc, answering its ActivateServerProcess and
// the first heartbeat.
func ready(t *testing.T, proc *Process, pc *peerConn, params ProcessParameters) {
	t.Helper()
	if params.Port == 0 {
		params.Port = 7777
	}
	errc := make(chan error, 1)
	go func() { errc <- proc.ProcessReady(params) }()
	pc.ok(pc.next(actionActivateServerProcess), nil)
	if err := <-errc; err != nil {
		t.Fatalf("ProcessReady: %v", err)
	}
	pc.p.nextHeartbeat()
}

// async runs f in a goroutine and returns its error on a channel.
func async(f func() error) <-chan error {
	c := make(chan error, 1)
	go func() { c <- f() }()
	return c
}

func waitErr(t *testing.T, c <-chan error) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	case <-time.After(waitTimeout):
		t.Fatal("call did not return")
		return nil
	}
}

func waitFor[T any](t *testing.T, c <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
		var zero T
		return zero
	}
}

// eventually polls cond until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// startGameSession pushes a CreateGameSession and waits until the Process
// took it.
func startGameSession(t *testing.T, proc *Process, pc *peerConn, id string) {
	t.Helper()
	pc.push(pushCreateGameSession, map[string]any{"GameSessionId": id})
	eventually(t, "the game session is taken", func() bool {
		got, _ := proc.GetGameSessionID()
		return got == id
	})
}

// redialing drops pc and waits until the Process tried to dial again (the
// peer refusing it).
func redialing(t *testing.T, p *peer, pc *peerConn) {
	t.Helper()
	before := p.refusedCount()
	_ = pc.conn.CloseNow()
	eventually(t, "the SDK redials", func() bool { return p.refusedCount() > before })
}

func (m msg) String() string { return string(m.raw) }
