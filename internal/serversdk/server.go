// Package serversdk is the service side of the GameLift server SDK 5.x
// protocol: game server processes on registered computes open a WebSocket
// here (the GameLiftServiceSdkEndpoint that RegisterCompute returns),
// authenticated by a compute auth token, and exchange the SDK's JSON
// messages over it. The package translates those messages into package
// fleet's operations and fleet's pushes into messages; fleet decides and
// stores everything.
//
// A process is known by (fleet, compute, process id), not by its socket:
// a process that reconnects, or moves to a fresh socket on
// RefreshConnection, keeps its state. Pushes reach the socket through the
// Router, whichever node holds it.
package serversdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/rallypoint/rallypoint/internal/fleet"
)

// Config wires a Server.
type Config struct {
	Fleets *fleet.Service
	Router *Router
	// MaxMessageBytes bounds one incoming frame. Default 1 MiB.
	MaxMessageBytes int64
	// MaxInFlight bounds the requests one socket may have being handled at
	// once. Default 16.
	MaxInFlight int
	// RefreshLead is how long before a socket's token expires the process
	// is sent RefreshConnection with a fresh token. Default a quarter of
	// the token's lifetime, at most 10 minutes.
	RefreshLead time.Duration
	// Backfill serves StartMatchBackfill and StopMatchBackfill; nil
	// answers that the matchmaking configuration does not exist.
	Backfill Backfiller
	// Metrics, if set, counts connections, requests and pushes.
	Metrics *Metrics
	Now     func() time.Time
	Logger  *slog.Logger
}

// Backfiller runs match backfill requests from game servers.
type Backfiller interface {
	StartMatchBackfill(ctx context.Context, from fleet.ProcessRef, gameSessionARN, configurationARN, ticketID string, players []byte) (string, error)
	StopMatchBackfill(ctx context.Context, from fleet.ProcessRef, gameSessionARN, configurationARN, ticketID string) error
}

// Server accepts server SDK connections. It is an http.Handler.
type Server struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex // guards conns and closed
	conns  map[*conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// New returns a Server.
func New(cfg Config) (*Server, error) {
	if cfg.Fleets == nil || cfg.Router == nil {
		return nil, errors.New("serversdk: Fleets and Router are required")
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 1 << 20
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 16
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, log: cfg.Logger.With("component", "serversdk"), conns: make(map[*conn]struct{})}, nil
}

// ServeHTTP authenticates the upgrade and runs the connection. A missing
// parameter is 400, a bad or foreign token 403: the SDKs have no in-band
// way to learn why, so the reason is in the body and the log.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ref := fleet.ProcessRef{FleetID: q.Get("FleetId"), Compute: q.Get("ComputeId"), ProcessID: q.Get("pID")}
	token := q.Get("Authorization")
	for name, v := range map[string]string{"FleetId": ref.FleetID, "ComputeId": ref.Compute, "pID": ref.ProcessID, "Authorization": token} {
		if v == "" {
			s.cfg.Metrics.refusal(http.StatusBadRequest)
			http.Error(w, "missing query parameter "+name+": the server SDK sends pID, ComputeId, FleetId and Authorization", http.StatusBadRequest)
			return
		}
	}
	if token == "SigV4" {
		s.cfg.Metrics.refusal(http.StatusForbidden)
		http.Error(w, "SigV4-signed server SDK connections are not supported: pass the compute auth token from GetComputeAuthToken as AuthToken", http.StatusForbidden)
		return
	}
	compute, expires, err := s.cfg.Fleets.ConnectProcess(r.Context(), ref, token)
	if err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, fleet.ErrForbidden) {
			status = http.StatusForbidden
		}
		s.cfg.Metrics.refusal(status)
		s.log.Info("server SDK connection refused", "fleet", ref.FleetID, "compute", ref.Compute, "process", ref.ProcessID, "remote", r.RemoteAddr, "error", err)
		http.Error(w, err.Error(), status)
		return
	}
	// Game servers are not browsers, and the token in the query, not a
	// cookie, authenticates them: an Origin header (some WebSocket client
	// libraries send one) is no reason to refuse them.
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		s.log.Info("server SDK upgrade failed", "remote", r.RemoteAddr, "error", err)
		return
	}
	ws.SetReadLimit(s.cfg.MaxMessageBytes)
	c := &conn{
		srv:      s,
		ws:       ws,
		ref:      ref,
		compute:  compute,
		expires:  expires,
		language: q.Get("sdkLanguage"),
		version:  q.Get("sdkVersion"),
		id:       uuid.NewString(), // unique across nodes, for supersede messages
		sem:      make(chan struct{}, s.cfg.MaxInFlight),
	}
	if !s.track(c) {
		ws.Close(websocket.StatusServiceRestart, "rallypoint is shutting down")
		return
	}
	defer s.untrack(c)
	s.cfg.Metrics.connected(1)
	defer s.cfg.Metrics.connected(-1)
	c.run(r.Context())
}

func (s *Server) track(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// Close closes every socket with 1012 (service restart), which the SDKs
// answer by reconnecting (to another node, or to this one once it is
// back), and waits for the connections to end.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.ws.Close(websocket.StatusServiceRestart, "rallypoint node is shutting down")
	}
	s.wg.Wait()
}

// conn is one server SDK socket.
type conn struct {
	srv      *Server
	ws       *websocket.Conn
	ref      fleet.ProcessRef
	compute  fleet.Compute
	language string
	version  string
	id       string
	sem      chan struct{}

	writeMu sync.Mutex // serialises frames

	expires time.Time // of the token the socket was opened with

	mu  sync.Mutex // guards sub
	sub *nats.Subscription
}

