package matchmaking

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rallypoint/rallypoint/flexmatch"
	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/placement"
)

// matchRecord is a match between its making and its end, stored so that
// a new owner can carry it on: under m.<id> in the Tickets bucket.
type matchRecord struct {
	ID            string                 `json:"id"`
	Configuration string                 `json:"configuration"`
	Tickets       []string               `json:"tickets"`
	Teams         []flexmatch.MatchTeam  `json:"teams"`
	Backfill      string                 `json:"backfill,omitempty"`
	Locations     []string               `json:"locations,omitempty"`
	Metrics       []flexmatch.RuleMetric `json:"metrics,omitempty"`
	// Status is REQUIRES_ACCEPTANCE or PLACING.
	Status         string    `json:"status"`
	AcceptDeadline time.Time `json:"acceptDeadline,omitzero"`
	CreatedAt      time.Time `json:"createdAt"`
	// AutoBackfillTicket names the backfill ticket an AUTOMATIC
	// configuration starts for the match's game session.
	AutoBackfillTicket string `json:"autoBackfillTicket,omitempty"`
	// Announced lists the players whose answers AcceptMatch events have
	// reported, so that a new owner does not report them again.
	Announced []string `json:"announced,omitempty"`
}

type match struct {
	rec       matchRecord
	rev       uint64
	answered  map[string]bool // players whose answer an AcceptMatch event has announced
	stopAsked bool            // StopGameSessionPlacement was called for it
}

type tstate struct {
	t      Ticket
	rev    uint64
	inPool bool
	queued bool // waits in owner.queued to start searching
}

// owner runs one configuration's pool on the node that holds its lease.
// Everything but the inbox belongs to its run goroutine.
type owner struct {
	s      *Service
	name   string
	held   *engine.Held
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{}

	mu       sync.Mutex // guards the inbox: inbox, outcomes, dirty
	inbox    []stored
	outcomes []placement.Placement
	dirty    bool

	cfg       Configuration
	rs        *flexmatch.RuleSet
	rsBody    string
	mm        *flexmatch.Matchmaker
	tickets   map[string]*tstate
	matches   map[string]*match
	nextCycle time.Time
	// queued are the QUEUED tickets to take into the pool, together.
	queued []*tstate
	// ready is set once the tickets and matches a previous owner left have
	// all been read: before that, a match's tickets may be half known.
	ready bool
	// waitAvg is a moving average of the time tickets took to be
	// matched, for EstimatedWaitTime; waitN counts the matches in it.
	waitAvg time.Duration
	waitN   int
}

func newOwner(s *Service, name string) *owner {
	ctx, cancel := context.WithCancel(context.Background())
	return &owner{
		s: s, name: name, ctx: ctx, cancel: cancel,
		done:    make(chan struct{}),
		wake:    make(chan struct{}, 1),
		dirty:   true,
		tickets: make(map[string]*tstate),
		matches: make(map[string]*match),
	}
}

func (o *owner) poke() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func (o *owner) stop() {
	o.cancel()
	<-o.done
}

// adopt hands the owner a stored revision of one of its tickets.
func (o *owner) adopt(t Ticket, rev uint64) {
	o.mu.Lock()
	o.inbox = append(o.inbox, stored{t: t, rev: rev})
	o.mu.Unlock()
	o.poke()
}

// placementEnded hands the owner the outcome of a match's placement.
func (o *owner) placementEnded(pl placement.Placement) {
	o.mu.Lock()
	o.outcomes = append(o.outcomes, pl)
	o.mu.Unlock()
	o.poke()
}

func (o *owner) run() {
	defer close(o.done)
	for {
		err := o.loadMatches()
		if err == nil {
			break
		}
		o.s.log.Warn("cannot read a configuration's matches; retrying", "configuration", o.name, "error", err)
		sleep(o.ctx, time.Second)
		if o.ctx.Err() != nil {
			return
		}
	}
	o.drain()
	o.ready = true
	o.recoverMatches()
	o.republish()
	timer := time.NewTimer(o.s.cfg.CycleInterval)
	defer timer.Stop()
	for {
		o.drain()
		if now := o.s.now(); !now.Before(o.nextCycle) {
			o.tick(now)
			o.nextCycle = now.Add(o.s.cfg.CycleInterval)
		}
		timer.Reset(max(o.nextCycle.Sub(o.s.now()), time.Millisecond))
		select {
		case <-o.ctx.Done():
			return
		case <-o.wake:
		case <-timer.C:
		}
	}
}

