package flexmatch

import (
	"cmp"
	"math"
	"slices"

	"github.com/rallypoint/rallypoint/flexmatch/internal/expr"
)

// cycleLarge builds large matches (more than 40 players) the way FlexMatch's
// balanced strategy does: backfill tickets first; then tickets are batched by
// location (largestPopulation or fastestRegion) and by string batchDistance
// values, sorted by the numeric batchDistance attribute or else the
// balancedAttribute, and each match is filled from the tickets nearest its
// anchor in that order. Teams are then assigned to balance the
// balancedAttribute, filling teams short of minPlayers first.
func (m *Matchmaker) cycleLarge(active []*entry) []Match {
	var matches []Match
	m.rng.Shuffle(len(active), func(i, j int) { active[i], active[j] = active[j], active[i] })
	var backfills, regular []*entry
	for _, e := range active {
		if !m.matchable(e) {
			continue
		}
		if e.t.Backfill {
			backfills = append(backfills, e)
		} else {
			regular = append(regular, e)
		}
	}
	groups := m.largeGroups(regular)
	// Backfill tickets take priority in large matches, so incoming players
	// join running games before new ones start.
	m.sortByAge(backfills)
	for _, bf := range backfills {
		var cands []*entry
		for _, g := range groups {
			cands = append(cands, g...)
		}
		if mt, ok := m.b.build(bf, m.nearest(bf, cands)); ok {
			matches = append(matches, mt)
		}
	}
	for _, g := range groups {
		matches = m.largeGroup(g, matches)
	}
	return matches
}

// largeKey is the attribute large-match batches are sorted on.
func (m *Matchmaker) largeKey() (attr int, agg partyAgg) {
	if r := m.numericBatchRule(); r != nil {
		return r.attr, r.agg
	}
	return m.rs.algo.balancedAttr, aggAvg
}

func (m *Matchmaker) largeGroups(regular []*entry) [][]*entry {
	loc := m.locationBatches(regular)
	type key struct {
		loc int
		str string
	}
	index := map[key]int{}
	var groups [][]*entry
	for i, e := range regular {
		k := key{loc: loc[i]}
		for _, r := range m.rs.batchRules {
			if m.rs.attrs[r.attr].typ == AttributeString {
				k.str += e.players[0].attrs[r.attr].Str + "\x00"
			}
		}
		g, ok := index[k]
		if !ok {
			g = len(groups)
			index[k] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], e)
	}
	attr, agg := m.largeKey()
	for _, g := range groups {
		for _, e := range g {
			e.key = 0
			if attr >= 0 {
				e.key = e.numValue(attr, agg)
			}
		}
		slices.SortStableFunc(g, func(a, b *entry) int { return cmp.Compare(a.key, b.key) })
		for i, e := range g {
			e.batch = i
		}
	}
	return groups
}

// nearest orders candidates for a backfill ticket by how close they are to
// the game's players on the sort attribute.
func (m *Matchmaker) nearest(bf *entry, cands []*entry) []*entry {
	attr, agg := m.largeKey()
	if attr < 0 {
		return cands
	}
	v := bf.numValue(attr, agg)
	slices.SortStableFunc(cands, func(a, b *entry) int {
		return cmp.Compare(math.Abs(a.key-v), math.Abs(b.key-v))
	})
	return cands
}

// largeGroup makes matches from one sorted batch, anchors oldest first.
func (m *Matchmaker) largeGroup(g []*entry, matches []Match) []Match {
	rs := m.rs
	b := m.b
	players := 0
	for _, e := range g {
		players += e.size
	}
	anchors := slices.Clone(g)
	m.sortByAge(anchors)
	for _, a := range anchors {
		if a.matched {
			continue
		}
		top := rs.params.level(a.age)
		low := top
		if !rs.algo.oldest {
			// With expansionAgeSelection newest the match is as old as its
			// youngest ticket: try first with only tickets old enough for
			// the anchor's expansions, then with younger ones and stricter
			// values.
			low = 0
		}
		done := false
		for lvl := top; lvl >= low && !done; lvl-- {
			floor := 0.0
			if !rs.algo.oldest && lvl > 0 {
				floor = rs.params.breaks[lvl-1]
			}
			if players < b.minTotal(lvl) {
				a.why = b.shortFailure(0, lvl)
				break
			}
			if mt, ok := m.window(a, g, lvl, floor); ok {
				matches = append(matches, mt)
				done = true
			}
		}
	}
	return matches
}

