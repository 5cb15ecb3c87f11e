package flexmatch

import (
	"cmp"
	"math"
	"slices"

	"github.com/rallypoint/rallypoint/flexmatch/internal/expr"
)

// builder grows one match at a time around an anchor ticket, FlexMatch's
// way: it tries each candidate ticket on a team, keeps it when the rules
// allow, and stops when the teams are full.
//
// Rules are judged on a partial match as follows. Once the match has every
// team at minPlayers and passes every rule, each new ticket must keep it so.
// Before that, a ticket is kept when every rule passes, or fails by no more
// than it did before the ticket came; rules that count players (count, sum,
// a minimum number of lists containing a value) are not judged at all until
// the teams reach minPlayers, since only more players can satisfy them.
// This is how "EqualTeamSizes" can pass at 4v4 after failing at 4v3.
type builder struct {
	m  *Matchmaker
	rs *RuleSet
	s  *state

	cands    []*entry // scratch for Matchmaker.candidates
	explored []*entry
	order    []int // scratch: team slots to try, best first

	cur      []float64 // violations of the current partial match
	curMeets bool
	curValid bool

	tryOrder []int
	tryOK    []bool
	tryViol  [][]float64 // per slot tried, per rule
	tryVac   [][]bool
	failNV   []bool // per rule: failed on some slot, not vacuously

	loosestMax map[int]float64

	caps, mins [][]int // team sizes per parameter level and team slot
	capsMax    []int   // per team slot, its largest size at any level

	// fewestNeeded is the fewest players a match needs at any level: a
	// partial match with fewer can never be made, however it is trimmed.
	fewestNeeded int

	openVersion int // the state version maxOpen was computed at
	open        int

	masks       []uint64 // stateMask's memory
	maskVersion int
	maskLvl     int
}

func newBuilder(m *Matchmaker) *builder {
	rs := m.rs
	b := &builder{m: m, rs: rs, s: newState(rs), cur: make([]float64, len(rs.rules)), failNV: make([]bool, len(rs.rules)), loosestMax: map[int]float64{}}
	for _, params := range rs.params.tables {
		caps := make([]int, len(rs.slots))
		mins := make([]int, len(rs.slots))
		for slot, sl := range rs.slots {
			d := &rs.teamDefs[sl.def]
			caps[slot] = max(int(params[d.maxSlot].Num)-m.reduce[slot], 0)
			mins[slot] = min(int(params[d.minSlot].Num), caps[slot])
		}
		b.caps, b.mins = append(b.caps, caps), append(b.mins, mins)
	}
	b.capsMax = make([]int, len(rs.slots))
	for _, caps := range b.caps {
		for slot, c := range caps {
			b.capsMax[slot] = max(b.capsMax[slot], c)
		}
	}
	b.openVersion = -1
	b.fewestNeeded = math.MaxInt
	for _, mins := range b.mins {
		n := 0
		for _, v := range mins {
			n += v
		}
		b.fewestNeeded = min(b.fewestNeeded, n)
	}
	b.tryOK = make([]bool, len(rs.slots))
	for range rs.slots {
		b.tryViol = append(b.tryViol, make([]float64, len(rs.rules)))
		b.tryVac = append(b.tryVac, make([]bool, len(rs.rules)))
	}
	return b
}

// loosest returns the largest value slot takes at any age: no ticket
// farther than that on a batch attribute can ever join the anchor.
func (b *builder) loosest(slot int) float64 {
	if v, ok := b.loosestMax[slot]; ok {
		return v
	}
	v := math.Inf(-1)
	for _, t := range b.rs.params.tables {
		if t[slot].Kind != expr.Number {
			v = math.Inf(1)
			break
		}
		v = max(v, t[slot].Num)
	}
	b.loosestMax[slot] = v
	return v
}

// params returns the property values for the match's current age, and the
// table level they come from.
func (b *builder) params() ([]expr.Value, int) {
	lvl := b.rs.params.level(b.s.age())
	return b.rs.params.tables[lvl], lvl
}

func (b *builder) minOf(slot, lvl int) int { return b.mins[lvl][slot] }

// meets reports whether every team has its minimum. A backfill match fills
// a game that is already running, so it need not reach the minimums.
func (b *builder) meets(lvl int) bool {
	if len(b.s.tickets) > 0 && b.s.tickets[0].t.Backfill {
		return true
	}
	for slot, t := range b.s.teams {
		if len(t) < b.mins[lvl][slot] {
			return false
		}
	}
	return true
}

func (b *builder) full(lvl int) bool {
	for slot, t := range b.s.teams {
		if len(t) < b.caps[lvl][slot] {
			return false
		}
	}
	return true
}

// fits reports whether every team is within its maximum: an expansion of
// maxPlayers can shrink a team again when a younger ticket joins.
func (b *builder) fits(lvl int) bool {
	for slot, t := range b.s.teams {
		if len(t) > b.caps[lvl][slot] {
			return false
		}
	}
	return true
}

