package flexmatch

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Config configures a Matchmaker: the matchmaking configuration's settings
// that shape matches.
type Config struct {
	// RuleSet is the configuration's rule set. Required.
	RuleSet *RuleSet
	// AdditionalPlayerCount is the number of player slots to keep free in
	// every new match, for players who join later (the configuration member
	// of the same name). The slots are taken from the largest teams.
	AdditionalPlayerCount int
	// Seed seeds the shuffling of tickets into batches. The same seed and
	// the same calls give the same matches.
	Seed uint64
}

// Matchmaker holds the pool of searching tickets of one matchmaking
// configuration and builds matches from it. It is not safe for concurrent
// use: the matchmaking service gives each configuration one owner.
type Matchmaker struct {
	rs     *RuleSet
	cfg    Config
	rng    *rand.Rand
	cycles int

	pool  []*entry
	byID  map[string]*entry
	stats map[string]*entry // tickets that left the pool in the last cycle, for Explain

	reduce      []int // slots kept free per team slot (AdditionalPlayerCount)
	largestTeam int

	regions     map[string]int
	regionNames []string

	b *builder
}

// New returns a matchmaker with an empty pool.
func New(cfg Config) (*Matchmaker, error) {
	rs := cfg.RuleSet
	if rs == nil {
		return nil, errors.New("flexmatch: Config.RuleSet is required")
	}
	if cfg.AdditionalPlayerCount < 0 {
		return nil, fmt.Errorf("flexmatch: AdditionalPlayerCount %d is negative", cfg.AdditionalPlayerCount)
	}
	m := &Matchmaker{
		rs:      rs,
		cfg:     cfg,
		rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		byID:    map[string]*entry{},
		stats:   map[string]*entry{},
		regions: map[string]int{},
		reduce:  make([]int, len(rs.slots)),
	}
	// Keep AdditionalPlayerCount slots free by trimming the teams with the
	// most room first, one slot at a time.
	room := make([]int, len(rs.slots))
	for i, s := range rs.slots {
		d := rs.teamDefs[s.def]
		room[i] = d.baseMax - d.baseMin
	}
	for n := cfg.AdditionalPlayerCount; n > 0; n-- {
		best := -1
		for i := range room {
			if room[i] > 0 && (best < 0 || room[i] > room[best]) {
				best = i
			}
		}
		if best < 0 {
			return nil, fmt.Errorf("flexmatch: AdditionalPlayerCount %d leaves fewer slots than the teams' minPlayers need", cfg.AdditionalPlayerCount)
		}
		room[best]--
		m.reduce[best]++
	}
	for i, s := range rs.slots {
		m.largestTeam = max(m.largestTeam, rs.teamDefs[s.def].maxOverExpansions-m.reduce[i])
	}
	m.b = newBuilder(m)
	return m, nil
}

// Add puts a ticket in the pool. It fails with ErrDuplicateTicket when the
// ID is already there and with ErrInvalidTicket when the ticket cannot be
// matched under the rule set (a missing attribute without a default, an
// attribute of the wrong type, a party no team can hold).
func (m *Matchmaker) Add(t Ticket) error {
	if _, ok := m.byID[t.ID]; ok {
		return fmt.Errorf("%w: %q", ErrDuplicateTicket, t.ID)
	}
	e, err := m.newEntry(t)
	if err != nil {
		return err
	}
	delete(m.stats, t.ID)
	e.pos = len(m.pool)
	m.pool = append(m.pool, e)
	m.byID[t.ID] = e
	return nil
}

// Remove takes a ticket out of the pool (StopMatchmaking, a timeout) and
// reports whether it was there.
func (m *Matchmaker) Remove(id string) bool {
	e, ok := m.byID[id]
	if !ok {
		return false
	}
	m.remove(e)
	m.stats[id] = e
	return true
}

func (m *Matchmaker) remove(e *entry) {
	last := m.pool[len(m.pool)-1]
	m.pool[e.pos] = last
	last.pos = e.pos
	m.pool[len(m.pool)-1] = nil
	m.pool = m.pool[:len(m.pool)-1]
	delete(m.byID, e.t.ID)
}

// Len returns the number of tickets in the pool.
func (m *Matchmaker) Len() int { return len(m.pool) }

// Match is a match the matchmaker made. Its tickets have left the pool.
type Match struct {
	// Tickets are the IDs of the match's tickets, the anchor ticket first.
	Tickets []string
	// Teams are all the rule set's teams (quantity copies expanded), in
	// rule-set order, with the IDs of their players. In a backfill match
	// they hold the game session's players as well as the new ones.
	Teams []MatchTeam
	// Backfill is the ID of the backfill ticket this match fills, or "".
	Backfill string
	// Locations are the locations every player can be placed in (under the
	// latency rules, when the rule set has any), lowest average latency
	// first. Empty when players report no latencies in common.
	Locations []string
	// RuleMetrics counts, per rule, how often the rule passed and failed
	// while this match's tickets searched: the ruleEvaluationMetrics of the
	// PotentialMatchCreated event.
	RuleMetrics []RuleMetric
}

