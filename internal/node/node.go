// Package node assembles one rallypoint process: the engine, the domain
// services, and the two HTTP listeners (public, for players and game
// servers; admin, for the control plane, metrics and health). The serve
// command is a thin shell around it, and tests start real nodes with it.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rallypoint/rallypoint/internal/api"
	"github.com/rallypoint/rallypoint/internal/buildinfo"
	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/events"
	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/gateway"
	"github.com/rallypoint/rallypoint/internal/identity"
	"github.com/rallypoint/rallypoint/internal/matchmaking"
	"github.com/rallypoint/rallypoint/internal/placement"
	"github.com/rallypoint/rallypoint/internal/serversdk"
	"github.com/rallypoint/rallypoint/internal/sigv4"
	"github.com/rallypoint/rallypoint/sdk/beacon"
)

// Config is everything a node needs to start.
type Config struct {
	DataDir     string
	Listen      string // public listener, host:port
	AdminListen string // control plane, metrics, health
	NATSURL     string // external NATS; empty embeds one
	NATSListen  string // embedded NATS client port; empty means none
	// NATSReplicas is the replication factor of buckets and streams on an
	// external cluster (1 when zero).
	NATSReplicas int
	NodeID       string
	// PublicURL is the base URL game servers and players reach the public
	// listener at (ws:// or wss://); empty derives it from Listen.
	PublicURL string
	// Region is the home region name used in ARNs.
	Region     string
	AccessKeys []sigv4.Credentials
	// InsecureDev accepts unsigned control-plane calls.
	InsecureDev bool
	// Profiling serves Go's profiles (net/http/pprof) at /debug/pprof/ on
	// the admin listener.
	Profiling bool
	// ComputeAuthTokenTTL is how long GetComputeAuthToken tokens last.
	ComputeAuthTokenTTL time.Duration
	// Session timing; zero means GameLift's defaults (see fleet.Config).
	ReservationTimeout time.Duration
	ActivationTimeout  time.Duration
	HeartbeatTimeout   time.Duration
	SessionRetention   time.Duration
	// PlacementRetention is how long ended placements stay readable; zero
	// means an hour.
	PlacementRetention time.Duration
	// TicketRetention is how long ended matchmaking tickets stay readable;
	// zero means an hour.
	TicketRetention time.Duration
	// MatchmakingInterval is the time between two matchmaking cycles of a
	// configuration; zero means a second.
	MatchmakingInterval time.Duration
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// on shutdown. Zero means 10 s.
	ShutdownTimeout time.Duration
	Logger          *slog.Logger
	// PingBeacon is a UDP host:port on which the node answers the probes
	// game clients measure their latency with (sdk/beacon), for a location
	// whose beacon is this machine. Empty runs no beacon.
	PingBeacon string
	// Players configures the identity pool and the player gateway.
	Players PlayersConfig
}

// PlayersConfig holds the identity pool's and the player gateway's
// settings; zero values mean the defaults of identity.Config and
// gateway.Config.
type PlayersConfig struct {
	// TokenIssuer is the iss of player tokens; empty means the public
	// URL as http(s)://.
	TokenIssuer    string
	TokenTTL       time.Duration
	CredentialsTTL time.Duration
	KeyRotation    time.Duration
	// OIDCIssuers maps login provider names to issuer URLs that are not
	// https://<name>.
	OIDCIssuers     map[string]string
	IdleTimeout     time.Duration
	MaxDuration     time.Duration
	MaxFrameBytes   int
	MaxMessageBytes int
	MessageRate     float64
	MessageBurst    int
	// Routes binds socket routes ("chat", "$default", "$connect",
	// "$disconnect") to HTTP integration URLs.
	Routes map[string]string
	// ResumeWindow is how long after a ticket ended its last event is
	// still sent to its player on connecting.
	ResumeWindow time.Duration
	// NotifierLeaseTTL bounds how long pushes wait for another node after
	// the notifier's node dies; zero means 10 s.
	NotifierLeaseTTL time.Duration
	// ClientRate and ClientBurst bound the public identity calls per
	// source address (identity.Config); a negative rate means no limit.
	ClientRate  float64
	ClientBurst int
}