func (b *builder) minTotal(lvl int) int {
	n := 0
	for _, v := range b.mins[lvl] {
		n += v
	}
	return n
}

func (b *builder) capTotal(lvl int) int {
	n := 0
	for _, v := range b.caps[lvl] {
		n += v
	}
	return n
}

// shortFailure describes a match that has have players but needs more.
func (b *builder) shortFailure(have, lvl int) failure {
	for slot := range b.rs.slots {
		if need := b.minOf(slot, lvl); need > 0 {
			return failure{kind: failShort, slot: slot, have: min(have, need), need: need, step: b.rs.params.teamSteps[lvl][b.rs.slots[slot].def]}
		}
	}
	return failure{kind: failShort}
}

// window fills a large match around anchor a with the tickets nearest it in
// g's order that fit the batchDistance and latency rules at params, then
// assigns teams and checks the result.
func (m *Matchmaker) window(a *entry, g []*entry, lvl int, floor float64) (Match, bool) {
	rs, b := m.rs, m.b
	params := rs.params.tables[lvl]
	capTotal, minTotal := b.capTotal(lvl), b.minTotal(lvl)
	sel := append(b.cands[:0], a)
	total := a.size
	// Running range of each numeric batch attribute.
	type span struct {
		r      *rule
		lo, hi float64
		limit  float64
	}
	var spans []span
	for _, r := range rs.batchRules {
		if rs.attrs[r.attr].typ == AttributeNumber {
			v := a.numValue(r.attr, r.agg)
			limit := math.Inf(1)
			if p := params[r.maxSlot]; p.Kind == expr.Number {
				limit = p.Num
			}
			spans = append(spans, span{r, v, v, limit})
		}
	}
	first := m.numericBatchRule() != nil
	lo, hi := a.batch-1, a.batch+1
	for total < capTotal && (lo >= 0 || hi < len(g)) {
		dl, dh := math.Inf(1), math.Inf(1)
		if lo >= 0 {
			dl = a.key - g[lo].key
		}
		if hi < len(g) {
			dh = g[hi].key - a.key
		}
		if first && min(dl, dh) > spans[0].limit {
			// Sorted on the first batch attribute: nothing further can fit.
			break
		}
		var e *entry
		if dl <= dh {
			e, lo = g[lo], lo-1
		} else {
			e, hi = g[hi], hi+1
		}
		if e.matched || e.age < floor || total+e.size > capTotal {
			continue
		}
		fit := true
		for i := range spans {
			v := e.numValue(spans[i].r.attr, spans[i].r.agg)
			if max(spans[i].hi, v)-min(spans[i].lo, v) > spans[i].limit {
				fit = false
				break
			}
		}
		if !fit {
			continue
		}
		for i := range spans {
			v := e.numValue(spans[i].r.attr, spans[i].r.agg)
			spans[i].lo, spans[i].hi = min(spans[i].lo, v), max(spans[i].hi, v)
		}
		sel = append(sel, e)
		total += e.size
	}
	b.cands = sel
	if total < minTotal {
		a.why = b.shortFailure(total, lvl)
		return Match{}, false
	}
	mins, caps := b.mins[lvl], b.caps[lvl]
	slots, ok := balance(sel, fillTargets(total, mins, caps), rs.algo.balancedAttr)
	if !ok {
		// Parties do not pack into the ideal sizes; any sizes within the
		// limits will do.
		if slots, ok = balance(sel, caps, rs.algo.balancedAttr); !ok {
			a.why = b.shortFailure(total, lvl)
			return Match{}, false
		}
	}
	tickets := slices.Clone(sel)
	b.s.regionCount = len(m.regionNames)
	b.refill(tickets, slots)
	if !b.valid() {
		for _, e := range tickets {
			b.count(e)
		}
		b.anchorFailed(a)
		return Match{}, false
	}
	for _, e := range tickets {
		b.count(e)
	}
	return m.emit(b.s, rs.params.level(b.s.age())), true
}
