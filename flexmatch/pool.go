package flexmatch

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/rallypoint/rallypoint/flexmatch/internal/expr"
)

// entry is a ticket in the pool, with everything the rules read worked out
// once, when it arrives: attribute values in rule-set order with defaults
// filled in, a party's combined values, latencies by location index.
type entry struct {
	t       Ticket
	pos     int // index in Matchmaker.pool
	size    int
	party   bool // several players who must share a team (not a backfill ticket)
	players []pdata

	// combined[agg][attr] is the party's value under each partyAggregation:
	// min, max and average of numbers, union and intersection of string
	// lists; Undefined where the aggregation does not apply.
	combined [numAggs][]expr.Value
	// lat[agg][region] is the party's latency per location under min, max
	// and avg; -1 where some player reports no latency there.
	lat       [3][]int32
	noLatency bool

	// Per cycle.
	age      float64
	matched  bool
	explored int // the cycle in which a failed match took the ticket
	batch    int
	masks    []uint64  // pre-screen location masks by parameter level and latency rule
	loose    []uint64  // location masks per latency rule at any level
	key      float64   // batch attribute value while batching
	sortKeys []float64 // sort rule keys relative to the current anchor

	// Search history for Explain and ruleEvaluationMetrics.
	passed, failed []uint32
	why            failure
}

type pdata struct {
	id    string
	slot  int // backfill tickets: the player's team slot
	attrs []expr.Value
	maps  []map[string]float64 // string_number_map attributes, by attribute index
	lat   []int32
}

// failureKind says why a ticket's last attempt did not become a match.
type failureKind uint8

const (
	failNone     failureKind = iota
	failRule                 // a rule failed
	failShort                // a team stayed below minPlayers
	failLatency              // the ticket reports no latency but a latency rule needs it
	failBatch                // party members disagree on a string batch attribute
	failNoPlayer             // a backfill ticket found nobody to add
)

// failure is kept compact (no strings) because it is written on the hot
// path; Explain turns it into words.
type failure struct {
	kind       failureKind
	rule       int // rule index
	step       int // expansion step in force
	slot       int
	have, need int
}

func (m *Matchmaker) newEntry(t Ticket) (*entry, error) {
	e, err := m.checkTicket(t)
	if err != nil {
		return nil, err
	}
	m.indexLatency(e)
	if e.party {
		e.combine(m.rs)
	}
	m.computeMasks(e)
	e.passed = make([]uint32, len(m.rs.rules))
	e.failed = make([]uint32, len(m.rs.rules))
	return e, nil
}

// Check reports whether Add would take the ticket, without changing the
// pool: the matchmaking service refuses a request it could never match
// before it stores it.
func (m *Matchmaker) Check(t Ticket) error {
	_, err := m.checkTicket(t)
	return err
}

// checkTicket validates t and reads its players; it changes nothing in m.
func (m *Matchmaker) checkTicket(t Ticket) (*entry, error) {
	rs := m.rs
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidTicket, t.ID, fmt.Sprintf(format, args...))
	}
	if t.ID == "" {
		return nil, fmt.Errorf("%w: the ticket has no ID", ErrInvalidTicket)
	}
	limit := maxTicketPlayers
	if t.Backfill {
		limit = maxMatchPlayers - 1
	}
	if len(t.Players) == 0 || len(t.Players) > limit {
		return nil, bad("a ticket holds 1 to %d players, not %d", limit, len(t.Players))
	}
	e := &entry{t: t, size: len(t.Players), party: !t.Backfill && len(t.Players) > 1}
	if !t.Backfill && e.size > m.largestTeam {
		return nil, bad("its %d players must play on one team, and no team holds more than %d", e.size, m.largestTeam)
	}
	seen := make(map[string]bool, len(t.Players))
	perSlot := make([]int, len(rs.slots))
	for _, p := range t.Players {
		if p.ID == "" {
			return nil, bad("a player has no ID")
		}
		if seen[p.ID] {
			return nil, bad("player %q appears twice", p.ID)
		}
		seen[p.ID] = true
		if len(p.Attributes) > maxAttrsPerPlayer {
			return nil, bad("player %q has %d attributes; the limit is %d", p.ID, len(p.Attributes), maxAttrsPerPlayer)
		}
		d := pdata{id: p.ID, slot: -1, attrs: make([]expr.Value, len(rs.attrs))}
		for i, a := range rs.attrs {
			v, ok := p.Attributes[a.name]
			if !ok {
				if a.def == nil {
					return nil, bad("player %q has no value for attribute %q, which has no default", p.ID, a.name)
				}
				v = *a.def
			} else {
				if v.Type != a.typ {
					return nil, bad("attribute %q of player %q is a %s; the rule set declares a %s", a.name, p.ID, v.Type, a.typ)
				}
				if err := v.check(); err != nil {
					return nil, bad("attribute %q of player %q: %v", a.name, p.ID, err)
				}
			}
			d.attrs[i] = exprValue(v)
			if a.typ == AttributeStringNumberMap {
				if d.maps == nil {
					d.maps = make([]map[string]float64, len(rs.attrs))
				}
				d.maps[i] = v.SDM
			}
		}
		for loc, ms := range p.LatencyMs {
			if ms < 0 || ms > math.MaxInt32 {
				return nil, bad("player %q reports latency %d ms to %q", p.ID, ms, loc)
			}
		}
		if t.Backfill {
			slot := rs.slotIndex(p.Team)
			if slot < 0 {
				return nil, bad("backfill player %q is on team %q, which the rule set does not define", p.ID, p.Team)
			}
			d.slot = slot
			perSlot[slot]++
		}
		e.players = append(e.players, d)
	}
	for slot, n := range perSlot {
		if hi := rs.teamDefs[rs.slots[slot].def].maxOverExpansions; n > hi {
			return nil, bad("team %q already has %d players; it holds at most %d", rs.slots[slot].name, n, hi)
		}
	}
	return e, nil
}

