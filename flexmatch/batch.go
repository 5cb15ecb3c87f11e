package flexmatch

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/rallypoint/rallypoint/flexmatch/internal/expr"
)

// batchTickets is how many tickets a batch holds at most. FlexMatch splits a
// large pool into batches "to maintain optimal batch size" without saying
// what that size is; the search inside a batch is quadratic in the worst
// case, so the size bounds the cost of a cycle: a 100,000-ticket pool is 400
// independent batches.
const batchTickets = 256

// cycleSmall runs the exhaustiveSearch algorithm (and the balanced strategy
// on matches of 40 players or fewer): tickets are grouped into batches, and
// in each batch the oldest ticket still unmatched anchors a match that the
// builder fills from the rest of the batch.
func (m *Matchmaker) cycleSmall(active []*entry) []Match {
	var matches []Match
	for _, g := range m.groups(active) {
		for _, batch := range m.chunks(g) {
			matches = m.runBatch(batch, matches)
		}
	}
	return matches
}

// matchable reports whether a ticket can be in any match at all, recording
// why not when it cannot.
func (m *Matchmaker) matchable(e *entry) bool {
	if e.noLatency && len(m.rs.latencyRules) > 0 {
		e.why = failure{kind: failLatency}
		return false
	}
	for _, r := range m.rs.batchRules {
		if m.rs.attrs[r.attr].typ != AttributeString {
			continue
		}
		for _, p := range e.players[1:] {
			if p.attrs[r.attr].Str != e.players[0].attrs[r.attr].Str {
				e.why = failure{kind: failBatch, rule: r.index}
				return false
			}
		}
	}
	return true
}

// groups splits the pool into groups no match can cross: tickets with
// different values of a string batchDistance attribute, and, for the
// balanced strategy, tickets batched to different locations. Each group
// comes out in the order its batches are cut from: sorted by the
// sortByAttributes or by a numeric batchDistance attribute, or shuffled.
func (m *Matchmaker) groups(active []*entry) [][]*entry {
	rs := m.rs
	m.rng.Shuffle(len(active), func(i, j int) { active[i], active[j] = active[j], active[i] })
	var loc []int
	if rs.algo.balanced {
		loc = m.locationBatches(active)
	}
	index := map[string]int{}
	var groups [][]*entry
	var key strings.Builder
	for i, e := range active {
		if !m.matchable(e) {
			continue
		}
		key.Reset()
		for _, r := range rs.batchRules {
			if rs.attrs[r.attr].typ == AttributeString {
				key.WriteString(e.players[0].attrs[r.attr].Str)
				key.WriteByte(0)
			}
		}
		if loc != nil {
			key.WriteString(string(rune(loc[i] + 1)))
		}
		g, ok := index[key.String()]
		if !ok {
			g = len(groups)
			index[key.String()] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], e)
	}
	numeric := m.numericBatchRule()
	for _, g := range groups {
		switch {
		case rs.algo.batching == "sorted":
			slices.SortStableFunc(g, func(a, b *entry) int {
				for _, attr := range rs.algo.sortBy {
					if rs.attrs[attr].typ == AttributeString {
						if c := strings.Compare(a.players[0].attrs[attr].Str, b.players[0].attrs[attr].Str); c != 0 {
							return c
						}
						continue
					}
					if c := cmp.Compare(a.numValue(attr, aggAvg), b.numValue(attr, aggAvg)); c != 0 {
						return c
					}
				}
				return 0
			})
		case numeric != nil:
			for _, e := range g {
				e.key = e.numValue(numeric.attr, numeric.agg)
			}
			slices.SortStableFunc(g, func(a, b *entry) int { return cmp.Compare(a.key, b.key) })
		}
	}
	return groups
}

