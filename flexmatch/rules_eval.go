package flexmatch

import (
	"math"

	"github.com/rallypoint/rallypoint/flexmatch/internal/expr"
)

// member is one player of a potential match: player p of ticket e.
type member struct {
	e *entry
	p int
}

// state is a potential match: who is on which team. The builders grow and
// shrink it one ticket at a time and evaluate the rules on it; it owns the
// arena expressions evaluate into, so evaluation does not allocate.
type state struct {
	rs      *RuleSet
	teams   [][]member // by team slot
	tickets []*entry
	slotOf  []int // the slot of each ticket; -1 for a backfill ticket
	version int   // changes whenever a ticket comes or goes

	ageVersion int // the version ageCache was computed at
	ageCache   float64
	views      [numAggs]view
	arena      expr.Arena

	// Per rule, from the last evaluation: the violation (0 when the rule
	// passes, larger the further it is from passing) and whether it passed
	// only because a value was undefined (an aggregate of an empty team).
	viol []float64
	vac  []bool

	regionCount int
	leaves      []expr.Value // scratch for collect
}

// view is the match as an expression sees it under one partyAggregation.
type view struct {
	s   *state
	agg partyAgg
}

func (v *view) TeamLen(slot int) int { return len(v.s.teams[slot]) }

func (v *view) Attr(slot, i, attr int) expr.Value {
	m := v.s.teams[slot][i]
	if m.e.party {
		if c := m.e.combined[v.agg][attr]; c.Kind != expr.Undefined {
			return c
		}
	}
	return m.e.players[m.p].attrs[attr]
}

func (v *view) FillAttr(slot, attr int, dst []expr.Value) {
	for i, m := range v.s.teams[slot] {
		if m.e.party {
			if c := m.e.combined[v.agg][attr]; c.Kind != expr.Undefined {
				dst[i] = c
				continue
			}
		}
		dst[i] = m.e.players[m.p].attrs[attr]
	}
}

func (v *view) PlayerID(slot, i int) string {
	m := v.s.teams[slot][i]
	return m.e.players[m.p].id
}

func newState(rs *RuleSet) *state {
	s := &state{
		rs:         rs,
		ageVersion: -1,
		teams:      make([][]member, len(rs.slots)),
		viol:       make([]float64, len(rs.rules)),
		vac:        make([]bool, len(rs.rules)),
	}
	for a := range numAggs {
		s.views[a] = view{s: s, agg: a}
	}
	return s
}

func (s *state) reset() {
	s.version++
	for i := range s.teams {
		s.teams[i] = s.teams[i][:0]
	}
	s.tickets = s.tickets[:0]
	s.slotOf = s.slotOf[:0]
}

// add puts ticket e on team slot (a backfill ticket's players go to their
// own teams and slot is ignored).
func (s *state) add(e *entry, slot int) {
	s.version++
	s.tickets = append(s.tickets, e)
	if e.t.Backfill {
		s.slotOf = append(s.slotOf, -1)
		for i, p := range e.players {
			s.teams[p.slot] = append(s.teams[p.slot], member{e, i})
		}
		return
	}
	s.slotOf = append(s.slotOf, slot)
	for i := range e.players {
		s.teams[slot] = append(s.teams[slot], member{e, i})
	}
}

// pop removes the ticket added last.
func (s *state) pop() {
	s.version++
	last := len(s.tickets) - 1
	e, slot := s.tickets[last], s.slotOf[last]
	s.tickets, s.slotOf = s.tickets[:last], s.slotOf[:last]
	if slot >= 0 {
		s.teams[slot] = s.teams[slot][:len(s.teams[slot])-e.size]
		return
	}
	for _, p := range e.players {
		s.teams[p.slot] = s.teams[p.slot][:len(s.teams[p.slot])-1]
	}
}

// age is the potential match's age for expansions: its newest ticket's by
// default, its oldest's with expansionAgeSelection oldest.
func (s *state) age() float64 {
	if s.ageVersion == s.version {
		return s.ageCache
	}
	s.ageVersion, s.ageCache = s.version, s.computeAge()
	return s.ageCache
}

func (s *state) computeAge() float64 {
	if len(s.tickets) == 0 {
		return 0
	}
	a := s.tickets[0].age
	for _, e := range s.tickets[1:] {
		if s.rs.algo.oldest {
			a = max(a, e.age)
		} else {
			a = min(a, e.age)
		}
	}
	return a
}