// ServerSDKPath is where game servers connect with the server SDK on the
// public listener.
const ServerSDKPath = "/serversdk"

// GatewayPath is where players open their WebSocket on the public
// listener.
const GatewayPath = "/ws"

// Node is a running rallypoint process.
type Node struct {
	cfg      Config
	log      *slog.Logger
	engine   *engine.Engine
	lanes    lanes
	fleets   *fleet.Service
	places   *placement.Service
	matches  *matchmaking.Service
	targets  *events.Targets
	deliver  *events.Deliverer
	sdk      *serversdk.Server
	control  *api.Server
	ids      *identity.Service
	gw       *gateway.Gateway
	notifier *events.Notifier
	stopRun  context.CancelFunc
	public   *httpServer
	admin    *httpServer
	pubLn    net.Listener
	adminLn  net.Listener
	beaconLn net.PacketConn // the ping beacon's socket; nil when it runs none
	serveErr chan error
	wg       sync.WaitGroup

	mu       sync.Mutex
	shutdown bool
}

// lanes are the services' own connections to the engine (see engine.Lane);
// leases and the node's health checks use the engine's first connection.
type lanes struct {
	fleet, placement, matchmaking, identity, gateway, notifier *engine.Lane
}

// namedLane is one of a node's lanes and the name it is opened and
// counted under.
type namedLane struct {
	name string
	lane **engine.Lane
}

// named lists the lanes with their names.
func (l *lanes) named() []namedLane {
	return []namedLane{
		{"fleet", &l.fleet}, {"placement", &l.placement}, {"matchmaking", &l.matchmaking},
		{"identity", &l.identity}, {"gateway", &l.gateway}, {"notifier", &l.notifier},
	}
}

func (n *Node) openLanes(ctx context.Context) error {
	for _, l := range n.lanes.named() {
		var err error
		if *l.lane, err = n.engine.Lane(ctx, l.name); err != nil {
			return fmt.Errorf("start engine: %w", err)
		}
	}
	return nil
}

// laneMetrics count the messages each service sends to the engine and
// receives from it: requests and their replies, watch and consumer
// deliveries. Divided by the players served, they say where a player's
// engine work goes.
func (n *Node) laneMetrics() []prometheus.Collector {
	var cs []prometheus.Collector
	for _, l := range n.lanes.named() {
		conn := (*l.lane).Conn()
		labels := prometheus.Labels{"lane": l.name}
		cs = append(cs,
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name:        "rallypoint_engine_messages_sent_total",
				Help:        "Messages a service sent to the engine over its connection (lane).",
				ConstLabels: labels,
			}, func() float64 { return float64(conn.Stats().OutMsgs) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name:        "rallypoint_engine_messages_received_total",
				Help:        "Messages a service received from the engine over its connection (lane).",
				ConstLabels: labels,
			}, func() float64 { return float64(conn.Stats().InMsgs) }),
		)
	}
	return cs
}

