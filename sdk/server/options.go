package server

import (
	"log/slog"
	"net/http"
	"time"
)

// Defaults. The heartbeat and call timings are GameLift's; the reconnect
// backoff starts lower (see WithReconnectBackoff).
const (
	DefaultCallTimeout        = 20 * time.Second
	DefaultHeartbeatInterval  = 60 * time.Second
	DefaultHeartbeatJitter    = 10 * time.Second
	DefaultHealthCheckTimeout = 50 * time.Second
	DefaultBackoffBase        = 250 * time.Millisecond
	DefaultBackoffMax         = 32 * time.Second
	// DefaultConnectTimeout bounds Connect when its context has no deadline,
	// about as long as GameLift's SDKs keep trying.
	DefaultConnectTimeout = 3 * time.Minute
)

const (
	// dialTimeout bounds one WebSocket handshake.
	dialTimeout = 10 * time.Second
	// readLimit is the largest frame accepted: a CreateGameSession may carry
	// 256 KiB of game session data and 390 KB of matchmaker data.
	readLimit = 4 << 20
	// refreshDrain is how long requests sent on a connection replaced by
	// RefreshConnection may still get their replies on it before it is
	// closed. GameLift's Go SDK waits as long.
	refreshDrain = 5 * time.Second
	// maxTimeoutsInARow is how many calls in a row may time out before the
	// connection is taken for half-open and redialed, as in GameLift's Go SDK.
	maxTimeoutsInARow = 2
	// roleCredentialsMinTTL is how long cached fleet role credentials must
	// still be valid to be handed out again.
	roleCredentialsMinTTL = 15 * time.Minute
)

// An Option changes how a Process behaves; pass them to Connect or InitSDK.
type Option func(*config)

type config struct {
	logger             *slog.Logger
	httpClient         *http.Client
	callTimeout        time.Duration
	heartbeatInterval  time.Duration
	heartbeatJitter    time.Duration
	healthCheckTimeout time.Duration
	backoff            backoff
}

func newConfig(opts []Option) config {
	c := config{
		logger:             slog.New(slog.DiscardHandler),
		callTimeout:        DefaultCallTimeout,
		heartbeatInterval:  DefaultHeartbeatInterval,
		heartbeatJitter:    DefaultHeartbeatJitter,
		healthCheckTimeout: DefaultHealthCheckTimeout,
		backoff:            backoff{base: DefaultBackoffBase, max: DefaultBackoffMax},
	}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithLogger sends the Process's logs to l. By default they are discarded.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithHTTPClient dials the service with client, for example to trust a
// private certificate authority for wss.
func WithHTTPClient(client *http.Client) Option {
	return func(c *config) { c.httpClient = client }
}

// WithCallTimeout sets how long a request waits for its reply, including any
// wait for a dropped connection to come back (default 20 s). It applies to
// every request, ProcessReady's ActivateServerProcess included, which
// GameLift's Go SDK gives only 6 s.
func WithCallTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.callTimeout = d
		}
	}
}

// WithHeartbeat sets the heartbeat period: each next heartbeat comes after
// interval plus or minus a random amount up to jitter (default 60 s ± 10 s).
// A huge interval in effect turns heartbeats off after the first, which is
// sent when ProcessReady succeeds.
func WithHeartbeat(interval, jitter time.Duration) Option {
	return func(c *config) {
		if interval > 0 {
			c.heartbeatInterval = interval
		}
		if jitter >= 0 && jitter < c.heartbeatInterval {
			c.heartbeatJitter = jitter
		}
	}
}

// WithHealthCheckTimeout sets how long OnHealthCheck may take before the
// process is reported unhealthy (default 50 s).
func WithHealthCheckTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.healthCheckTimeout = d
		}
	}
}

// WithReconnectBackoff sets the wait between dial attempts, in Connect and
// when redialing a dropped connection: base, doubling after each failure, up
// to max, each wait shortened by up to a fifth at random (default 250 ms up
// to 32 s). GameLift's SDKs start at 4 or 8 s; a local service comes back
// faster than that, and the first retry of a dropped connection should too.
func WithReconnectBackoff(base, max time.Duration) Option {
	return func(c *config) {
		if base > 0 {
			c.backoff.base = base
		}
		if max >= c.backoff.base {
			c.backoff.max = max
		}
	}
}
