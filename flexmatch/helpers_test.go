package flexmatch

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"
)

// t0 is the start of every simulated clock in the tests.
var t0 = time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

func loadRuleSet(t testing.TB, name string) *RuleSet {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "rulesets", name))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ParseRuleSet(body)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return rs
}

func newMatchmaker(t testing.TB, rs *RuleSet) *Matchmaker {
	t.Helper()
	m, err := New(Config{RuleSet: rs, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// attrs turns name, value pairs into attribute values: float64 or int is a
// number, string a string, []string a string list, map a string-number map.
func attrs(kv ...any) map[string]AttributeValue {
	out := map[string]AttributeValue{}
	for i := 0; i+1 < len(kv); i += 2 {
		name := kv[i].(string)
		switch v := kv[i+1].(type) {
		case float64:
			out[name] = NumberAttr(v)
		case int:
			out[name] = NumberAttr(float64(v))
		case string:
			out[name] = StringAttr(v)
		case []string:
			out[name] = StringListAttr(v...)
		case map[string]float64:
			out[name] = StringNumberMapAttr(v)
		default:
			panic(fmt.Sprintf("attrs: %T", v))
		}
	}
	return out
}

func player(id string, kv ...any) Player {
	return Player{ID: id, Attributes: attrs(kv...)}
}

// solo is a one-player ticket created at second created; the player's ID is
// the ticket's with a "p" in front.
func solo(id string, created float64, kv ...any) Ticket {
	return Ticket{ID: id, CreatedAt: at(created), Players: []Player{player("p"+id, kv...)}}
}

func withLatency(tk Ticket, lat map[string]int) Ticket {
	for i := range tk.Players {
		tk.Players[i].LatencyMs = lat
	}
	return tk
}

func mustAdd(t testing.TB, m *Matchmaker, tks ...Ticket) {
	t.Helper()
	for _, tk := range tks {
		if err := m.Add(tk); err != nil {
			t.Fatal(err)
		}
	}
}

// sizes returns a match's team sizes, by team name.
func sizes(mt Match) map[string]int {
	out := map[string]int{}
	for _, team := range mt.Teams {
		out[team.Name] = len(team.Players)
	}
	return out
}

// teamOf returns the team a player is on in a match, or "".
func teamOf(mt Match, playerID string) string {
	for _, team := range mt.Teams {
		if slices.Contains(team.Players, playerID) {
			return team.Name
		}
	}
	return ""
}

func sortedTickets(mt Match) []string {
	out := slices.Clone(mt.Tickets)
	sort.Strings(out)
	return out
}

// evalRules evaluates the rule set's rules on a match given as players per
// team name, each player a ticket of its own, at age zero. It returns, per
// top-level rule, whether the rule passes.
func evalRules(t testing.TB, rs *RuleSet, teams map[string][]Player) map[string]bool {
	t.Helper()
	m := newMatchmaker(t, rs)
	s := newState(rs)
	for name, players := range teams {
		slot := rs.slotIndex(name)
		if slot < 0 {
			t.Fatalf("no team %q", name)
		}
		for _, p := range players {
			e, err := m.newEntry(Ticket{ID: "t-" + p.ID, Players: []Player{p}})
			if err != nil {
				t.Fatal(err)
			}
			s.add(e, slot)
		}
	}
	s.regionCount = len(m.regionNames)
	params := rs.params.tables[0]
	out := map[string]bool{}
	for _, r := range rs.topRules {
		v, _ := s.evalRule(r, params)
		out[r.name] = v == 0
	}
	return out
}
