package flexmatch

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// genValue draws an attribute value of the declared type from a small
// domain, so that rules pass often enough to make matches and fail often
// enough to matter.
func genValue(r *rand.Rand, typ AttributeType, ids []string) AttributeValue {
	words := []string{"a", "b", "c", "medic", "knight", "mage", "ranked"}
	switch typ {
	case AttributeNumber:
		if r.IntN(4) == 0 {
			return NumberAttr(float64(r.IntN(2000)))
		}
		return NumberAttr([]float64{0, 1, 5, 10, 12, 20, 40, 1000, 1500}[r.IntN(9)])
	case AttributeString:
		return StringAttr([]string{"ranked", "casual", "dunes"}[r.IntN(3)])
	case AttributeStringList:
		var l []string
		for _, w := range words {
			if r.IntN(3) == 0 {
				l = append(l, w)
			}
		}
		if len(ids) > 0 && r.IntN(5) == 0 {
			l = append(l, ids[r.IntN(len(ids))])
		}
		return StringListAttr(l...)
	}
	return StringNumberMapAttr(map[string]float64{"a": float64(r.IntN(100)), "b": float64(r.IntN(100))})
}

func genTickets(r *rand.Rand, rs *RuleSet, n int, withBackfill bool) []Ticket {
	var ids []string
	for i := range n {
		ids = append(ids, fmt.Sprintf("p%d-0", i))
	}
	largest := 0
	for _, t := range rs.Teams() {
		largest = max(largest, t.MaxPlayers)
	}
	out := make([]Ticket, 0, n)
	for i := range n {
		t := Ticket{ID: fmt.Sprint("t", i), CreatedAt: t0.Add(time.Duration(r.IntN(40)) * time.Second)}
		size := min([]int{1, 1, 1, 1, 1, 2, 2, 3}[r.IntN(8)], largest)
		teams := rs.Teams()
		if withBackfill && i%25 == 7 {
			t.Backfill = true
			size = 0
			for _, team := range teams {
				size += r.IntN(team.MaxPlayers)
			}
			size = max(size, 1)
		}
		for k := range size {
			p := Player{ID: fmt.Sprintf("p%d-%d", i, k), Attributes: map[string]AttributeValue{}, LatencyMs: map[string]int{}}
			for _, a := range rs.Attributes() {
				if a.Default != nil && r.IntN(3) == 0 {
					continue
				}
				p.Attributes[a.Name] = genValue(r, a.Type, ids)
			}
			for _, loc := range []string{"r1", "r2", "r3"} {
				if r.IntN(5) > 0 {
					p.LatencyMs[loc] = 10 + r.IntN(190)
				}
			}
			if t.Backfill {
				// Fill teams in order, below their maximum.
				for slot, team := range teams {
					used := 0
					for _, q := range t.Players {
						if q.Team == team.Name {
							used++
						}
					}
					if used < team.MaxPlayers-1 || slot == len(teams)-1 && used < team.MaxPlayers {
						p.Team = team.Name
						break
					}
				}
				if p.Team == "" {
					break
				}
			}
			t.Players = append(t.Players, p)
		}
		out = append(out, t)
	}
	return out
}

// oracleTickets converts generated tickets for the oracle, filling in the
// rule set's defaults.
func oracleTickets(o *oracle, tickets []Ticket) (map[string]*oPlayer, map[string]*oTicket) {
	players := map[string]*oPlayer{}
	byID := map[string]*oTicket{}
	for _, t := range tickets {
		ot := &oTicket{id: t.ID, backfill: t.Backfill}
		for _, p := range t.Players {
			op := &oPlayer{id: p.ID, ticket: ot, attrs: map[string]any{}, latency: map[string]float64{}}
			for name := range o.attrTypes {
				v, ok := p.Attributes[name]
				if !ok {
					op.attrs[name] = o.defaults[name]
					continue
				}
				switch v.Type {
				case AttributeNumber:
					op.attrs[name] = v.N
				case AttributeString:
					op.attrs[name] = v.S
				case AttributeStringList:
					l := []any{}
					for _, s := range v.SL {
						if !contains(l, s) {
							l = append(l, s)
						}
					}
					op.attrs[name] = l
				}
				if d, ok := op.attrs[name].(float64); ok && o.attrTypes[name] == "number" {
					op.attrs[name] = d
				}
			}
			for name, d := range op.attrs {
				if f, ok := d.(string); ok && o.attrTypes[name] == "number" {
					op.attrs[name] = num(f)
				}
			}
			for loc, ms := range p.LatencyMs {
				op.latency[loc] = float64(ms)
			}
			ot.players = append(ot.players, op)
			players[p.ID] = op
		}
		byID[t.ID] = ot
	}
	return players, byID
}

