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
	// compute token key); Computes is rp_computes.
	Config   jetstream.KeyValue
	Computes jetstream.KeyValue
	// Region is the home region's name, used in ARNs and as the fleets'
	// home location. Default "local".
	Region string
	// ServiceSDKEndpoint is the URL game servers dial with the server SDK
	// (RegisterCompute returns it as GameLiftServiceSdkEndpoint).
	ServiceSDKEndpoint string
	// AuthTokenTTL is how long a compute auth token stays valid. Default 1h.
	AuthTokenTTL time.Duration
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
}

// DefaultRegion is the home region when none is configured.
const DefaultRegion = "local"

// New loads (or, on a first start, creates) the compute token key and
// returns the Service.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Config == nil || cfg.Computes == nil {
		return nil, errors.New("fleet: the Config and Computes buckets are required")
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
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, log: cfg.Logger.With("component", "fleet")}
	key, err := s.loadTokenKey(ctx)
	if err != nil {
		return nil, err
	}
	s.tokenKey = key
	return s, nil
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
