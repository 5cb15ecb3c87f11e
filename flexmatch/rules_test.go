package flexmatch

import (
	"fmt"
	"slices"
	"testing"
)

// party is a ticket of the given players; the team is up to evalTickets.
func party(id string, players ...Player) Ticket {
	return Ticket{ID: id, CreatedAt: t0, Players: players}
}

func lat(p Player, l map[string]int) Player {
	p.LatencyMs = l
	return p
}

// evalTickets evaluates the rule named "r" of a one-rule rule set on a
// match of whole tickets per team and reports whether it passes.
func evalTickets(t *testing.T, rules string, teams map[string][]Ticket) bool {
	t.Helper()
	rs, err := ParseRuleSet([]byte(ruleSet(rules, "")))
	if err != nil {
		t.Fatal(err)
	}
	m := newMatchmaker(t, rs)
	s := newState(rs)
	n := 0
	for _, name := range []string{"red", "blue"} {
		for _, tk := range teams[name] {
			n++
			tk.ID = fmt.Sprint("t", n)
			e, err := m.newEntry(tk)
			if err != nil {
				t.Fatal(err)
			}
			s.add(e, rs.slotIndex(name))
		}
	}
	s.regionCount = len(m.regionNames)
	for _, r := range rs.rules {
		if r.name == "r" {
			v, _ := s.evalRule(r, rs.params.tables[0])
			return v == 0
		}
	}
	t.Fatal("no rule r")
	return false
}

func solos(ps ...Player) []Ticket {
	var out []Ticket
	for _, p := range ps {
		out = append(out, party("", p))
	}
	return out
}

func sk(id string, skill float64) Player { return player(id, "skill", skill) }

