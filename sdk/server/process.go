package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// A Process is one game server process's session with the service: its
// WebSocket connection, kept up across drops, and the state GameLift's SDK
// keeps (ready or not, the current game session, the termination time).
//
// Make one with Connect; end it with Destroy. Its methods are safe for
// concurrent use, and several Processes can live in one Go program.
type Process struct {
	processID, hostID, fleetID string
	cfg                        config
	log                        *slog.Logger

	// ctx ends when Destroy is called; every goroutine of the Process
	// watches it. wg counts them, and Destroy waits for it. Game callbacks
	// are not counted: a callback may call Destroy.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// beating is held while a heartbeat is on the wire, so that
	// ProcessEnding can wait for its reply: the service handles a socket's
	// requests concurrently, and a heartbeat it handled after
	// TerminateServerProcess would fail against the ended process.
	beating sync.Mutex

	// mu guards everything below.
	mu sync.Mutex
	// conn is the connection requests go out on; nil while redialing. gen
	// numbers connections so that a drop fails only the requests sent on the
	// connection that dropped.
	conn *websocket.Conn
	gen  uint64
	// url and token are what the next dial uses; RefreshConnection changes
	// them.
	url, token string
	// changed is closed (and replaced) whenever conn or closedErr changes,
	// waking calls that wait for a connection.
	changed chan struct{}
	// closedErr, once set, ends the session: ErrDestroyed or
	// ErrClosedByService.
	closedErr error
	// pending are the requests waiting for replies, by RequestId.
	pending map[string]*call
	// timeouts counts calls in a row that timed out on a connection.
	timeouts int

	params          ProcessParameters
	ready           bool
	gameSessionID   string
	terminationTime time.Time
	// stopHeartbeats ends the heartbeat goroutine; nil when none runs.
	stopHeartbeats context.CancelFunc
	roleCache      map[string]GetFleetRoleCredentialsResult
}

// Connect dials the service at p.WebSocketURL as process p.ProcessID of
// compute p.HostID in fleet p.FleetID, retrying with backoff until ctx ends
// (or for DefaultConnectTimeout if ctx has no deadline). A refusal of the
// AuthToken (HTTP 401 or 403) is not retried.
//
// Once connected, the Process redials by itself whenever the connection
// drops, until Destroy.
func Connect(ctx context.Context, p ServerParameters, opts ...Option) (*Process, error) {
	if err := validateServerParameters(p); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	cfg := newConfig(opts)
	proc := &Process{
		processID: p.ProcessID,
		hostID:    p.HostID,
		fleetID:   p.FleetID,
		cfg:       cfg,
		log:       cfg.logger.With("process", p.ProcessID, "fleet", p.FleetID, "compute", p.HostID),
		url:       p.WebSocketURL,
		token:     p.AuthToken,
		changed:   make(chan struct{}),
		pending:   make(map[string]*call),
		roleCache: make(map[string]GetFleetRoleCredentialsResult),
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultConnectTimeout)
		defer cancel()
	}
	conn, err := proc.dialRetry(ctx, p.WebSocketURL, p.AuthToken)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redact(p.WebSocketURL), err)
	}
	proc.ctx, proc.cancel = context.WithCancel(context.Background())
	proc.mu.Lock()
	proc.install(conn)
	proc.mu.Unlock()
	proc.log.Info("connected", "url", redact(p.WebSocketURL))
	return proc, nil
}

// Destroy ends the session: it stops heartbeats, fails calls still waiting
// with ErrDestroyed, closes the connection with status 1000, stops
// reconnecting and waits for the Process's goroutines to end. It does not
// tell the service the process is ending; call ProcessEnding first for that.
//
// Destroy does not wait for game callbacks that are running, since one of
// them may be what called it; their later calls fail with ErrDestroyed. It
// may be called more than once.
func (p *Process) Destroy() error {
	p.mu.Lock()
	if p.closedErr == ErrDestroyed {
		p.mu.Unlock()
		return nil
	}
	p.closedErr = ErrDestroyed
	conn := p.conn
	p.conn = nil
	p.failPending(func(*call) bool { return true }, ErrDestroyed)
	p.broadcast()
	if p.stopHeartbeats != nil {
		p.stopHeartbeats()
		p.stopHeartbeats = nil
	}
	p.ready = false
	p.mu.Unlock()

	// Close before cancel: a write cut short by cancel would drop the
	// connection without the close handshake.
	if conn != nil {
		if err := conn.Close(websocket.StatusNormalClosure, "process destroyed"); err != nil {
			p.log.Debug("close on destroy", "err", err)
		}
	}
	p.cancel()
	p.wg.Wait()
	p.log.Info("destroyed")
	return nil
}

// broadcast wakes everything waiting on changed. Call with mu held.
func (p *Process) broadcast() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// go runs f as a goroutine of the Process, waited for by Destroy.
func (p *Process) goTracked(f func()) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f()
	}()
}