// maxTicketPlayers is the most players StartMatchmaking takes in a ticket.
const maxTicketPlayers = 10

func (rs *RuleSet) slotIndex(name string) int {
	for i, s := range rs.slots {
		if s.name == name {
			return i
		}
	}
	return -1
}

// indexLatency turns the players' latency maps into arrays by location
// index, so latency rules compare slices instead of looking up maps.
func (m *Matchmaker) indexLatency(e *entry) {
	reported := 0
	for i, p := range e.t.Players {
		if len(p.LatencyMs) == 0 {
			continue
		}
		reported++
		// Locations get their index in sorted order, so that the same
		// tickets in the same order always give the same indexes (and
		// the same tie-breaks between locations).
		locs := make([]string, 0, len(p.LatencyMs))
		for loc := range p.LatencyMs {
			locs = append(locs, loc)
		}
		slices.Sort(locs)
		for _, loc := range locs {
			if _, ok := m.regions[loc]; !ok {
				m.regions[loc] = len(m.regionNames)
				m.regionNames = append(m.regionNames, loc)
			}
		}
		l := make([]int32, len(m.regionNames))
		for k := range l {
			l[k] = -1
		}
		for loc, ms := range p.LatencyMs {
			l[m.regions[loc]] = int32(ms)
		}
		e.players[i].lat = l
	}
	if reported < len(e.t.Players) {
		// A player with no latency data rules the whole ticket out of
		// latency rules, as in FlexMatch.
		e.noLatency = true
		return
	}
	if !e.party {
		return
	}
	n := len(m.regionNames)
	for a := range 3 {
		e.lat[a] = make([]int32, n)
	}
	for r := range n {
		lo, hi, sum := int32(math.MaxInt32), int32(-1), int64(0)
		ok := true
		for _, p := range e.players {
			if r >= len(p.lat) || p.lat[r] < 0 {
				ok = false
				break
			}
			lo, hi, sum = min(lo, p.lat[r]), max(hi, p.lat[r]), sum+int64(p.lat[r])
		}
		if !ok {
			lo, hi, sum = -1, -1, -int64(len(e.players))
		}
		e.lat[aggMin][r], e.lat[aggMax][r] = lo, hi
		e.lat[aggAvg][r] = int32(sum / int64(len(e.players)))
	}
}

// combine works out a party's values under each partyAggregation.
func (e *entry) combine(rs *RuleSet) {
	for a := range numAggs {
		e.combined[a] = make([]expr.Value, len(rs.attrs))
	}
	for i, decl := range rs.attrs {
		switch decl.typ {
		case AttributeNumber:
			lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
			for _, p := range e.players {
				n := p.attrs[i].Num
				lo, hi, sum = min(lo, n), max(hi, n), sum+n
			}
			e.combined[aggMin][i] = expr.Num(lo)
			e.combined[aggMax][i] = expr.Num(hi)
			e.combined[aggAvg][i] = expr.Num(sum / float64(len(e.players)))
		case AttributeStringList:
			var union, inter []string
			for k, p := range e.players {
				var own []string
				for _, v := range p.attrs[i].List {
					own = append(own, v.Str)
				}
				union = dedupe(append(union, own...))
				if k == 0 {
					inter = own
					continue
				}
				kept := inter[:0:0]
				for _, s := range inter {
					for _, o := range own {
						if o == s {
							kept = append(kept, s)
							break
						}
					}
				}
				inter = kept
			}
			e.combined[aggUnion][i] = expr.Strings(union)
			e.combined[aggIntersection][i] = expr.Strings(inter)
		}
	}
}

// latency returns player p's latency at location r under aggregation agg:
// the party's combined value for a party, the player's own otherwise; -1
// when unknown.
func (e *entry) latency(p int, agg partyAgg, r int) int32 {
	l := e.players[p].lat
	if e.party {
		if agg > aggMax {
			agg = aggAvg
		}
		l = e.lat[agg]
	}
	if r >= len(l) {
		return -1
	}
	return l[r]
}

// numValue returns the number the sort and batch rules read for the ticket:
// the party's value under agg. Backfill tickets are not parties; their
// players' values are averaged.
func (e *entry) numValue(attr int, agg partyAgg) float64 {
	if e.party && agg <= aggMax {
		return e.combined[agg][attr].Num
	}
	if len(e.players) == 1 {
		return e.players[0].attrs[attr].Num
	}
	sum := 0.0
	for _, p := range e.players {
		sum += p.attrs[attr].Num
	}
	return sum / float64(len(e.players))
}

// ageAt returns the ticket's age in seconds at now.
func (e *entry) ageAt(now time.Time) float64 {
	return max(now.Sub(e.t.CreatedAt).Seconds(), 0)
}