// numericBatchRule returns the first batchDistance rule on a number
// attribute: batches are cut from tickets sorted by it, so players close on
// it share a batch. With batchingPreference sorted the sortByAttributes
// order the batches instead, and it returns nil.
func (m *Matchmaker) numericBatchRule() *rule {
	if m.rs.algo.batching == "sorted" {
		return nil
	}
	for _, r := range m.rs.batchRules {
		if m.rs.attrs[r.attr].typ == AttributeNumber {
			return r
		}
	}
	return nil
}

// chunks cuts a group into batches. When the group is sorted, the cuts move
// by half a batch every other cycle, so that neighbours split by a cut in
// one cycle share a batch in the next.
func (m *Matchmaker) chunks(g []*entry) [][]*entry {
	if len(g) <= batchTickets {
		return [][]*entry{g}
	}
	var out [][]*entry
	start := 0
	sorted := m.rs.algo.batching == "sorted" || m.numericBatchRule() != nil
	if sorted && m.cycles%2 == 0 {
		out = append(out, g[:batchTickets/2])
		start = batchTickets / 2
	}
	for ; start < len(g); start += batchTickets {
		out = append(out, g[start:min(start+batchTickets, len(g))])
	}
	return out
}

// runBatch builds matches in one batch: each ticket, oldest first, anchors
// a match unless an earlier match took it.
func (m *Matchmaker) runBatch(batch []*entry, matches []Match) []Match {
	for i, e := range batch {
		e.batch = i
	}
	anchors := slices.Clone(batch)
	m.sortByAge(anchors)
	for _, a := range anchors {
		if a.matched || a.explored == m.cycles {
			continue
		}
		cands := m.candidates(a, batch, anchors)
		if mt, ok := m.b.build(a, cands); ok {
			matches = append(matches, mt)
		}
	}
	return matches
}

// candidates lists the tickets an anchor's match may take, in the order the
// builder tries them: by the rule set's sort rules when it has any (ties in
// age order); nearest first on a numeric batchDistance attribute; otherwise
// oldest first, as FlexMatch does.
func (m *Matchmaker) candidates(a *entry, batch, byAge []*entry) []*entry {
	out := m.b.cands[:0]
	rs := m.rs
	defer func() { m.b.cands = out }()
	if len(rs.sortRules) > 0 {
		for _, e := range byAge {
			if e != a && !e.matched && !e.t.Backfill && m.b.compatible(a, e) {
				out = append(out, e)
			}
		}
		m.sortCandidates(a, out)
		return out
	}
	if r := m.numericBatchRule(); r != nil {
		// The batch is sorted on the attribute: walk outwards from the
		// anchor, taking the nearer side each time, and stop where no
		// expansion could bring a ticket within maxDistance.
		limit := m.b.loosest(r.maxSlot)
		av := a.key
		lo, hi := a.batch-1, a.batch+1
		for lo >= 0 || hi < len(batch) {
			var e *entry
			dl, dh := math.Inf(1), math.Inf(1)
			if lo >= 0 {
				dl = av - batch[lo].key
			}
			if hi < len(batch) {
				dh = batch[hi].key - av
			}
			if min(dl, dh) > limit {
				break
			}
			if dl <= dh {
				e, lo = batch[lo], lo-1
			} else {
				e, hi = batch[hi], hi+1
			}
			if !e.matched && !e.t.Backfill && m.b.compatible(a, e) {
				out = append(out, e)
			}
		}
		return out
	}
	for _, e := range byAge {
		if e != a && !e.matched && !e.t.Backfill && m.b.compatible(a, e) {
			out = append(out, e)
		}
	}
	return out
}