// evalRule evaluates r on the match with the property values params.
func (s *state) evalRule(r *rule, params []expr.Value) (float64, bool) {
	var v float64
	var vac bool
	switch r.kind {
	case kindComparison:
		v, vac = s.comparison(r, params)
	case kindDistance:
		v, vac = s.distance(r, params)
	case kindCollection:
		v, vac = s.collection(r, params)
	case kindLatency:
		if !s.latency(r, params, nil) {
			v = 1
		}
	case kindBatchDistance:
		v = s.batchDistance(r, params)
	case kindCompound:
		var ok bool
		ok, vac = s.statement(r.stmt, params)
		if !ok {
			v = 1
		}
	}
	s.viol[r.index], s.vac[r.index] = v, vac
	return v, vac
}

func (s *state) reference(r *rule, params []expr.Value) expr.Value {
	switch r.refKind {
	case refLiteral:
		return params[r.refSlot]
	case refExpr:
		return r.refExpr.Eval(&s.views[r.agg], &s.arena)
	}
	return expr.Value{}
}

// leavesOf returns the numbers and strings in v and whether some value was
// undefined. A flat list (the usual case) is returned as it is.
func (s *state) leavesOf(v expr.Value) ([]expr.Value, bool) {
	if v.Kind == expr.List {
		flat := true
		for _, e := range v.List {
			if e.Kind != expr.Number && e.Kind != expr.String {
				flat = false
				break
			}
		}
		if flat {
			return v.List, false
		}
	}
	var u bool
	s.leaves, u = collect(v, s.leaves[:0])
	return s.leaves, u
}

// collect appends every number or string in v, however deeply nested, to
// out, and reports whether some value was undefined.
func collect(v expr.Value, out []expr.Value) ([]expr.Value, bool) {
	switch v.Kind {
	case expr.List:
		undefined := false
		for _, e := range v.List {
			var u bool
			out, u = collect(e, out)
			undefined = undefined || u
		}
		return out, undefined
	case expr.Number, expr.String:
		return append(out, v), false
	}
	return out, true
}

func (s *state) comparison(r *rule, params []expr.Value) (viol float64, vac bool) {
	s.arena.Reset()
	ref := s.reference(r, params)
	if r.refKind != refNone && ref.Kind == expr.Undefined {
		return 0, true
	}
	for _, m := range r.measures {
		xs, u := s.leavesOf(m.Eval(&s.views[r.agg], &s.arena))
		vac = vac || u
		switch {
		case r.refKind != refNone:
			for _, x := range xs {
				if !compare(x, r.op, ref) {
					viol += 1 + math.Abs(x.Num-ref.Num)
				}
			}
		case r.op == "=":
			// No reference value: = means all alike, != all different.
			for _, x := range xs[min(1, len(xs)):] {
				if !same(x, xs[0]) {
					viol++
				}
			}
		default:
			for i, x := range xs {
				for _, y := range xs[:i] {
					if same(x, y) {
						viol++
						break
					}
				}
			}
		}
	}
	return viol, vac
}

func same(a, b expr.Value) bool {
	if a.Kind != b.Kind {
		return false
	}
	if a.Kind == expr.Number {
		return a.Num == b.Num
	}
	return a.Str == b.Str
}

func compare(x expr.Value, op string, ref expr.Value) bool {
	if x.Kind == expr.String || ref.Kind == expr.String {
		eq := x.Kind == ref.Kind && x.Str == ref.Str
		if op == "!=" {
			return !eq
		}
		return op == "=" && eq
	}
	switch op {
	case "<":
		return x.Num < ref.Num
	case "<=":
		return x.Num <= ref.Num
	case "=":
		return x.Num == ref.Num
	case "!=":
		return x.Num != ref.Num
	case ">":
		return x.Num > ref.Num
	case ">=":
		return x.Num >= ref.Num
	}
	return false
}

func (s *state) distance(r *rule, params []expr.Value) (viol float64, vac bool) {
	s.arena.Reset()
	ref := s.reference(r, params)
	if ref.Kind != expr.Number {
		return 0, true
	}
	lo, hi := params[r.minSlot], params[r.maxSlot]
	for _, m := range r.measures {
		xs, u := s.leavesOf(m.Eval(&s.views[r.agg], &s.arena))
		vac = vac || u
		for _, x := range xs {
			viol += outside(math.Abs(x.Num-ref.Num), lo, hi)
		}
	}
	return viol, vac
}

// outside returns how far n is outside [lo, hi] (either bound may be unset).
func outside(n float64, lo, hi expr.Value) float64 {
	if hi.Kind == expr.Number && n > hi.Num {
		return n - hi.Num
	}
	if lo.Kind == expr.Number && n < lo.Num {
		return lo.Num - n
	}
	return 0
}