// Start opens the engine, builds the services and starts both listeners.
// It returns once they accept connections.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.NodeID == "" {
		cfg.NodeID = engine.DefaultNodeID()
	}
	if !engine.ValidNodeID(cfg.NodeID) {
		return nil, fmt.Errorf("node id %q: use letters, digits, '-' and '_' only (64 at most)", cfg.NodeID)
	}
	if cfg.Region != "" && !validRegion(cfg.Region) {
		// The region is part of every ARN, and the server SDKs check game
		// session ARNs against [a-zA-Z0-9:/-].
		return nil, fmt.Errorf("region %q: use lower-case letters, digits and '-' only (64 at most)", cfg.Region)
	}
	if len(cfg.AccessKeys) == 0 && !cfg.InsecureDev {
		return nil, errors.New("no access key configured: control-plane calls could never be verified")
	}
	n := &Node{cfg: cfg, log: cfg.Logger.With("node", cfg.NodeID), serveErr: make(chan error, 3)}

	var err error
	// Bind first: a port conflict should fail before any data is touched.
	if n.pubLn, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("public listener %s: %w", cfg.Listen, err)
	}
	if n.adminLn, err = net.Listen("tcp", cfg.AdminListen); err != nil {
		n.pubLn.Close()
		return nil, fmt.Errorf("admin listener %s: %w", cfg.AdminListen, err)
	}
	if cfg.PingBeacon != "" {
		if n.beaconLn, err = net.ListenPacket("udp", cfg.PingBeacon); err != nil {
			n.closeListeners()
			return nil, fmt.Errorf("ping beacon %s: %w", cfg.PingBeacon, err)
		}
	}
	publicURL, err := n.publicURL()
	if err != nil {
		n.closeListeners()
		return nil, err
	}

	n.engine, err = engine.Open(ctx, engine.Config{
		DataDir:  cfg.DataDir,
		URL:      cfg.NATSURL,
		Listen:   cfg.NATSListen,
		NodeID:   cfg.NodeID,
		Replicas: cfg.NATSReplicas,
		Logger:   cfg.Logger,
	})
	if err != nil {
		n.closeListeners()
		return nil, fmt.Errorf("start engine: %w", err)
	}
	if err := n.openLanes(ctx); err != nil {
		n.engine.Close()
		n.closeListeners()
		return nil, err
	}
	router := serversdk.NewRouter(n.lanes.fleet.Conn())
	n.fleets, err = fleet.New(ctx, fleet.Config{
		Config:             n.lanes.fleet.Bucket(engine.BucketConfig),
		Computes:           n.lanes.fleet.Bucket(engine.BucketComputes),
		Sessions:           n.lanes.fleet.Bucket(engine.BucketSessions),
		Leases:             n.engine.Leases(),
		Pusher:             router,
		Region:             cfg.Region,
		ServiceSDKEndpoint: publicURL + ServerSDKPath,
		AuthTokenTTL:       cfg.ComputeAuthTokenTTL,
		ReservationTimeout: cfg.ReservationTimeout,
		ActivationTimeout:  cfg.ActivationTimeout,
		HeartbeatTimeout:   cfg.HeartbeatTimeout,
		Retention:          cfg.SessionRetention,
		Logger:             cfg.Logger,
	})
	if err != nil {
		n.engine.Close()
		n.closeListeners()
		return nil, fmt.Errorf("start fleet service: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "rallypoint_engine_up",
			Help: "1 when the NATS JetStream engine answers, 0 when it does not.",
		}, n.engineUp),
		buildInfoGauge(),
	)
	reg.MustRegister(n.laneMetrics()...)
	n.targets, err = events.NewTargets(events.TargetsConfig{
		Config: n.engine.Bucket(engine.BucketConfig),
		Region: n.fleets.Region(),
		Logger: cfg.Logger,
	})
	if err == nil {
		n.deliver, err = events.NewDeliverer(events.DelivererConfig{
			Stream:  n.engine.Events(),
			Config:  n.engine.Bucket(engine.BucketConfig),
			Metrics: events.NewMetrics(reg),
			Logger:  cfg.Logger,
		})
	}
	if err != nil {
		n.engine.Close()
		n.closeListeners()
		return nil, fmt.Errorf("start notification targets: %w", err)
	}

	n.places, err = placement.New(placement.Config{
		Config:    n.lanes.placement.Bucket(engine.BucketConfig),
		Sessions:  n.lanes.placement.Bucket(engine.BucketSessions),
		Fleets:    n.fleets,
		Leases:    n.engine.Leases(),
		Events:    events.NewPublisher(n.lanes.placement.JetStream()),
		Region:    cfg.Region,
		Retention: cfg.PlacementRetention,
		Logger:    cfg.Logger,
	})
	if err != nil {
		n.engine.Close()
		n.closeListeners()
		return nil, fmt.Errorf("start placement service: %w", err)
	}
	placement.NewMetrics(reg, n.places)
	n.matches, err = matchmaking.New(matchmaking.Config{
		Config:        n.lanes.matchmaking.Bucket(engine.BucketConfig),
		Tickets:       n.lanes.matchmaking.Bucket(engine.BucketTickets),
		Fleets:        n.fleets,
		Placements:    n.places,
		Targets:       n.targets,
		Leases:        n.engine.Leases(),
		Events:        events.NewPublisher(n.lanes.matchmaking.JetStream()),
		Region:        cfg.Region,
		CycleInterval: cfg.MatchmakingInterval,
		Retention:     cfg.TicketRetention,
		Logger:        cfg.Logger,
	})
	if err != nil {
		n.engine.Close()
		n.closeListeners()
		return nil, fmt.Errorf("start matchmaking service: %w", err)
	}
	matchmaking.NewMetrics(reg, n.matches)
	n.sdk, err = serversdk.New(serversdk.Config{
		Fleets:   n.fleets,
		Router:   router,
		Backfill: matchmaking.ServerBackfill{S: n.matches},
		Metrics:  serversdk.NewMetrics(reg),
		Logger:   cfg.Logger,
	})
	if err != nil {
		n.engine.Close()
		n.closeListeners()
		return nil, err
	}
	keys := make(map[string]sigv4.Credentials, len(cfg.AccessKeys))
	for _, k := range cfg.AccessKeys {
		keys[k.AccessKeyID] = k
	}
	control, err := api.New(api.Config{
		Credentials: func(id string) (sigv4.Credentials, bool) { k, ok := keys[id]; return k, ok },
		Insecure:    cfg.InsecureDev,
		Fleets:      n.fleets,
		Placements:  n.places,
		Matchmaking: n.matches,
		Targets:     n.targets,
		Metrics:     api.NewMetrics(reg),
		Logger:      cfg.Logger,
	})
	if err != nil {
		n.engine.Close()
		n.closeListeners()
		return nil, err
	}

	n.control = control
	credentials := func(id string) (sigv4.Credentials, bool) { k, ok := keys[id]; return k, ok }
	if err := n.startPlayers(ctx, publicURL, reg); err != nil {
		n.engine.Close()
		n.closeListeners()
		return nil, err
	}

	adminMux := http.NewServeMux()
	adminMux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	adminMux.HandleFunc("GET /readyz", n.readyz)
	adminMux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	if cfg.Profiling {
		adminMux.HandleFunc("GET /debug/pprof/", pprof.Index)
		adminMux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		adminMux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		adminMux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		adminMux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	cognitoAdmin := n.ids.AdminHandler(credentials, cfg.InsecureDev)
	adminMux.Handle("/", byTarget(cognitoTargetPrefix, cognitoAdmin, control))
	connections := n.gw.ConnectionsHandler(credentials, cfg.InsecureDev)
	// API Gateway's endpoint includes the stage, so clients may send
	// /<stage>/@connections/<id>.
	adminMux.Handle("/@connections/{id}", connections)
	adminMux.Handle("/{stage}/@connections/{id}", connections)

	publicMux := http.NewServeMux()
	publicMux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	// Some SDKs add a trailing slash to the endpoint they are given.
	publicMux.Handle("GET "+ServerSDKPath, n.sdk)
	publicMux.Handle("GET "+ServerSDKPath+"/", n.sdk)
	publicMux.Handle("GET "+GatewayPath, n.gw)
	cognito := n.ids.PublicHandler()
	publicMux.Handle("POST /", cognito)
	publicMux.Handle("GET /.well-known/", cognito)

	runCtx, stopRun := context.WithCancel(context.Background())
	n.stopRun = stopRun
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.fleets.Run(runCtx); err != nil {
			n.log.Error("fleet deadlines stopped", "error", err)
		}
	}()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.engine.RunCompaction(runCtx, n.log)
	}()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.places.Run(runCtx); err != nil {
			n.log.Error("placement stopped", "error", err)
		}
	}()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.matches.Run(runCtx); err != nil {
			n.log.Error("matchmaking stopped", "error", err)
		}
	}()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := n.deliver.Run(runCtx); err != nil {
			n.log.Error("notification delivery stopped", "error", err)
		}
	}()
	n.wg.Go(func() {
		if err := n.ids.Run(runCtx); err != nil {
			n.log.Error("identity key rotation stopped", "error", err)
		}
	})
	n.wg.Go(func() {
		if err := n.gw.Run(runCtx); err != nil {
			n.log.Error("player gateway stopped", "error", err)
		}
	})
	n.wg.Go(func() {
		if err := n.notifier.Run(runCtx); err != nil {
			n.log.Error("player notifier stopped", "error", err)
		}
	})

	// The gateway takes upgrades once it has subscribed to its node's
	// subject and swept what a previous run left: wait for that, so that
	// a node that says it listens also takes player sockets.
	if err := n.awaitGateway(ctx); err != nil {
		stopRun()
		n.wg.Wait()
		n.engine.Close()
		n.closeListeners()
		return nil, err
	}

	n.admin = newHTTPServer(adminMux, cfg.Logger)
	n.public = newHTTPServer(publicMux, cfg.Logger)
	n.serve(n.admin, n.adminLn)
	n.serve(n.public, n.pubLn)
	if n.beaconLn != nil {
		n.serveBeacon(runCtx)
	}

	n.log.Info("rallypoint listening",
		"public", "http://"+n.pubLn.Addr().String(),
		"admin", "http://"+n.adminLn.Addr().String(),
		"server_sdk_endpoint", publicURL+ServerSDKPath,
		"player_gateway", publicURL+GatewayPath,
		"engine", n.engineDescription(),
		"version", buildinfo.String())
	if cfg.InsecureDev {
		n.log.Warn("INSECURE DEV MODE: unsigned control-plane calls are accepted; anyone who reaches the admin listener can change fleets. Never use --insecure-dev outside a development machine.")
	}
	return n, nil
}

