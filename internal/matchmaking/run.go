package matchmaking

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/events"
	"github.com/rallypoint/rallypoint/internal/placement"
)

// Run owns matchmaking configurations until ctx ends: it follows the
// tickets in storage, takes the lease of every configuration nobody owns,
// runs an owner for each lease it holds, and purges ended tickets once they
// are older than the retention.
func (s *Service) Run(ctx context.Context) error {
	s.cfg.Placements.OnEnded(s.placementEnded)
	ready := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { s.followTickets(ctx, ready) })
	select {
	case <-ready:
	case <-ctx.Done():
		wg.Wait()
		return nil
	}
	var outbox sync.WaitGroup
	if pub, ok := s.cfg.Events.(asyncPublisher); ok {
		s.out = make(chan events.Event, outboxSize)
		// The outbox outlives ctx a little, to publish what the owners
		// emitted before they stopped.
		flush, cancel := context.WithCancel(context.WithoutCancel(ctx))
		defer cancel()
		outbox.Go(func() { s.runOutbox(flush, pub, s.out) })
		defer func() {
			close(s.out)
			done := make(chan struct{})
			go func() { outbox.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				s.log.Warn("matchmaking events still unpublished at shutdown were dropped")
				cancel()
				<-done
			}
		}()
	}
	s.releases = make(chan claimRelease, outboxSize)
	for range 4 {
		wg.Go(func() { s.runReleases(ctx, s.releases) })
	}
	s.ownConfigurations(ctx)
	s.stopOwners()
	s.running.Wait()
	wg.Wait()
	return nil
}

// followTickets keeps the index of active tickets (and the list of ended
// ones) current and hands each change to the configuration's owner if this
// node owns it. ready is closed once the stored tickets have all been read.
func (s *Service) followTickets(ctx context.Context, ready chan struct{}) {
	var once sync.Once
	for ctx.Err() == nil {
		w, err := s.cfg.Tickets.WatchFiltered(ctx, []string{"t.>"}, jetstream.IgnoreDeletes())
		if err != nil {
			s.log.Error("cannot watch tickets; retrying", "error", err)
			sleep(ctx, time.Second)
			continue
		}
		s.mu.Lock()
		s.ended = nil // the watch reads them all again
		s.mu.Unlock()
		for e := range w.Updates() {
			if e == nil {
				s.mu.Lock()
				slices.SortFunc(s.ended, func(a, b endedRef) int { return a.at.Compare(b.at) })
				s.mu.Unlock()
				once.Do(func() { close(ready) })
				continue
			}
			var t Ticket
			if err := json.Unmarshal(e.Value(), &t); err != nil {
				s.log.Error("unreadable ticket record; skipped", "key", e.Key(), "error", err)
				continue
			}
			s.observe(t, e.Revision())
		}
		if ctx.Err() == nil {
			s.log.Warn("ticket watch ended; restarting it")
			sleep(ctx, 100*time.Millisecond)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// observe records a stored revision of a ticket and passes it to the
// owner of its configuration, if this node is that.
func (s *Service) observe(t Ticket, rev uint64) {
	s.mu.Lock()
	byConfig := s.active[t.Configuration]
	if t.Ended() {
		if cur, ok := byConfig[t.ID]; ok && cur.rev < rev {
			delete(byConfig, t.ID)
			if len(byConfig) == 0 {
				delete(s.active, t.Configuration)
			}
		}
		s.ended = append(s.ended, endedRef{id: t.ID, config: t.Configuration, rev: rev, at: t.EndTime})
	} else {
		if byConfig == nil {
			byConfig = make(map[string]stored)
			s.active[t.Configuration] = byConfig
		}
		if cur, ok := byConfig[t.ID]; !ok || cur.rev < rev {
			byConfig[t.ID] = stored{t: t, rev: rev}
		}
	}
	o := s.owners[t.Configuration]
	s.mu.Unlock()
	if o != nil {
		o.adopt(t, rev)
	}
}

// activeTickets counts the configuration's tickets that have not ended.
func (s *Service) activeTickets(config string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.active[config])
}

// placementEnded passes a placement's outcome to the owner awaiting it.
func (s *Service) placementEnded(pl placement.Placement) {
	s.mu.Lock()
	o := s.placing[pl.ID]
	s.mu.Unlock()
	if o != nil {
		o.placementEnded(pl)
	}
}

func (s *Service) awaitPlacement(id string, o *owner) {
	s.mu.Lock()
	s.placing[id] = o
	s.mu.Unlock()
}

func (s *Service) unawaitPlacement(id string) {
	s.mu.Lock()
	delete(s.placing, id)
	s.mu.Unlock()
}

// configChanged tells this node's owner of the configuration, if any, to
// read it again, and the lease loop to look for new configurations now.
func (s *Service) configChanged(name string) {
	select {
	case s.changed <- struct{}{}:
	default:
	}
	s.mu.Lock()
	o := s.owners[name]
	s.mu.Unlock()
	if o != nil {
		o.mu.Lock()
		o.dirty = true
		o.mu.Unlock()
		o.poke()
	}
}

// ownConfigurations takes the leases of unowned configurations and purges
// old tickets, every third of the lease TTL and whenever a configuration
// changes here.
func (s *Service) ownConfigurations(ctx context.Context) {
	tick := time.NewTicker(s.cfg.LeaseTTL / 3)
	defer tick.Stop()
	for {
		s.claimConfigurations(ctx)
		s.purge(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.changed:
		}
	}
}

const leasePrefix = "matchmaking."

func (s *Service) claimConfigurations(ctx context.Context) {
	configs, err := engine.List[Configuration](ctx, s.cfg.Config, configKey(">"))
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("cannot list matchmaking configurations to own", "error", err)
		}
		return
	}
	exists := make(map[string]bool, len(configs))
	for _, c := range configs {
		exists[c.Name] = true
		s.mu.Lock()
		_, owned := s.owners[c.Name]
		s.mu.Unlock()
		if owned {
			continue
		}
		var held *engine.Held
		if s.cfg.Leases != nil {
			held, err = s.cfg.Leases.Hold(ctx, leasePrefix+c.Name, s.cfg.LeaseTTL)
			if errors.Is(err, engine.ErrLeaseHeld) {
				continue
			}
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("cannot take a matchmaking configuration's lease", "configuration", c.Name, "error", err)
				}
				continue
			}
		}
		s.startOwner(c.Name, held)
	}
	s.mu.Lock()
	var gone []*owner
	for name, o := range s.owners {
		if !exists[name] && len(s.active[name]) == 0 {
			gone = append(gone, o)
		}
	}
	s.mu.Unlock()
	for _, o := range gone {
		s.dropOwner(o)
	}
}