// loadConfig reads the configuration and, when its rule set or settings
// changed, rebuilds the matchmaker with the tickets of the old one.
func (o *owner) loadConfig() error {
	c, _, err := engine.Get[Configuration](o.ctx, o.s.cfg.Config, configKey(o.name))
	if errors.Is(err, engine.ErrNotFound) {
		return nil // deleted; it had no active tickets, and the owner is dropped soon
	}
	if err != nil {
		return fmt.Errorf("read configuration %s: %w", o.name, err)
	}
	rsRec, _, err := engine.Get[RuleSet](o.ctx, o.s.cfg.Config, ruleSetKey(c.RuleSetName))
	if err != nil {
		return fmt.Errorf("read rule set %s of configuration %s: %w", c.RuleSetName, o.name, err)
	}
	rebuild := o.mm == nil || rsRec.Body != o.rsBody || c.additionalPlayers() != o.cfg.additionalPlayers()
	o.cfg = c
	if !rebuild {
		return nil
	}
	rs, err := flexmatch.ParseRuleSet([]byte(rsRec.Body))
	if err != nil {
		return fmt.Errorf("parse rule set %s: %w", c.RuleSetName, err)
	}
	mm, err := flexmatch.New(flexmatch.Config{RuleSet: rs, AdditionalPlayerCount: c.additionalPlayers(), Seed: rand.Uint64()})
	if err != nil {
		return fmt.Errorf("matchmaker for configuration %s: %w", c.Name, err)
	}
	o.rs, o.rsBody, o.mm = rs, rsRec.Body, mm
	for _, ts := range o.tickets {
		if ts.inPool {
			ts.inPool = false
			o.pool(ts)
		}
	}
	return nil
}

// loadMatches reads the configuration's stored matches.
func (o *owner) loadMatches() error {
	recs, err := engine.List[matchRecord](o.ctx, o.s.cfg.Tickets, "m.>")
	if err != nil {
		return err
	}
	for _, r := range recs {
		if r.Configuration != o.name {
			continue
		}
		_, rev, err := engine.Get[matchRecord](o.ctx, o.s.cfg.Tickets, matchKey(r.ID))
		if err != nil {
			continue
		}
		m := &match{rec: r, rev: rev, answered: map[string]bool{}}
		for _, pid := range r.Announced {
			m.answered[pid] = true
		}
		o.matches[r.ID] = m
	}
	return nil
}

// drain applies what arrived in the inbox.
func (o *owner) drain() {
	o.mu.Lock()
	in, outs, dirty := o.inbox, o.outcomes, o.dirty
	o.inbox, o.outcomes, o.dirty = nil, nil, false
	o.mu.Unlock()
	if dirty {
		if err := o.loadConfig(); err != nil {
			o.s.log.Warn("cannot read a matchmaking configuration; keeping the one in use", "configuration", o.name, "error", err)
			if o.mm == nil {
				// Nothing can run without it: try again on the next wake.
				o.mu.Lock()
				o.inbox = append(in, o.inbox...)
				o.outcomes = append(outs, o.outcomes...)
				o.dirty = true
				o.mu.Unlock()
				sleep(o.ctx, time.Second)
				o.poke()
				return
			}
		}
	}
	for _, st := range in {
		o.absorb(st.t, st.rev)
	}
	o.settle(outs)
	o.searchQueued()
}

// absorb takes a stored revision of a ticket and acts on it.
func (o *owner) absorb(t Ticket, rev uint64) {
	ts := o.tickets[t.ID]
	if ts != nil && rev <= ts.rev {
		return
	}
	if ts == nil {
		if t.Ended() {
			return
		}
		ts = &tstate{}
		o.tickets[t.ID] = ts
	}
	ts.t, ts.rev = t, rev
	if t.Ended() {
		o.forget(ts)
		return
	}
	o.react(ts)
}

// react moves a ticket on from what its stored state asks for.
func (o *owner) react(ts *tstate) {
	t := &ts.t
	switch t.Status {
	case StatusQueued:
		if t.StopRequested {
			o.end(ts, StatusCancelled, "Cancelled", "Cancelled by request.")
			return
		}
		if !ts.queued {
			ts.queued = true
			o.queued = append(o.queued, ts)
		}
	case StatusSearching:
		if t.StopRequested {
			o.end(ts, StatusCancelled, "Cancelled", "Cancelled by request.")
			return
		}
		if !ts.inPool {
			o.pool(ts)
		}
	case StatusRequiresAcceptance, StatusPlacing:
		m := o.matches[t.MatchID]
		if m == nil || !o.ready {
			return // recoverMatches carries it on, or sends it back to searching
		}
		if m.rec.Status == StatusRequiresAcceptance {
			o.acceptance(m)
		} else if t.StopRequested {
			o.stopPlacing(m)
		}
	}
}

// errAborted means an update's function declined the ticket as it is now
// stored; the owner has the stored state and reacts to it.
var errAborted = errors.New("ticket changed")

