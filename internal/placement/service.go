// Package placement runs game session queues: it takes placement requests,
// chooses where each game session goes (by the queue's destinations,
// latency policies, priorities and filter), claims capacity through the
// fleet service, and reports each outcome as a GameLift queue placement
// event.
//
// Each queue is owned by one node at a time (a lease), which holds the
// queue's pending placements in memory and makes every placement decision
// for them; every write is a compare-and-set on the stored record, so an
// owner that has lost its lease cannot overwrite a newer one. Any node
// accepts requests: it stores them, and the owner learns of them by
// watching the bucket.
package placement

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/events"
	"github.com/rallypoint/rallypoint/internal/fleet"
)

// Publisher puts events on the event stream.
type Publisher interface {
	Publish(ctx context.Context, e events.Event) error
}

// Config wires the Service to its storage and neighbours.
type Config struct {
	// Config is rp_config (queues, under queue.<name>); Sessions is
	// rp_sessions (placements, under pl.<id>).
	Config   jetstream.KeyValue
	Sessions jetstream.KeyValue
	Fleets   *fleet.Service
	// Leases elects each queue's owner. Nil means this node owns every
	// queue, which is right for a single node only.
	Leases *engine.Leases
	// Events receives placement events; nil drops them.
	Events Publisher
	// Region is the home region's name, used in ARNs and events.
	Region string
	// RetryInterval is how often an owner retries placements that found no
	// capacity when nothing has woken it sooner. Default 1s.
	RetryInterval time.Duration
	// LeaseTTL is how long a queue's owner lease lasts without renewal
	// (it is renewed every third of it). Default 9s.
	LeaseTTL time.Duration
	// Retention is how long ended placements stay readable. Default 1h:
	// every node keeps a small note of each ended placement until it is
	// purged, and the bucket keeps the records.
	Retention time.Duration
	// MaxInFlight bounds the game sessions one queue's owner is creating
	// at once. Default 64.
	MaxInFlight int
	Now         func() time.Time
	Logger      *slog.Logger
}

// Service runs queues and placements.
type Service struct {
	cfg     Config
	log     *slog.Logger
	metrics *Metrics      // nil records nothing
	changed chan struct{} // a queue was created, updated or deleted here

	mu     sync.Mutex        // guards the fields below
	owners map[string]*owner // the queues this node owns, by name
	// waiting maps the game sessions placements await to their owners.
	waiting map[string]*owner
	// pending is every PENDING placement, by queue and id, as the bucket
	// shows them: what a new owner of a queue starts from.
	pending map[string]map[string]stored
	// ended lists ended placements by end time, for purging.
	ended []endedRef
	// listeners are told of every ended placement (OnEnded).
	listeners []func(Placement)
}

type stored struct {
	pl  Placement
	rev uint64
}

type endedRef struct {
	id    string
	queue string
	rev   uint64
	at    time.Time
}

// New returns the Service; Run starts its work.
func New(cfg Config) (*Service, error) {
	if cfg.Config == nil || cfg.Sessions == nil || cfg.Fleets == nil {
		return nil, errors.New("placement: the Config and Sessions buckets and the fleet service are required")
	}
	if cfg.Region == "" {
		cfg.Region = fleet.DefaultRegion
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = time.Second
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 9 * time.Second
	}
	if cfg.Retention <= 0 {
		cfg.Retention = time.Hour
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 64
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "placement"),
		changed: make(chan struct{}, 1),
		owners:  make(map[string]*owner),
		waiting: make(map[string]*owner),
		pending: make(map[string]map[string]stored),
	}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

func (s *Service) arn(resource string) string {
	return "arn:rallypoint:gamelift:" + s.cfg.Region + "::" + resource
}