func (b *builder) playerCount() int {
	n := 0
	for _, t := range b.s.teams {
		n += len(t)
	}
	return n
}

// maxOpen returns the most players any one team could still take, at any
// age: a ticket larger than that fits nowhere.
func (b *builder) maxOpen() int {
	if b.openVersion != b.s.version {
		b.openVersion, b.open = b.s.version, 0
		for slot, t := range b.s.teams {
			b.open = max(b.open, b.capsMax[slot]-len(t))
		}
	}
	return b.open
}

// fillOrder lists the team slots with room for need more players, in the
// order FlexMatch fills teams: teams short of minPlayers first, then those
// with the most open slots, then rule-set order.
func (b *builder) fillOrder(need, lvl int) []int {
	b.order = b.order[:0]
	for slot := range b.s.teams {
		if b.caps[lvl][slot]-len(b.s.teams[slot]) >= need {
			b.order = append(b.order, slot)
		}
	}
	slices.SortStableFunc(b.order, func(x, y int) int {
		sx := len(b.s.teams[x]) < b.mins[lvl][x]
		sy := len(b.s.teams[y]) < b.mins[lvl][y]
		if sx != sy {
			if sx {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.caps[lvl][y]-len(b.s.teams[y]), b.caps[lvl][x]-len(b.s.teams[x]))
	})
	return b.order
}

// evalTop evaluates every rule that decides matches. skipFree leaves the
// results of rules that do not depend on team placement as they are.
func (b *builder) evalTop(lvl int, skipFree bool) {
	params := b.rs.params.tables[lvl]
	masks := len(b.m.regionNames) <= maxMaskRegions
	for _, r := range b.rs.topRules {
		if skipFree && r.placementFree {
			continue
		}
		if masks && r.kind == kindLatency && params[r.maxSlot].Kind != expr.Number {
			// Without maxDistance the rule is exactly the pre-screen's
			// question: is there a location everyone can play in?
			v := 0.0
			if b.stateMask(r.latIndex, lvl) == 0 {
				v = 1
			}
			b.s.viol[r.index], b.s.vac[r.index] = v, false
			continue
		}
		b.s.evalRule(r, params)
	}
}

// acceptable judges the partial match just evaluated against the one
// before it (see builder).
func (b *builder) acceptable(meets bool, r *rule) bool {
	v := b.s.viol[r.index]
	switch {
	case v == 0:
		return true
	case r.deferrable && !meets:
		return true
	case !b.curValid && !r.deferrable && v <= b.cur[r.index]:
		return true
	}
	return false
}

func (b *builder) snapshot(lvl int) {
	b.curMeets = b.meets(lvl)
	b.curValid = b.curMeets
	for _, r := range b.rs.topRules {
		b.cur[r.index] = b.s.viol[r.index]
		if b.s.viol[r.index] != 0 {
			b.curValid = false
		}
	}
}

// build tries to make a match around anchor from cands, in order. It
// returns false, and records why on the anchor, when no match comes of it.
func (b *builder) build(anchor *entry, cands []*entry) (Match, bool) {
	s := b.s
	s.reset()
	s.regionCount = len(b.m.regionNames)
	if !b.placeAnchor(anchor) {
		return Match{}, false
	}
	_, lvl := b.params()
	for _, c := range cands {
		if b.full(lvl) {
			break
		}
		if c.matched {
			continue
		}
		if b.tryAdd(c) {
			_, lvl = b.params()
		}
	}
	// The tickets this potential match took share the anchor's
	// neighbourhood of the batch; should the match fail, they would most
	// likely fail the same way as anchors, so they are spared that this
	// cycle (they remain candidates for other anchors).
	explored := append(b.explored[:0], s.tickets[1:]...)
	b.explored = explored
	if !b.curValid && (anchor.t.Backfill || b.playerCount() >= b.fewestNeeded) {
		b.trim()
	}
	if !b.curValid || anchor.t.Backfill && len(s.tickets) < 2 {
		b.anchorFailed(anchor)
		for _, e := range explored {
			e.explored = b.m.cycles
			e.why = anchor.why
		}
		return Match{}, false
	}
	for _, e := range s.tickets {
		e.matched = true
	}
	if b.rs.algo.balanced && !anchor.t.Backfill {
		b.rebalance()
	}
	return b.m.emit(s, b.rs.params.level(s.age())), true
}

// placeAnchor puts the anchor on the team where it breaks the fewest rules,
// preferring teams in fill order.
func (b *builder) placeAnchor(a *entry) bool {
	s := b.s
	if a.t.Backfill {
		s.add(a, -1)
		_, lvl := b.params()
		b.evalTop(lvl, false)
		b.count(a)
		b.snapshot(lvl)
		return true
	}
	best, bestV := -1, math.Inf(1)
	b.tryOrder = append(b.tryOrder[:0], b.fillOrder(a.size, b.rs.params.level(a.age))...)
	for _, slot := range b.tryOrder {
		s.add(a, slot)
		_, plvl := b.params()
		b.evalTop(plvl, false)
		meets := b.meets(plvl)
		total := 0.0
		for _, r := range b.rs.topRules {
			if !r.deferrable || meets {
				total += s.viol[r.index]
			}
		}
		s.pop()
		if total < bestV {
			best, bestV = slot, total
		}
		if total == 0 {
			break
		}
	}
	if best < 0 {
		return false
	}
	s.add(a, best)
	_, plvl := b.params()
	b.evalTop(plvl, false)
	b.count(a)
	b.snapshot(plvl)
	return true
}

// tryAdd tries candidate c on each team with room, in fill order, and keeps
// it on the first team where the rules allow it. A team where a rule passes
// only because another team is still empty (an average of nobody) does not
// count when the same rule fails outright on another team: the candidate is
// evidently a poor fit for the players already chosen.
func (b *builder) tryAdd(c *entry) bool {
	s := b.s
	if c.size > b.maxOpen() || !b.prescreen(c) {
		return false
	}
	_, curLvl := b.params()
	order := append(b.tryOrder[:0], b.fillOrder(c.size, curLvl)...)
	b.tryOrder = order
	if len(order) == 0 {
		return false
	}
	clear(b.failNV)
	chosen := -1
	tried := 0
	var why failure
	for k, slot := range order {
		s.add(c, slot)
		_, lvl := b.params()
		b.evalTop(lvl, k > 0)
		meets := b.meets(lvl)
		ok := b.fits(lvl) && (!b.curValid || meets)
		firstBad := -1
		vacPass := false
		for _, r := range b.rs.topRules {
			if !b.acceptable(meets, r) {
				ok = false
				if firstBad < 0 {
					firstBad = r.index
				}
			}
			v, vac := s.viol[r.index], s.vac[r.index]
			if v > 0 && !vac {
				b.failNV[r.index] = true
			}
			if v == 0 && vac {
				vacPass = true
			}
		}
		copy(b.tryViol[k], s.viol)
		copy(b.tryVac[k], s.vac)
		b.tryOK[k] = ok
		tried = k + 1
		if k == 0 {
			b.count(c)
		}
		s.pop()
		if !ok && k == 0 && firstBad >= 0 {
			why = failure{kind: failRule, rule: firstBad, step: b.rs.params.ruleSteps[lvl][firstBad]}
			if b.rs.rules[firstBad].placementFree {
				// The rule fails the same way on every team.
				c.why = why
				return false
			}
		}
		if ok && !vacPass {
			chosen = slot
			break
		}
	}
	if chosen < 0 {
		for k := range tried {
			if b.tryOK[k] && !b.leansOnEmpty(k) {
				chosen = order[k]
				break
			}
		}
	}
	if chosen < 0 {
		if why.kind != failNone {
			c.why = why
		}
		return false
	}
	s.add(c, chosen)
	_, lvl := b.params()
	b.evalTop(lvl, false)
	b.snapshot(lvl)
	return true
}

// leansOnEmpty reports whether try k passed some rule only vacuously while
// that rule failed outright on another team.
func (b *builder) leansOnEmpty(k int) bool {
	for _, r := range b.rs.topRules {
		if b.tryViol[k][r.index] == 0 && b.tryVac[k][r.index] && b.failNV[r.index] {
			return true
		}
	}
	return false
}

// trim drops the most recently added tickets while that makes the match
// valid: with expansionAgeSelection newest a young ticket can bring back
// stricter rules than the older tickets needed.
func (b *builder) trim() {
	s := b.s
	for len(s.tickets) > 1 {
		s.pop()
		_, lvl := b.params()
		b.evalTop(lvl, false)
		b.snapshot(lvl)
		if b.curValid {
			return
		}
	}
}

// count adds the rules' results from the last evaluation to e's metrics.
// A rule that counts players is not judged, and not counted, while the
// match is short of players.
func (b *builder) count(e *entry) {
	_, lvl := b.params()
	meets := b.meets(lvl)
	for _, r := range b.rs.topRules {
		if r.deferrable && !meets {
			continue
		}
		if b.s.viol[r.index] == 0 {
			e.passed[r.index]++
		} else {
			e.failed[r.index]++
		}
	}
}

// anchorFailed records why the match around a came to nothing, from the
// partial match the builder was left with.
func (b *builder) anchorFailed(a *entry) {
	s := b.s
	defer s.reset()
	if a.t.Backfill {
		a.why = failure{kind: failNoPlayer}
		return
	}
	lvl := b.rs.params.level(s.age())
	for slot, t := range s.teams {
		if need := b.minOf(slot, lvl); len(t) < need {
			d := b.rs.slots[slot].def
			a.why = failure{kind: failShort, slot: slot, have: len(t), need: need, step: b.rs.params.teamSteps[lvl][d]}
			return
		}
	}
	for _, r := range b.rs.topRules {
		if s.viol[r.index] != 0 {
			a.why = failure{kind: failRule, rule: r.index, step: b.rs.params.ruleSteps[lvl][r.index]}
			return
		}
	}
}