func (c *conn) log() *slog.Logger {
	return c.srv.log.With("fleet", c.ref.FleetID, "compute", c.ref.Compute, "process", c.ref.ProcessID)
}

func (c *conn) run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.log().Info("server SDK connected", "sdk_language", c.language, "sdk_version", c.version)
	if err := c.subscribe(); err != nil {
		c.log().Error("cannot route pushes to this socket", "error", err)
		c.ws.Close(websocket.StatusInternalError, "rallypoint could not subscribe this process to pushes")
		return
	}
	defer c.unsubscribe()
	c.resendPending(ctx)

	var handlers sync.WaitGroup
	defer func() {
		cancel() // stops the refresh loop and in-flight handlers' writes
		handlers.Wait()
	}()
	handlers.Add(1)
	go func() {
		defer handlers.Done()
		c.refreshLoop(ctx)
	}()
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			status := websocket.CloseStatus(err)
			c.log().Info("server SDK disconnected", "close_status", int(status), "error", err)
			return
		}
		if typ != websocket.MessageText {
			continue // the protocol ignores other frames
		}
		select {
		case c.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		handlers.Add(1)
		go func() {
			defer handlers.Done()
			defer func() { <-c.sem }()
			c.handle(ctx, data)
		}()
	}
}

// write sends one frame.
func (c *conn) write(ctx context.Context, frame []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.writeFrame(ctx, frame)
}

// writeFrame sends one frame; the caller holds writeMu.
func (c *conn) writeFrame(ctx context.Context, frame []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, frame)
}

// subscribe routes the process's pushes to this socket, and tells any
// older socket of the same process (on any node) to stop taking them.
func (c *conn) subscribe() error {
	nc := c.srv.cfg.Router.nc
	sub, err := nc.Subscribe(subject(c.ref), c.onRouted)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.sub = sub
	c.mu.Unlock()
	msg := nats.NewMsg(subject(c.ref))
	msg.Header.Set(hdrKind, kindSupersede)
	msg.Header.Set(hdrConn, c.id)
	return nc.PublishMsg(msg)
}

func (c *conn) unsubscribe() {
	c.mu.Lock()
	sub := c.sub
	c.sub = nil
	c.mu.Unlock()
	if sub != nil {
		_ = sub.Unsubscribe()
	}
}

// onRouted receives what the Router sends to this process.
func (c *conn) onRouted(m *nats.Msg) {
	switch m.Header.Get(hdrKind) {
	case kindSupersede:
		if m.Header.Get(hdrConn) != c.id {
			// A newer socket took over; this one still answers the
			// requests that arrive on it until the SDK closes it.
			c.unsubscribe()
		}
	case kindPush:
		var p fleet.Push
		err := json.Unmarshal(m.Data, &p)
		if err == nil {
			err = c.sendPush(context.Background(), p)
		}
		var resp []byte
		if err != nil {
			resp = []byte(err.Error())
		}
		_ = m.Respond(resp)
	}
}

func (c *conn) sendPush(ctx context.Context, p fleet.Push) error {
	frame, err := encodePush(p)
	if err != nil {
		return err
	}
	if err := c.write(ctx, frame); err != nil {
		return fmt.Errorf("write %s: %w", p.Kind, err)
	}
	c.srv.cfg.Metrics.pushed(string(p.Kind))
	c.log().Debug("pushed", "push", string(p.Kind))
	return nil
}

// resendPending repeats pushes a reconnecting process may have missed.
func (c *conn) resendPending(ctx context.Context) {
	pushes, err := c.srv.cfg.Fleets.PendingPushes(ctx, c.ref)
	if err != nil {
		c.log().Warn("cannot read pending pushes", "error", err)
		return
	}
	for _, p := range pushes {
		if err := c.sendPush(ctx, p); err != nil {
			c.log().Info("pending push not delivered", "push", string(p.Kind), "error", err)
		}
	}
}

// refreshLoop sends RefreshConnection with a fresh token before the
// socket's token expires, and again each minute for as long as the process
// stays on this socket: the SDKs move to a new socket and close this one
// when they act on it, and do not retry a refresh that failed.
func (c *conn) refreshLoop(ctx context.Context) {
	next := c.expires.Add(-c.refreshLead(c.expires))
	for {
		t := time.NewTimer(next.Sub(c.srv.cfg.Now()))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if err := c.refresh(ctx); err != nil && ctx.Err() == nil {
			c.log().Warn("could not send RefreshConnection; retrying in a minute", "error", err)
		}
		next = c.srv.cfg.Now().Add(refreshRetry)
	}
}

// refreshRetry is how long a process that was sent RefreshConnection has to
// move before it is sent another.
const refreshRetry = time.Minute

func (c *conn) refreshLead(expires time.Time) time.Duration {
	if lead := c.srv.cfg.RefreshLead; lead > 0 {
		return lead
	}
	lead := expires.Sub(c.srv.cfg.Now()) / 4
	return min(lead, 10*time.Minute)
}

func (c *conn) refresh(ctx context.Context) error {
	t, err := c.srv.cfg.Fleets.IssueComputeAuthToken(ctx, c.ref.FleetID, c.ref.Compute)
	if err != nil {
		return err
	}
	frame, err := json.Marshal(refreshConnectionPush{
		Action:                    "RefreshConnection",
		StatusCode:                200,
		RefreshConnectionEndpoint: c.srv.cfg.Fleets.ServiceSDKEndpoint(),
		AuthToken:                 t.Token,
	})
	if err != nil {
		return err
	}
	if err := c.write(ctx, frame); err != nil {
		return err
	}
	c.srv.cfg.Metrics.pushed("RefreshConnection")
	c.log().Info("sent RefreshConnection", "token_expires", t.Expires)
	return nil
}
