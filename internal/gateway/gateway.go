package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/matchmaking"
	"github.com/rallypoint/rallypoint/internal/sigv4"
)

// Principal is who a token or a set of temporary credentials stands for.
// IdentityID is the player id.
type Principal struct {
	IdentityID string
	Expires    time.Time
}

// Authenticator checks what a client upgrades with. An error that wraps
// ErrExpired refuses the upgrade with 401; any other error with 403.
type Authenticator interface {
	// VerifyToken checks a bearer OpenID token.
	VerifyToken(ctx context.Context, token string) (Principal, error)
	// SessionCredentials returns the temporary credentials of an access
	// key, for checking a presigned SigV4 URL, and who they belong to.
	SessionCredentials(ctx context.Context, accessKeyID, sessionToken string) (sigv4.Credentials, Principal, error)
}

// Matchmaker is what the built-in actions call; *matchmaking.Service
// satisfies it.
type Matchmaker interface {
	StartMatchmaking(ctx context.Context, in matchmaking.StartInput) (matchmaking.Ticket, error)
	Tickets(ctx context.Context, ids []string) ([]matchmaking.Ticket, error)
	StopMatchmaking(ctx context.Context, id string) error
	AcceptMatch(ctx context.Context, ticketID string, playerIDs []string, acceptanceType string) error
}

// Config wires a Gateway. Zero limits take the defaults named beside them.
type Config struct {
	// Connections is rp_connections (connection id -> record);
	// PlayerConnections is rp_player_connections (base64url player id ->
	// connection ids).
	Connections, PlayerConnections jetstream.KeyValue
	// Conn is core NATS: the subject rp.gw.<node> carries pushes, sends,
	// describes and closes for the sockets this node holds.
	Conn *nats.Conn
	// Leases holds this node's lease "gateway.<node>", whose expiry tells
	// the other nodes to sweep its records.
	Leases *engine.Leases
	NodeID string

	Auth        Authenticator
	Matchmaking Matchmaker
	// Resume returns the frame to send first to a player who connects
	// (the latest event of its ticket), if any. Nil means none.
	Resume func(ctx context.Context, playerID string) ([]byte, bool)
	// Locations lists where a matchmaking configuration places its
	// matches, with each location's ping beacon, for the built-in action
	// describeLocations; nil leaves the action unanswered. Its errors are
	// matchmaking.Error kinds.
	Locations func(ctx context.Context, configurationName string) ([]Location, error)
	// Routes maps route keys ("chat", "$default", "$connect",
	// "$disconnect") to HTTP integration URLs.
	Routes map[string]string

	IdleTimeout        time.Duration // no frame from the client for this long: close; default 10 min
	MaxDuration        time.Duration // a connection's longest life; default 2 h
	MaxFrameBytes      int           // default 32 KiB
	MaxMessageBytes    int           // default 128 KiB
	MessageRate        float64       // messages per second per connection; default 20
	MessageBurst       int           // default 40
	IntegrationTimeout time.Duration // default 29 s, as API Gateway
	// MaxQueueBytes bounds what may wait to be written to one socket; a
	// client that lets more pile up is closed as a slow consumer. Default
	// 1 MiB.
	MaxQueueBytes int
	// WriteTimeout bounds one write to a socket. Default 10 s.
	WriteTimeout time.Duration
	// LeaseTTL is the node lease's time to live; a node that crashed has
	// its records swept about this long after. Default 15 s.
	LeaseTTL time.Duration
	// SweepInterval is how often one node (the holder of lease
	// "gateway.sweeper") looks for records of dead nodes. Default LeaseTTL.
	SweepInterval time.Duration
	// RequestTimeout bounds a request to another node (send, describe,
	// close). Default 5 s.
	RequestTimeout time.Duration

	// Now is the clock the time limits and credentials' expiry are judged
	// by; nil means time.Now.
	Now func() time.Time

	HTTPClient *http.Client
	Registerer prometheus.Registerer // nil: metrics are kept but not exported
	Logger     *slog.Logger
}

// Location is a place a configuration's matches may be placed, and the
// UDP ping beacon clients measure their latency to it with (BeaconHost is
// empty when the location declares none).
type Location struct {
	Name       string
	BeaconHost string
	BeaconPort int
}

