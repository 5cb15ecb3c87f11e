package placement

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/fleet"
)

// owner runs one queue on the node that holds its lease: it keeps the
// queue's pending placements in memory and decides for each where to try
// next. The work on one placement (creating a game session, waiting for
// it to activate, reserving player sessions) runs in goroutines, at most
// MaxInFlight creations at once; the decisions are made in pass, under mu.
type owner struct {
	s      *Service
	name   string
	ctx    context.Context
	cancel context.CancelFunc
	wake   chan struct{}
	done   chan struct{}
	held   *engine.Held // nil without leases

	mu      sync.Mutex // guards the fields below
	entries map[string]*entry
	// order holds the entries by start time (and dropped ones until the
	// next pass compacts it), so a pass does not sort.
	order    []*entry
	byGS     map[string]*entry // game session ARN -> the entry awaiting it
	inflight int
	reserved map[string]int       // target key -> creations in flight there
	avoid    map[string]time.Time // target key -> not before (after an error there)
	queue    *Queue
	deleted  bool
	targets  []target
	// targetsGen changes whenever queue or targets are read again, which
	// is when the entries' cached rankings go stale.
	targetsGen uint64
	loadedAt   time.Time
	dirty      bool
}

// entry is one pending placement.
type entry struct {
	pl   Placement
	rev  uint64
	busy bool // a goroutine is working on it; pass leaves it alone
	// gsARN is the game session the current attempt made (or may have
	// made); set while it is awaited.
	gsARN string
	// seen is the latest change of that game session that arrived while
	// the entry was busy.
	seen    *fleet.GameSession
	checkAt time.Time
	// passes counts passes that found nowhere with capacity; an override's
	// single pass is over after one.
	passes int
	// recovered marks a placement taken over from storage (after a restart
	// or another node's loss): work its previous owner did may exist.
	recovered bool
	// adopted stays set for such a placement: its player sessions may
	// already be reserved.
	adopted bool
	dropped bool
	// placed are the player sessions reserved for it, kept in case storing
	// the fulfilment has to be tried again.
	placed []PlacedPlayer
	// gone marks a placement that ended elsewhere (StopGameSessionPlacement)
	// while it was busy.
	gone bool
	// ranked caches the placement's ranking of the targets for as long as
	// what it depends on (rankedFor) holds: a pass over thousands of
	// waiting placements, made each time a process frees up, would
	// otherwise rank every one of them again.
	ranked    []target
	rankedFor *rankKey
}

// rankKey is what a placement's ranking depends on besides the placement
// itself.
type rankKey struct {
	targetsGen uint64
	capMs      int
	capped     bool
	override   bool
}

func newOwner(s *Service, name string) *owner {
	ctx, cancel := context.WithCancel(context.Background())
	return &owner{
		s: s, name: name, ctx: ctx, cancel: cancel,
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		entries:  make(map[string]*entry),
		byGS:     make(map[string]*entry),
		reserved: make(map[string]int),
		avoid:    make(map[string]time.Time),
		dirty:    true,
	}
}

func (o *owner) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// run makes passes until the owner is stopped.
func (o *owner) run() {
	defer close(o.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := o.pass()
		timer.Reset(max(time.Until(next), time.Millisecond))
		select {
		case <-o.ctx.Done():
			return
		case <-o.wake:
		case <-timer.C:
		}
	}
}

// currentQueue is the queue as last read (nil if never).
func (o *owner) currentQueue() *Queue {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.queue
}

// empty reports whether the owner has no pending placement left.
func (o *owner) empty() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.entries) == 0
}

// stop ends the owner's work; what is in flight finds its context
// cancelled, and the stored records stay as they are for the next owner.
func (o *owner) stop() {
	o.cancel()
	<-o.done
}

// adopt takes a placement the owner did not know, or a newer revision of
// one it knows.
func (o *owner) adopt(pl Placement, rev uint64, recovered bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	e := o.entries[pl.ID]
	if e != nil && rev <= e.rev {
		return
	}
	if pl.Ended() {
		if e == nil {
			return
		}
		if e.busy {
			e.gone = true
			return
		}
		o.dropLocked(e)
		return
	}
	if e != nil {
		if !e.busy {
			e.pl, e.rev = pl, rev
			e.rankedFor = nil
		}
		return
	}
	e = &entry{pl: pl, rev: rev, recovered: recovered, adopted: recovered}
	if pl.GameSessionARN != "" {
		e.gsARN = pl.GameSessionARN
		o.byGS[e.gsARN] = e
		o.s.await(e.gsARN, o)
	}
	o.entries[pl.ID] = e
	// Placements mostly arrive in start order: the insertion is at or near
	// the end.
	i := len(o.order)
	for i > 0 && before(e, o.order[i-1]) {
		i--
	}
	o.order = slices.Insert(o.order, i, e)
	o.poke()
}

