package placement

import (
	"slices"
	"testing"
	"time"
)

func secs(n int) *int { return &n }

// Three fleet locations in three fleets: A (cost 3) in eu and us, B (cost
// 1) in ap, C (no cost) in eu. Destination order A, B, C.
var testTargets = []target{
	{FleetID: "A", Location: "custom-eu", Dest: 0, Cost: 3},
	{FleetID: "A", Location: "custom-us", Dest: 0, Cost: 3},
	{FleetID: "B", Location: "custom-ap", Dest: 1, Cost: 1},
	{FleetID: "C", Location: "custom-eu", Dest: 2, Cost: 0},
}

func lat(player string, ms map[string]float32) []PlayerLatency {
	var out []PlayerLatency
	for _, loc := range []string{"custom-ap", "custom-eu", "custom-us"} {
		if v, ok := ms[loc]; ok {
			out = append(out, PlayerLatency{PlayerID: player, Location: loc, LatencyMs: v})
		}
	}
	return out
}

func keys(ts []target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.key()
	}
	return out
}

func TestRank(t *testing.T) {
	// Player p1 is closest to us, then eu, then ap.
	near := lat("p1", map[string]float32{"custom-us": 20, "custom-eu": 60, "custom-ap": 150})
	tests := []struct {
		name    string
		queue   Queue
		lat     []PlayerLatency
		elapsed time.Duration
		over    *Override
		want    []string
	}{
		{
			name: "default order with latency: lowest latency, then cost",
			lat:  near,
			want: []string{"A/custom-us", "C/custom-eu", "A/custom-eu", "B/custom-ap"},
		},
		{
			name: "default order without latency: destination order, then location name",
			want: []string{"A/custom-eu", "A/custom-us", "B/custom-ap", "C/custom-eu"},
		},
		{
			name:  "LATENCY first without latency data falls through to the next criteria",
			queue: Queue{PriorityOrder: []string{PriorityLatency, PriorityDestination}},
			want:  []string{"A/custom-eu", "A/custom-us", "B/custom-ap", "C/custom-eu"},
		},
		{
			name:  "COST first: cheapest fleet, then latency",
			queue: Queue{PriorityOrder: []string{PriorityCost}},
			lat:   near,
			want:  []string{"C/custom-eu", "B/custom-ap", "A/custom-us", "A/custom-eu"},
		},
		{
			name:  "COST first without latency data: cost, then destination",
			queue: Queue{PriorityOrder: []string{PriorityCost}},
			want:  []string{"C/custom-eu", "B/custom-ap", "A/custom-eu", "A/custom-us"},
		},
		{
			name:  "DESTINATION first: destination order, then latency",
			queue: Queue{PriorityOrder: []string{PriorityDestination}},
			lat:   near,
			want:  []string{"A/custom-us", "A/custom-eu", "B/custom-ap", "C/custom-eu"},
		},
		{
			name:  "LOCATION first: the queue's location order, then latency",
			queue: Queue{PriorityOrder: []string{PriorityLocation}, LocationOrder: []string{"custom-ap", "custom-eu", "custom-us"}},
			lat:   near,
			want:  []string{"B/custom-ap", "C/custom-eu", "A/custom-eu", "A/custom-us"},
		},
		{
			name:  "locations missing from LocationOrder come after the listed ones, ordered by the next criteria",
			queue: Queue{PriorityOrder: []string{PriorityLocation}, LocationOrder: []string{"custom-us"}},
			want:  []string{"A/custom-us", "C/custom-eu", "B/custom-ap", "A/custom-eu"},
		},
		{
			name:  "LATENCY then LOCATION",
			queue: Queue{PriorityOrder: []string{PriorityLatency, PriorityLocation}, LocationOrder: []string{"custom-eu", "custom-us", "custom-ap"}},
			lat:   lat("p1", map[string]float32{"custom-us": 50, "custom-eu": 50, "custom-ap": 10}),
			want:  []string{"B/custom-ap", "C/custom-eu", "A/custom-eu", "A/custom-us"},
		},
		{
			name:  "filter: only allowed locations",
			queue: Queue{AllowedLocations: []string{"custom-eu"}},
			lat:   near,
			want:  []string{"C/custom-eu", "A/custom-eu"},
		},
		{
			name:  "filter allowing nothing that exists leaves nothing",
			queue: Queue{AllowedLocations: []string{"custom-mars"}},
			want:  []string{},
		},
		{
			name:  "a latency cap excludes locations any player exceeds",
			queue: Queue{PlayerLatencyPolicies: []PlayerLatencyPolicy{{MaximumIndividualPlayerLatencyMilliseconds: 70}}},
			lat:   append(slices.Clone(near), lat("p2", map[string]float32{"custom-us": 90, "custom-eu": 30, "custom-ap": 40})...),
			want:  []string{"C/custom-eu", "A/custom-eu"},
		},
		{
			name:  "under a cap, a location a player gave no figure for is excluded",
			queue: Queue{PlayerLatencyPolicies: []PlayerLatencyPolicy{{MaximumIndividualPlayerLatencyMilliseconds: 500}}},
			lat:   lat("p1", map[string]float32{"custom-us": 20}),
			want:  []string{"A/custom-us"},
		},
		{
			name:  "without a cap, locations without figures come last",
			queue: Queue{PriorityOrder: []string{PriorityLatency, PriorityDestination}},
			lat:   lat("p1", map[string]float32{"custom-ap": 100}),
			want:  []string{"B/custom-ap", "A/custom-eu", "A/custom-us", "C/custom-eu"},
		},
		{
			name: "policies relax: after the first policy's time the next cap applies",
			queue: Queue{PlayerLatencyPolicies: []PlayerLatencyPolicy{
				{MaximumIndividualPlayerLatencyMilliseconds: 100},
				{MaximumIndividualPlayerLatencyMilliseconds: 10, PolicyDurationSeconds: secs(5)},
				{MaximumIndividualPlayerLatencyMilliseconds: 30, PolicyDurationSeconds: secs(5)},
			}},
			lat:     near,
			elapsed: 6 * time.Second,
			want:    []string{"A/custom-us"},
		},
		{
			name: "policies relax: the last one without a duration lasts",
			queue: Queue{PlayerLatencyPolicies: []PlayerLatencyPolicy{
				{MaximumIndividualPlayerLatencyMilliseconds: 100},
				{MaximumIndividualPlayerLatencyMilliseconds: 10, PolicyDurationSeconds: secs(5)},
			}},
			lat:     near,
			elapsed: time.Hour,
			want:    []string{"A/custom-us", "C/custom-eu", "A/custom-eu"},
		},
		{
			name:    "strictest first: at the start nothing fits a 10 ms cap",
			queue:   Queue{PlayerLatencyPolicies: []PlayerLatencyPolicy{{MaximumIndividualPlayerLatencyMilliseconds: 100}, {MaximumIndividualPlayerLatencyMilliseconds: 10, PolicyDurationSeconds: secs(5)}}},
			lat:     near,
			elapsed: time.Second,
			want:    []string{},
		},
		{
			name:    "once every policy with a duration has run out, no cap is left",
			queue:   Queue{PlayerLatencyPolicies: []PlayerLatencyPolicy{{MaximumIndividualPlayerLatencyMilliseconds: 10, PolicyDurationSeconds: secs(5)}}},
			lat:     near,
			elapsed: 5 * time.Second,
			want:    []string{"A/custom-us", "C/custom-eu", "A/custom-eu", "B/custom-ap"},
		},
		{
			name:  "an override's location order replaces the queue's, and limits the pass to its locations",
			queue: Queue{PriorityOrder: []string{PriorityLocation}, LocationOrder: []string{"custom-eu", "custom-us", "custom-ap"}},
			over:  &Override{LocationOrder: []string{"custom-ap", "custom-us"}},
			want:  []string{"B/custom-ap", "A/custom-us"},
		},
		{
			name:  "the filter still applies under an override",
			queue: Queue{PriorityOrder: []string{PriorityLocation}, LocationOrder: []string{"custom-eu"}, AllowedLocations: []string{"custom-us", "custom-eu"}},
			over:  &Override{LocationOrder: []string{"custom-ap", "custom-us"}},
			want:  []string{"A/custom-us"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.queue
			p := plan{Queue: &q, Latencies: tt.lat, Elapsed: tt.elapsed, Override: tt.over}
			got := keys(p.rank(testTargets))
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

func TestLatencyCap(t *testing.T) {
	policies := []PlayerLatencyPolicy{
		{MaximumIndividualPlayerLatencyMilliseconds: 200},
		{MaximumIndividualPlayerLatencyMilliseconds: 50, PolicyDurationSeconds: secs(120)},
		{MaximumIndividualPlayerLatencyMilliseconds: 100, PolicyDurationSeconds: secs(120)},
	}
	for _, tt := range []struct {
		at       time.Duration
		cap      int
		capped   bool
		next     time.Duration
		nextSeen bool
	}{
		{0, 50, true, 120 * time.Second, true},
		{119 * time.Second, 50, true, 120 * time.Second, true},
		{120 * time.Second, 100, true, 240 * time.Second, true},
		{240 * time.Second, 200, true, 0, false},
		{time.Hour, 200, true, 0, false},
	} {
		capMs, capped := latencyCap(policies, tt.at)
		next, ok := nextPolicyChange(policies, tt.at)
		if capMs != tt.cap || capped != tt.capped || next != tt.next || ok != tt.nextSeen {
			t.Errorf("at %v: cap %d %v, next %v %v; want %d %v, %v %v", tt.at, capMs, capped, next, ok, tt.cap, tt.capped, tt.next, tt.nextSeen)
		}
	}
	if _, capped := latencyCap(nil, 0); capped {
		t.Error("no policies should mean no cap")
	}
}

func TestOverrideFallback(t *testing.T) {
	e := &entry{pl: Placement{Override: &Override{LocationOrder: []string{"custom-ap"}, Fallback: FallbackDefaultAfterSinglePass}}}
	if e.override() == nil {
		t.Fatal("the override should apply to the first pass")
	}
	e.passes = 1
	if e.override() != nil {
		t.Fatal("DEFAULT_AFTER_SINGLE_PASS should fall back to the queue's order after one pass")
	}
	e.pl.Override.Fallback = FallbackNone
	if e.override() == nil {
		t.Fatal("NONE should keep the override for good")
	}
}