// Errors of Send, PushToPlayer, Describe and Disconnect.
var (
	// ErrGone means the connection (or every connection of the player)
	// is not there.
	ErrGone = errors.New("gateway: connection is gone")
	// ErrLimitExceeded means the client did not read what was sent to it
	// fast enough; the connection is closed as a slow consumer.
	ErrLimitExceeded = errors.New("gateway: client is not reading fast enough")
	// ErrExpired is what an Authenticator's error wraps when the token or
	// credentials have expired (401 rather than 403).
	ErrExpired = errors.New("gateway: credentials expired")
)

// Gateway is the player WebSocket gateway of one node.
type Gateway struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	subject string
	tick    time.Duration

	ready   atomic.Bool // Run has subscribed and swept; upgrades are accepted
	readers sync.WaitGroup

	// lastFullSweep is when this node last read every record as the
	// sweeper; only Run's goroutine touches it.
	lastFullSweep time.Time

	mu       sync.RWMutex     // guards the fields below
	conns    map[string]*conn // the sockets this node holds, by connection id
	shutdown bool
}

// New checks cfg, fills in defaults and returns the Gateway. Run must be
// running for it to accept upgrades.
func New(cfg Config) (*Gateway, error) {
	switch {
	case cfg.Connections == nil || cfg.PlayerConnections == nil:
		return nil, errors.New("gateway: the Connections and PlayerConnections buckets are required")
	case cfg.Conn == nil || cfg.Leases == nil:
		return nil, errors.New("gateway: the NATS connection and the lease client are required")
	case !engine.ValidNodeID(cfg.NodeID):
		return nil, fmt.Errorf("gateway: node id %q is not valid", cfg.NodeID)
	case cfg.Auth == nil:
		return nil, errors.New("gateway: an Authenticator is required")
	}
	for key, u := range cfg.Routes {
		if key == "" || u == "" {
			return nil, fmt.Errorf("gateway: route %q has no integration URL", key)
		}
	}
	defaultDuration(&cfg.IdleTimeout, 10*time.Minute)
	defaultDuration(&cfg.MaxDuration, 2*time.Hour)
	defaultDuration(&cfg.IntegrationTimeout, 29*time.Second)
	defaultDuration(&cfg.WriteTimeout, 10*time.Second)
	defaultDuration(&cfg.LeaseTTL, 15*time.Second)
	defaultDuration(&cfg.SweepInterval, cfg.LeaseTTL)
	defaultDuration(&cfg.RequestTimeout, 5*time.Second)
	defaultInt(&cfg.MaxFrameBytes, 32<<10)
	defaultInt(&cfg.MaxMessageBytes, 128<<10)
	defaultInt(&cfg.MessageBurst, 40)
	defaultInt(&cfg.MaxQueueBytes, 1<<20)
	if cfg.MessageRate <= 0 {
		cfg.MessageRate = 20
	}
	if cfg.MaxFrameBytes > cfg.MaxMessageBytes {
		cfg.MaxFrameBytes = cfg.MaxMessageBytes
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	g := &Gateway{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "gateway", "node", cfg.NodeID),
		metrics: m,
		subject: nodeSubject(cfg.NodeID),
		conns:   make(map[string]*conn),
	}
	// One ticker serves every socket's time limits; its period is a small
	// fraction of the shortest limit, and never more than a second.
	g.tick = min(cfg.IdleTimeout, cfg.MaxDuration) / 8
	g.tick = max(min(g.tick, time.Second), 10*time.Millisecond)
	return g, nil
}

