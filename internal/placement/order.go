package placement

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// A destination location is one (fleet, location) pair a queue can place
// into: the unit the ordering ranks.
type target struct {
	FleetID  string
	Location string
	// Dest is the index of the queue destination the fleet came from.
	Dest int
	// Cost is the fleet's hourly cost (AnywhereConfiguration.Cost; zero
	// when the fleet states none).
	Cost float64
}

func (t target) key() string { return t.FleetID + "/" + t.Location }

// latencyCap returns the latency cap (in ms) in force after elapsed, and
// whether one is. Policies apply from the strictest cap up, each for its
// duration; one without a duration lasts until the placement times out.
// Once every policy's time has run out, no cap is left: latency then only
// orders the locations.
func latencyCap(policies []PlayerLatencyPolicy, elapsed time.Duration) (int, bool) {
	var start time.Duration
	for _, p := range sortedPolicies(policies) {
		if p.PolicyDurationSeconds == nil {
			return p.MaximumIndividualPlayerLatencyMilliseconds, true
		}
		end := start + time.Duration(*p.PolicyDurationSeconds)*time.Second
		if elapsed < end {
			return p.MaximumIndividualPlayerLatencyMilliseconds, true
		}
		start = end
	}
	return 0, false
}

// nextPolicyChange returns when, after elapsed, the cap in force next
// changes; ok is false when it never does.
func nextPolicyChange(policies []PlayerLatencyPolicy, elapsed time.Duration) (time.Duration, bool) {
	var start time.Duration
	for _, p := range sortedPolicies(policies) {
		if p.PolicyDurationSeconds == nil {
			return 0, false
		}
		end := start + time.Duration(*p.PolicyDurationSeconds)*time.Second
		if elapsed < end {
			return end, true
		}
		start = end
	}
	return 0, false
}

func sortedPolicies(policies []PlayerLatencyPolicy) []PlayerLatencyPolicy {
	sorted := slices.Clone(policies)
	slices.SortStableFunc(sorted, func(a, b PlayerLatencyPolicy) int {
		return cmp.Compare(a.MaximumIndividualPlayerLatencyMilliseconds, b.MaximumIndividualPlayerLatencyMilliseconds)
	})
	return sorted
}

// plan is what the ordering needs to know about one placement at one
// moment.
type plan struct {
	Queue     *Queue
	Latencies []PlayerLatency
	// Elapsed is the time since the placement started.
	Elapsed time.Duration
	// Override is the placement's location order override while it is in
	// force (its single pass, or for good with the NONE fallback); nil
	// otherwise.
	Override *Override
}

// priorityOrder is the order of criteria that applies: the queue's own
// (with what it leaves out appended in GameLift's default order), or the
// default, which without latency data is destination order and then
// location.
func (p *plan) priorityOrder() []string {
	if len(p.Queue.PriorityOrder) == 0 {
		if len(p.Latencies) == 0 {
			return []string{PriorityDestination, PriorityLocation}
		}
		return DefaultPriorityOrder
	}
	order := slices.Clone(p.Queue.PriorityOrder)
	for _, c := range DefaultPriorityOrder {
		if !slices.Contains(order, c) {
			order = append(order, c)
		}
	}
	return order
}

// rank orders the targets for a placement attempt: it drops those the
// queue's filter, the override or the latency cap in force exclude, and
// sorts the rest by the priority order. Ties that every criterion leaves
// are broken by location name, then fleet id, so the order is stable.
func (p *plan) rank(targets []target) []target {
	capMs, capped := 0, false
	if len(p.Latencies) > 0 {
		capMs, capped = latencyCap(p.Queue.PlayerLatencyPolicies, p.Elapsed)
	}
	players := playerLatencies(p.Latencies)
	locationOrder := p.Queue.LocationOrder
	if p.Override != nil {
		locationOrder = p.Override.LocationOrder
	}
	type ranked struct {
		target
		latency float64
		locRank int
	}
	var out []ranked
	for _, t := range targets {
		if p.Queue.AllowedLocations != nil && !slices.Contains(p.Queue.AllowedLocations, t.Location) {
			continue
		}
		if p.Override != nil && !slices.Contains(p.Override.LocationOrder, t.Location) {
			continue
		}
		avg, worst, complete := players.at(t.Location)
		if capped && (!complete || worst > float64(capMs)) {
			continue
		}
		locRank := slices.Index(locationOrder, t.Location)
		if locRank < 0 {
			locRank = len(locationOrder)
		}
		out = append(out, ranked{target: t, latency: avg, locRank: locRank})
	}
	order := p.priorityOrder()
	slices.SortStableFunc(out, func(a, b ranked) int {
		for _, c := range order {
			var d int
			switch c {
			case PriorityLatency:
				if len(p.Latencies) > 0 {
					d = cmp.Compare(a.latency, b.latency)
				}
			case PriorityCost:
				d = cmp.Compare(a.Cost, b.Cost)
			case PriorityDestination:
				d = cmp.Compare(a.Dest, b.Dest)
			case PriorityLocation:
				d = cmp.Compare(a.locRank, b.locRank)
			}
			if d != 0 {
				return d
			}
		}
		return cmp.Or(cmp.Compare(a.Location, b.Location), cmp.Compare(a.FleetID, b.FleetID))
	})
	res := make([]target, len(out))
	for i, r := range out {
		res[i] = r.target
	}
	return res
}

// latencyTable is each player's latency per location.
type latencyTable map[string]map[string]float64

func playerLatencies(ls []PlayerLatency) latencyTable {
	t := make(latencyTable)
	for _, l := range ls {
		if t[l.PlayerID] == nil {
			t[l.PlayerID] = make(map[string]float64)
		}
		t[l.PlayerID][l.Location] = float64(l.LatencyMs)
	}
	return t
}

// at returns the players' average and worst latency to the location, over
// the players that reported one, and whether every player did. A location
// nobody reported on averages +Inf, so it sorts after every measured one.
func (t latencyTable) at(location string) (avg, worst float64, complete bool) {
	complete = true
	var sum float64
	n := 0
	for _, byLoc := range t {
		ms, ok := byLoc[location]
		if !ok {
			complete = false
			continue
		}
		sum += ms
		worst = max(worst, ms)
		n++
	}
	if n == 0 {
		return math.Inf(1), math.Inf(1), len(t) == 0
	}
	return sum / float64(n), worst, complete
}
