package gateway_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gobwas/ws"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/gateway"
	"github.com/rallypoint/rallypoint/internal/identity"
	"github.com/rallypoint/rallypoint/internal/matchmaking"
	"github.com/rallypoint/rallypoint/internal/placement"
	"github.com/rallypoint/rallypoint/internal/sigv4"
)

type sigv4Credentials = sigv4.Credentials

type cfgT = gateway.Config

// duel is a 1v1 rule set: two tickets make a match.
const duel = `{
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 10}],
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}]
}`

// wait is how long a test waits for something before it fails.
const wait = 20 * time.Second

// world is a real engine with the real identity and matchmaking services
// over it; gateways are added with node.
type world struct {
	t    testing.TB
	e    *engine.Engine
	ids  *identity.Service
	mm   *matchmaking.Service
	pool string
}

func newWorld(t testing.TB) *world {
	t.Helper()
	ctx := context.Background()
	e := enginetest.Open(t)
	ids, err := identity.New(ctx, identity.Config{
		Config:     e.Bucket(engine.BucketConfig),
		Identities: e.Bucket(engine.BucketIdentities),
		Issuer:     "http://127.0.0.1:1",
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("identity.New: %v", err)
	}
	pool, err := ids.CreatePool(ctx, identity.PoolInput{Name: "players", AllowUnauthenticatedIdentities: true})
	if err != nil {
		t.Fatalf("CreatePool: %v", err)
	}
	fleets, err := fleet.New(ctx, fleet.Config{
		Config: e.Bucket(engine.BucketConfig), Computes: e.Bucket(engine.BucketComputes), Sessions: e.Bucket(engine.BucketSessions),
	})
	if err != nil {
		t.Fatalf("fleet.New: %v", err)
	}
	places, err := placement.New(placement.Config{Config: e.Bucket(engine.BucketConfig), Sessions: e.Bucket(engine.BucketSessions), Fleets: fleets})
	if err != nil {
		t.Fatalf("placement.New: %v", err)
	}
	mm, err := matchmaking.New(matchmaking.Config{
		Config: e.Bucket(engine.BucketConfig), Tickets: e.Bucket(engine.BucketTickets),
		Fleets: fleets, Placements: places, CycleInterval: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("matchmaking.New: %v", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = mm.Run(runCtx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	if _, err := mm.CreateRuleSet(ctx, "duel", duel, nil); err != nil {
		t.Fatalf("CreateRuleSet: %v", err)
	}
	for _, c := range []struct {
		name   string
		accept bool
	}{{"duel", false}, {"duel-accept", true}} {
		in := matchmaking.ConfigurationInput{
			Name:                  c.name,
			RuleSet:               ptr("duel"),
			FlexMatchMode:         ptr(matchmaking.ModeStandalone),
			RequestTimeoutSeconds: ptr(120),
			AcceptanceRequired:    ptr(c.accept),
		}
		if c.accept {
			in.AcceptanceTimeoutSeconds = ptr(120)
		}
		if _, err := mm.CreateConfiguration(ctx, in); err != nil {
			t.Fatalf("CreateConfiguration %s: %v", c.name, err)
		}
	}
	return &world{t: t, e: e, ids: ids, mm: mm, pool: pool.ID}
}

func ptr[T any](v T) *T { return &v }

// auth adapts the identity service to the gateway: the small adapter the
// node uses, mapping identity.ErrExpired to gateway.ErrExpired.
type auth struct{ s *identity.Service }

func (a auth) VerifyToken(ctx context.Context, token string) (gateway.Principal, error) {
	p, err := a.s.VerifyToken(ctx, token)
	if err != nil {
		return gateway.Principal{}, expired(err)
	}
	return gateway.Principal{IdentityID: p.IdentityID, Expires: p.Expires}, nil
}

func (a auth) SessionCredentials(ctx context.Context, accessKeyID, sessionToken string) (sigv4Credentials, gateway.Principal, error) {
	c, p, err := a.s.SessionCredentials(ctx, accessKeyID, sessionToken)
	if err != nil {
		return c, gateway.Principal{}, expired(err)
	}
	return c, gateway.Principal{IdentityID: p.IdentityID, Expires: p.Expires}, nil
}

func expired(err error) error {
	if errors.Is(err, identity.ErrExpired) {
		return fmt.Errorf("%w: %w", gateway.ErrExpired, err)
	}
	return err
}

// player is a guest identity with a token and temporary credentials.
type player struct {
	id    string
	token string
	creds identity.Credentials
}

func (w *world) player() player {
	w.t.Helper()
	ctx := context.Background()
	id, err := w.ids.GetID(ctx, w.pool, nil)
	if err != nil {
		w.t.Fatalf("GetID: %v", err)
	}
	token, err := w.ids.OpenIDToken(ctx, id, nil)
	if err != nil {
		w.t.Fatalf("OpenIDToken: %v", err)
	}
	creds, err := w.ids.CredentialsForIdentity(ctx, id, nil)
	if err != nil {
		w.t.Fatalf("CredentialsForIdentity: %v", err)
	}
	return player{id: id, token: token, creds: creds}
}

// clock is an adjustable clock: real time plus an offset.
type clock struct{ offset atomic.Int64 }

func (c *clock) Now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// node is one gateway with its public (/ws) and admin (@connections)
// listeners on loopback.
type node struct {
	g      *gateway.Gateway
	id     string
	wsURL  string
	admin  *httptest.Server
	reg    *prometheus.Registry
	cancel context.CancelFunc
	done   chan struct{}
}

const (
	operatorKey    = "AKIDOPERATOR000001"
	operatorSecret = "operator-secret-key"
)

func operatorCredentials(id string) (sigv4Credentials, bool) {
	if id != operatorKey {
		return sigv4Credentials{}, false
	}
	return sigv4Credentials{AccessKeyID: operatorKey, SecretAccessKey: operatorSecret}, true
}

func (w *world) node(id string, adjust func(*gateway.Config)) *node {
	w.t.Helper()
	reg := prometheus.NewRegistry()
	cfg := gateway.Config{
		Connections:       w.e.Bucket(engine.BucketConnections),
		PlayerConnections: w.e.Bucket(engine.BucketPlayerConnections),
		Conn:              w.e.Conn(),
		Leases:            engine.NewLeases(w.e.Bucket(engine.BucketLeases), id, nil),
		NodeID:            id,
		Auth:              auth{w.ids},
		Matchmaking:       w.mm,
		Registerer:        reg,
		Logger:            slog.New(slog.DiscardHandler),
	}
	if adjust != nil {
		adjust(&cfg)
	}
	g, err := gateway.New(cfg)
	if err != nil {
		w.t.Fatalf("gateway.New: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ws", g)
	pub := httptest.NewServer(mux)
	admin := httptest.NewServer(g.ConnectionsHandler(operatorCredentials, false))
	ctx, cancel := context.WithCancel(context.Background())
	n := &node{g: g, id: id, wsURL: "ws" + strings.TrimPrefix(pub.URL, "http") + "/ws", admin: admin, reg: reg, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(n.done)
		if err := g.Run(ctx); err != nil {
			w.t.Errorf("Run %s: %v", id, err)
		}
	}()
	w.t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), wait)
		defer scancel()
		_ = g.Shutdown(sctx)
		cancel()
		<-n.done
		pub.Close()
		admin.Close()
	})
	eventually(w.t, "gateway "+id+" ready", g.Ready)
	return n
}

// crash stops the node's Run without Shutdown, as if the process died:
// its lease is no longer renewed and its records stay.
func (n *node) crash() {
	n.cancel()
	<-n.done
}

// eventually polls cond until it holds or the wait runs out.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// client is a player's socket (coder/websocket, the library the Go
// client SDK uses).
type client struct {
	t  *testing.T
	c  *websocket.Conn
	hs *http.Response
}

type dialOpts struct {
	header    http.Header
	protocols []string
	query     string
	url       string // whole URL, overriding the node's
}

func (n *node) dial(t *testing.T, o dialOpts) (*client, *http.Response, error) {
	t.Helper()
	u := n.wsURL
	if o.url != "" {
		u = o.url
	}
	if o.query != "" {
		u += "?" + o.query
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPHeader: o.header, Subprotocols: o.protocols})
	if err != nil {
		return nil, resp, err
	}
	c.SetReadLimit(1 << 20)
	cl := &client{t: t, c: c, hs: resp}
	t.Cleanup(func() { _ = c.CloseNow() })
	return cl, resp, nil
}

// connect dials as p with a bearer token.
func (n *node) connect(t *testing.T, p player) *client {
	t.Helper()
	c, resp, err := n.dial(t, dialOpts{header: http.Header{"Authorization": {"Bearer " + p.token}}})
	if err != nil {
		t.Fatalf("dial %s as %s: %v (%v)", n.id, p.id, err, status(resp))
	}
	return c
}

func status(resp *http.Response) string {
	if resp == nil {
		return "no response"
	}
	b, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("HTTP %d %s", resp.StatusCode, b)
}

// send writes a text frame.
func (c *client) send(v any) {
	c.t.Helper()
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			c.t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.c.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read reads one text frame.
func (c *client) read() []byte {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	typ, b, err := c.c.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if typ != websocket.MessageText {
		c.t.Fatalf("read a %v frame, want text", typ)
	}
	return b
}

// replyMsg is a reply as a client decodes it.
type replyMsg struct {
	RequestID json.RawMessage `json:"requestId"`
	OK        bool            `json:"ok"`
	Ticket    map[string]any  `json:"ticket"`
	Error     *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// call sends a frame and reads the reply.
func (c *client) call(v any) replyMsg {
	c.t.Helper()
	c.send(v)
	var r replyMsg
	b := c.read()
	if err := json.Unmarshal(b, &r); err != nil {
		c.t.Fatalf("reply %s: %v", b, err)
	}
	return r
}

// ping checks the socket answers.
func (c *client) ping() {
	c.t.Helper()
	if r := c.call(map[string]any{"action": "ping", "requestId": "p"}); !r.OK {
		c.t.Fatalf("ping: %+v", r)
	}
}

// closed reads until the server closes the socket and returns the close
// code and reason.
func (c *client) closed() (websocket.StatusCode, string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for {
		_, _, err := c.c.Read(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code, ce.Reason
		}
		c.t.Fatalf("socket ended without a close frame: %v", err)
	}
}

func (c *client) expectClose(code websocket.StatusCode, reason string) {
	c.t.Helper()
	gotCode, gotReason := c.closed()
	if gotCode != code || gotReason != reason {
		c.t.Fatalf("closed with %d %q, want %d %q", gotCode, gotReason, code, reason)
	}
}

// records returns the connection records in the bucket, by id.
func (w *world) records() map[string]map[string]any {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	kv := w.e.Bucket(engine.BucketConnections)
	keys, err := kv.Keys(ctx)
	out := map[string]map[string]any{}
	if err != nil {
		return out // no keys
	}
	for _, k := range keys {
		e, err := kv.Get(ctx, k)
		if err != nil {
			continue
		}
		var m map[string]any
		_ = json.Unmarshal(e.Value(), &m)
		out[k] = m
	}
	return out
}

// playerConnections returns the connection ids recorded for a player.
func (w *world) playerConnections(id string) []string {
	w.t.Helper()
	e, err := w.e.Bucket(engine.BucketPlayerConnections).Get(context.Background(), base64.RawURLEncoding.EncodeToString([]byte(id)))
	if err != nil {
		return nil
	}
	var v struct {
		Connections []string `json:"connections"`
	}
	_ = json.Unmarshal(e.Value(), &v)
	return v.Connections
}

// recordsOf returns the ids of the records naming player.
func (w *world) recordsOf(playerID string) []string {
	var ids []string
	for id, r := range w.records() {
		if r["playerId"] == playerID {
			ids = append(ids, id)
		}
	}
	return ids
}

// raw is a hand-driven client socket, for frames a WebSocket library
// would refuse to send.
type raw struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
	mu sync.Mutex
}

func (n *node) dialRaw(t *testing.T, p player) *raw {
	t.Helper()
	u := strings.TrimPrefix(n.wsURL, "ws://")
	host, path, _ := strings.Cut(u, "/")
	nc, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	fmt.Fprintf(nc, "GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n", path, host, p.token)
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("raw upgrade: %s", status(resp))
	}
	return &raw{t: t, nc: nc, br: br}
}

// frame writes one masked frame.
func (r *raw) frame(fin bool, op ws.OpCode, payload []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	mask := [4]byte{1, 2, 3, 4}
	h := ws.Header{Fin: fin, OpCode: op, Masked: true, Mask: mask, Length: int64(len(payload))}
	p := append([]byte(nil), payload...)
	ws.Cipher(p, mask, 0)
	if err := ws.WriteHeader(r.nc, h); err != nil {
		return err
	}
	_, err := r.nc.Write(p)
	return err
}

// closed reads frames until a close frame and returns its code and reason.
func (r *raw) closed() (int, string) {
	r.t.Helper()
	_ = r.nc.SetReadDeadline(time.Now().Add(wait))
	for {
		f, err := ws.ReadFrame(r.br)
		if err != nil {
			r.t.Fatalf("raw socket ended without a close frame: %v", err)
		}
		if f.Header.OpCode == ws.OpClose {
			if len(f.Payload) < 2 {
				return 1005, ""
			}
			return int(binary.BigEndian.Uint16(f.Payload)), string(f.Payload[2:])
		}
	}
}

func (r *raw) expectClose(code int, reason string) {
	r.t.Helper()
	gotCode, gotReason := r.closed()
	if gotCode != code || gotReason != reason {
		r.t.Fatalf("closed with %d %q, want %d %q", gotCode, gotReason, code, reason)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