func validRegion(r string) bool {
	if len(r) > 64 {
		return false
	}
	for _, c := range r {
		if !(c == '-' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// httpServer is an http.Server that also closes, on shutdown, connections
// that were opened but never sent a request: http.Server.Shutdown waits up
// to 5 s for those, as clients that pre-open connections leave them.
type httpServer struct {
	*http.Server
	mu    sync.Mutex // guards fresh
	fresh map[net.Conn]struct{}
}

func newHTTPServer(h http.Handler, log *slog.Logger) *httpServer {
	s := &httpServer{fresh: make(map[net.Conn]struct{})}
	s.Server = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnState: func(c net.Conn, state http.ConnState) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if state == http.StateNew {
				s.fresh[c] = struct{}{}
			} else {
				delete(s.fresh, c)
			}
		},
	}
	return s
}

// Shutdown stops the server as http.Server.Shutdown does, but gives
// connections that have not sent a request only a moment (in case one is
// on its way) instead of 5 s.
func (s *httpServer) Shutdown(ctx context.Context) error {
	t := time.AfterFunc(250*time.Millisecond, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for c := range s.fresh {
			c.Close()
		}
	})
	defer t.Stop()
	return s.Server.Shutdown(ctx)
}

func (n *Node) serve(srv *httpServer, ln net.Listener) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.serveErr <- err
		}
	}()
}

