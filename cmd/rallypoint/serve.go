package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/identity"
	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/sigv4"
)

// serveOptions are serve's settings. Each has a flag, an environment
// variable (RALLYPOINT_ + the flag name in upper case with '_' for '-') and
// a key in the config file (the flag name); a flag wins over the
// environment, which wins over the file.
type serveOptions struct {
	configFile   string
	dataDir      string
	listen       string
	adminListen  string
	natsURL      string
	natsListen   string
	natsReplicas int
	nodeID       string
	publicURL    string
	region       string
	accessKeys   []string
	insecureDev  bool
	logFormat    string
	logLevel     string
	tokenTTL     time.Duration
	drainTimeout time.Duration
	reservation  time.Duration
	activation   time.Duration
	heartbeat    time.Duration
	retention    time.Duration
	plRetention  time.Duration
	tkRetention  time.Duration
	mmInterval   time.Duration
	pingBeacon   string
	demo         bool
	pprof        bool
	demoBeacons  []string

	// players: identity pool and gateway
	tokenIssuer  string
	playerToken  time.Duration
	playerCreds  time.Duration
	keyRotation  time.Duration
	oidcIssuers  []string
	idleTimeout  time.Duration
	maxDuration  time.Duration
	maxFrame     int
	maxMessage   int
	messageRate  float64
	messageBurst int
	routes       []string
	resumeWindow time.Duration
	clientRate   float64
	clientBurst  int
}

