package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Lease errors. Callers branch on them with errors.Is.
var (
	// ErrLeaseHeld means another node holds an unexpired lease.
	ErrLeaseHeld = errors.New("lease is held by another node")
	// ErrLeaseLost means the caller's lease expired or was taken over: it
	// must stop acting as the owner at once and rebuild from storage if it
	// acquires the lease again.
	ErrLeaseLost = errors.New("lease lost")
	// ErrNoHolder means nobody holds the lease.
	ErrNoHolder = errors.New("lease has no holder")
)

// Lease is one node's claim on an aggregate until Expires. Revision is the
// KV revision of the lease record; every renewal changes it, and every
// change is a compare-and-set against the revision the caller last saw, so
// two nodes can never both believe they renewed the same lease.
type Lease struct {
	Name     string
	Holder   string
	Expires  time.Time
	Revision uint64
}

// leaseRecord is the stored form of a lease.
type leaseRecord struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
}

// Leases grants and renews leases for one node. Expiry is judged on each
// node's own clock against the expiry time the holder wrote, so node clocks
// must agree to well within a lease's TTL (NTP is enough for TTLs of
// seconds).
type Leases struct {
	kv   jetstream.KeyValue
	node string
	now  func() time.Time
}

// NewLeases returns a lease client for node over the leases bucket. now is
// the clock (time.Now in production; a fake in tests).
func NewLeases(kv jetstream.KeyValue, node string, now func() time.Time) *Leases {
	if now == nil {
		now = time.Now
	}
	return &Leases{kv: kv, node: node, now: now}
}

// Leases returns the lease client of this node, on the wall clock.
func (e *Engine) Leases() *Leases {
	return NewLeases(e.Bucket(BucketLeases), e.cfg.NodeID, time.Now)
}

// Acquire takes the lease called name for ttl if nobody holds it, its
// holder let it expire, or this node held it before (a restarted node takes
// its own leases back at once). It returns ErrLeaseHeld otherwise.
func (l *Leases) Acquire(ctx context.Context, name string, ttl time.Duration) (Lease, error) {
	if ttl <= 0 {
		return Lease{}, fmt.Errorf("acquire lease %s: ttl must be positive", name)
	}
	rec := leaseRecord{Holder: l.node, Expires: l.now().Add(ttl)}
	val, err := json.Marshal(rec)
	if err != nil {
		return Lease{}, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	cur, err := l.Holder(ctx, name)
	switch {
	case errors.Is(err, ErrNoHolder):
		rev, err := l.kv.Create(ctx, name, val)
		if errors.Is(err, jetstream.ErrKeyExists) {
			return Lease{}, fmt.Errorf("acquire lease %s: %w (taken concurrently)", name, ErrLeaseHeld)
		}
		if err != nil {
			return Lease{}, fmt.Errorf("acquire lease %s: %w", name, err)
		}
		return Lease{Name: name, Holder: l.node, Expires: rec.Expires, Revision: rev}, nil
	case err != nil:
		return Lease{}, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	if cur.Holder != l.node && l.now().Before(cur.Expires) {
		return Lease{}, fmt.Errorf("acquire lease %s: %w (%s until %s)", name, ErrLeaseHeld, cur.Holder, cur.Expires.Format(time.RFC3339Nano))
	}
	rev, err := l.kv.Update(ctx, name, val, cur.Revision)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return Lease{}, fmt.Errorf("acquire lease %s: %w (taken concurrently)", name, ErrLeaseHeld)
	}
	if err != nil {
		return Lease{}, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return Lease{Name: name, Holder: l.node, Expires: rec.Expires, Revision: rev}, nil
}

// Renew extends a held lease by ttl from now. A lease that has already
// expired is lost even if nobody took it over: its holder may have stopped
// acting as owner, and the rules say it must reacquire and rebuild.
func (l *Leases) Renew(ctx context.Context, lease Lease, ttl time.Duration) (Lease, error) {
	now := l.now()
	if !now.Before(lease.Expires) {
		return Lease{}, fmt.Errorf("renew lease %s: %w (expired at %s)", lease.Name, ErrLeaseLost, lease.Expires.Format(time.RFC3339Nano))
	}
	rec := leaseRecord{Holder: l.node, Expires: now.Add(ttl)}
	val, err := json.Marshal(rec)
	if err != nil {
		return Lease{}, fmt.Errorf("renew lease %s: %w", lease.Name, err)
	}
	rev, err := l.kv.Update(ctx, lease.Name, val, lease.Revision)
	if isRevisionMismatch(err) {
		return Lease{}, fmt.Errorf("renew lease %s: %w (revision moved)", lease.Name, ErrLeaseLost)
	}
	if err != nil {
		return Lease{}, fmt.Errorf("renew lease %s: %w", lease.Name, err)
	}
	return Lease{Name: lease.Name, Holder: l.node, Expires: rec.Expires, Revision: rev}, nil
}

// Release gives the lease up so another node can take it without waiting
// for expiry. Releasing a lease that was already lost reports ErrLeaseLost
// and leaves the new holder alone.
func (l *Leases) Release(ctx context.Context, lease Lease) error {
	err := l.kv.Delete(ctx, lease.Name, jetstream.LastRevision(lease.Revision))
	if isRevisionMismatch(err) {
		return fmt.Errorf("release lease %s: %w", lease.Name, ErrLeaseLost)
	}
	if err != nil {
		return fmt.Errorf("release lease %s: %w", lease.Name, err)
	}
	return nil
}

// Holder reports who holds name, expired or not; ErrNoHolder if nobody.
func (l *Leases) Holder(ctx context.Context, name string) (Lease, error) {
	entry, err := l.kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Lease{}, ErrNoHolder
	}
	if err != nil {
		return Lease{}, fmt.Errorf("read lease %s: %w", name, err)
	}
	var rec leaseRecord
	if err := json.Unmarshal(entry.Value(), &rec); err != nil {
		return Lease{}, fmt.Errorf("read lease %s: corrupt record: %w", name, err)
	}
	return Lease{Name: name, Holder: rec.Holder, Expires: rec.Expires, Revision: entry.Revision()}, nil
}

// List returns the leases whose names start with prefix, expired or not.
func (l *Leases) List(ctx context.Context, prefix string) ([]Lease, error) {
	keys, err := l.kv.ListKeysFiltered(ctx, prefix+">")
	if err != nil {
		return nil, fmt.Errorf("list leases %s*: %w", prefix, err)
	}
	var out []Lease
	for name := range keys.Keys() {
		lease, err := l.Holder(ctx, name)
		if errors.Is(err, ErrNoHolder) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, lease)
	}
	return out, nil
}