func (s *state) collection(r *rule, params []expr.Value) (viol float64, vac bool) {
	s.arena.Reset()
	lo, hi := params[r.minSlot], params[r.maxSlot]
	ref := s.reference(r, params)
	if r.refKind != refNone && ref.Kind == expr.Undefined {
		return 0, true
	}
	for _, m := range r.measures {
		lists := m.Eval(&s.views[r.agg], &s.arena)
		switch r.op {
		case "intersection":
			if len(lists.List) == 0 {
				vac = true
				continue
			}
			viol += outside(float64(intersectionCount(lists.List)), lo, hi)
		case "contains":
			n := 0
			for _, l := range lists.List {
				if hasString(l, ref.Str) {
					n++
				}
			}
			viol += outside(float64(n), lo, hi)
		case "reference_intersection_count":
			for _, l := range lists.List {
				n := 0
				for _, x := range ref.List {
					if hasString(l, x.Str) {
						n++
					}
				}
				viol += outside(float64(n), lo, hi)
			}
		}
	}
	return viol, vac
}

func hasString(l expr.Value, s string) bool {
	for _, x := range l.List {
		if x.Str == s {
			return true
		}
	}
	return false
}

// intersectionCount counts the distinct strings found in every list.
func intersectionCount(lists []expr.Value) int {
	n := 0
	first := lists[0].List
next:
	for i, x := range first {
		for _, y := range first[:i] {
			if y.Str == x.Str {
				continue next
			}
		}
		for _, l := range lists[1:] {
			if !hasString(l, x.Str) {
				continue next
			}
		}
		n++
	}
	return n
}

// latency reports whether some location suits every player: each one's
// latency there is within maxLatency and, with maxDistance, within
// maxDistance of the players' lowest (distanceReference min) or average
// latency there. When ok is not nil it receives, per location, whether the
// location suits everyone.
func (s *state) latency(r *rule, params []expr.Value, ok []bool) bool {
	maxLat, maxDist := params[r.latSlot], params[r.maxSlot]
	found := false
	for loc := range s.regionCount {
		good := true
		lo, sum, n := int32(math.MaxInt32), int64(0), int64(0)
		for _, t := range s.teams {
			for _, m := range t {
				if m.e.noLatency {
					return false
				}
				l := m.e.latency(m.p, r.agg, loc)
				if l < 0 || maxLat.Kind == expr.Number && float64(l) > maxLat.Num {
					good = false
					break
				}
				lo, sum, n = min(lo, l), sum+int64(l), n+1
			}
			if !good {
				break
			}
		}
		if good && maxDist.Kind == expr.Number && n > 0 {
			ref := float64(lo)
			if !r.distRefMin {
				ref = float64(sum) / float64(n)
			}
			for _, t := range s.teams {
				for _, m := range t {
					if math.Abs(float64(m.e.latency(m.p, r.agg, loc))-ref) > maxDist.Num {
						good = false
					}
				}
			}
		}
		if ok != nil {
			ok[loc] = good
		}
		if good {
			found = true
			if ok == nil {
				return true
			}
		}
	}
	return found
}

// batchDistance checks a batchDistance rule on the whole match: numbers
// within maxDistance of each other, strings all the same.
func (s *state) batchDistance(r *rule, params []expr.Value) float64 {
	numeric := s.rs.attrs[r.attr].typ == AttributeNumber
	lo, hi := math.Inf(1), math.Inf(-1)
	var first string
	viol := 0.0
	n := 0
	for _, t := range s.teams {
		for _, m := range t {
			v := s.views[r.agg].valueOf(m, r.attr)
			if numeric {
				lo, hi = min(lo, v.Num), max(hi, v.Num)
				continue
			}
			if n == 0 {
				first = v.Str
			} else if v.Str != first {
				viol++
			}
			n++
		}
	}
	if numeric && hi >= lo {
		if maxD := params[r.maxSlot]; maxD.Kind == expr.Number {
			viol = max(hi-lo-maxD.Num, 0)
		}
	}
	return viol
}

func (v *view) valueOf(m member, attr int) expr.Value {
	if m.e.party {
		if c := m.e.combined[v.agg][attr]; c.Kind != expr.Undefined {
			return c
		}
	}
	return m.e.players[m.p].attrs[attr]
}

// statement evaluates a compound rule's logic. The rules it names are
// evaluated here and only here.
func (s *state) statement(st *statement, params []expr.Value) (ok, vac bool) {
	if st.op == "" {
		v, vc := s.evalRule(st.rule, params)
		return v == 0, vc
	}
	trues := 0
	for _, a := range st.args {
		t, vc := s.statement(a, params)
		vac = vac || vc
		if t {
			trues++
		}
	}
	switch st.op {
	case "and":
		return trues == len(st.args), vac
	case "or":
		return trues > 0, vac
	case "not":
		return trues == 0, vac
	case "xor":
		return trues == 1, vac
	}
	return false, vac
}