func TestRuleTypes(t *testing.T) {
	both := func(red, blue []Ticket) map[string][]Ticket { return map[string][]Ticket{"red": red, "blue": blue} }
	redOnly := func(red ...Ticket) map[string][]Ticket { return map[string][]Ticket{"red": red} }
	cmp := func(op, ref string) string {
		return fmt.Sprintf(`{"name": "r", "type": "comparison", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": %s, "operation": %q}`, ref, op)
	}
	lowHigh := both(solos(sk("a", 10)), solos(sk("b", 20)))
	duo := func(skills ...float64) Ticket {
		var ps []Player
		for i, s := range skills {
			ps = append(ps, sk(fmt.Sprint("d", i), s))
		}
		return party("", ps...)
	}
	tests := []struct {
		name  string
		rule  string
		teams map[string][]Ticket
		want  bool
	}{
		// comparison with a reference value, every operation
		{"< passes", cmp("<", "21"), lowHigh, true},
		{"< fails", cmp("<", "20"), lowHigh, false},
		{"<= passes", cmp("<=", "20"), lowHigh, true},
		{"= fails", cmp("=", "10"), lowHigh, false},
		{"= passes", cmp("=", "10"), both(solos(sk("a", 10)), solos(sk("b", 10))), true},
		{"!= passes", cmp("!=", "15"), lowHigh, true},
		{"!= fails", cmp("!=", "20"), lowHigh, false},
		{"> fails", cmp(">", "10"), lowHigh, false},
		{">= passes", cmp(">=", "10"), lowHigh, true},
		{"numeric string reference", cmp(">=", `"10"`), lowHigh, true},
		{"string =", `{"name": "r", "type": "comparison", "measurements": "flatten(teams[*].players.attributes[mode])", "referenceValue": "ranked", "operation": "="}`,
			both(solos(player("a", "mode", "ranked")), solos(player("b"))), true},
		{"string = fails", `{"name": "r", "type": "comparison", "measurements": "flatten(teams[*].players.attributes[mode])", "referenceValue": "ranked", "operation": "="}`,
			both(solos(player("a", "mode", "casual")), solos(player("b"))), false},
		{"expression reference", `{"name": "r", "type": "comparison", "measurements": "count(teams[red].players)", "referenceValue": "count(teams[blue].players)", "operation": "="}`,
			both(solos(sk("a", 1), sk("b", 1)), solos(sk("c", 1), sk("d", 1))), true},
		{"expression reference fails", `{"name": "r", "type": "comparison", "measurements": "count(teams[red].players)", "referenceValue": "count(teams[blue].players)", "operation": "="}`,
			both(solos(sk("a", 1), sk("b", 1)), solos(sk("c", 1))), false},
		{"one team's players only", `{"name": "r", "type": "comparison", "measurements": "teams[blue].players.attributes[skill]", "referenceValue": 20, "operation": "="}`, lowHigh, true},
		{"reference of an empty team passes", `{"name": "r", "type": "comparison", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": "avg(teams[blue].players.attributes[skill])", "operation": "="}`,
			redOnly(solos(sk("a", 10))...), true},
		// comparison across players
		{"all equal", `{"name": "r", "type": "comparison", "measurements": "flatten(teams[*].players.attributes[mode])", "operation": "="}`,
			both(solos(player("a")), solos(player("b"))), true},
		{"all equal fails", `{"name": "r", "type": "comparison", "measurements": "flatten(teams[*].players.attributes[mode])", "operation": "="}`,
			both(solos(player("a")), solos(player("b", "mode", "casual"))), false},
		{"all different", `{"name": "r", "type": "comparison", "measurements": "flatten(teams[*].players.attributes[skill])", "operation": "!="}`, lowHigh, true},
		{"all different fails", `{"name": "r", "type": "comparison", "measurements": "flatten(teams[*].players.attributes[skill])", "operation": "!="}`,
			both(solos(sk("a", 10), sk("c", 5)), solos(sk("b", 10))), false},
		// defaults: skill defaults to 10, mode to "ranked"
		{"default value", cmp("=", "10"), both(solos(player("a")), solos(player("b"))), true},
		// party aggregation: a party of 10 and 30
		{"party avg", `{"name": "r", "type": "comparison", "measurements": "teams[red].players.attributes[skill]", "referenceValue": 20, "operation": ">="}`,
			redOnly(duo(10, 30)), true},
		{"party min", `{"name": "r", "type": "comparison", "measurements": "teams[red].players.attributes[skill]", "referenceValue": 20, "operation": ">=", "partyAggregation": "min"}`,
			redOnly(duo(10, 30)), false},
		{"party max", `{"name": "r", "type": "comparison", "measurements": "teams[red].players.attributes[skill]", "referenceValue": 30, "operation": "=", "partyAggregation": "max"}`,
			redOnly(duo(10, 30)), true},
		{"party counts every player", `{"name": "r", "type": "comparison", "measurements": "count(teams[red].players)", "referenceValue": 2, "operation": "="}`,
			redOnly(duo(10, 30)), true},

		// distance
		{"distance within", `{"name": "r", "type": "distance", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": 15, "maxDistance": 5}`, lowHigh, true},
		{"distance beyond", `{"name": "r", "type": "distance", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": 15, "maxDistance": 4}`, lowHigh, false},
		{"distance minimum", `{"name": "r", "type": "distance", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": 15, "minDistance": 6}`, lowHigh, false},
		{"distance band", `{"name": "r", "type": "distance", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": 15, "minDistance": 5, "maxDistance": 5}`, lowHigh, true},
		{"team averages to overall average", `{"name": "r", "type": "distance", "measurements": "avg(teams[*].players.attributes[skill])", "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))", "maxDistance": 5}`, lowHigh, true},
		{"team averages too far apart", `{"name": "r", "type": "distance", "measurements": "avg(teams[*].players.attributes[skill])", "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))", "maxDistance": 4.9}`, lowHigh, false},
		{"spread of a party with max", `{"name": "r", "type": "distance", "measurements": "max(flatten(teams[*].players.attributes[skill]))", "referenceValue": "min(flatten(teams[*].players.attributes[skill]))", "maxDistance": 0, "partyAggregation": "max"}`,
			both([]Ticket{duo(10, 30)}, solos(sk("b", 30))), true},
		{"spread of a party with avg", `{"name": "r", "type": "distance", "measurements": "max(flatten(teams[*].players.attributes[skill]))", "referenceValue": "min(flatten(teams[*].players.attributes[skill]))", "maxDistance": 0}`,
			both([]Ticket{duo(10, 30)}, solos(sk("b", 30))), false},

		// collection
		{"intersection", `{"name": "r", "type": "collection", "operation": "intersection", "measurements": "flatten(teams[*].players.attributes[maps])", "minCount": 1}`,
			both(solos(player("a", "maps", []string{"x", "y"})), solos(player("b", "maps", []string{"y"}))), true},
		{"intersection empty", `{"name": "r", "type": "collection", "operation": "intersection", "measurements": "flatten(teams[*].players.attributes[maps])", "minCount": 1}`,
			both(solos(player("a", "maps", []string{"x"})), solos(player("b", "maps", []string{"y"}))), false},
		{"intersection maximum", `{"name": "r", "type": "collection", "operation": "intersection", "measurements": "flatten(teams[*].players.attributes[maps])", "maxCount": 1}`,
			both(solos(player("a", "maps", []string{"x", "y"})), solos(player("b", "maps", []string{"y", "x"}))), false},
		{"intersection with defaults", `{"name": "r", "type": "collection", "operation": "intersection", "measurements": "flatten(teams[*].players.attributes[maps])", "minCount": 1}`,
			both(solos(player("a")), solos(player("b", "maps", []string{"a", "z"}))), true},
		{"contains at most", `{"name": "r", "type": "collection", "operation": "contains", "measurements": "flatten(teams[*].players.attributes[maps])", "referenceValue": "medic", "maxCount": 1}`,
			both(solos(player("a", "maps", []string{"medic"})), solos(player("b", "maps", []string{"medic", "tank"}))), false},
		{"contains at least", `{"name": "r", "type": "collection", "operation": "contains", "measurements": "teams[red].players.attributes[maps]", "referenceValue": "medic", "minCount": 1}`,
			both(solos(player("a", "maps", []string{"medic"})), solos(player("b"))), true},
		{"reference count literal", `{"name": "r", "type": "collection", "operation": "reference_intersection_count", "measurements": "flatten(teams[*].players.attributes[maps])", "referenceValue": ["x", "y"], "minCount": 1}`,
			both(solos(player("a", "maps", []string{"x"})), solos(player("b", "maps", []string{"y", "z"}))), true},
		{"reference count literal fails", `{"name": "r", "type": "collection", "operation": "reference_intersection_count", "measurements": "flatten(teams[*].players.attributes[maps])", "referenceValue": ["x", "y"], "minCount": 1}`,
			both(solos(player("a", "maps", []string{"x"})), solos(player("b", "maps", []string{"z"}))), false},
		{"block list by player id", `{"name": "r", "type": "collection", "operation": "reference_intersection_count", "measurements": "flatten(teams[*].players.attributes[maps])", "referenceValue": "flatten(teams[*].players[playerId])", "maxCount": 0}`,
			both(solos(player("a", "maps", []string{"b"})), solos(player("b"))), false},
		{"block list by player id passes", `{"name": "r", "type": "collection", "operation": "reference_intersection_count", "measurements": "flatten(teams[*].players.attributes[maps])", "referenceValue": "flatten(teams[*].players[playerId])", "maxCount": 0}`,
			both(solos(player("a", "maps", []string{"z"})), solos(player("b", "maps", []string{"y"}))), true},
		{"party union", `{"name": "r", "type": "collection", "operation": "intersection", "measurements": "flatten(teams[*].players.attributes[maps])", "minCount": 1}`,
			both([]Ticket{party("", player("a", "maps", []string{"x", "y"}), player("c", "maps", []string{"y", "z"}))}, solos(player("b", "maps", []string{"z"}))), true},
		{"party intersection", `{"name": "r", "type": "collection", "operation": "intersection", "measurements": "flatten(teams[*].players.attributes[maps])", "minCount": 1, "partyAggregation": "intersection"}`,
			both([]Ticket{party("", player("a", "maps", []string{"x", "y"}), player("c", "maps", []string{"y", "z"}))}, solos(player("b", "maps", []string{"z"}))), false},

		// latency
		{"common location", `{"name": "r", "type": "latency", "maxLatency": 50}`,
			both(solos(lat(player("a"), map[string]int{"eu": 40, "us": 90})), solos(lat(player("b"), map[string]int{"eu": 45}))), true},
		{"no common location", `{"name": "r", "type": "latency", "maxLatency": 50}`,
			both(solos(lat(player("a"), map[string]int{"eu": 40, "us": 90})), solos(lat(player("b"), map[string]int{"us": 45}))), false},
		{"no latency data", `{"name": "r", "type": "latency", "maxLatency": 500}`,
			both(solos(lat(player("a"), map[string]int{"eu": 40})), solos(player("b"))), false},
		{"distance from the best", `{"name": "r", "type": "latency", "maxDistance": 20, "distanceReference": "min"}`,
			both(solos(lat(player("a"), map[string]int{"eu": 10})), solos(lat(player("b"), map[string]int{"eu": 35}))), false},
		{"distance from the average", `{"name": "r", "type": "latency", "maxDistance": 20, "distanceReference": "avg"}`,
			both(solos(lat(player("a"), map[string]int{"eu": 10})), solos(lat(player("b"), map[string]int{"eu": 35}))), true},
		{"party latency max", `{"name": "r", "type": "latency", "maxLatency": 50, "partyAggregation": "max"}`,
			redOnly(party("", lat(player("a"), map[string]int{"eu": 30}), lat(player("b"), map[string]int{"eu": 60}))), false},
		{"party latency avg", `{"name": "r", "type": "latency", "maxLatency": 50}`,
			redOnly(party("", lat(player("a"), map[string]int{"eu": 30}), lat(player("b"), map[string]int{"eu": 60}))), true},

		// batchDistance
		{"batch spread", `{"name": "r", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 10}`, lowHigh, true},
		{"batch spread too wide", `{"name": "r", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 9}`, lowHigh, false},
		{"batch same string", `{"name": "r", "type": "batchDistance", "batchAttribute": "mode"}`,
			both(solos(player("a")), solos(player("b", "mode", "ranked"))), true},
		{"batch different strings", `{"name": "r", "type": "batchDistance", "batchAttribute": "mode"}`,
			both(solos(player("a")), solos(player("b", "mode", "casual"))), false},
		{"batch party min", `{"name": "r", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": 0, "partyAggregation": "min"}`,
			both([]Ticket{duo(10, 50)}, solos(sk("b", 10))), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := evalTickets(t, tt.rule, tt.teams); got != tt.want {
				t.Errorf("rule passes = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCompoundRules(t *testing.T) {
	pass := `{"name": "yes", "type": "comparison", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": 10, "operation": "="}`
	fail := `{"name": "no", "type": "comparison", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": 11, "operation": "="}`
	teams := map[string][]Ticket{"red": solos(player("a")), "blue": solos(player("b"))}
	for stmt, want := range map[string]bool{
		"and(yes, yes)":                 true,
		"and(yes, no)":                  false,
		"or(no, yes)":                   true,
		"or(no, no)":                    false,
		"not(no)":                       true,
		"not(yes)":                      false,
		"xor(yes, no)":                  true,
		"xor(yes, yes)":                 false,
		"xor(yes, no, no)":              true,
		"or(and(no, yes), not(no))":     true,
		"and(or(no, no), not(no), yes)": false,
	} {
		rules := pass + "," + fail + fmt.Sprintf(`, {"name": "r", "type": "compound", "statement": %q}`, stmt)
		if got := evalTickets(t, rules, teams); got != want {
			t.Errorf("%s = %v, want %v", stmt, got, want)
		}
	}
	// A rule named in a compound rule counts only inside it.
	rs, err := ParseRuleSet([]byte(ruleSet(pass+","+fail+`, {"name": "r", "type": "compound", "statement": "or(no, yes)"}`, "")))
	if err != nil {
		t.Fatal(err)
	}
	var top []string
	for _, r := range rs.topRules {
		top = append(top, r.name)
	}
	if !slices.Equal(top, []string{"r"}) {
		t.Errorf("top-level rules %v, want only the compound", top)
	}
}

func TestSortRules(t *testing.T) {
	tests := []struct {
		name  string
		rule  string
		order []string
	}{
		{"absolute ascending", `{"name": "s", "type": "absoluteSort", "sortDirection": "ascending", "sortAttribute": "skill"}`, []string{"c", "a", "b", "d"}},
		{"absolute descending", `{"name": "s", "type": "absoluteSort", "sortDirection": "descending", "sortAttribute": "skill"}`, []string{"d", "b", "a", "c"}},
		{"distance ascending", `{"name": "s", "type": "distanceSort", "sortDirection": "ascending", "sortAttribute": "skill"}`, []string{"a", "b", "c", "d"}},
		{"distance descending", `{"name": "s", "type": "distanceSort", "sortDirection": "descending", "sortAttribute": "skill"}`, []string{"d", "c", "b", "a"}},
		{"map minValue key", `{"name": "s", "type": "absoluteSort", "sortDirection": "ascending", "sortAttribute": "prefs", "mapKey": "minValue"}`, []string{"b", "c", "a", "d"}},
		{"map maxValue key", `{"name": "s", "type": "distanceSort", "sortDirection": "ascending", "sortAttribute": "prefs", "mapKey": "maxValue"}`, []string{"a", "d", "c", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs, err := ParseRuleSet([]byte(ruleSet(tt.rule, "")))
			if err != nil {
				t.Fatal(err)
			}
			m := newMatchmaker(t, rs)
			mk := func(id string, skill float64, prefs map[string]float64) Ticket {
				return solo(id, 0, "skill", skill, "prefs", prefs)
			}
			// The anchor: skill 50, likes x most (9) and y least (1).
			mustAdd(t, m,
				mk("anchor", 50, map[string]float64{"x": 9, "y": 1}),
				mk("a", 45, map[string]float64{"x": 8, "y": 5}),
				mk("b", 60, map[string]float64{"x": 1, "y": 2}),
				mk("c", 30, map[string]float64{"x": 6, "y": 3}),
				mk("d", 100, map[string]float64{"x": 8}),
			)
			var cands []*entry
			for _, id := range []string{"a", "b", "c", "d"} {
				cands = append(cands, m.byID[id])
			}
			m.sortCandidates(m.byID["anchor"], cands)
			var got []string
			for _, e := range cands {
				got = append(got, e.t.ID)
			}
			if !slices.Equal(got, tt.order) {
				t.Errorf("order %v, want %v", got, tt.order)
			}
		})
	}
}

func TestTicketValidation(t *testing.T) {
	rs := loadRuleSet(t, "compare_all.json")
	m := newMatchmaker(t, rs)
	mustAdd(t, m, solo("ok", 0, "character", 1))
	tests := []struct {
		name string
		t    Ticket
	}{
		{"duplicate", solo("ok", 0, "character", 1)},
		{"no id", Ticket{Players: []Player{player("p", "character", 1)}}},
		{"no players", Ticket{ID: "x"}},
		{"too many players", Ticket{ID: "x", Players: make([]Player, 11)}},
		{"party larger than any team", Ticket{ID: "x", Players: []Player{player("p1", "character", 1), player("p2", "character", 1)}}},
		{"missing required attribute", solo("x", 0)},
		{"wrong attribute type", solo("x", 0, "character", "knight")},
		{"string too long", solo("x", 0, "character", 1, "gameMode", string(make([]byte, 101)))},
		{"player without id", Ticket{ID: "x", Players: []Player{{Attributes: attrs("character", 1)}}}},
		{"negative latency", withLatency(solo("x", 0, "character", 1), map[string]int{"eu": -1})},
		{"backfill on unknown team", Ticket{ID: "x", Backfill: true, Players: []Player{{ID: "p", Team: "nobody", Attributes: attrs("character", 1)}}}},
	}
	for _, tt := range tests {
		if err := m.Add(tt.t); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	if m.Len() != 1 {
		t.Errorf("pool holds %d tickets, want 1", m.Len())
	}
	if !m.Remove("ok") || m.Remove("ok") || m.Len() != 0 {
		t.Error("Remove did not remove exactly once")
	}
	if _, err := New(Config{}); err == nil {
		t.Error("New without a rule set succeeded")
	}
	if _, err := New(Config{RuleSet: rs, AdditionalPlayerCount: 1}); err == nil {
		t.Error("AdditionalPlayerCount below the minimum team sizes accepted")
	}
}

// AdditionalPlayerCount keeps slots free: a 12-player team with 2
// additional players takes 10.
func TestAdditionalPlayerCount(t *testing.T) {
	rs, err := ParseRuleSet([]byte(`{"ruleLanguageVersion": "1.0", "teams": [{"name": "all", "minPlayers": 8, "maxPlayers": 12}]}`))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Config{RuleSet: rs, AdditionalPlayerCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 14 {
		mustAdd(t, m, solo(fmt.Sprint("t", i), 0))
	}
	ms := m.Cycle(at(1))
	if len(ms) != 1 || len(ms[0].Teams[0].Players) != 10 {
		t.Fatalf("got %+v, want one match of 10", ms)
	}
}

func TestBackfillPriority(t *testing.T) {
	body := `{"ruleLanguageVersion": "1.0", "algorithm": {"backfillPriority": "PRIO"}, "teams": [{"name": "a", "minPlayers": 2, "maxPlayers": 2}, {"name": "b", "minPlayers": 2, "maxPlayers": 2}]}`
	for prio, wantBackfill := range map[string]bool{"high": true, "low": false} {
		rs, err := ParseRuleSet([]byte(stringsReplace(body, "PRIO", prio)))
		if err != nil {
			t.Fatal(err)
		}
		m := newMatchmaker(t, rs)
		// An older new-match pair and a younger game with one open slot:
		// with high priority the game is filled first.
		bf := Ticket{ID: "game", CreatedAt: at(5), Backfill: true, Players: []Player{{ID: "g1", Team: "a"}, {ID: "g2", Team: "a"}, {ID: "g3", Team: "b"}}}
		mustAdd(t, m, solo("w", 0), solo("x", 0), solo("y", 0), solo("z", 0), bf)
		ms := m.Cycle(at(6))
		if len(ms) == 0 {
			t.Fatalf("%s: no matches", prio)
		}
		if got := ms[0].Backfill != ""; got != wantBackfill {
			t.Errorf("%s: first match backfill=%v, want %v", prio, got, wantBackfill)
		}
	}
}

func stringsReplace(s, old, new string) string {
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	return s
}
