// Package fleet owns rallypoint's game-server capacity as GameLift Anywhere
// models it: custom locations, fleets spread over them, the computes
// registered into each fleet location, and aliases that route to fleets.
//
// It decides and stores; it does not speak any wire protocol. The control
// plane (package api) translates GameLift calls into the operations here,
// and the server SDK endpoint will authenticate game servers with the
// compute auth tokens issued here.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// Error kinds. Every error the Service returns for a caller's mistake wraps
// one of them, with a message that names the resource and the reason.
var (
	ErrNotFound                = errors.New("not found")
	ErrConflict                = errors.New("conflict")
	ErrInvalidRequest          = errors.New("invalid request")
	ErrInvalidFleetStatus      = errors.New("invalid fleet status")
	ErrNotReady                = errors.New("not ready")
	ErrLimitExceeded           = errors.New("limit exceeded")
	ErrTerminalRoutingStrategy = errors.New("terminal routing strategy")
	// ErrFleetCapacityExceeded means no idle server process can host a new
	// game session where it was asked for.
	ErrFleetCapacityExceeded = errors.New("fleet capacity exceeded")
	// ErrGameSessionFull means a game session has no free player slot.
	ErrGameSessionFull = errors.New("game session full")
	// ErrInvalidGameSessionStatus means a game session is not in a status
	// that allows the call.
	ErrInvalidGameSessionStatus = errors.New("invalid game session status")
	// ErrIdempotentParameterMismatch means an idempotency token was reused
	// with different parameters.
	ErrIdempotentParameterMismatch = errors.New("idempotent parameter mismatch")
	// ErrForbidden means a game server process asked for something that is
	// not its own (another process's game session, a compute it does not
	// run on).
	ErrForbidden = errors.New("forbidden")
)

// Error is a caller-facing error: its message is meant for the user, its
// kind (one of the Err* values) for errors.Is.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }

func newError(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Config wires the Service to its storage and says how it presents itself.
type Config struct {
	// Config is the rp_config bucket (locations, fleets, aliases, and the
	// compute token key); Computes is rp_computes (computes and server
	// processes); Sessions is rp_sessions (game and player sessions).
	Config   jetstream.KeyValue
	Computes jetstream.KeyValue
	Sessions jetstream.KeyValue
	// Leases elects the one node that rescans stored sessions and processes
	// for deadlines (after a restart or another node's crash). Nil means
	// this node always rescans, which is right for a single node.
	Leases *engine.Leases
	// Pusher delivers messages to connected game server processes (the
	// server SDK endpoint implements it). Nil drops them, for tests of the
	// control plane alone.
	Pusher Pusher
	// Region is the home region's name, used in ARNs and as the fleets'
	// home location. Default "local".
	Region string
	// ServiceSDKEndpoint is the URL game servers dial with the server SDK
	// (RegisterCompute returns it as GameLiftServiceSdkEndpoint).
	ServiceSDKEndpoint string
	// AuthTokenTTL is how long a compute auth token stays valid. Default 1h.
	AuthTokenTTL time.Duration
	// ReservationTimeout is how long a RESERVED player session waits for
	// the game server to accept it before it is TIMEDOUT. Default 60s, as
	// on GameLift.
	ReservationTimeout time.Duration
	// ActivationTimeout is how long a new game session may stay ACTIVATING
	// before it is ended. Default 600s (GameLift's maximum, which Anywhere
	// fleets without a runtime configuration get).
	ActivationTimeout time.Duration
	// HeartbeatTimeout is how long a server process may go without a
	// heartbeat before it counts as lost. The SDKs beat every 50-70s.
	// Default 3m (three missed beats).
	HeartbeatTimeout time.Duration
	// UnhealthyLimit is how many unhealthy heartbeats in a row end a
	// process. Default 3.
	UnhealthyLimit int
	// TerminationGrace is how long a process told to terminate gets before
	// its TerminationTime. Default 60s.
	TerminationGrace time.Duration
	// RescanInterval is how often the rescanning node reads every stored
	// process and game session to pick up deadlines and purge old records.
	// Default 1m.
	RescanInterval time.Duration
	// Retention is how long ended game sessions (and their player
	// sessions) stay readable. Default 30 days, as on GameLift.
	Retention time.Duration
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Service runs the fleet operations. It is safe for concurrent use, also
// across nodes: every write is a compare-and-set on the stored record.
type Service struct {
	cfg      Config
	log      *slog.Logger
	tokenKey []byte
	locks    stripes
	timers   *timers
	procs    processCache
}

// DefaultRegion is the home region when none is configured.
const DefaultRegion = "local"

// New loads (or, on a first start, creates) the compute token key and
// returns the Service.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Config == nil || cfg.Computes == nil || cfg.Sessions == nil {
		return nil, errors.New("fleet: the Config, Computes and Sessions buckets are required")
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.AuthTokenTTL <= 0 {
		cfg.AuthTokenTTL = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	defaultDuration(&cfg.ReservationTimeout, 60*time.Second)
	defaultDuration(&cfg.ActivationTimeout, 600*time.Second)
	defaultDuration(&cfg.HeartbeatTimeout, 3*time.Minute)
	defaultDuration(&cfg.TerminationGrace, 60*time.Second)
	defaultDuration(&cfg.RescanInterval, time.Minute)
	defaultDuration(&cfg.Retention, 30*24*time.Hour)
	if cfg.UnhealthyLimit <= 0 {
		cfg.UnhealthyLimit = 3
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, log: cfg.Logger.With("component", "fleet"), timers: newTimers()}
	key, err := s.loadTokenKey(ctx)
	if err != nil {
		return nil, err
	}
	s.tokenKey = key
	return s, nil
}

func defaultDuration(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Region is the home region name.
func (s *Service) Region() string { return s.cfg.Region }

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// ARNs have GameLift's shapes with "rallypoint" as the partition and no
// account id.
func (s *Service) arn(resource string) string {
	return "arn:rallypoint:gamelift:" + s.cfg.Region + "::" + resource
}

// idFromARN accepts an id or an ARN ending in "<kind>/<id>" and returns
// the id.
func idFromARN(idOrARN, kind string) string {
	if strings.HasPrefix(idOrARN, "arn:") {
		if i := strings.LastIndex(idOrARN, ":"+kind+"/"); i >= 0 {
			return idOrARN[i+len(kind)+2:]
		}
		if i := strings.LastIndex(idOrARN, "/"); i >= 0 {
			return idOrARN[i+1:]
		}
	}
	return idOrARN
}
