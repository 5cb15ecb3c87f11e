package placement

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// Run owns queues until ctx ends: it follows the placements in storage,
// takes the lease of every queue nobody owns, runs an owner for each lease
// it holds, and purges ended placements once they are older than the
// retention.
func (s *Service) Run(ctx context.Context) error {
	ready := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { s.followPlacements(ctx, ready) })
	select {
	case <-ready:
	case <-ctx.Done():
		wg.Wait()
		return nil
	}
	wg.Go(func() { s.followGameSessions(ctx) })
	wg.Go(func() { s.followCapacity(ctx) })
	s.ownQueues(ctx)
	s.stopOwners()
	wg.Wait()
	return nil
}

// followPlacements keeps the index of pending placements (and the list of
// ended ones) current, and hands each change to the queue's owner if this
// node owns it. ready is closed once the stored placements have all been
// read.
func (s *Service) followPlacements(ctx context.Context, ready chan struct{}) {
	var once sync.Once
	for ctx.Err() == nil {
		w, err := s.cfg.Sessions.WatchFiltered(ctx, []string{"pl.>"}, jetstream.IgnoreDeletes())
		if err != nil {
			s.log.Error("cannot watch placements; retrying", "error", err)
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
			var pl Placement
			if err := json.Unmarshal(e.Value(), &pl); err != nil {
				s.log.Warn("unreadable placement record", "key", e.Key(), "error", err)
				continue
			}
			s.observe(pl, e.Revision())
		}
		w.Stop()
		if ctx.Err() == nil {
			s.log.Warn("the placement watch ended; starting it again")
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

// observe records a stored revision of a placement and passes it to the
// owner of its queue, if this node is that.
func (s *Service) observe(pl Placement, rev uint64) {
	s.mu.Lock()
	byQueue := s.pending[pl.Queue]
	if pl.Ended() {
		if cur, ok := byQueue[pl.ID]; ok && cur.rev < rev {
			delete(byQueue, pl.ID)
			if len(byQueue) == 0 {
				delete(s.pending, pl.Queue)
			}
		}
		s.ended = append(s.ended, endedRef{id: pl.ID, queue: pl.Queue, rev: rev, at: pl.EndTime})
	} else {
		if byQueue == nil {
			byQueue = make(map[string]stored)
			s.pending[pl.Queue] = byQueue
		}
		if cur, ok := byQueue[pl.ID]; !ok || cur.rev < rev {
			byQueue[pl.ID] = stored{pl: pl, rev: rev}
		}
	}
	o := s.owners[pl.Queue]
	listeners := s.listeners
	s.mu.Unlock()
	if o != nil {
		o.adopt(pl, rev, false)
	}
	if pl.Ended() {
		for _, fn := range listeners {
			fn(pl)
		}
	}
}

// OnEnded registers fn to be called with every placement this node sees
// end, whichever node placed it: the matchmaker learns its matches'
// outcomes this way. fn may be called more than once for one placement
// (after a watch is restarted, say), must not block, and sees placements
// that ended before it was registered only if they are read again.
func (s *Service) OnEnded(fn func(Placement)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listeners = append(s.listeners, fn)
}

// followGameSessions passes each change of an awaited game session to the
// owner that awaits it.
func (s *Service) followGameSessions(ctx context.Context) {
	for ctx.Err() == nil {
		changes, err := s.cfg.Fleets.WatchGameSessions(ctx)
		if err != nil {
			s.log.Error("cannot watch game sessions; retrying", "error", err)
			sleep(ctx, time.Second)
			continue
		}
		for gs := range changes {
			s.mu.Lock()
			o := s.waiting[gs.ID]
			s.mu.Unlock()
			if o != nil {
				o.gameSession(gs)
			}
		}
		// Changes missed until the new watch starts are found by the
		// owners' periodic checks.
		sleep(ctx, 100*time.Millisecond)
	}
}

// followCapacity wakes every owner when a server process becomes idle.
func (s *Service) followCapacity(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.cfg.Fleets.CapacityFreed():
			s.mu.Lock()
			for _, o := range s.owners {
				o.poke()
			}
			s.mu.Unlock()
		}
	}
}

func (s *Service) await(arn string, o *owner) {
	s.mu.Lock()
	s.waiting[arn] = o
	s.mu.Unlock()
}

func (s *Service) unawait(arn string) {
	s.mu.Lock()
	delete(s.waiting, arn)
	s.mu.Unlock()
}

// queueChanged tells this node's owner of the queue, if any, to read it
// again, and the lease loop to look for new queues now.
func (s *Service) queueChanged(name string) {
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

// ownQueues takes the leases of unowned queues and purges old placements,
// every third of the lease TTL and whenever a queue changes here.
func (s *Service) ownQueues(ctx context.Context) {
	tick := time.NewTicker(s.cfg.LeaseTTL / 3)
	defer tick.Stop()
	for {
		s.claimQueues(ctx)
		s.purge(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.changed:
		}
	}
}

const queueLeasePrefix = "queue."

func (s *Service) claimQueues(ctx context.Context) {
	queues, err := engine.List[Queue](ctx, s.cfg.Config, "queue.>")
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("cannot list queues to own", "error", err)
		}
		return
	}
	exists := make(map[string]bool, len(queues))
	for _, q := range queues {
		exists[q.Name] = true
		s.mu.Lock()
		_, owned := s.owners[q.Name]
		s.mu.Unlock()
		if owned {
			continue
		}
		var held *engine.Held
		if s.cfg.Leases != nil {
			held, err = s.cfg.Leases.Hold(ctx, queueLeasePrefix+q.Name, s.cfg.LeaseTTL)
			if errors.Is(err, engine.ErrLeaseHeld) {
				continue
			}
			if err != nil {
				if ctx.Err() == nil {
					s.log.Warn("cannot take a queue's lease", "queue", q.Name, "error", err)
				}
				continue
			}
		}
		s.startOwner(q.Name, held)
	}
	// An owner of a deleted queue stays until it has failed the queue's
	// pending placements.
	s.mu.Lock()
	var idle []*owner
	for name, o := range s.owners {
		if !exists[name] && o.empty() {
			idle = append(idle, o)
		}
	}
	s.mu.Unlock()
	for _, o := range idle {
		s.dropOwner(o)
	}
}