// MatchTeam is one team of a match.
type MatchTeam struct {
	Name    string
	Players []string
}

// RuleMetric counts a rule's evaluations for one or more tickets.
type RuleMetric struct {
	Rule   string
	Passed int
	Failed int
}

// Explanation says why a ticket is not matched yet.
type Explanation struct {
	// Rule is the rule that last kept the ticket out of a match, or "" when
	// something else did (see Reason).
	Rule string
	// Step is the expansion step in force for that rule: 0 before any
	// expansion, 1 after the first step, and so on.
	Step int
	// Reason says what happened, for people.
	Reason string
	// Metrics counts how often each rule passed and failed for the ticket:
	// the ruleEvaluationMetrics of MatchmakingTimedOut and
	// MatchmakingCancelled events.
	Metrics []RuleMetric
}

// Explain says why a ticket in the pool has not been matched. It also
// answers for a ticket removed since the last cycle, so the service can
// report it in a timeout or cancellation event.
func (m *Matchmaker) Explain(id string) (Explanation, bool) {
	e, ok := m.byID[id]
	if !ok {
		e, ok = m.stats[id]
	}
	if !ok {
		return Explanation{}, false
	}
	x := Explanation{Metrics: m.metrics(e)}
	f := e.why
	switch {
	case e.matched:
		x.Reason = "matched in the last cycle"
		return x, true
	}
	switch f.kind {
	case failNone:
		x.Reason = "not evaluated yet: no matchmaking cycle has run since the ticket arrived"
		if m.cycles > 0 {
			x.Reason = "no potential match was found for the ticket"
		}
	case failRule:
		r := m.rs.rules[f.rule]
		x.Rule, x.Step = r.name, f.step
		x.Reason = fmt.Sprintf("rule %q (%s) failed at expansion step %d", r.name, r.kind, f.step)
	case failShort:
		x.Step = f.step
		x.Reason = fmt.Sprintf("not enough players: team %q had %d of the %d it needs (expansion step %d)", m.rs.slots[f.slot].name, f.have, f.need, f.step)
	case failLatency:
		r := m.rs.latencyRules[0]
		x.Rule = r.name
		x.Reason = fmt.Sprintf("a player reports no latency, and latency rule %q needs it", r.name)
	case failBatch:
		r := m.rs.rules[f.rule]
		x.Rule = r.name
		x.Reason = fmt.Sprintf("the ticket's players do not share one value of %q, which batchDistance rule %q batches on", m.rs.attrs[r.attr].name, r.name)
	case failNoPlayer:
		x.Reason = "no ticket fits the backfill ticket's open slots"
	}
	return x, true
}

func (m *Matchmaker) metrics(es ...*entry) []RuleMetric {
	var out []RuleMetric
	for i, r := range m.rs.rules {
		if r.kind == kindAbsoluteSort || r.kind == kindDistanceSort {
			continue
		}
		rm := RuleMetric{Rule: r.name}
		for _, e := range es {
			rm.Passed += int(e.passed[i])
			rm.Failed += int(e.failed[i])
		}
		out = append(out, rm)
	}
	return out
}

// Cycle runs one matchmaking pass over the pool at time now and returns the
// matches it made, in the order it made them. Matched tickets leave the
// pool; unmatched ones stay, and Explain says why they were not matched.
func (m *Matchmaker) Cycle(now time.Time) []Match {
	m.cycles++
	clear(m.stats)
	active := make([]*entry, len(m.pool))
	copy(active, m.pool)
	for _, e := range active {
		e.age = e.ageAt(now)
		e.matched = false
	}
	var matches []Match
	if m.rs.large {
		matches = m.cycleLarge(active)
	} else {
		matches = m.cycleSmall(active)
	}
	for _, e := range active {
		if e.matched {
			m.remove(e)
			m.stats[e.t.ID] = e
		}
	}
	return matches
}

// sortByAge orders tickets oldest first, keeping the given order among
// tickets of the same age, and puts backfill tickets first or last when the
// rule set's backfillPriority asks for it.
func (m *Matchmaker) sortByAge(es []*entry) {
	prio := m.rs.algo.backfill
	slices.SortStableFunc(es, func(a, b *entry) int {
		if prio != "normal" && a.t.Backfill != b.t.Backfill {
			if a.t.Backfill == (prio == "high") {
				return -1
			}
			return 1
		}
		switch {
		case a.age > b.age:
			return -1
		case a.age < b.age:
			return 1
		}
		return 0
	})
}