func (s *Service) startOwner(name string, held *engine.Held) {
	o := newOwner(s, name)
	o.held = held
	s.mu.Lock()
	s.owners[name] = o
	snapshot := make([]stored, 0, len(s.active[name]))
	for _, st := range s.active[name] {
		snapshot = append(snapshot, st)
	}
	s.mu.Unlock()
	slices.SortFunc(snapshot, func(a, b stored) int { return a.t.StartTime.Compare(b.t.StartTime) })
	for _, st := range snapshot {
		o.adopt(st.t, st.rev)
	}
	s.running.Go(o.run)
	if held != nil {
		go func() {
			select {
			case <-held.Lost():
				s.log.Warn("lost the lease of a matchmaking configuration; another node owns it now", "configuration", name)
				s.dropOwner(o)
			case <-o.done:
			}
		}()
	}
	s.log.Info("owning matchmaking configuration", "configuration", name, "active_tickets", len(snapshot))
}

// dropOwner stops an owner and gives its lease up.
func (s *Service) dropOwner(o *owner) {
	s.mu.Lock()
	if s.owners[o.name] == o {
		delete(s.owners, o.name)
	}
	for id, w := range s.placing {
		if w == o {
			delete(s.placing, id)
		}
	}
	s.mu.Unlock()
	o.stop()
	if o.held != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := o.held.Release(ctx); err != nil && !errors.Is(err, engine.ErrLeaseLost) {
			s.log.Warn("could not release a matchmaking configuration's lease; it will expire", "configuration", o.name, "error", err)
		}
	}
}

func (s *Service) stopOwners() {
	s.mu.Lock()
	owners := make([]*owner, 0, len(s.owners))
	for _, o := range s.owners {
		owners = append(owners, o)
	}
	s.mu.Unlock()
	for _, o := range owners {
		s.dropOwner(o)
	}
}

// purge deletes ended tickets older than the retention. Every node does
// it; the deletes are compare-and-set on the revision seen, so they cannot
// remove anything newer, and all but one find nothing to do.
func (s *Service) purge(ctx context.Context) {
	cutoff := s.now().Add(-s.cfg.Retention)
	s.mu.Lock()
	slices.SortFunc(s.ended, func(a, b endedRef) int { return a.at.Compare(b.at) })
	n, _ := slices.BinarySearchFunc(s.ended, cutoff, func(r endedRef, t time.Time) int { return r.at.Compare(t) })
	old := slices.Clone(s.ended[:n])
	s.ended = slices.Delete(s.ended, 0, n)
	s.mu.Unlock()
	for _, r := range old {
		err := engine.Delete(ctx, s.cfg.Tickets, ticketKey(r.id), r.rev)
		if err != nil && !errors.Is(err, engine.ErrStale) && !strings.Contains(err.Error(), "not found") {
			s.log.Debug("could not purge an ended ticket", "ticket", r.id, "error", err)
		}
	}
}