func defaultDuration(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

func defaultInt(n *int, def int) {
	if *n <= 0 {
		*n = def
	}
}

func nodeSubject(node string) string { return "rp.gw." + node }

func nodeLease(node string) string { return "gateway." + node }

// sweeperLease names the lease whose holder sweeps dead nodes' records.
const sweeperLease = "gateway.sweeper"

// Run subscribes to rp.gw.<node>, holds the lease "gateway.<node>",
// removes records a previous run of this node left, then accepts upgrades,
// enforces the sockets' time limits and sweeps dead nodes' records until
// ctx ends. It does not close the sockets: call Shutdown first.
func (g *Gateway) Run(ctx context.Context) error {
	sub, err := g.cfg.Conn.Subscribe(g.subject, g.onNodeMessage)
	if err != nil {
		return fmt.Errorf("gateway: subscribe %s: %w", g.subject, err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := g.cfg.Conn.FlushTimeout(g.cfg.RequestTimeout); err != nil {
		return fmt.Errorf("gateway: subscribe %s: %w", g.subject, err)
	}
	held, err := g.cfg.Leases.Hold(ctx, nodeLease(g.cfg.NodeID), g.cfg.LeaseTTL)
	if err != nil {
		return fmt.Errorf("gateway: hold the node lease (is another node running as %s?): %w", g.cfg.NodeID, err)
	}
	if err := g.sweepNode(ctx, g.cfg.NodeID); err != nil {
		g.log.Warn("could not remove the records of this node's previous run", "error", err)
	}
	g.ready.Store(true)
	defer g.ready.Store(false)

	limits := time.NewTicker(g.tick)
	defer limits.Stop()
	sweeps := time.NewTicker(g.cfg.SweepInterval)
	defer sweeps.Stop()
	lost := held.Lost()
	for {
		select {
		case <-ctx.Done():
			if g.closedDown() {
				// Every socket is closed and its records gone: let another
				// run of this node, or nobody, have the lease at once.
				_ = held.Release(context.WithoutCancel(ctx))
			}
			return nil
		case <-limits.C:
			g.enforceLimits(g.cfg.Now())
		case <-sweeps.C:
			g.sweep(ctx)
		case <-lost:
			lost = nil
			g.log.Warn("node lease lost; taking it back")
		}
		if lost == nil && ctx.Err() == nil {
			// Another node may have swept this node's records while the
			// lease was lost: take it back, then write them again.
			h, err := g.cfg.Leases.Hold(ctx, nodeLease(g.cfg.NodeID), g.cfg.LeaseTTL)
			if err != nil {
				continue
			}
			held, lost = h, h.Lost()
			g.reassert(ctx)
		}
	}
}

// closedDown reports whether Shutdown has run and no socket is left.
func (g *Gateway) closedDown() bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.shutdown && len(g.conns) == 0
}

// Ready reports whether the gateway accepts upgrades: Run has subscribed
// to its subject and taken its lease, and Shutdown has not been called.
func (g *Gateway) Ready() bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.ready.Load() && !g.shutdown
}

// enforceLimits closes the sockets past their idle timeout, maximum
// duration or credentials' expiry.
func (g *Gateway) enforceLimits(now time.Time) {
	type closing struct {
		c      *conn
		code   int
		reason string
	}
	var due []closing
	g.mu.RLock()
	for _, c := range g.conns {
		switch {
		case !c.expires.IsZero() && !now.Before(c.expires):
			due = append(due, closing{c, closePolicy, reasonTokenExpired})
		case now.Sub(c.connectedAt) >= g.cfg.MaxDuration:
			due = append(due, closing{c, closeGoingAway, reasonMaxDuration})
		case now.Sub(c.lastActiveAt()) >= g.cfg.IdleTimeout:
			due = append(due, closing{c, closeGoingAway, reasonIdle})
		}
	}
	g.mu.RUnlock()
	for _, d := range due {
		d.c.close(d.code, d.reason)
	}
}

// local returns the socket this node holds for id, if any.
func (g *Gateway) local(id string) (*conn, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	c, ok := g.conns[id]
	return c, ok
}

// Shutdown closes every socket with 1001 "server shutting down" and waits
// until each has run $disconnect and had its records removed, or ctx
// ends. Upgrades are refused from the moment it is called.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.mu.Lock()
	g.shutdown = true
	all := make([]*conn, 0, len(g.conns))
	for _, c := range g.conns {
		all = append(all, c)
	}
	g.mu.Unlock()
	for _, c := range all {
		c.close(closeGoingAway, reasonShutdown)
	}
	done := make(chan struct{})
	go func() {
		g.readers.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("gateway: shutdown: %d sockets still closing: %w", g.openCount(), ctx.Err())
	}
}

func (g *Gateway) openCount() int {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.conns)
}
