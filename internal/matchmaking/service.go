// Package matchmaking runs FlexMatch matchmaking: rule sets, matchmaking
// configurations, and the tickets players start, from the pool through
// acceptance and placement to a game session, and backfill of running game
// sessions. It emits FlexMatch's events at each step.
//
// Each configuration's ticket pool is owned by one node at a time (a
// lease). The owner holds the pool in a flexmatch.Matchmaker, runs a
// matchmaking cycle on it every CycleInterval, and makes every decision
// about its tickets; every write is a compare-and-set on the stored ticket,
// so an owner that has lost its lease cannot overwrite a newer one. Any
// node accepts requests (StartMatchmaking, StopMatchmaking, AcceptMatch):
// it stores them, and the owner learns of them by watching the bucket.
package matchmaking

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/events"
	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/placement"
)

// Publisher puts events on the event stream.
type Publisher interface {
	Publish(ctx context.Context, e events.Event) error
}

// Config wires the Service to its storage and neighbours.
type Config struct {
	// Config is rp_config (rule sets under ruleset.<name>, configurations
	// under mmconfig.<name>); Tickets is rp_tickets (tickets under
	// t.<id>, matches under m.<id>, active players under p.<id>).
	Config  jetstream.KeyValue
	Tickets jetstream.KeyValue
	Fleets  *fleet.Service
	// Placements places WITH_QUEUE matches.
	Placements *placement.Service
	// Targets, when set, checks that a configuration's NotificationTarget
	// exists.
	Targets *events.Targets
	// Leases elects each configuration's owner. Nil means this node owns
	// every configuration, which is right for a single node only.
	Leases *engine.Leases
	// Events receives matchmaking events; nil drops them.
	Events Publisher
	// Region is the home region's name, used in ARNs and events.
	Region string
	// CycleInterval is how often an owner runs a matchmaking cycle over
	// its pool. Default 1s.
	CycleInterval time.Duration
	// LeaseTTL is how long a configuration's owner lease lasts without
	// renewal (it is renewed every third of it). Default 9s.
	LeaseTTL time.Duration
	// Retention is how long ended tickets stay readable. Default 1h.
	Retention time.Duration
	Now       func() time.Time
	Logger    *slog.Logger
}

// Service runs matchmaking.
type Service struct {
	cfg     Config
	log     *slog.Logger
	metrics *Metrics
	changed chan struct{} // a configuration was created, updated or deleted here
	check   checkers
	// out feeds the outbox (nil: events are published synchronously);
	// releases feeds the claim releasers. Both are set by Run.
	out      chan events.Event
	releases chan claimRelease
	// running counts owners whose goroutine has not returned. An owner
	// dropped on a lost lease is no longer in owners but may still emit
	// events: Run waits for all of them before it closes out.
	running sync.WaitGroup

	mu     sync.Mutex        // guards the fields below
	owners map[string]*owner // the configurations this node owns, by name
	// active is every ticket that has not ended, by configuration and id,
	// as the bucket shows them: what a new owner starts from.
	active map[string]map[string]stored
	// placing maps the placement ids of matches being placed to the
	// owner awaiting them.
	placing map[string]*owner
	// ended lists ended tickets by end time, for purging.
	ended []endedRef
}

type stored struct {
	t   Ticket
	rev uint64
}

type endedRef struct {
	id     string
	config string
	rev    uint64
	at     time.Time
}

// New returns the Service; Run starts its work.
func New(cfg Config) (*Service, error) {
	if cfg.Config == nil || cfg.Tickets == nil || cfg.Fleets == nil || cfg.Placements == nil {
		return nil, errors.New("matchmaking: the Config and Tickets buckets, the fleet service and the placement service are required")
	}
	if cfg.Region == "" {
		cfg.Region = fleet.DefaultRegion
	}
	if cfg.CycleInterval <= 0 {
		cfg.CycleInterval = time.Second
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 9 * time.Second
	}
	if cfg.Retention <= 0 {
		cfg.Retention = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "matchmaking"),
		changed: make(chan struct{}, 1),
		owners:  make(map[string]*owner),
		active:  make(map[string]map[string]stored),
		placing: make(map[string]*owner),
	}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

func (s *Service) arn(resource string) string {
	return "arn:rallypoint:gamelift:" + s.cfg.Region + "::" + resource
}

// nameFromARN accepts a resource name or an ARN of the given kind
// ("matchmakingconfiguration", "matchmakingruleset") and returns the name.
func nameFromARN(nameOrARN, kind string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		if i := strings.LastIndex(nameOrARN, ":"+kind+"/"); i >= 0 {
			return nameOrARN[i+len(kind)+2:]
		}
	}
	return nameOrARN
}

// validName reports whether name is a valid rule set or configuration
// name: 1 to 128 letters, digits, '-' and '.'.
func validName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for _, c := range name {
		if !(c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