func (s *Service) startOwner(name string, held *engine.Held) {
	o := newOwner(s, name)
	o.held = held
	s.mu.Lock()
	s.owners[name] = o
	var snapshot []stored
	for _, st := range s.pending[name] {
		snapshot = append(snapshot, st)
	}
	var recent []endedRef
	since := s.now().Add(-republishWindow)
	for _, r := range s.ended {
		if r.queue == name && r.at.After(since) {
			recent = append(recent, r)
		}
	}
	s.mu.Unlock()
	if len(recent) > 0 {
		go s.republish(o.ctx, recent)
	}
	for _, st := range snapshot {
		o.adopt(st.pl, st.rev, true)
	}
	go o.run()
	if held != nil {
		go func() {
			select {
			case <-held.Lost():
				s.log.Warn("lost the lease of a queue; another node owns it now", "queue", name)
				s.dropOwner(o)
			case <-o.done:
			}
		}()
	}
	s.log.Info("owning queue", "queue", name, "pending", len(snapshot))
}

// dropOwner stops an owner and gives its lease up.
func (s *Service) dropOwner(o *owner) {
	s.mu.Lock()
	if s.owners[o.name] == o {
		delete(s.owners, o.name)
	}
	for arn, w := range s.waiting {
		if w == o {
			delete(s.waiting, arn)
		}
	}
	s.mu.Unlock()
	o.stop()
	if o.held != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := o.held.Release(ctx); err != nil && !errors.Is(err, engine.ErrLeaseLost) {
			s.log.Warn("could not release a queue's lease; it will expire", "queue", o.name, "error", err)
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

// purge deletes ended placements older than the retention. Every node
// does it; the deletes are compare-and-set on the revision seen, so they
// cannot remove anything newer, and all but one find nothing to do.
func (s *Service) purge(ctx context.Context) {
	cutoff := s.now().Add(-s.cfg.Retention)
	s.mu.Lock()
	n := 0
	for n < len(s.ended) && s.ended[n].at.Before(cutoff) {
		n++
	}
	old := slices.Clone(s.ended[:n])
	s.ended = slices.Delete(s.ended, 0, n)
	s.mu.Unlock()
	for _, r := range old {
		err := engine.Delete(ctx, s.cfg.Sessions, placementKey(r.id), r.rev)
		if err != nil && !errors.Is(err, engine.ErrStale) && !errors.Is(err, engine.ErrNotFound) && ctx.Err() == nil {
			s.log.Warn("could not purge an old placement", "placement", r.id, "error", err)
		}
	}
}
