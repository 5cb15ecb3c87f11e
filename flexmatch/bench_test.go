package flexmatch

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

var benchRegions = []string{"us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1"}

// benchPlayer makes a player with a normally distributed skill around 1500
// and latencies of 20 to 200 ms to each region, better near "home".
func benchPlayer(r *rand.Rand, id string) Player {
	home := r.IntN(len(benchRegions))
	lat := make(map[string]int, len(benchRegions))
	for i, loc := range benchRegions {
		base := 20
		if i != home {
			base = 70 + 40*((i-home+len(benchRegions))%len(benchRegions))
		}
		lat[loc] = base + r.IntN(40)
	}
	return Player{
		ID:         id,
		Attributes: map[string]AttributeValue{"skill": NumberAttr(1500 + r.NormFloat64()*300)},
		LatencyMs:  lat,
	}
}

// benchPool makes n tickets of partySize(r) players each, created over the
// last 30 seconds.
func benchPool(n int, seed uint64, partySize func(r *rand.Rand) int) []Ticket {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]Ticket, n)
	for i := range out {
		t := Ticket{ID: fmt.Sprint("t", i), CreatedAt: t0.Add(-time.Duration(r.IntN(30_000)) * time.Millisecond)}
		size := partySize(r)
		for k := range size {
			t.Players = append(t.Players, benchPlayer(r, fmt.Sprintf("p%d-%d", i, k)))
		}
		out[i] = t
	}
	return out
}

func soloSize(*rand.Rand) int { return 1 }

// benchCycle measures one full matchmaking cycle over a fresh pool of the
// tickets, and reports tickets matched per second of cycle time.
func benchCycle(b *testing.B, rs *RuleSet, tickets []Ticket) {
	b.ReportAllocs()
	matched, matches := 0, 0
	var spent time.Duration
	for b.Loop() {
		b.StopTimer()
		m, err := New(Config{RuleSet: rs, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range tickets {
			if err := m.Add(t); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		ms := m.Cycle(t0)
		spent += time.Since(start)
		matches += len(ms)
		for _, mt := range ms {
			matched += len(mt.Tickets)
		}
	}
	b.ReportMetric(float64(matched)/spent.Seconds(), "tickets-matched/s")
	b.ReportMetric(float64(matched)/float64(b.N)/float64(len(tickets))*100, "%-matched")
	b.ReportMetric(float64(matches)/float64(b.N), "matches/cycle")
}

func Benchmark5v5SkillLatency(b *testing.B) {
	rs := loadRuleSet(b, "skill_latency_5v5.json")
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			benchCycle(b, rs, benchPool(n, 1, soloSize))
		})
	}
}

const largeBatchRuleSet = `{
  "name": "hundred",
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 1500}],
  "algorithm": {"strategy": "balanced", "balancedAttribute": "skill", "batchingPreference": "largestPopulation"},
  "teams": [{"name": "squad", "minPlayers": 20, "maxPlayers": 25, "quantity": 4}],
  "rules": [
    {"name": "SkillBand", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 100},
    {"name": "Ping", "type": "latency", "maxLatency": 150}
  ]
}`

func BenchmarkLargeBatchDistance(b *testing.B) {
	rs, err := ParseRuleSet([]byte(largeBatchRuleSet))
	if err != nil {
		b.Fatal(err)
	}
	benchCycle(b, rs, benchPool(50_000, 2, soloSize))
}

func BenchmarkBalancedMultiTeam(b *testing.B) {
	rs := loadRuleSet(b, "large_multi_team.json")
	pool := benchPool(20_000, 3, soloSize)
	for _, t := range pool {
		for i := range t.Players {
			t.Players[i].Attributes = map[string]AttributeValue{"beast-kills": NumberAttr(float64(i % 40))}
		}
	}
	benchCycle(b, rs, pool)
}

func BenchmarkParties(b *testing.B) {
	rs := loadRuleSet(b, "parties.json")
	benchCycle(b, rs, benchPool(10_000, 4, func(r *rand.Rand) int { return 1 + r.IntN(4) }))
}
