package flexmatch

import (
	"cmp"
	"math"
	"slices"

	"github.com/rallypoint/rallypoint/flexmatch/internal/expr"
)

// fillTargets says how many of n players each team slot gets, filling teams
// the way FlexMatch describes for large matches: a team short of minPlayers
// first, and among those the one with the most open slots; once every team
// has its minimum, the team with the most open slots. Ties go to the team
// defined first, so equal teams fill round-robin.
func fillTargets(n int, mins, caps []int) []int {
	counts := make([]int, len(caps))
	for range n {
		best := -1
		bestShort := false
		for i := range caps {
			if counts[i] >= caps[i] {
				continue
			}
			short := counts[i] < mins[i]
			switch {
			case best < 0,
				short && !bestShort,
				short == bestShort && caps[i]-counts[i] > caps[best]-counts[best]:
				best, bestShort = i, short
			}
		}
		if best < 0 {
			break
		}
		counts[best]++
	}
	return counts
}

// balance assigns tickets to team slots so that each slot gets targets[slot]
// players and the teams' averages of attribute attr come out close: tickets
// go, largest party and highest value first, to the team with the lowest
// average so far (an empty team first). It returns the slot of each ticket,
// or false when the parties cannot be packed into the targets.
func balance(tickets []*entry, targets []int, attr int) ([]int, bool) {
	order := make([]int, len(tickets))
	for i := range order {
		order[i] = i
	}
	value := func(i int) float64 {
		if attr < 0 {
			return 0
		}
		return tickets[i].numValue(attr, aggAvg)
	}
	slices.SortStableFunc(order, func(x, y int) int {
		if c := cmp.Compare(tickets[y].size, tickets[x].size); c != 0 {
			return c
		}
		return cmp.Compare(value(y), value(x))
	})
	room := slices.Clone(targets)
	sum := make([]float64, len(targets))
	count := make([]int, len(targets))
	out := make([]int, len(tickets))
	for _, i := range order {
		e := tickets[i]
		best := -1
		bestAvg := math.Inf(1)
		for slot := range targets {
			if room[slot] < e.size {
				continue
			}
			avg := math.Inf(-1)
			if count[slot] > 0 {
				avg = sum[slot] / float64(count[slot])
			}
			if best < 0 || avg < bestAvg || avg == bestAvg && room[slot] > room[best] {
				best, bestAvg = slot, avg
			}
		}
		if best < 0 {
			return nil, false
		}
		out[i] = best
		room[best] -= e.size
		sum[best] += value(i) * float64(e.size)
		count[best] += e.size
	}
	return out, true
}

// rebalance reassigns a finished small match's teams with the balanced
// strategy, keeping each team's size, and keeps the new assignment only if
// every rule still passes.
func (b *builder) rebalance() {
	s := b.s
	tickets := slices.Clone(s.tickets)
	old := slices.Clone(s.slotOf)
	targets := make([]int, len(s.teams))
	for slot, t := range s.teams {
		targets[slot] = len(t)
	}
	slots, ok := balance(tickets, targets, b.rs.algo.balancedAttr)
	if !ok {
		return
	}
	b.refill(tickets, slots)
	if b.valid() {
		return
	}
	b.refill(tickets, old)
	b.valid()
}

func (b *builder) refill(tickets []*entry, slots []int) {
	b.s.reset()
	for i, e := range tickets {
		b.s.add(e, slots[i])
	}
}

// valid evaluates the match and reports whether it may be made.
func (b *builder) valid() bool {
	_, lvl := b.params()
	b.evalTop(lvl, false)
	b.snapshot(lvl)
	return b.curValid && b.fits(lvl)
}

// emit turns the finished potential match in s into a Match and marks its
// tickets matched.
func (m *Matchmaker) emit(s *state, lvl int) Match {
	rs := m.rs
	mt := Match{Tickets: make([]string, len(s.tickets))}
	for i, e := range s.tickets {
		mt.Tickets[i] = e.t.ID
		e.matched = true
		if e.t.Backfill {
			mt.Backfill = e.t.ID
		}
	}
	mt.Teams = make([]MatchTeam, len(s.teams))
	for slot, t := range s.teams {
		team := MatchTeam{Name: rs.slots[slot].name, Players: make([]string, len(t))}
		for i, mb := range t {
			team.Players[i] = mb.e.players[mb.p].id
		}
		mt.Teams[slot] = team
	}
	mt.Locations = m.locations(s, rs.params.tables[lvl])
	mt.RuleMetrics = m.metrics(s.tickets...)
	return mt
}

// locations lists where the match can be placed: the locations every
// latency rule accepts (or, without latency rules, where every player
// reports a latency), lowest average latency first.
func (m *Matchmaker) locations(s *state, params []expr.Value) []string {
	n := len(m.regionNames)
	ok := make([]bool, n)
	for r := range ok {
		ok[r] = true
	}
	tmp := make([]bool, n)
	for _, r := range m.rs.latencyRules {
		s.latency(r, params, tmp)
		for i := range ok {
			ok[i] = ok[i] && tmp[i]
		}
	}
	type loc struct {
		name string
		avg  float64
	}
	var locs []loc
	for r := range n {
		if !ok[r] {
			continue
		}
		sum, cnt := 0.0, 0
		for _, t := range s.teams {
			for _, mb := range t {
				l := mb.e.latency(mb.p, aggAvg, r)
				if l < 0 {
					ok[r] = false
				}
				sum += float64(l)
				cnt++
			}
		}
		if ok[r] && cnt > 0 {
			locs = append(locs, loc{m.regionNames[r], sum / float64(cnt)})
		}
	}
	slices.SortFunc(locs, func(a, b loc) int {
		if c := cmp.Compare(a.avg, b.avg); c != 0 {
			return c
		}
		return cmp.Compare(a.name, b.name)
	})
	out := make([]string, len(locs))
	for i, l := range locs {
		out[i] = l.name
	}
	return out
}