// serveBeacon answers ping beacon probes until ctx ends.
func (n *Node) serveBeacon(ctx context.Context) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		defer n.beaconLn.Close()
		if err := beacon.Serve(ctx, n.beaconLn); err != nil {
			n.serveErr <- err
		}
	}()
	n.log.Info("ping beacon listening", "udp", n.beaconLn.LocalAddr().String())
}

// Err delivers an error if a listener stops serving on its own.
func (n *Node) Err() <-chan error { return n.serveErr }

func (n *Node) engineDescription() string {
	if n.cfg.NATSURL != "" {
		return "external NATS at " + n.cfg.NATSURL
	}
	if u := n.engine.ClientURL(); u != "" {
		return "embedded NATS (clients at " + u + "), data in " + n.cfg.DataDir
	}
	return "embedded NATS, data in " + n.cfg.DataDir
}

func (n *Node) closeListeners() {
	if n.pubLn != nil {
		n.pubLn.Close()
	}
	if n.adminLn != nil {
		n.adminLn.Close()
	}
	if n.beaconLn != nil {
		n.beaconLn.Close()
	}
}

// publicURL is the advertised base URL of the public listener.
func (n *Node) publicURL() (string, error) {
	if n.cfg.PublicURL != "" {
		u, err := url.Parse(n.cfg.PublicURL)
		if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			return "", fmt.Errorf("public URL %q must be ws://host:port or wss://host:port", n.cfg.PublicURL)
		}
		return strings.TrimRight(n.cfg.PublicURL, "/"), nil
	}
	addr := n.pubLn.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		// Listening on every interface: the host name is the best guess of
		// what game servers on other machines can reach.
		if h, err := os.Hostname(); err == nil && h != "" {
			host = h
		}
		n.log.Warn("the public listener binds every interface; set --public-url to the address game servers should dial", "advertised", host)
	}
	return "ws://" + net.JoinHostPort(host, fmt.Sprint(addr.Port)), nil
}