// update writes fn's change to a ticket with compare-and-set. On a
// conflict it rereads the ticket and applies fn again; fn returns false
// when the ticket as stored no longer allows the change.
func (o *owner) update(ts *tstate, fn func(*Ticket) bool) error {
	for range 8 {
		t := ts.t
		t.Players = slices.Clone(t.Players)
		if !fn(&t) {
			return errAborted
		}
		t.ChangedAt = o.s.now()
		rev, err := engine.Update(o.ctx, o.s.cfg.Tickets, ticketKey(t.ID), t, ts.rev)
		if err == nil {
			ts.t, ts.rev = t, rev
			return nil
		}
		if !errors.Is(err, engine.ErrStale) {
			return err
		}
		fresh, frev, err := engine.Get[Ticket](o.ctx, o.s.cfg.Tickets, ticketKey(t.ID))
		if err != nil {
			return err
		}
		ts.t, ts.rev = fresh, frev
	}
	return fmt.Errorf("ticket %s: %w", ts.t.ID, engine.ErrStale)
}

// pool puts a searching ticket into the matchmaker.
func (o *owner) pool(ts *tstate) {
	if err := o.mm.Add(toFlexmatch(&ts.t)); err != nil && !errors.Is(err, flexmatch.ErrDuplicateTicket) {
		o.end(ts, StatusFailed, "InvalidTicket", "The ticket cannot be matched under the configuration's rule set: "+ticketProblem(err)+".")
		return
	}
	ts.inPool = true
}

// searchQueued takes the QUEUED tickets into the pool: their writes go
// out together, and each gets its MatchmakingSearching event.
func (o *owner) searchQueued() {
	if len(o.queued) == 0 {
		return
	}
	var batch []*tstate
	for _, ts := range o.queued {
		ts.queued = false
		if o.tickets[ts.t.ID] == ts && ts.t.Status == StatusQueued {
			batch = append(batch, ts)
		}
	}
	o.queued = o.queued[:0]
	est := o.estimate()
	errs := o.updateMany(batch, func(t *Ticket) bool {
		if t.Status != StatusQueued || t.StopRequested {
			return false
		}
		t.Status = StatusSearching
		t.EstimatedWaitSeconds = est
		t.Searches++
		return true
	})
	now := o.s.now()
	for i, ts := range batch {
		switch err := errs[i]; {
		case errors.Is(err, errAborted):
			if !ts.t.Ended() {
				o.react(ts)
			}
			continue
		case err != nil:
			o.s.log.Warn("cannot start searching a ticket; retrying on the next cycle", "ticket", ts.t.ID, "error", err)
			continue
		}
		o.pool(ts)
		if ts.inPool {
			o.s.publish(o.ctx, &o.cfg, searchingEvent(&ts.t, est), now)
		}
	}
	// A ticket that reacted by going back to QUEUED waits for the next round.
}

// maxParallelWrites bounds the ticket writes an owner has in flight.
const maxParallelWrites = 32

// updateMany applies update to several tickets at once; errs[i] is the
// outcome for tickets[i]. The tickets are distinct, so their writes do not
// interfere, and fn must not change anything but the ticket it is given.
func (o *owner) updateMany(tickets []*tstate, fn func(*Ticket) bool) []error {
	errs := make([]error, len(tickets))
	parallel(len(tickets), func(i int) { errs[i] = o.update(tickets[i], fn) })
	return errs
}

// estimate is the EstimatedWaitTime in seconds, nil until a match has
// been made.
func (o *owner) estimate() *int {
	if o.waitN == 0 {
		return nil
	}
	s := int(o.waitAvg.Round(time.Second) / time.Second)
	return &s
}

func (o *owner) recordWait(d time.Duration) {
	if o.waitN == 0 {
		o.waitAvg = d
	} else {
		o.waitAvg += (d - o.waitAvg) / 10
	}
	o.waitN++
}

// end gives a ticket a final status other than COMPLETED and reports it.
func (o *owner) end(ts *tstate, status, reason, message string) {
	if ts.inPool {
		o.mm.Remove(ts.t.ID)
		ts.inPool = false
	}
	now := o.s.now()
	err := o.update(ts, func(t *Ticket) bool {
		if t.Ended() {
			return false
		}
		t.Status, t.StatusReason, t.StatusMessage, t.EndTime = status, reason, message, now
		t.StopRequested = false
		return true
	})
	if err != nil {
		if !errors.Is(err, errAborted) {
			o.s.log.Warn("cannot end a ticket; it is retried by the next owner", "ticket", ts.t.ID, "status", status, "error", err)
			return
		}
	} else {
		d := endEvent(&ts.t)
		if x, ok := o.mm.Explain(ts.t.ID); ok && d.Type != EventFailed {
			d.RuleEvaluationMetrics = ruleMetrics(x.Metrics)
		}
		o.s.publish(o.ctx, &o.cfg, d, now)
		o.s.metrics.ticketEnded(&ts.t)
	}
	o.forget(ts)
}