// isRevisionMismatch recognises the compare-and-set failure of Update and
// Delete with LastRevision, which the server reports as a wrong last
// sequence.
func isRevisionMismatch(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence
}

// Held is a lease kept alive in the background by Hold.
type Held struct {
	leases *Leases
	ttl    time.Duration
	lost   chan struct{}
	stop   context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex // guards lease
	lease Lease
}

// Hold acquires name and renews it every ttl/3 until ctx ends, Release is
// called, or a renewal fails; then Lost is closed. The owner must watch
// Lost and stop writing as the aggregate's owner when it closes.
func (l *Leases) Hold(ctx context.Context, name string, ttl time.Duration) (*Held, error) {
	lease, err := l.Acquire(ctx, name, ttl)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	h := &Held{leases: l, ttl: ttl, lease: lease, lost: make(chan struct{}), stop: cancel, done: make(chan struct{})}
	go h.keep(ctx)
	return h, nil
}

func (h *Held) keep(ctx context.Context) {
	defer close(h.done)
	defer close(h.lost)
	t := time.NewTicker(h.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h.mu.Lock()
		cur := h.lease
		h.mu.Unlock()
		next, err := h.leases.Renew(ctx, cur, h.ttl)
		if err != nil {
			// A transient NATS error is retried until the lease would have
			// expired; after that the lease is lost whatever the cause.
			if errors.Is(err, ErrLeaseLost) || !h.leases.now().Before(cur.Expires) {
				return
			}
			continue
		}
		h.mu.Lock()
		h.lease = next
		h.mu.Unlock()
	}
}

// Lost is closed when the lease is no longer held.
func (h *Held) Lost() <-chan struct{} { return h.lost }

// Lease is the lease as last renewed.
func (h *Held) Lease() Lease {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lease
}

// Release stops renewing and gives the lease up.
func (h *Held) Release(ctx context.Context) error {
	h.stop()
	<-h.done
	return h.leases.Release(ctx, h.Lease())
}