// PublicAddr and AdminAddr are the bound listener addresses (useful when
// the configuration asked for port 0).
func (n *Node) PublicAddr() string { return n.pubLn.Addr().String() }
func (n *Node) AdminAddr() string  { return n.adminLn.Addr().String() }

// PingBeaconAddr is the ping beacon's bound UDP address, or "" when the
// node runs none.
func (n *Node) PingBeaconAddr() string {
	if n.beaconLn == nil {
		return ""
	}
	return n.beaconLn.LocalAddr().String()
}

// ControlPlaneOperations lists the GameLift operations the node answers.
func (n *Node) ControlPlaneOperations() []string { return n.control.Operations() }

// Fleets is the node's fleet service.
func (n *Node) Fleets() *fleet.Service { return n.fleets }

// NATSURL is where NATS clients reach the node's engine: the embedded
// server's client port when Config.NATSListen is set, or the external
// cluster; empty otherwise.
func (n *Node) NATSURL() string { return n.engine.ClientURL() }

// Targets is the node's store of notification targets.
func (n *Node) Targets() *events.Targets { return n.targets }

// Matchmaking is the node's matchmaking service.
func (n *Node) Matchmaking() *matchmaking.Service { return n.matches }

// Placements is the node's queue and placement service.
func (n *Node) Placements() *placement.Service { return n.places }

func (n *Node) engineUp() float64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if n.engine.Check(ctx) != nil {
		return 0
	}
	return 1
}

func (n *Node) readyz(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	stopping := n.shutdown
	n.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if stopping {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "shutting down")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := n.engine.Check(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "engine:", err)
		return
	}
	if !n.gw.Ready() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "player gateway: starting")
		return
	}
	fmt.Fprintln(w, "ready")
}

// Shutdown stops accepting connections, lets in-flight requests finish
// (up to the shutdown timeout), then flushes and closes the engine.
func (n *Node) Shutdown(ctx context.Context) error {
	n.mu.Lock()
	if n.shutdown {
		n.mu.Unlock()
		return nil
	}
	n.shutdown = true
	n.mu.Unlock()

	ctx, cancel := context.WithTimeout(ctx, n.cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	for _, srv := range []*httpServer{n.public, n.admin} {
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("drain listener: %w", err))
			srv.Close()
		}
	}
	// Server SDK sockets are hijacked connections that http.Server does
	// not drain. Now that the listener is closed, they are told to
	// reconnect (to another node, or to this one once it is back).
	n.sdk.Close()
	// Player sockets too: each is closed with 1001 and its records
	// removed, so that no registry entry outlives its socket.
	if err := n.gw.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("close player sockets: %w", err))
	}
	n.stopRun()
	n.wg.Wait()
	if err := n.engine.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close engine: %w", err))
	}
	n.log.Info("rallypoint stopped")
	return errors.Join(errs...)
}

func buildInfoGauge() prometheus.Collector {
	version, revision := buildinfo.Get()
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "rallypoint_build_info",
		Help:        "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision},
	})
	g.Set(1)
	return g
}