// forget drops an ended ticket from the owner and releases what it held.
func (o *owner) forget(ts *tstate) {
	if ts.inPool {
		o.mm.Remove(ts.t.ID)
		ts.inPool = false
	}
	delete(o.tickets, ts.t.ID)
	t := ts.t
	ctx := o.ctx
	if t.Backfill {
		o.s.releaseLater(ctx, backfillKey(t.GameSessionARN), t.ID)
		if t.Status != StatusCompleted {
			reason := fleet.UpdateBackfillFailed
			switch t.Status {
			case StatusCancelled:
				reason = fleet.UpdateBackfillCancelled
			case StatusTimedOut:
				reason = fleet.UpdateBackfillTimedOut
			}
			if err := o.s.cfg.Fleets.NotifyBackfillEnded(ctx, t.GameSessionARN, reason, t.ID); err != nil && !errors.Is(err, fleet.ErrNotFound) {
				o.s.log.Info("could not tell a game server its backfill ended", "ticket", t.ID, "error", err)
			}
		}
		return
	}
	for _, p := range t.Players {
		o.s.releaseLater(ctx, playerKey(p.PlayerID), t.ID)
	}
}

// tick times tickets and acceptances out and runs a matchmaking cycle.
func (o *owner) tick(now time.Time) {
	if o.mm == nil {
		return
	}
	defer o.searchQueued()
	for _, ts := range o.tickets {
		searching := ts.t.Status == StatusQueued || ts.t.Status == StatusSearching
		switch {
		case searching && !now.Before(ts.t.Deadline):
			o.end(ts, StatusTimedOut, "TimedOut", fmt.Sprintf("Removed from matchmaking due to timing out: no match within the request timeout of %d seconds.", o.cfg.RequestTimeoutSeconds))
		case searching && !ts.inPool:
			// A write that failed earlier (the engine was unreachable)
			// is tried again.
			o.react(ts)
		}
	}
	for _, m := range o.matches {
		if m.rec.Status == StatusRequiresAcceptance && !now.Before(m.rec.AcceptDeadline) {
			o.acceptanceFailed(m, AcceptanceTimedOut)
		}
	}
	if o.mm.Len() == 0 {
		return
	}
	start := time.Now()
	made := o.mm.Cycle(now)
	o.s.metrics.cycled(o.name, time.Since(start))
	o.formAll(made, now)
}

// parallel runs fn(i) for i in [0, n), maxParallelWrites at a time: the
// owner's writes of one cycle go out together rather than one after the
// other. fn must touch only what belongs to its own i.
func parallel(n int, fn func(i int)) {
	if n == 1 {
		fn(0)
		return
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxParallelWrites)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i)
		})
	}
	wg.Wait()
}

// formAll records the matches of a cycle and moves their tickets on, as
// form does for one, with the engine's round trips of all the matches made
// together: the match records, then the tickets, then the placements.
func (o *owner) formAll(made []flexmatch.Match, now time.Time) {
	if len(made) == 0 {
		return
	}
	ms := make([]*match, len(made))
	teams := make([]map[string]string, len(made))
	for i, fm := range made {
		ms[i], teams[i] = o.newMatch(fm)
	}
	errs := make([]error, len(ms))
	parallel(len(ms), func(i int) {
		ms[i].rev, errs[i] = engine.Create(o.ctx, o.s.cfg.Tickets, matchKey(ms[i].rec.ID), ms[i].rec)
	})
	// Which match and team each ticket goes to, for one write of all.
	type slot struct {
		m    *match
		team map[string]string
	}
	slots := map[string]slot{}
	var members []*tstate
	owners := make([]int, 0) // members[k] belongs to ms[owners[k]]
	live := make([]bool, len(ms))
	for i, m := range ms {
		if errs[i] != nil {
			o.s.log.Warn("cannot record a match; its tickets search on", "configuration", o.name, "error", errs[i])
			o.abort(m)
			continue
		}
		o.matches[m.rec.ID] = m
		var mine []*tstate
		for _, id := range m.rec.Tickets {
			ts := o.tickets[id]
			if ts == nil {
				mine = nil
				break
			}
			mine = append(mine, ts)
		}
		if mine == nil {
			o.abort(m)
			continue
		}
		live[i] = true
		for _, ts := range mine {
			slots[ts.t.ID] = slot{m, teams[i]}
			members = append(members, ts)
			owners = append(owners, i)
		}
	}
	accepted := true
	werrs := o.updateMany(members, func(t *Ticket) bool {
		sl := slots[t.ID]
		if t.Status != StatusSearching || t.StopRequested {
			return false
		}
		t.Status, t.MatchID = sl.m.rec.Status, sl.m.rec.ID
		for i := range t.Players {
			t.Players[i].Team = sl.team[t.Players[i].PlayerID]
			t.Players[i].Accepted = nil
			if t.Backfill && sl.m.rec.Status == StatusRequiresAcceptance {
				// The game session's players accepted long ago.
				t.Players[i].Accepted = &accepted
			}
		}
		return true
	})
	for k, err := range werrs {
		if err != nil && live[owners[k]] {
			live[owners[k]] = false
			o.abort(ms[owners[k]])
		}
	}
	var placing []*match
	for i, m := range ms {
		if !live[i] {
			continue
		}
		tickets := o.matchTickets(m)
		for _, t := range tickets {
			if !t.Backfill {
				o.recordWait(now.Sub(t.StartTime))
			}
		}
		o.s.metrics.matched(o.name)
		o.s.publish(o.ctx, &o.cfg, o.potentialMatchEvent(m, tickets), now)
		if m.rec.Status != StatusPlacing {
			continue
		}
		if o.cfg.FlexMatchMode == ModeStandalone || m.rec.Backfill != "" {
			o.place(m)
			continue
		}
		placing = append(placing, m)
	}
	o.startPlacements(placing)
}

