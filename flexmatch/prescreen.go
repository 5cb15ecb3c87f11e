package flexmatch

import (
	"math"

	"github.com/rallypoint/rallypoint/flexmatch/internal/expr"
)

// The pre-screen turns candidates away before the builder evaluates any
// rule, using the rules that can only get harder to pass as players join:
// a latency rule without maxDistance (the locations everyone can play in
// only shrink) and a numeric batchDistance rule (the spread of values only
// grows). Most candidates in a large batch fail one of these, and checking
// them is a few bit operations instead of an expression evaluation. Rules
// named inside a compound rule are left out: an or() can still pass.

// maxMaskRegions is how many locations fit a mask; with more locations the
// pre-screen leaves latency to the full evaluation.
const maxMaskRegions = 64

// latencyMask returns the locations where every player of e is within
// latency rule k's maxLatency at parameter level lvl, as a bit mask.
func (b *builder) latencyMask(e *entry, k int, lvl int) uint64 {
	return e.masks[lvl*len(b.rs.latencyRules)+k]
}

// computeMasks works out a ticket's location masks for every latency rule
// at every parameter level, when it joins the pool: its latencies never
// change.
func (m *Matchmaker) computeMasks(e *entry) {
	rs := m.rs
	n := len(rs.latencyRules)
	e.masks = make([]uint64, n*len(rs.params.tables))
	e.loose = make([]uint64, n)
	for l, params := range rs.params.tables {
		for i, r := range rs.latencyRules {
			maxLat := math.Inf(1)
			if v := params[r.latSlot]; v.Kind == expr.Number {
				maxLat = v.Num
			}
			var mask uint64
			for loc := range min(len(m.regionNames), maxMaskRegions) {
				ok := true
				for p := range e.players {
					if l := e.latency(p, r.agg, loc); l < 0 || float64(l) > maxLat {
						ok = false
						break
					}
				}
				if ok {
					mask |= 1 << loc
				}
			}
			e.masks[l*n+i] = mask
			e.loose[i] |= mask
		}
	}
}

// span returns the lowest and highest value of rule r's batch attribute
// among e's players, as the rule sees them.
func span(e *entry, r *rule) (float64, float64) {
	if e.party || len(e.players) == 1 {
		v := e.numValue(r.attr, r.agg)
		return v, v
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range e.players {
		lo, hi = min(lo, p.attrs[r.attr].Num), max(hi, p.attrs[r.attr].Num)
	}
	return lo, hi
}

// prescreen reports whether candidate c could join the potential match,
// as far as the monotone rules can tell; when it cannot, it records why.
func (b *builder) prescreen(c *entry) bool {
	s := b.s
	age := c.age
	for _, e := range s.tickets {
		if b.rs.algo.oldest {
			age = max(age, e.age)
		} else {
			age = min(age, e.age)
		}
	}
	lvl := b.rs.params.level(age)
	params := b.rs.params.tables[lvl]
	reject := func(r *rule) bool {
		c.failed[r.index]++
		c.why = failure{kind: failRule, rule: r.index, step: b.rs.params.ruleSteps[lvl][r.index]}
		return false
	}
	if len(b.m.regionNames) <= maxMaskRegions {
		for k, r := range b.rs.latencyRules {
			// maxDistance only adds to what maxLatency asks, so a match
			// with no location within maxLatency fails either way.
			if r.inCompound {
				continue
			}
			if b.latencyMask(c, k, lvl)&b.stateMask(k, lvl) == 0 {
				return reject(r)
			}
		}
	}
	for _, r := range b.rs.batchRules {
		maxD := params[r.maxSlot]
		if b.rs.attrs[r.attr].typ != AttributeNumber || maxD.Kind != expr.Number {
			continue
		}
		lo, hi := span(c, r)
		for _, e := range s.tickets {
			l, h := span(e, r)
			lo, hi = min(lo, l), max(hi, h)
		}
		if hi-lo > maxD.Num {
			return reject(r)
		}
	}
	return true
}

// stateMask returns the locations every ticket of the potential match can
// play in under latency rule k at level lvl. It is remembered until the
// match changes.
func (b *builder) stateMask(k, lvl int) uint64 {
	s := b.s
	if b.maskVersion != s.version || b.maskLvl != lvl || len(b.masks) != len(b.rs.latencyRules) {
		b.maskVersion, b.maskLvl = s.version, lvl
		b.masks = b.masks[:0]
		for i := range b.rs.latencyRules {
			mask := ^uint64(0)
			for _, e := range s.tickets {
				mask &= b.latencyMask(e, i, lvl)
			}
			b.masks = append(b.masks, mask)
		}
	}
	return b.masks[k]
}

// looseMask returns the locations e can play in under latency rule k at any
// age: tickets whose loose masks do not meet can never share a match.
func (b *builder) looseMask(e *entry, k int) uint64 { return e.loose[k] }

// compatible reports whether a and c could share a match as far as the
// latency rules' maxLatency goes.
func (b *builder) compatible(a, c *entry) bool {
	if len(b.m.regionNames) > maxMaskRegions {
		return true
	}
	for k, r := range b.rs.latencyRules {
		if !r.inCompound && b.looseMask(a, k)&b.looseMask(c, k) == 0 {
			return false
		}
	}
	return true
}