func before(a, b *entry) bool {
	return cmp.Or(a.pl.StartTime.Compare(b.pl.StartTime), cmp.Compare(a.pl.ID, b.pl.ID)) < 0
}

func (o *owner) dropLocked(e *entry) {
	e.dropped = true
	delete(o.entries, e.pl.ID)
	if e.gsARN != "" {
		delete(o.byGS, e.gsARN)
		o.s.unawait(e.gsARN)
	}
}

// refreshConfig reads the queue and resolves its targets again when they
// may have changed: when a change here marked them, or when they are a
// second old, so that a fleet's new location or status, or an alias
// re-pointed, reaches placements without any signal. The reads happen
// outside o.mu, so game session changes and new placements are taken in
// meanwhile.
func (o *owner) refreshConfig(now time.Time) {
	o.mu.Lock()
	stale := o.dirty || now.Sub(o.loadedAt) >= time.Second
	if stale {
		o.dirty = false
		o.loadedAt = now
	}
	o.mu.Unlock()
	if !stale {
		return
	}
	q, _, err := o.s.loadQueue(o.ctx, o.name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		o.s.log.Warn("could not read a queue; using what was read before", "queue", o.name, "error", err)
		return
	}
	var targets []target
	if err == nil {
		targets = o.s.targetsOf(o.ctx, &q)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.deleted = err != nil
	if err == nil {
		o.queue = &q
		o.targets = targets
		o.targetsGen++
	}
}

// targetsOf resolves the queue's destinations into the fleet locations
// that can take game sessions now.
func (s *Service) targetsOf(ctx context.Context, q *Queue) []target {
	var out []target
	seen := map[string]bool{}
	for i, d := range q.Destinations {
		f, err := s.resolveDestination(ctx, d)
		if err != nil {
			var fe *fleet.Error
			if !errors.As(err, &fe) && !errors.Is(err, ErrNotFound) {
				s.log.Warn("could not resolve a queue destination", "queue", q.Name, "destination", d, "error", err)
			}
			continue
		}
		if f.Status != fleet.StatusActive {
			continue
		}
		cost, _ := strconv.ParseFloat(f.AnywhereCost, 64)
		for _, l := range f.Locations[1:] {
			t := target{FleetID: f.ID, Location: l.Name, Dest: i, Cost: cost}
			if l.Status != fleet.StatusActive || seen[t.key()] {
				continue
			}
			seen[t.key()] = true
			out = append(out, t)
		}
	}
	return out
}

// pass looks at every pending placement once: it ends those past their
// deadline and starts an attempt for each that is free and has somewhere
// to go. It returns when it next needs to look without being woken.
func (o *owner) pass() time.Time {
	now := o.s.now()
	o.refreshConfig(now)
	o.mu.Lock()
	defer o.mu.Unlock()
	next := now.Add(time.Hour)
	o.order = slices.DeleteFunc(o.order, func(e *entry) bool { return e.dropped })
	capacity := o.capacityLocked(now)
	for _, e := range o.order {
		if e.busy {
			continue
		}
		switch {
		case o.deleted:
			o.startLocked(e, func() { o.finish(e, StatusFailed, "its queue was deleted") })
			continue
		case !now.Before(e.pl.Deadline):
			o.startLocked(e, func() { o.finish(e, StatusTimedOut, "") })
			continue
		case e.recovered && e.gsARN == "":
			o.startLocked(e, func() { o.recover(e) })
			continue
		}
		next = earliest(next, e.pl.Deadline)
		if e.gsARN != "" {
			if !now.Before(e.checkAt) {
				o.startLocked(e, func() { o.check(e) })
			} else {
				next = earliest(next, e.checkAt)
			}
			continue
		}
		if o.queue == nil {
			next = earliest(next, now.Add(o.s.cfg.RetryInterval))
			continue
		}
		p := plan{Queue: o.queue, Latencies: e.pl.PlayerLatencies, Elapsed: now.Sub(e.pl.StartTime), Override: e.override()}
		if len(p.Latencies) > 0 {
			if at, ok := nextPolicyChange(o.queue.PlayerLatencyPolicies, p.Elapsed); ok {
				next = earliest(next, e.pl.StartTime.Add(at))
			}
		}
		if !capacity || o.inflight >= o.s.cfg.MaxInFlight {
			next = earliest(next, now.Add(o.s.cfg.RetryInterval))
			continue
		}
		t, ok := o.chooseLocked(now, o.rankLocked(e, p))
		if !ok {
			e.passes++
			next = earliest(next, now.Add(o.s.cfg.RetryInterval))
			continue
		}
		o.reserved[t.key()]++
		o.inflight++
		o.startLocked(e, func() { o.attempt(e, t) })
		// The process just counted on may have been the last idle one:
		// the placements behind need not be looked at until one frees up.
		capacity = o.capacityLocked(now)
	}
	return next
}

// rankLocked returns e's ranking of the targets under p, from its cache
// when nothing it depends on has changed.
func (o *owner) rankLocked(e *entry, p plan) []target {
	key := rankKey{targetsGen: o.targetsGen, override: p.Override != nil}
	if len(p.Latencies) > 0 {
		key.capMs, key.capped = latencyCap(p.Queue.PlayerLatencyPolicies, p.Elapsed)
	}
	if e.rankedFor == nil || *e.rankedFor != key {
		e.ranked = p.rank(o.targets)
		e.rankedFor = &key
	}
	return e.ranked
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// startLocked marks e busy and runs work on it in a goroutine.
func (o *owner) startLocked(e *entry, work func()) {
	e.busy = true
	go work()
}

// release ends a goroutine's work on e and wakes the owner for its next
// pass.
func (o *owner) release(e *entry) {
	o.mu.Lock()
	e.busy = false
	if e.gone {
		o.dropLocked(e)
	}
	o.mu.Unlock()
	o.poke()
}

// capacityLocked reports whether any target may have an idle process, so
// that a pass over many waiting placements skips ranking when none has.
func (o *owner) capacityLocked(now time.Time) bool {
	for _, t := range o.targets {
		if o.availableLocked(now, t) {
			return true
		}
	}
	return false
}

func (o *owner) availableLocked(now time.Time, t target) bool {
	if until, ok := o.avoid[t.key()]; ok {
		if now.Before(until) {
			return false
		}
		delete(o.avoid, t.key())
	}
	idle, known := o.s.cfg.Fleets.IdleProcesses(t.FleetID, t.Location)
	return !known || idle-o.reserved[t.key()] > 0
}

// chooseLocked returns the first ranked target with an idle process that
// no attempt of this owner is already counting on.
func (o *owner) chooseLocked(now time.Time, ranked []target) (target, bool) {
	for _, t := range ranked {
		if o.availableLocked(now, t) {
			return t, true
		}
	}
	return target{}, false
}

// override is the placement's location order override while it applies:
// for its first pass, or for good with the NONE fallback.
func (e *entry) override() *Override {
	o := e.pl.Override
	if o == nil || o.Fallback != FallbackNone && e.passes > 0 {
		return nil
	}
	return o
}

// gameSessionToken names the game session of a placement's nth attempt,
// so that an owner taking over after a crash finds what its predecessor
// made instead of making a second one.
func gameSessionToken(placementID string, attempts int) string {
	if attempts == 0 {
		return placementID
	}
	return placementID + "-" + strconv.Itoa(attempts+1)
}

// attempt creates the placement's game session in t.
func (o *owner) attempt(e *entry, t target) {
	pl := e.pl
	token := gameSessionToken(pl.ID, pl.Attempts)
	arn := o.s.cfg.Fleets.GameSessionARN(t.FleetID, token)
	o.mu.Lock()
	e.gsARN = arn
	o.byGS[arn] = e
	o.mu.Unlock()
	o.s.await(arn, o)
	gs, err := o.s.cfg.Fleets.CreateGameSession(o.ctx, fleet.CreateGameSessionInput{
		FleetID:                   t.FleetID,
		Location:                  t.Location,
		Name:                      pl.GameSessionName,
		MaximumPlayerSessionCount: pl.MaximumPlayerSessionCount,
		GameProperties:            pl.GameProperties,
		GameSessionData:           pl.GameSessionData,
		MatchmakerData:            pl.MatchmakerData,
		IdempotencyToken:          token,
	})
	o.mu.Lock()
	o.reserved[t.key()]--
	if o.reserved[t.key()] <= 0 {
		delete(o.reserved, t.key())
	}
	o.inflight--
	if err != nil {
		delete(o.byGS, arn)
		e.gsARN = ""
		o.mu.Unlock()
		o.s.unawait(arn)
		if errors.Is(err, fleet.ErrIdempotentParameterMismatch) {
			// Someone made a game session with this placement's token
			// through CreateGameSession; the next attempt's token is free.
			o.retry(e, "token_taken", "game session token "+token+" in fleet "+t.FleetID+" is taken by a game session this placement did not make")
			return
		}
		if errors.Is(err, fleet.ErrFleetCapacityExceeded) {
			o.s.metrics.attemptFailed("no_capacity")
		} else {
			o.s.metrics.attemptFailed("fleet_refused")
			// A fleet that refuses for another reason (deleted, not
			// active, a token clash) is left alone for a while, so the
			// placement tries elsewhere instead of hammering it.
			o.mu.Lock()
			o.avoid[t.key()] = o.s.now().Add(o.s.cfg.RetryInterval)
			o.mu.Unlock()
			if o.ctx.Err() == nil {
				o.s.log.Warn("a placement attempt failed", "queue", o.name, "placement", pl.ID, "fleet", t.FleetID, "location", t.Location, "error", err)
			}
		}
		o.release(e)
		return
	}
	o.mu.Unlock()
	o.attach(e, gs)
}

// attach records the attempt's game session on the placement and acts on
// its status.
func (o *owner) attach(e *entry, gs fleet.GameSession) {
	withSession := func(pl *Placement) {
		pl.GameSessionARN = gs.ID
		pl.FleetID = gs.FleetID
		pl.Location = gs.Location
		pl.IPAddress = gs.IPAddress
		pl.DNSName = gs.DNSName
		pl.Port = gs.Port
	}
	_, res := o.write(e, withSession)
	switch res {
	case gone:
		// Cancelled meanwhile: the game session will never be used.
		o.terminate(gs.ID)
		o.release(e)
		return
	case failed:
		// Keep the game session in memory; the next write of the
		// placement stores it along.
		o.mu.Lock()
		withSession(&e.pl)
		o.mu.Unlock()
	}
	o.mu.Lock()
	e.gsARN = gs.ID
	o.byGS[gs.ID] = e
	e.checkAt = o.s.now().Add(5 * time.Second)
	if e.seen != nil && e.seen.ID == gs.ID {
		gs = *e.seen
	}
	e.seen = nil
	o.mu.Unlock()
	o.onGameSession(e, gs)
}

// onGameSession acts on the status of the game session e awaits; e is
// busy, and is released or handed on.
func (o *owner) onGameSession(e *entry, gs fleet.GameSession) {
	switch gs.Status {
	case fleet.GameSessionActive:
		o.fulfil(e, gs)
	case fleet.GameSessionActivating:
		o.release(e)
	default:
		o.retry(e, "game_session_ended", "its game session "+gs.ID+" ended ("+gs.Status+") before it was activated")
	}
}

// gameSession receives a change of a game session this owner awaits.
func (o *owner) gameSession(gs fleet.GameSession) {
	o.mu.Lock()
	e := o.byGS[gs.ID]
	if e == nil {
		o.mu.Unlock()
		return
	}
	if e.busy {
		e.seen = &gs
		o.mu.Unlock()
		return
	}
	e.busy = true
	o.mu.Unlock()
	go o.onGameSession(e, gs)
}

// check reads the awaited game session, in case a change of it was missed.
func (o *owner) check(e *entry) {
	o.mu.Lock()
	arn := e.gsARN
	e.checkAt = o.s.now().Add(5 * time.Second)
	o.mu.Unlock()
	gs, err := o.s.cfg.Fleets.GameSession(o.ctx, arn)
	switch {
	case errors.Is(err, fleet.ErrNotFound):
		o.retry(e, "game_session_ended", "its game session "+arn+" is gone")
	case err != nil:
		o.release(e)
	default:
		o.onGameSession(e, gs)
	}
}

// recover looks, for a placement taken over from storage, for a game
// session its previous owner may have created without recording it.
func (o *owner) recover(e *entry) {
	o.mu.Lock()
	targets := o.targets
	o.mu.Unlock()
	token := gameSessionToken(e.pl.ID, e.pl.Attempts)
	seen := map[string]bool{}
	for _, t := range targets {
		if seen[t.FleetID] {
			continue
		}
		seen[t.FleetID] = true
		gs, err := o.s.cfg.Fleets.GameSession(o.ctx, o.s.cfg.Fleets.GameSessionARN(t.FleetID, token))
		if err == nil {
			o.mu.Lock()
			e.recovered = false
			o.mu.Unlock()
			if !madeFor(gs, &e.pl) {
				o.retry(e, "token_taken", "game session token "+token+" in fleet "+t.FleetID+" is taken by a game session this placement did not make")
				return
			}
			o.attach(e, gs)
			return
		}
		if !errors.Is(err, fleet.ErrNotFound) {
			o.release(e) // try again on the next pass
			return
		}
	}
	o.mu.Lock()
	e.recovered = false
	o.mu.Unlock()
	o.release(e)
}

// madeFor says whether a game session found under a placement's token was
// made for it (by an earlier owner) rather than by a CreateGameSession
// call that happened to use the same idempotency token.
func madeFor(gs fleet.GameSession, pl *Placement) bool {
	if gs.Name != pl.GameSessionName || gs.MaximumPlayerSessionCount != pl.MaximumPlayerSessionCount ||
		gs.GameSessionData != pl.GameSessionData || gs.MatchmakerData != pl.MatchmakerData ||
		gs.CreatorID != "" {
		return false
	}
	return slices.Equal(gs.GameProperties, pl.GameProperties)
}

// retry gives up the current attempt's game session and lets the
// placement try again.
func (o *owner) retry(e *entry, reason, why string) {
	o.s.metrics.attemptFailed(reason)
	o.s.log.Info("placement attempt failed; trying again", "queue", o.name, "placement", e.pl.ID, "reason", why)
	_, res := o.write(e, func(pl *Placement) {
		pl.Attempts++
		pl.GameSessionARN, pl.FleetID, pl.Location, pl.IPAddress, pl.DNSName, pl.Port = "", "", "", "", "", 0
		pl.PlacedPlayers = nil
	})
	o.mu.Lock()
	if res != failed {
		// On failure the game session stays awaited: the next check
		// finds it ended and retries again.
		if e.gsARN != "" {
			delete(o.byGS, e.gsARN)
			o.s.unawait(e.gsARN)
			e.gsARN = ""
		}
		e.placed = nil
	}
	e.checkAt = o.s.now().Add(time.Second)
	o.mu.Unlock()
	o.release(e)
}

// fulfil reserves the desired player sessions in the active game session
// and ends the placement FULFILLED.
func (o *owner) fulfil(e *entry, gs fleet.GameSession) {
	placed, err := o.reservePlayers(e, gs)
	if err != nil {
		var fe *fleet.Error
		switch {
		case errors.As(err, &fe) && errors.Is(err, fleet.ErrInvalidGameSessionStatus):
			o.retry(e, "game_session_closed", "its game session "+gs.ID+" stopped taking players: "+err.Error())
		case errors.As(err, &fe):
			o.finish(e, StatusFailed, "its player sessions could not be reserved: "+err.Error())
		default:
			o.s.log.Warn("could not reserve a placement's player sessions; will try again", "placement", e.pl.ID, "error", err)
			o.mu.Lock()
			e.checkAt = o.s.now().Add(time.Second)
			o.mu.Unlock()
			o.release(e)
		}
		return
	}
	pl, res := o.write(e, func(pl *Placement) {
		pl.Status = StatusFulfilled
		pl.EndTime = o.s.now()
		pl.PlacedPlayers = placed
	})
	o.mu.Lock()
	if res == failed {
		// The player sessions are reserved; the next try stores them.
		e.placed = placed
		e.checkAt = o.s.now().Add(time.Second)
	} else {
		o.dropLocked(e)
	}
	e.busy = false
	o.mu.Unlock()
	if res == written {
		o.s.metrics.placementEnded(pl)
		o.s.log.Debug("placement fulfilled", "queue", o.name, "placement", pl.ID, "game_session", pl.GameSessionARN, "location", pl.Location)
		o.s.publish(o.ctx, pl, o.currentQueue())
	}
	o.poke()
}

// reservePlayers creates the desired player sessions; for a placement
// taken over from storage it first reuses those its previous owner made.
func (o *owner) reservePlayers(e *entry, gs fleet.GameSession) ([]PlacedPlayer, error) {
	want := e.pl.DesiredPlayers
	if len(want) == 0 {
		return nil, nil
	}
	o.mu.Lock()
	placed := e.placed
	o.mu.Unlock()
	if placed != nil {
		return placed, nil
	}
	have := map[string]string{}
	if e.adopted {
		views, err := o.s.cfg.Fleets.PlayerSessions(o.ctx, fleet.PlayerSessionFilter{GameSessionID: gs.ID})
		if err != nil {
			return nil, err
		}
		for _, v := range views {
			if v.Status == fleet.PlayerSessionReserved || v.Status == fleet.PlayerSessionActive {
				have[v.PlayerID] = v.ID
			}
		}
	}
	var missing []fleet.NewPlayer
	for _, d := range want {
		if _, ok := have[d.PlayerID]; !ok {
			missing = append(missing, fleet.NewPlayer{PlayerID: d.PlayerID, PlayerData: d.PlayerData})
		}
	}
	if len(missing) > 0 {
		views, err := o.s.cfg.Fleets.CreatePlayerSessions(o.ctx, gs.ID, missing)
		if err != nil {
			return nil, err
		}
		for _, v := range views {
			have[v.PlayerID] = v.ID
		}
	}
	placed = make([]PlacedPlayer, 0, len(want))
	for _, d := range want {
		placed = append(placed, PlacedPlayer{PlayerID: d.PlayerID, PlayerSessionID: have[d.PlayerID]})
	}
	return placed, nil
}

// finish ends the placement with a final status other than FULFILLED,
// ending any game session it had started, and emits the event.
func (o *owner) finish(e *entry, status, why string) {
	pl, res := o.write(e, func(pl *Placement) {
		pl.Status = status
		pl.EndTime = o.s.now()
	})
	if res == written && pl.GameSessionARN != "" {
		o.terminate(pl.GameSessionARN)
	}
	o.mu.Lock()
	if res != failed {
		o.dropLocked(e)
	}
	e.busy = false
	o.mu.Unlock()
	if res == written {
		o.s.metrics.placementEnded(pl)
		o.s.log.Info("placement ended", "queue", o.name, "placement", pl.ID, "status", status, "reason", why)
		o.s.publish(o.ctx, pl, o.currentQueue())
	}
	o.poke()
}

// write applies change to the placement and stores it with
// compare-and-set. If the record changed meanwhile it is read again; ok is
// false when it is no longer PENDING there (someone stopped it), and the
// entry is then marked gone.
func (o *owner) write(e *entry, change func(*Placement)) (Placement, writeResult) {
	o.mu.Lock()
	pl, rev := e.pl, e.rev
	o.mu.Unlock()
	for range 8 {
		next := pl
		next.GameProperties = slices.Clone(pl.GameProperties)
		change(&next)
		newRev, err := engine.Update(o.ctx, o.s.cfg.Sessions, placementKey(pl.ID), next, rev)
		if err == nil {
			o.mu.Lock()
			e.pl, e.rev, e.rankedFor = next, newRev, nil
			o.mu.Unlock()
			return next, written
		}
		if !errors.Is(err, engine.ErrStale) {
			break
		}
		cur, curRev, err := engine.Get[Placement](o.ctx, o.s.cfg.Sessions, placementKey(pl.ID))
		if errors.Is(err, engine.ErrNotFound) || err == nil && cur.Ended() {
			o.mu.Lock()
			e.gone = true
			o.mu.Unlock()
			return cur, gone
		}
		if err != nil {
			break
		}
		pl, rev = cur, curRev
	}
	if o.ctx.Err() == nil {
		o.s.log.Error("could not store a placement; will try again", "placement", pl.ID)
	}
	return pl, failed
}

// writeResult says how a write of a placement went.
type writeResult int

const (
	written writeResult = iota
	// gone: the placement ended elsewhere (it was stopped), or was purged.
	gone
	// failed: the engine did not take the write; the stored record is as
	// it was, and the caller tries again later.
	failed
)

// terminate ends a game session no placement will use.
func (o *owner) terminate(arn string) {
	if _, err := o.s.cfg.Fleets.TerminateGameSession(o.ctx, arn, fleet.TriggerOnProcessTerminate); err != nil && !errors.Is(err, fleet.ErrInvalidGameSessionStatus) {
		o.s.log.Warn("could not end a game session a placement no longer needs", "game_session", arn, "error", err)
	}
}