// newMatch builds the record of a match the matchmaker made, and takes its
// tickets out of the pool.
func (o *owner) newMatch(fm flexmatch.Match) (*match, map[string]string) {
	now := o.s.now()
	rec := matchRecord{
		ID:            uuid.NewString(),
		Configuration: o.name,
		Tickets:       fm.Tickets,
		Teams:         fm.Teams,
		Backfill:      fm.Backfill,
		Locations:     fm.Locations,
		Metrics:       fm.RuleMetrics,
		Status:        StatusPlacing,
		CreatedAt:     now,
	}
	for _, id := range fm.Tickets {
		if ts := o.tickets[id]; ts != nil {
			ts.inPool = false
		}
	}
	if o.cfg.AcceptanceRequired {
		rec.Status = StatusRequiresAcceptance
		rec.AcceptDeadline = now.Add(time.Duration(o.cfg.AcceptanceTimeoutSeconds) * time.Second)
	}
	if o.cfg.BackfillMode == BackfillAutomatic && o.cfg.FlexMatchMode != ModeStandalone {
		rec.AutoBackfillTicket = uuid.NewString()
	}
	team := make(map[string]string)
	for _, tm := range fm.Teams {
		for _, pid := range tm.Players {
			team[pid] = tm.Name
		}
	}
	return &match{rec: rec, answered: map[string]bool{}}, team
}

// matchTickets returns the match's tickets the owner holds, in match order.
func (o *owner) matchTickets(m *match) []*Ticket {
	out := make([]*Ticket, 0, len(m.rec.Tickets))
	for _, id := range m.rec.Tickets {
		if ts := o.tickets[id]; ts != nil && ts.t.MatchID == m.rec.ID {
			out = append(out, &ts.t)
		}
	}
	return out
}

// abort undoes a match that could not be made whole: its tickets search
// again (or end, if they were stopped meanwhile).
func (o *owner) abort(m *match) {
	for _, id := range m.rec.Tickets {
		ts := o.tickets[id]
		if ts == nil {
			continue
		}
		switch {
		case ts.t.MatchID == m.rec.ID:
			o.backToSearch(ts)
		case ts.t.Status == StatusSearching && !ts.inPool:
			o.react(ts)
			if !ts.inPool && o.tickets[id] != nil && !ts.t.StopRequested {
				o.pool(ts)
			}
		default:
			o.react(ts)
		}
	}
	o.dropMatch(m)
}

// backToSearch returns a ticket of a dropped match to the pool, with its
// original start time (or times it out if that has passed).
func (o *owner) backToSearch(ts *tstate) {
	now := o.s.now()
	if ts.t.StopRequested {
		o.end(ts, StatusCancelled, "Cancelled", "Cancelled by request.")
		return
	}
	if !now.Before(ts.t.Deadline) {
		o.end(ts, StatusTimedOut, "TimedOut", fmt.Sprintf("Removed from matchmaking due to timing out: no match within the request timeout of %d seconds.", o.cfg.RequestTimeoutSeconds))
		return
	}
	matchID := ts.t.MatchID
	err := o.update(ts, func(t *Ticket) bool {
		if t.Ended() || t.MatchID != matchID {
			return false
		}
		t.Status, t.MatchID = StatusSearching, ""
		t.Searches++
		for i := range t.Players {
			t.Players[i].Accepted = nil
			if !t.Backfill {
				t.Players[i].Team = ""
			}
		}
		return true
	})
	if err != nil {
		if errors.Is(err, errAborted) && o.tickets[ts.t.ID] != nil {
			o.react(ts)
		}
		return
	}
	o.pool(ts)
	if ts.inPool {
		o.s.publish(o.ctx, &o.cfg, searchingEvent(&ts.t, o.estimate()), now)
	}
}