func contains(l []any, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// Every match the engine makes, from any corpus rule set and random
// tickets, passes every rule when the oracle checks it.
func TestPropertyMatchesSatisfyRules(t *testing.T) {
	seeds := 4
	if testing.Short() {
		seeds = 2
	}
	total := 0
	for _, file := range corpusFiles(t) {
		body, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := ParseRuleSet(body)
		if err != nil {
			t.Fatal(err)
		}
		o, err := newOracle(string(body))
		if err != nil {
			t.Fatal(err)
		}
		n := 120
		if rs.LargeMatch() {
			n = 400
		}
		for seed := range uint64(seeds) {
			r := rand.New(rand.NewPCG(seed, 99))
			tickets := genTickets(r, rs, n, !rs.LargeMatch() || seed%2 == 0)
			players, byID := oracleTickets(o, tickets)
			m, err := New(Config{RuleSet: rs, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range tickets {
				if err := m.Add(tk); err != nil {
					t.Fatalf("%s: %v", filepath.Base(file), err)
				}
			}
			seen := map[string]bool{}
			for sec := 0; sec <= 70; sec += 5 {
				now := t0.Add(time.Duration(sec) * time.Second)
				for _, mt := range m.Cycle(now) {
					total++
					var match [][]*oPlayer
					var ts []*oTicket
					age := -1.0
					backfills := 0
					for _, id := range mt.Tickets {
						if seen[id] {
							t.Fatalf("%s: ticket %s matched twice", filepath.Base(file), id)
						}
						seen[id] = true
						ot := byID[id]
						ts = append(ts, ot)
						if ot.backfill {
							backfills++
						}
						for _, tk := range tickets {
							if tk.ID == id {
								a := now.Sub(tk.CreatedAt).Seconds()
								switch {
								case age < 0:
									age = a
								case o.oldest:
									age = max(age, a)
								default:
									age = min(age, a)
								}
							}
						}
					}
					if backfills > 1 {
						t.Fatalf("%s: match with %d backfill tickets", filepath.Base(file), backfills)
					}
					for _, team := range mt.Teams {
						var ps []*oPlayer
						for _, id := range team.Players {
							ps = append(ps, players[id])
						}
						match = append(match, ps)
					}
					if why := o.verify(match, ts, age); why != "" {
						t.Errorf("%s seed %d at %ds: match %v: %s", filepath.Base(file), seed, sec, mt.Tickets, why)
					}
				}
			}
		}
	}
	if total < 50 {
		t.Errorf("only %d matches across the corpus: the property is hardly tested", total)
	}
	t.Logf("%d matches checked", total)
}

// The same seed and the same calls give the same matches.
func TestDeterministic(t *testing.T) {
	for _, name := range []string{"skill_latency_5v5.json", "parties.json", "battle_royale.json", "compound.json"} {
		rs := loadRuleSet(t, name)
		tickets := genTickets(rand.New(rand.NewPCG(5, 5)), rs, 300, false)
		run := func(seed uint64) string {
			m, err := New(Config{RuleSet: rs, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for i, tk := range tickets {
				if err := m.Add(tk); err != nil {
					t.Fatal(err)
				}
				if i%50 == 49 {
					for _, mt := range m.Cycle(at(float64(i / 10))) {
						out = append(out, fmt.Sprint(mt.Teams))
					}
					m.Remove(tickets[i-3].ID)
				}
			}
			return fmt.Sprint(out)
		}
		if a, b := run(1), run(1); a != b {
			t.Errorf("%s: seed 1 gave two different results", name)
		}
	}
}