func newServeCmd() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run rallypoint: control plane, player gateway, matchmaker and fleet manager",
		Long: `Run every role of rallypoint in this process, over an embedded NATS JetStream
engine that keeps its data under --data-dir (or over an external NATS cluster
with --nats).

The public listener (--listen) serves players and game servers; the admin
listener (--admin-listen) serves the GameLift-compatible control plane,
/metrics, /healthz and /readyz. With --ping-beacon, it also answers the UDP
probes game clients measure their latency to a location with, so this machine
can be the location's ping beacon.

Control-plane calls must be signed with SigV4 by an access key given with
--access-key (or RALLYPOINT_ACCESS_KEYS). With none configured, the first
start creates one, stores it in the data directory (mode 0600) and prints it
once.

Every flag can also be set in the environment as RALLYPOINT_<FLAG> (for
example RALLYPOINT_DATA_DIR) or in a YAML file given with --config, whose keys
are the flag names. A flag wins over the environment, which wins over the
file.`,
		Example: `  rallypoint serve
  rallypoint serve --data-dir /var/lib/rallypoint --listen 0.0.0.0:7400 --public-url ws://games.example.com:7400
  rallypoint serve --nats nats://10.0.0.1:4222,nats://10.0.0.2:4222 --node-id eu-1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.resolve(cmd.Flags()); err != nil {
				return err
			}
			return runServe(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	bindServeFlags(cmd.Flags(), &o)
	return cmd
}

// bindServeFlags declares serve's flags on f, bound to o.
func bindServeFlags(f *pflag.FlagSet, o *serveOptions) {
	f.StringVar(&o.configFile, "config", "", "YAML file with settings (keys are flag names)")
	f.StringVar(&o.dataDir, "data-dir", "./rallypoint-data", "directory for the embedded engine's data and the generated access key")
	f.StringVar(&o.listen, "listen", "127.0.0.1:7400", "public listener for players and game servers (host:port)")
	f.StringVar(&o.adminListen, "admin-listen", "127.0.0.1:7401", "control plane, metrics and health listener (host:port)")
	f.StringVar(&o.natsURL, "nats", "", "join an external NATS server or cluster at this URL (comma-separated) instead of embedding one")
	f.StringVar(&o.natsListen, "nats-listen", "", "let NATS clients (other nodes, the nats CLI) reach the embedded server at host:port")
	f.IntVar(&o.natsReplicas, "nats-replicas", 1, "replicas of each bucket and stream when creating them on an external NATS cluster (3 for a fault-tolerant cluster)")
	f.StringVar(&o.nodeID, "node-id", "", "this node's name in a cluster (default: derived from the host name)")
	f.StringVar(&o.publicURL, "public-url", "", "base URL game servers and players reach the public listener at, e.g. ws://games.example.com:7400 (default: from --listen)")
	f.StringVar(&o.region, "region", fleet.DefaultRegion, "home region name used in ARNs and as every fleet's home location")
	f.StringArrayVar(&o.accessKeys, "access-key", nil, "control-plane access key as ID:SECRET (repeatable)")
	f.BoolVar(&o.insecureDev, "insecure-dev", false, "accept unsigned control-plane calls (development only)")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.DurationVar(&o.tokenTTL, "compute-token-ttl", time.Hour, "how long GetComputeAuthToken tokens stay valid")
	f.DurationVar(&o.drainTimeout, "drain-timeout", 10*time.Second, "how long shutdown waits for in-flight requests")
	f.DurationVar(&o.reservation, "reservation-timeout", 60*time.Second, "how long a RESERVED player session waits for the game server to accept it before it is TIMEDOUT")
	f.DurationVar(&o.activation, "activation-timeout", 600*time.Second, "how long a new game session may stay ACTIVATING before it and its process are ended")
	f.DurationVar(&o.retention, "session-retention", 30*24*time.Hour, "how long ended game sessions and their player sessions stay readable")
	f.DurationVar(&o.plRetention, "placement-retention", time.Hour, "how long ended game session placements stay readable (DescribeGameSessionPlacement); their events stay on the stream for 7 days")
	f.DurationVar(&o.tkRetention, "ticket-retention", time.Hour, "how long ended matchmaking tickets stay readable (DescribeMatchmaking); their events stay on the stream for 7 days")
	f.DurationVar(&o.mmInterval, "matchmaking-interval", time.Second, "time between two matchmaking cycles of a configuration: tickets that arrive in between are matched together")
	f.BoolVar(&o.pprof, "pprof", false, "serve Go's runtime profiles at /debug/pprof/ on the admin listener (for measuring; keep the admin listener private)")
	f.BoolVar(&o.demo, "demo", false, "also set up a complete local demo: an identity pool that allows guests, two custom locations with ping beacons, an Anywhere fleet, a queue, a 2v2 rule set and a matchmaking configuration; it prints how to start game servers and bots")
	f.StringSliceVar(&o.demoBeacons, "demo-beacons", []string{"127.0.0.1:7771", "127.0.0.1:7772"}, "with --demo, the UDP addresses of the two demo locations' ping beacons")
	f.StringVar(&o.pingBeacon, "ping-beacon", "", "also serve a UDP ping beacon at host:port (e.g. 0.0.0.0:7770), for the locations that declare it with the rallypoint:ping-beacon tag")
	f.DurationVar(&o.heartbeat, "heartbeat-timeout", 3*time.Minute, "how long a game server process may go without a heartbeat before it is ended (the SDKs beat every 50-70s)")

	f.StringVar(&o.tokenIssuer, "token-issuer", "", "the iss claim of the player tokens rallypoint signs, and where their JWKS is published (default: the public URL as http(s)://)")
	f.DurationVar(&o.playerToken, "player-token-ttl", 15*time.Minute, "how long GetOpenIdToken tokens stay valid (a socket opened with one is closed when it expires)")
	f.DurationVar(&o.playerCreds, "player-credentials-ttl", time.Hour, "how long GetCredentialsForIdentity credentials stay valid (a socket opened with them is closed when they expire)")
	f.DurationVar(&o.keyRotation, "token-key-rotation", 24*time.Hour, "how often a new player-token signing key is made; old keys verify until their tokens expire")
	f.StringArrayVar(&o.oidcIssuers, "oidc-issuer", nil, "issuer URL of an identity pool login provider as NAME=URL, when it is not https://NAME (repeatable)")
	f.DurationVar(&o.idleTimeout, "gateway-idle-timeout", 10*time.Minute, "close a player socket that sent nothing for this long (close code 1001)")
	f.DurationVar(&o.maxDuration, "gateway-max-duration", 2*time.Hour, "close a player socket open for this long (close code 1001)")
	f.IntVar(&o.maxFrame, "gateway-max-frame", 32*1024, "largest WebSocket frame a player may send, in bytes (close code 1009)")
	f.IntVar(&o.maxMessage, "gateway-max-message", 128*1024, "largest message a player may send, in bytes, across fragments (close code 1009)")
	f.Float64Var(&o.messageRate, "gateway-message-rate", 20, "messages per second a player socket may send on average (close code 1008 above it)")
	f.IntVar(&o.messageBurst, "gateway-message-burst", 40, "messages a player socket may send at once above the rate")
	f.StringArrayVar(&o.routes, "gateway-route", nil, "send a socket route to an HTTP integration as ROUTE=URL, e.g. chat=http://127.0.0.1:9000/chat or $default=... (repeatable)")
	f.Float64Var(&o.clientRate, "identity-client-rate", identity.DefaultClientRate, "GetId, GetOpenIdToken and GetCredentialsForIdentity calls a second one source address may make on average (TooManyRequestsException above it); 0 for no limit, as behind a proxy")
	f.IntVar(&o.clientBurst, "identity-client-burst", identity.DefaultClientBurst, "calls one source address may make at once above --identity-client-rate")
	f.DurationVar(&o.resumeWindow, "resume-window", 5*time.Minute, "how long after a ticket ended its last event is still sent to its player on connecting")
}

// resolve fills every flag the user did not set from the environment, then
// from the config file.
func (o *serveOptions) resolve(flags *pflag.FlagSet) error {
	if !flags.Changed("config") {
		if v, ok := os.LookupEnv("RALLYPOINT_CONFIG"); ok {
			o.configFile = v
		}
	}
	file := map[string]any{}
	if o.configFile != "" {
		b, err := os.ReadFile(o.configFile)
		if err != nil {
			return fmt.Errorf("read config file: %w", err)
		}
		if err := yaml.Unmarshal(b, &file); err != nil {
			return fmt.Errorf("config file %s: %w", o.configFile, err)
		}
		for k := range file {
			if flags.Lookup(k) == nil || k == "config" {
				return fmt.Errorf("config file %s: unknown setting %q (settings are the flag names of rallypoint serve)", o.configFile, k)
			}
		}
	}
	var errs []error
	flags.VisitAll(func(fl *pflag.Flag) {
		if fl.Changed || fl.Name == "config" {
			return
		}
		env := "RALLYPOINT_" + strings.ToUpper(strings.ReplaceAll(fl.Name, "-", "_"))
		if fl.Name == "access-key" {
			env = "RALLYPOINT_ACCESS_KEYS"
		}
		if v, ok := os.LookupEnv(env); ok {
			if err := setFlag(flags, fl, strings.Split(v, ",")); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", env, err))
			}
			return
		}
		if v, ok := file[fl.Name]; ok {
			var values []string
			switch v := v.(type) {
			case []any:
				for _, e := range v {
					values = append(values, fmt.Sprint(e))
				}
			default:
				values = []string{fmt.Sprint(v)}
			}
			if err := setFlag(flags, fl, values); err != nil {
				errs = append(errs, fmt.Errorf("config file %s: %s: %w", o.configFile, fl.Name, err))
			}
		}
	})
	return errors.Join(errs...)
}

// setFlag sets a flag from strings: every value for a list flag, the one
// value (joined back if split) for the others.
func setFlag(flags *pflag.FlagSet, fl *pflag.Flag, values []string) error {
	if fl.Value.Type() == "stringArray" {
		for _, v := range values {
			if v = strings.TrimSpace(v); v != "" {
				if err := flags.Set(fl.Name, v); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return flags.Set(fl.Name, strings.Join(values, ","))
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

func runServe(ctx context.Context, stdout, stderr io.Writer, o serveOptions) error {
	log, err := newLogger(stderr, o.logFormat, o.logLevel)
	if err != nil {
		return err
	}
	oidcIssuers, err := pairs("--oidc-issuer", o.oidcIssuers, func(name, u string) error {
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return fmt.Errorf("issuer URL %q must start with https:// or http://", u)
		}
		return nil
	})
	if err != nil {
		return err
	}
	routes, err := pairs("--gateway-route", o.routes, func(route, u string) error {
		switch {
		case strings.HasPrefix(route, "$") && route != "$default" && route != "$connect" && route != "$disconnect":
			return fmt.Errorf("route %s: the routes starting with $ are $default, $connect and $disconnect", route)
		case builtinActions[route]:
			return fmt.Errorf("route %s: a built-in action cannot be sent to an integration", route)
		}
		if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			return fmt.Errorf("route %s: integration URL %q must start with https:// or http://", route, u)
		}
		return nil
	})
	if err != nil {
		return err
	}

	const positive = "must be positive"
	for _, f := range []struct {
		ok  bool
		err string // the flag and what is wrong with its value
	}{
		{o.maxFrame > 0, "--gateway-max-frame: " + positive},
		{o.maxMessage >= o.maxFrame, fmt.Sprintf("--gateway-max-message %d: must be at least --gateway-max-frame (%d)", o.maxMessage, o.maxFrame)},
		{o.messageRate > 0, "--gateway-message-rate: " + positive},
		{o.messageBurst > 0, "--gateway-message-burst: " + positive},
		{o.idleTimeout > 0, "--gateway-idle-timeout: " + positive},
		{o.maxDuration > 0, "--gateway-max-duration: " + positive},
		{o.playerToken > 0, "--player-token-ttl: " + positive},
		{o.playerCreds > 0, "--player-credentials-ttl: " + positive},
		{o.keyRotation > 0, "--token-key-rotation: " + positive},
		{o.resumeWindow > 0, "--resume-window: " + positive},
		{o.clientRate >= 0, "--identity-client-rate: must be positive, or 0 for no limit"},
		{o.clientBurst > 0, "--identity-client-burst: " + positive},
	} {
		if !f.ok {
			return errors.New(f.err)
		}
	}

	var keys []sigv4.Credentials
	for _, s := range o.accessKeys {
		k, err := node.ParseAccessKey(s)
		if err != nil {
			return fmt.Errorf("--access-key: %w", err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 && !o.insecureDev {
		k, created, err := node.LoadOrCreateAccessKey(o.dataDir)
		if err != nil {
			return err
		}
		keys = append(keys, k)
		if created {
			printNewAccessKey(stdout, k, o)
		} else {
			log.Info("using the access key stored in the data directory", "access_key_id", k.AccessKeyID, "file", o.dataDir+"/"+node.AccessKeyFile)
		}
	}
	if o.nodeID == "" {
		o.nodeID = engine.DefaultNodeID()
	}
	var demoBeacons []string
	if o.demo {
		// Bound before the node starts, so that a busy port stops serve
		// before anything is created.
		demoCtx, stopDemo := context.WithCancel(context.WithoutCancel(ctx))
		defer stopDemo()
		if demoBeacons, err = startDemoBeacons(demoCtx, o.demoBeacons); err != nil {
			return err
		}
	}
	n, err := node.Start(ctx, node.Config{
		DataDir:             o.dataDir,
		Listen:              o.listen,
		AdminListen:         o.adminListen,
		NATSURL:             o.natsURL,
		NATSListen:          o.natsListen,
		NATSReplicas:        o.natsReplicas,
		NodeID:              o.nodeID,
		PublicURL:           o.publicURL,
		Region:              o.region,
		AccessKeys:          keys,
		InsecureDev:         o.insecureDev,
		ComputeAuthTokenTTL: o.tokenTTL,
		ReservationTimeout:  o.reservation,
		ActivationTimeout:   o.activation,
		HeartbeatTimeout:    o.heartbeat,
		SessionRetention:    o.retention,
		PlacementRetention:  o.plRetention,
		TicketRetention:     o.tkRetention,
		MatchmakingInterval: o.mmInterval,
		ShutdownTimeout:     o.drainTimeout,
		PingBeacon:          o.pingBeacon,
		Profiling:           o.pprof,
		Players: node.PlayersConfig{
			TokenIssuer:     o.tokenIssuer,
			TokenTTL:        o.playerToken,
			CredentialsTTL:  o.playerCreds,
			KeyRotation:     o.keyRotation,
			OIDCIssuers:     oidcIssuers,
			IdleTimeout:     o.idleTimeout,
			MaxDuration:     o.maxDuration,
			MaxFrameBytes:   o.maxFrame,
			MaxMessageBytes: o.maxMessage,
			MessageRate:     o.messageRate,
			MessageBurst:    o.messageBurst,
			Routes:          routes,
			ResumeWindow:    o.resumeWindow,
			ClientRate:      clientRate(o.clientRate),
			ClientBurst:     o.clientBurst,
		},
		Logger: log,
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rallypoint is listening: public http://%s  admin (control plane) http://%s\n", n.PublicAddr(), n.AdminAddr())
	if addr := n.PingBeaconAddr(); addr != "" {
		fmt.Fprintf(stdout, "ping beacon: udp %s\n", addr)
	}
	if o.demo {
		var key *sigv4.Credentials
		if len(keys) > 0 {
			key = &keys[0]
		}
		d, err := setupDemo(ctx, n, key, demoBeacons)
		if err != nil {
			_ = n.Shutdown(context.WithoutCancel(ctx))
			return fmt.Errorf("--demo: %w", err)
		}
		d.print(stdout, n.PublicAddr())
	}

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "reason", "signal")
	case serveErr = <-n.Err():
		log.Error("a listener failed; shutting down", "error", serveErr)
	}
	// The signal context is done; shutdown gets a fresh one, bounded by the
	// drain timeout inside Shutdown.
	if err := n.Shutdown(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	return serveErr
}

// clientRate turns the flag's "0 for no limit" into identity.Config's
// "negative for no limit".
func clientRate(perSecond float64) float64 {
	if perSecond == 0 {
		return -1
	}
	return perSecond
}

// builtinActions are the socket actions the gateway answers itself.
var builtinActions = map[string]bool{
	"startMatchmaking": true, "stopMatchmaking": true, "acceptMatch": true, "describeMatchmaking": true, "describeLocations": true, "ping": true,
}

// pairs reads repeated NAME=VALUE flags into a map, checking each value.
func pairs(flag string, list []string, check func(name, value string) error) (map[string]string, error) {
	m := make(map[string]string, len(list))
	for _, item := range list {
		name, value, ok := strings.Cut(item, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" || value == "" {
			return nil, fmt.Errorf("%s %q: use NAME=VALUE", flag, item)
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("%s: %s is given twice", flag, name)
		}
		if err := check(name, value); err != nil {
			return nil, fmt.Errorf("%s: %w", flag, err)
		}
		m[name] = value
	}
	return m, nil
}

func printNewAccessKey(w io.Writer, k sigv4.Credentials, o serveOptions) {
	fmt.Fprintf(w, `
A control-plane access key was created and stored in %s/%s (mode 0600).
It is shown only this once:

  Access key ID:     %s
  Secret access key: %s

Point the aws CLI at rallypoint with:

  aws configure set aws_access_key_id %s --profile rallypoint
  aws configure set aws_secret_access_key %s --profile rallypoint
  aws configure set region %s --profile rallypoint
  aws gamelift list-fleets --profile rallypoint --endpoint-url http://%s

`, o.dataDir, node.AccessKeyFile, k.AccessKeyID, k.SecretAccessKey, k.AccessKeyID, k.SecretAccessKey, "us-east-1", o.adminListen)
}