func (o *owner) dropMatch(m *match) { o.dropMatches([]*match{m}) }

// dropMatches forgets matches and deletes their records, the deletes made
// together.
func (o *owner) dropMatches(ms []*match) {
	var stored []*match
	for _, m := range ms {
		delete(o.matches, m.rec.ID)
		o.s.unawaitPlacement(m.rec.ID)
		if m.rev != 0 {
			stored = append(stored, m)
		}
	}
	parallel(len(stored), func(i int) {
		if err := o.s.cfg.Tickets.Delete(o.ctx, matchKey(stored[i].rec.ID)); err != nil {
			o.s.log.Debug("could not delete a match record", "match", stored[i].rec.ID, "error", err)
		}
	})
}

// acceptance announces new answers to a proposed match and settles it
// once everyone has accepted or anyone has rejected.
func (o *owner) acceptance(m *match) {
	if m.rec.Status != StatusRequiresAcceptance {
		return
	}
	tickets := o.matchTickets(m)
	all := len(tickets) == len(m.rec.Tickets)
	rejected, newly := false, false
	for _, t := range tickets {
		if t.StopRequested {
			rejected = true
		}
		for _, p := range t.Players {
			if p.Accepted == nil {
				all = false
				continue
			}
			if !m.answered[p.PlayerID] {
				m.answered[p.PlayerID] = true
				m.rec.Announced = append(m.rec.Announced, p.PlayerID)
				newly = newly || !t.Backfill
			}
			if !*p.Accepted {
				rejected = true
			}
		}
	}
	now := o.s.now()
	if newly {
		o.s.publish(o.ctx, &o.cfg, acceptMatchEvent(m, tickets), now)
		if rev, err := engine.Update(o.ctx, o.s.cfg.Tickets, matchKey(m.rec.ID), m.rec, m.rev); err == nil {
			m.rev = rev
		} else {
			o.s.log.Warn("cannot record which acceptances were announced; a new owner may announce them again", "match", m.rec.ID, "error", err)
		}
	}
	switch {
	case rejected:
		o.acceptanceFailed(m, AcceptanceRejected)
	case all:
		o.s.publish(o.ctx, &o.cfg, acceptMatchCompletedEvent(m, tickets, AcceptanceAccepted), now)
		o.place(m)
	}
}

// acceptanceFailed drops a proposed match: tickets whose players all
// accepted search again, the others are cancelled (as AcceptMatch
// documents).
func (o *owner) acceptanceFailed(m *match, why string) {
	tickets := o.matchTickets(m)
	o.s.publish(o.ctx, &o.cfg, acceptMatchCompletedEvent(m, tickets, why), o.s.now())
	for _, id := range m.rec.Tickets {
		ts := o.tickets[id]
		if ts == nil || ts.t.MatchID != m.rec.ID {
			continue
		}
		allAccepted := !ts.t.StopRequested
		for _, p := range ts.t.Players {
			if p.Accepted == nil || !*p.Accepted {
				allAccepted = false
			}
		}
		switch {
		case allAccepted:
			o.backToSearch(ts)
		case ts.t.StopRequested:
			o.end(ts, StatusCancelled, "Cancelled", "The matchmaking request was stopped while the match awaited acceptance.")
		case why == AcceptanceTimedOut:
			o.end(ts, StatusCancelled, "AcceptanceTimedOut", fmt.Sprintf("Not every player of the ticket accepted the proposed match within %d seconds.", o.cfg.AcceptanceTimeoutSeconds))
		default:
			o.end(ts, StatusCancelled, "AcceptanceRejected", "A player of the ticket rejected the proposed match.")
		}
	}
	o.dropMatch(m)
}

