package fleet

import (
	"container/heap"
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// Deadlines (a process's next expected heartbeat, a game session's
// activation, a reservation's timeout) live in the stored records. Each
// node keeps an in-memory timer per record it has touched, so a deadline is
// acted on when it passes, and one node (the holder of the rescan lease)
// periodically reads every record to pick up deadlines nobody has a timer
// for: after a restart or after another node died. Acting is a
// compare-and-set on the record that first rechecks the deadline, so two
// nodes firing for the same record are harmless.

type timerKind uint8

const (
	timerProcess     timerKind = iota + 1 // key: process key; heartbeat deadline
	timerGameSession                      // key: game session key; activation and reservation deadlines
)

type timerID struct {
	kind timerKind
	key  string
}

type timerEntry struct {
	id timerID
	at time.Time
}

// timers is a set of deadlines, at most one per record (the earliest).
// mu guards every field.
type timers struct {
	mu    sync.Mutex
	due   map[timerID]time.Time
	queue timerQueue
	wake  chan struct{}
}

func newTimers() *timers {
	return &timers{due: make(map[timerID]time.Time), wake: make(chan struct{}, 1)}
}

// schedule makes sure the record is looked at no later than at.
func (t *timers) schedule(kind timerKind, key string, at time.Time) {
	id := timerID{kind, key}
	t.mu.Lock()
	if cur, ok := t.due[id]; ok && !at.Before(cur) {
		t.mu.Unlock()
		return
	}
	t.due[id] = at
	heap.Push(&t.queue, timerEntry{id: id, at: at})
	first := t.queue[0].id == id
	t.mu.Unlock()
	if first {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
}

// next pops every entry due by now, and says when the next one is due.
func (t *timers) next(now time.Time) (fired []timerID, wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(t.queue) > 0 {
		e := t.queue[0]
		if cur, ok := t.due[e.id]; !ok || !cur.Equal(e.at) {
			heap.Pop(&t.queue) // superseded by an earlier schedule
			continue
		}
		if e.at.After(now) {
			return fired, e.at.Sub(now)
		}
		heap.Pop(&t.queue)
		delete(t.due, e.id)
		fired = append(fired, e.id)
	}
	return fired, time.Hour
}

type timerQueue []timerEntry

func (q timerQueue) Len() int           { return len(q) }
func (q timerQueue) Less(i, j int) bool { return q[i].at.Before(q[j].at) }
func (q timerQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *timerQueue) Push(x any)        { *q = append(*q, x.(timerEntry)) }
func (q *timerQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// Run acts on deadlines until ctx ends: it fires timers, and rescans the
// stored records on start and every RescanInterval while this node holds
// the rescan lease. It also keeps the in-memory view of server processes
// that finding an idle one reads. The node runs it for as long as it
// serves.
func (s *Service) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wg.Go(func() { s.procs.watch(ctx, s.cfg.Computes, s.log.Warn) })
	rescan := time.NewTicker(s.cfg.RescanInterval)
	defer rescan.Stop()
	s.rescan(ctx)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		fired, wait := s.timers.next(s.cfg.Now())
		for _, id := range fired {
			s.fire(ctx, id)
		}
		if len(fired) > 0 {
			continue
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-s.timers.wake:
		case <-rescan.C:
			s.rescan(ctx)
		}
	}
}

func (s *Service) fire(ctx context.Context, id timerID) {
	var err error
	switch id.kind {
	case timerProcess:
		err = s.checkProcess(ctx, id.key)
	case timerGameSession:
		err = s.checkGameSession(ctx, id.key)
	}
	if err != nil && ctx.Err() == nil {
		// Try again shortly: a deadline must not be forgotten because the
		// engine hiccuped.
		s.log.Warn("could not act on a deadline; retrying", "key", id.key, "error", err)
		s.timers.schedule(id.kind, id.key, s.cfg.Now().Add(time.Second))
	}
}

const rescanLease = "fleet.rescan"

// rescan reads every process and game session record and schedules their
// deadlines, if this node holds (or takes) the rescan lease.
func (s *Service) rescan(ctx context.Context) {
	if s.cfg.Leases != nil {
		// Held until it expires; this node's next rescan takes it again
		// before then, so another node rescans only once this one stops.
		_, err := s.cfg.Leases.Acquire(ctx, rescanLease, 3*s.cfg.RescanInterval)
		if errors.Is(err, engine.ErrLeaseHeld) {
			return
		}
		if err != nil {
			s.log.Warn("could not take the rescan lease", "error", err)
			return
		}
	}
	now := s.now()
	procs, err := engine.List[Process](ctx, s.cfg.Computes, "proc.>")
	if err != nil {
		s.log.Warn("rescan of server processes failed", "error", err)
	}
	for _, p := range procs {
		// An ended process is kept a while so that its id is refused if
		// reused; an ended record never changes again.
		if p.Status == ProcessTerminated && now.Sub(p.EndedAt) > processRetention {
			s.purge(ctx, s.cfg.Computes, p.Ref().key())
		}
		s.scheduleProcess(p)
	}
	sessions, err := engine.List[GameSession](ctx, s.cfg.Sessions, "gs.>")
	if err != nil {
		s.log.Warn("rescan of game sessions failed", "error", err)
	}
	for _, gs := range sessions {
		if gs.ended() && !now.Before(gs.EndedAt.Add(s.cfg.Retention)) {
			s.purge(ctx, s.cfg.Sessions, gs.key())
		}
		s.scheduleGameSession(gs)
	}
}

// purge deletes a record whose retention is over. Ended records get no
// timers: a timer per ended record would hold memory for the whole
// retention.
func (s *Service) purge(ctx context.Context, kv jetstream.KeyValue, key string) {
	if err := kv.Delete(ctx, key); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		s.log.Warn("could not purge an expired record", "key", key, "error", err)
	}
}

// stripes serialises this node's writers to one record, so that many
// concurrent calls for one game session queue up here instead of burning
// through compare-and-set retries; other nodes are still fenced by the
// compare-and-set itself.
type stripes struct {
	seed maphash.Seed
	once sync.Once
	mu   [64]sync.Mutex
}

func (st *stripes) lock(key string) func() {
	st.once.Do(func() { st.seed = maphash.MakeSeed() })
	m := &st.mu[maphash.String(st.seed, key)%uint64(len(st.mu))]
	m.Lock()
	return m.Unlock
}