// sortCandidates orders candidates by the sort rules, the first rule first,
// each relative to the anchor: absoluteSort by the value itself,
// distanceSort by its distance from the anchor's. A map attribute is read at
// the anchor's highest- or lowest-valued key (mapKey). Tickets without a
// value sort last.
func (m *Matchmaker) sortCandidates(a *entry, cands []*entry) {
	rules := m.rs.sortRules
	for _, e := range cands {
		if cap(e.sortKeys) < len(rules) {
			e.sortKeys = make([]float64, len(rules))
		}
		e.sortKeys = e.sortKeys[:len(rules)]
	}
	for k, r := range rules {
		mapKey := ""
		if m.rs.attrs[r.attr].typ == AttributeStringNumberMap {
			mapKey = anchorMapKey(a, r)
		}
		av, aok := sortValue(a, r, mapKey)
		for _, e := range cands {
			v, ok := sortValue(e, r, mapKey)
			switch {
			case !ok || r.kind == kindDistanceSort && !aok:
				e.sortKeys[k] = math.Inf(1)
			case r.kind == kindDistanceSort:
				e.sortKeys[k] = math.Abs(v - av)
			default:
				e.sortKeys[k] = v
			}
			if r.descending && ok {
				e.sortKeys[k] = -e.sortKeys[k]
			}
		}
	}
	slices.SortStableFunc(cands, func(x, y *entry) int {
		for k := range rules {
			if c := cmp.Compare(x.sortKeys[k], y.sortKeys[k]); c != 0 {
				return c
			}
		}
		return 0
	})
}

// sortValue is the ticket's value for a sort rule, combined over a party.
func sortValue(e *entry, r *rule, mapKey string) (float64, bool) {
	if mapKey == "" {
		return e.numValue(r.attr, r.agg), true
	}
	var vals []float64
	for _, p := range e.players {
		if v, ok := p.maps[r.attr][mapKey]; ok {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return 0, false
	}
	return combine(vals, r.agg), true
}

func combine(vals []float64, agg partyAgg) float64 {
	switch agg {
	case aggMin:
		return slices.Min(vals)
	case aggMax:
		return slices.Max(vals)
	}
	sum := 0.0
	for _, v := range vals {
		sum += v
	}
	return sum / float64(len(vals))
}

// anchorMapKey picks the key of the anchor's map with the highest value
// (mapKey maxValue) or the lowest (minValue); ties go to the key that sorts
// first, so the choice does not depend on map order.
func anchorMapKey(a *entry, r *rule) string {
	keys := map[string]bool{}
	for _, p := range a.players {
		for k := range p.maps[r.attr] {
			keys[k] = true
		}
	}
	best, bestV := "", 0.0
	for k := range keys {
		v, _ := sortValue(a, r, k)
		better := best == "" || (r.mapKeyMax && v > bestV) || (!r.mapKeyMax && v < bestV) || (v == bestV && k < best)
		if better {
			best, bestV = k, v
		}
	}
	return best
}

// locationBatches assigns each ticket, for the balanced strategy, the
// location it is batched in: with largestPopulation the acceptable location
// where most tickets are acceptable, with fastestRegion the ticket's
// lowest-latency location. Acceptable means within every latency rule's
// maxLatency at the ticket's own age. Tickets without latency data share
// batch -1.
func (m *Matchmaker) locationBatches(active []*entry) []int {
	out := make([]int, len(active))
	n := len(m.regionNames)
	ok := func(e *entry, r int) bool {
		if e.noLatency {
			return false
		}
		params := m.rs.params.tables[m.rs.params.level(e.age)]
		for p := range e.players {
			l := e.latency(p, aggMax, r)
			if l < 0 {
				return false
			}
			for _, lr := range m.rs.latencyRules {
				if v := params[lr.latSlot]; v.Kind == expr.Number && float64(l) > v.Num {
					return false
				}
			}
		}
		return true
	}
	population := make([]int, n)
	if m.rs.algo.batching == "largestPopulation" {
		for _, e := range active {
			for r := range n {
				if ok(e, r) {
					population[r]++
				}
			}
		}
	}
	for i, e := range active {
		best, bestScore := -1, math.Inf(-1)
		for r := range n {
			if !ok(e, r) {
				continue
			}
			score := float64(population[r])
			if m.rs.algo.batching == "fastestRegion" {
				score = -float64(e.latency(0, aggAvg, r))
			}
			if score > bestScore {
				best, bestScore = r, score
			}
		}
		out[i] = best
	}
	return out
}