// place moves an accepted (or accept-free) match on: into a placement
// through the configuration's queue, into its game session for a
// backfill, or straight to COMPLETED in STANDALONE mode.
func (o *owner) place(m *match) {
	if m.rec.Status != StatusPlacing {
		m.rec.Status = StatusPlacing
		rev, err := engine.Update(o.ctx, o.s.cfg.Tickets, matchKey(m.rec.ID), m.rec, m.rev)
		if err != nil {
			o.s.log.Warn("cannot record a match's acceptance; its tickets search again", "match", m.rec.ID, "error", err)
			o.abort(m)
			return
		}
		m.rev = rev
		var members []*tstate
		for _, id := range m.rec.Tickets {
			if ts := o.tickets[id]; ts != nil && ts.t.MatchID == m.rec.ID {
				members = append(members, ts)
			}
		}
		// A stop that lands now is honoured when the outcome is known.
		for i, err := range o.updateMany(members, func(t *Ticket) bool {
			if t.Status != StatusRequiresAcceptance || t.MatchID != m.rec.ID {
				return false
			}
			t.Status = StatusPlacing
			return true
		}) {
			if err != nil && !errors.Is(err, errAborted) {
				o.s.log.Warn("cannot mark a ticket as placing", "ticket", members[i].t.ID, "error", err)
			}
		}
	}
	switch {
	case o.cfg.FlexMatchMode == ModeStandalone:
		o.complete(m, nil, nil)
	case m.rec.Backfill != "":
		o.applyBackfill(m)
	default:
		o.startPlacement(m)
	}
}

// startPlacement asks the configuration's queues, in order, for a game
// session. The placement id is the match id, so a new owner that finds the
// placement started carries on with it rather than starting another.
func (o *owner) startPlacement(m *match) { o.startPlacements([]*match{m}) }

// placementTry is what asking the queues for one match's placement gave.
type placementTry struct {
	started  bool
	existing *placement.Placement // started before (a lost answer, a restart)
	problems []string
}

// startPlacements starts the placements of several matches, their round
// trips together, and settles each on the owner's goroutine.
func (o *owner) startPlacements(ms []*match) {
	if len(ms) == 0 {
		return
	}
	inputs := make([]placement.StartInput, len(ms))
	for i, m := range ms {
		o.s.awaitPlacement(m.rec.ID, o)
		inputs[i] = o.placementInput(m)
	}
	tries := make([]placementTry, len(ms))
	parallel(len(ms), func(i int) {
		in := inputs[i]
		for _, q := range o.cfg.GameSessionQueueARNs {
			in.Queue = q
			_, err := o.s.cfg.Placements.StartPlacement(o.ctx, in)
			if err == nil {
				tries[i].started = true
				return
			}
			if pl, perr := o.s.cfg.Placements.Placement(o.ctx, in.PlacementID); perr == nil {
				tries[i].existing = &pl
				return
			}
			tries[i].problems = append(tries[i].problems, err.Error())
		}
	})
	for i, m := range ms {
		switch t := tries[i]; {
		case t.started:
		case t.existing != nil:
			// Its outcome comes through the listener, or is here.
			if t.existing.Ended() {
				o.outcome(*t.existing)
			}
		default:
			o.failMatch(m, "UNEXPECTED_ERROR", fmt.Sprintf("No game session queue of configuration %s could take the match's placement: %v", o.name, t.problems))
		}
	}
}

// placementInput is the placement a match asks for.
func (o *owner) placementInput(m *match) placement.StartInput {
	in := placement.StartInput{
		PlacementID:               m.rec.ID,
		MaximumPlayerSessionCount: o.rs.MaxPlayers(),
		GameProperties:            o.cfg.GameProperties,
		GameSessionData:           o.cfg.GameSessionData,
		MatchmakerData:            o.matchmakerData(m, m.rec.AutoBackfillTicket),
	}
	for _, t := range o.matchTickets(m) {
		for _, p := range t.Players {
			in.DesiredPlayers = append(in.DesiredPlayers, placement.DesiredPlayer{PlayerID: p.PlayerID})
			for loc, ms := range p.LatencyInMs {
				in.PlayerLatencies = append(in.PlayerLatencies, placement.PlayerLatency{PlayerID: p.PlayerID, Location: loc, LatencyMs: float32(ms)})
			}
		}
	}
	return in
}

// outcome settles a match whose placement ended.
func (o *owner) outcome(pl placement.Placement) { o.settle([]placement.Placement{pl}) }

// settle settles the matches whose placements ended. The fulfilled ones
// complete together, their writes made at once: one after the other, the
// owner completed fewer matches a second than a busy node placed.
func (o *owner) settle(pls []placement.Placement) {
	var done []completion
	seen := make(map[string]bool, len(pls))
	for _, pl := range pls {
		m := o.matches[pl.ID]
		if m == nil || m.rec.Status != StatusPlacing || seen[pl.ID] {
			continue
		}
		seen[pl.ID] = true
		if pl.Status != placement.StatusFulfilled {
			o.unfulfilled(m, pl)
			continue
		}
		c := completion{m: m, pl: pl,
			conn:     &ConnectionInfo{GameSessionARN: pl.GameSessionARN, IPAddress: pl.IPAddress, DNSName: pl.DNSName, Port: pl.Port},
			sessions: make(map[string]string, len(pl.PlacedPlayers)),
		}
		for _, p := range pl.PlacedPlayers {
			c.sessions[p.PlayerID] = p.PlayerSessionID
		}
		if m.rec.AutoBackfillTicket != "" {
			// Read before completing forgets the tickets.
			c.players = o.playersOf(m)
		}
		done = append(done, c)
	}
	o.completeAll(done)
	for _, c := range done {
		if c.m.rec.AutoBackfillTicket != "" {
			o.autoBackfill(c.m, c.players, c.pl.GameSessionARN, c.m.rec.AutoBackfillTicket, c.pl.Location)
		}
	}
}

// unfulfilled settles a match whose placement ended without a game
// session.
func (o *owner) unfulfilled(m *match, pl placement.Placement) {
	switch pl.Status {
	case placement.StatusFailed:
		o.failMatch(m, "UNEXPECTED_ERROR", fmt.Sprintf("The match's game session placement %s failed.", pl.ID))
	default:
		// Cancelled (StopMatchmaking, or someone stopped the placement)
		// or timed out for want of capacity: stopped tickets end, the
		// others search again while their request timeout lasts.
		for _, id := range m.rec.Tickets {
			if ts := o.tickets[id]; ts != nil && ts.t.MatchID == m.rec.ID {
				o.backToSearch(ts)
			}
		}
		o.dropMatch(m)
	}
}

// failMatch ends every ticket of a match as FAILED.
func (o *owner) failMatch(m *match, reason, message string) {
	for _, id := range m.rec.Tickets {
		if ts := o.tickets[id]; ts != nil && ts.t.MatchID == m.rec.ID {
			o.end(ts, StatusFailed, reason, message)
		}
	}
	o.dropMatch(m)
}

// stopPlacing stops the placement of a match one of whose tickets was
// stopped. If the placement has gone too far to stop, the match completes.
func (o *owner) stopPlacing(m *match) {
	if m.stopAsked || m.rec.Backfill != "" {
		return
	}
	m.stopAsked = true
	if _, err := o.s.cfg.Placements.StopPlacement(o.ctx, m.rec.ID); err != nil {
		o.s.log.Info("a stopped ticket's placement could not be stopped; the match completes", "match", m.rec.ID, "error", err)
	}
}

// completion is a match to complete: conn is the game session (nil in
// STANDALONE mode); sessions maps player ids to their player session ids.
type completion struct {
	m        *match
	conn     *ConnectionInfo
	sessions map[string]string
	// pl and players serve auto-backfill, for a match that has it.
	pl      placement.Placement
	players []Player
}

// complete ends a match's tickets as COMPLETED and reports the match.
func (o *owner) complete(m *match, conn *ConnectionInfo, sessions map[string]string) {
	o.completeAll([]completion{{m: m, conn: conn, sessions: sessions}})
}

// completeAll completes several matches, the writes of all of them made
// together.
func (o *owner) completeAll(cs []completion) {
	if len(cs) == 0 {
		return
	}
	now := o.s.now()
	var members []*tstate
	of := map[string]*completion{} // ticket id -> its completion
	for i := range cs {
		c := &cs[i]
		for _, id := range c.m.rec.Tickets {
			if ts := o.tickets[id]; ts != nil && ts.t.MatchID == c.m.rec.ID {
				members = append(members, ts)
				of[id] = c
			}
		}
	}
	errs := o.updateMany(members, func(t *Ticket) bool {
		c := of[t.ID]
		m, conn, sessions := c.m, c.conn, c.sessions
		if t.Ended() || t.MatchID != m.rec.ID {
			return false
		}
		t.Status, t.EndTime, t.StopRequested = StatusCompleted, now, false
		t.StatusReason, t.StatusMessage = "", ""
		if conn != nil {
			ci := *conn
			ci.Players = nil
			for i := range t.Players {
				if psid := sessions[t.Players[i].PlayerID]; psid != "" {
					t.Players[i].PlayerSessionID = psid
					ci.Players = append(ci.Players, MatchedPlayer{PlayerID: t.Players[i].PlayerID, PlayerSessionID: psid})
				}
			}
			if !t.Backfill {
				t.ConnectionInfo = &ci
			}
		}
		return true
	})
	done := make(map[*completion][]*Ticket, len(cs))
	for i, ts := range members {
		if errs[i] != nil {
			o.s.log.Warn("cannot complete a ticket", "ticket", ts.t.ID, "error", errs[i])
			continue
		}
		t := ts.t
		c := of[t.ID]
		done[c] = append(done[c], &t)
		o.s.metrics.ticketEnded(&t)
		o.forget(ts)
	}
	ms := make([]*match, len(cs))
	for i := range cs {
		c := &cs[i]
		o.s.publish(o.ctx, &o.cfg, succeededEvent(c.m.rec.ID, done[c], c.conn), now)
		ms[i] = c.m
	}
	o.dropMatches(ms)
}
