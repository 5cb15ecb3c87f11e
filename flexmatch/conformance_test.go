package flexmatch

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The conformance scenarios of ../shared/reference/flexmatch.md, one test
// each, built on the rule sets in testdata/rulesets that follow the guide's
// examples.

// Scenario 1: two teams of 4 to 8 that must be the same size.
func TestConformance1EqualTeams(t *testing.T) {
	rs := loadRuleSet(t, "team_sizes.json")
	for _, n := range []int{8, 9} {
		t.Run(fmt.Sprintf("%d tickets", n), func(t *testing.T) {
			m := newMatchmaker(t, rs)
			for i := range n {
				mustAdd(t, m, solo(fmt.Sprint("t", i), 0, "skill", 9+i%3))
			}
			ms := m.Cycle(at(1))
			if len(ms) != 1 {
				t.Fatalf("%d matches, want 1", len(ms))
			}
			if got := sizes(ms[0]); got["knights"] != 4 || got["pirates"] != 4 {
				t.Errorf("team sizes %v, want 4v4", got)
			}
			if m.Len() != n-8 {
				t.Errorf("%d tickets left, want %d (never 5v4)", m.Len(), n-8)
			}
		})
	}
}

// Scenario 2: team averages 40 apart pass FairTeamSkill only once the
// expansion to maxDistance 50 applies at 5 seconds.
func TestConformance2SkillExpansion(t *testing.T) {
	rs := loadRuleSet(t, "team_sizes.json")
	m := newMatchmaker(t, rs)
	// Two parties of four must each fill a team: averages 0 and 40, 20 from
	// the match average of 20.
	low := Ticket{ID: "low", CreatedAt: at(0)}
	high := Ticket{ID: "high", CreatedAt: at(0)}
	for i := range 4 {
		low.Players = append(low.Players, player(fmt.Sprint("l", i), "skill", 0))
		high.Players = append(high.Players, player(fmt.Sprint("h", i), "skill", 40))
	}
	mustAdd(t, m, low, high)
	for sec := 0.0; sec < 5; sec++ {
		if ms := m.Cycle(at(sec)); len(ms) != 0 {
			t.Fatalf("matched at %vs, before the expansion", sec)
		}
	}
	x, _ := m.Explain("low")
	if x.Rule != "FairTeamSkill" || x.Step != 0 {
		t.Errorf("Explain = %+v, want FairTeamSkill at step 0", x)
	}
	ms := m.Cycle(at(5))
	if len(ms) != 1 {
		t.Fatalf("no match at 5s")
	}
	if teamOf(ms[0], "l0") == teamOf(ms[0], "h0") {
		t.Errorf("parties split or merged: %+v", ms[0].Teams)
	}
}

// Scenario 3: the monster team takes only a player who wants it, and a
// monster weaker than the hunters want is refused.
func TestConformance3Monster(t *testing.T) {
	rs := loadRuleSet(t, "monster.json")
	hunter := func(id string, desired float64) Ticket {
		return solo(id, 0, "skill", 10, "desiredSkillOfMonster", desired, "wantsToBeMonster", 0)
	}
	monster := func(id string, skill float64) Ticket {
		return solo(id, 0, "skill", skill, "wantsToBeMonster", 1)
	}
	t.Run("one monster, one spare", func(t *testing.T) {
		m := newMatchmaker(t, rs)
		mustAdd(t, m, monster("m1", 20), monster("m2", 20))
		for i := range 5 {
			mustAdd(t, m, hunter(fmt.Sprint("h", i), 10))
		}
		ms := m.Cycle(at(1))
		if len(ms) != 1 {
			t.Fatalf("%d matches, want 1", len(ms))
		}
		mon := ms[0].Teams[1].Players
		if len(mon) != 1 || !strings.HasPrefix(mon[0], "pm") {
			t.Errorf("monster team %v, want one of the would-be monsters", mon)
		}
		for _, p := range ms[0].Teams[0].Players {
			if strings.HasPrefix(p, "pm") {
				t.Errorf("would-be monster %s joined the players team", p)
			}
		}
	})
	t.Run("monster too weak", func(t *testing.T) {
		m := newMatchmaker(t, rs)
		mustAdd(t, m, monster("m1", 8))
		for i := range 5 {
			mustAdd(t, m, hunter(fmt.Sprint("h", i), 10))
		}
		if ms := m.Cycle(at(1)); len(ms) != 0 {
			t.Fatalf("matched a skill 8 monster with hunters wanting 10: %+v", ms)
		}
	})
}

// Scenario 4: four hunters and a monster match once minPlayers of the
// players team relaxes to 4 at 30 seconds.
func TestConformance4TeamSizeExpansion(t *testing.T) {
	rs := loadRuleSet(t, "monster.json")
	m := newMatchmaker(t, rs)
	mustAdd(t, m, solo("m", 0, "wantsToBeMonster", 1, "skill", 50))
	for i := range 4 {
		mustAdd(t, m, solo(fmt.Sprint("h", i), 0))
	}
	for _, sec := range []float64{1, 10, 29.9} {
		if ms := m.Cycle(at(sec)); len(ms) != 0 {
			t.Fatalf("matched at %vs", sec)
		}
	}
	x, _ := m.Explain("m")
	if !strings.Contains(x.Reason, "not enough players") {
		t.Errorf("Explain = %+v", x)
	}
	ms := m.Cycle(at(30))
	if len(ms) != 1 || sizes(ms[0])["players"] != 4 {
		t.Fatalf("at 30s: %+v, want a 4+1 match", ms)
	}
}

var lat30 = map[string]int{"eu-west-1": 30}

// Scenario 5: a match may hold at most five medics.
func TestConformance5Medics(t *testing.T) {
	rs := loadRuleSet(t, "three_teams_latency.json")
	medic := func(id string) Ticket {
		return withLatency(solo(id, 0, "character", []string{"medic"}), lat30)
	}
	peasant := func(id string) Ticket { return withLatency(solo(id, 0), lat30) }
	teams := map[string][]Player{}
	for i := range 9 {
		ch := "medic"
		if i >= 6 {
			ch = "peasant"
		}
		name := fmt.Sprint("squad_", i%3+1)
		teams[name] = append(teams[name], player(fmt.Sprint("p", i), "character", []string{ch}))
	}
	if evalRules(t, rs, teams)["OverallMedicLimit"] {
		t.Error("six medics pass OverallMedicLimit")
	}
	m := newMatchmaker(t, rs)
	for i := range 6 {
		mustAdd(t, m, medic(fmt.Sprint("m", i)))
	}
	for i := range 3 {
		mustAdd(t, m, peasant(fmt.Sprint("p", i)))
	}
	if ms := m.Cycle(at(1)); len(ms) != 0 {
		t.Fatalf("matched 9 players with six medics: %+v", ms)
	}
	mustAdd(t, m, peasant("p3"))
	ms := m.Cycle(at(2))
	if len(ms) != 1 {
		t.Fatalf("no match with four peasants and six medics")
	}
	medics := 0
	for _, id := range ms[0].Tickets {
		if strings.HasPrefix(id, "m") {
			medics++
		}
	}
	if medics > 5 {
		t.Errorf("match has %d medics", medics)
	}
}

// Scenario 6: team sizes 3/3/5 fail CloseTeamSizes, 3/3/4 pass.
func TestConformance6CloseTeamSizes(t *testing.T) {
	rs := loadRuleSet(t, "three_teams_latency.json")
	build := func(a, b, c int) map[string][]Player {
		teams := map[string][]Player{}
		for k, n := range []int{a, b, c} {
			for i := range n {
				name := fmt.Sprint("squad_", k+1)
				teams[name] = append(teams[name], player(fmt.Sprintf("%d-%d", k, i)))
			}
		}
		return teams
	}
	if evalRules(t, rs, build(3, 3, 5))["CloseTeamSizes"] {
		t.Error("3/3/5 passes CloseTeamSizes")
	}
	if !evalRules(t, rs, build(3, 3, 4))["CloseTeamSizes"] {
		t.Error("3/3/4 fails CloseTeamSizes")
	}
}

// Scenario 7: a player whose best location is 80 ms waits for the
// expansion to 100 ms at 10 seconds; a player without latencies never
// matches.
func TestConformance7Latency(t *testing.T) {
	rs := loadRuleSet(t, "three_teams_latency.json")
	m := newMatchmaker(t, rs)
	for i := range 8 {
		mustAdd(t, m, withLatency(solo(fmt.Sprint("t", i), 0), lat30))
	}
	mustAdd(t, m, withLatency(solo("slow", 0), map[string]int{"eu-west-1": 80, "us-east-1": 120}))
	if ms := m.Cycle(at(9)); len(ms) != 0 {
		t.Fatalf("matched before the latency expansion: %+v", ms)
	}
	ms := m.Cycle(at(10))
	if len(ms) != 1 || !slices.Contains(ms[0].Tickets, "slow") {
		t.Fatalf("at 10s: %+v, want a match with the slow player", ms)
	}
	if !slices.Equal(ms[0].Locations, []string{"eu-west-1"}) {
		t.Errorf("locations %v, want [eu-west-1]", ms[0].Locations)
	}

	m = newMatchmaker(t, rs)
	for i := range 8 {
		mustAdd(t, m, withLatency(solo(fmt.Sprint("t", i), 0), lat30))
	}
	mustAdd(t, m, solo("silent", 0))
	for sec := range 40 {
		if ms := m.Cycle(at(float64(sec))); len(ms) != 0 {
			t.Fatalf("matched a player without latencies: %+v", ms)
		}
	}
	x, _ := m.Explain("silent")
	if x.Rule != "FastConnection" {
		t.Errorf("Explain(silent) = %+v", x)
	}
}

// Scenario 8: sort rules put first the candidates who weigh the anchor's
// favourite map highest, then those nearest in experience; a player sharing
// no game mode fails SharedMode.
func TestConformance8Sorts(t *testing.T) {
	rs := loadRuleSet(t, "sorted_maps.json")
	m := newMatchmaker(t, rs)
	mk := func(id string, age float64, exp float64, prefs map[string]float64, modes ...string) Ticket {
		if len(modes) == 0 {
			modes = []string{"coop"}
		}
		return solo(id, -age, "experience", exp, "mapPreference", prefs, "gameMode", modes)
	}
	anchor := mk("anchor", 10, 50, map[string]float64{"dunes": 90, "docks": 10})
	mustAdd(t, m,
		anchor,
		mk("a", 1, 50, map[string]float64{"dunes": 20}),
		mk("b", 2, 90, map[string]float64{"dunes": 80}),
		mk("c", 3, 55, map[string]float64{"dunes": 80}),
		mk("d", 4, 50, map[string]float64{"docks": 100}),
	)
	for _, e := range m.pool {
		e.age = e.ageAt(at(0))
	}
	a := m.byID["anchor"]
	var cands []*entry
	for _, id := range []string{"a", "b", "c", "d"} {
		cands = append(cands, m.byID[id])
	}
	m.sortCandidates(a, cands)
	var got []string
	for _, e := range cands {
		got = append(got, e.t.ID)
	}
	if want := []string{"c", "b", "a", "d"}; !slices.Equal(got, want) {
		t.Errorf("candidate order %v, want %v", got, want)
	}

	m = newMatchmaker(t, rs)
	for i := range 5 {
		mustAdd(t, m, mk(fmt.Sprint("t", i), float64(i), 50, map[string]float64{"defaultMap": 1}))
	}
	mustAdd(t, m, mk("odd", 10, 50, map[string]float64{"defaultMap": 1}, "ranked"))
	if ms := m.Cycle(at(0)); len(ms) != 0 {
		t.Fatalf("matched a player who shares no game mode: %+v", ms)
	}
	mustAdd(t, m, mk("t5", 0, 50, map[string]float64{"defaultMap": 1}))
	ms := m.Cycle(at(1))
	if len(ms) != 1 || slices.Contains(ms[0].Tickets, "odd") {
		t.Fatalf("got %+v, want a match of t0..t5", ms)
	}
}

// Scenario 9: every character must be one all players want to face; one
// mismatch blocks the match until minCount relaxes to 0 at 15 seconds.
func TestConformance9Opponents(t *testing.T) {
	rs := loadRuleSet(t, "opponents.json")
	m := newMatchmaker(t, rs)
	want := []string{"knight", "mage", "rogue"}
	for i, c := range []string{"knight", "mage", "rogue", "knight"} {
		mustAdd(t, m, solo(fmt.Sprint("t", i), 0, "myCharacter", []string{c}, "preferredOpponents", want))
	}
	mustAdd(t, m, solo("bard", 0, "myCharacter", []string{"bard"}, "preferredOpponents", want))
	for _, sec := range []float64{1, 14} {
		if ms := m.Cycle(at(sec)); len(ms) != 0 {
			t.Fatalf("matched at %vs: %+v", sec, ms)
		}
	}
	if ms := m.Cycle(at(15)); len(ms) != 1 {
		t.Fatalf("no match at 15s")
	}
}

// Scenario 10: comparisons without a reference value: same mode and map,
// different characters.
func TestConformance10CompareAll(t *testing.T) {
	rs := loadRuleSet(t, "compare_all.json")
	m := newMatchmaker(t, rs)
	mustAdd(t, m, solo("a", 0, "character", 7), solo("b", 0, "character", 7))
	if ms := m.Cycle(at(1)); len(ms) != 0 {
		t.Fatalf("matched equal characters: %+v", ms)
	}
	mustAdd(t, m, solo("c", 0, "character", 9, "gameMode", "real-time"))
	if ms := m.Cycle(at(2)); len(ms) != 0 {
		t.Fatalf("matched different game modes: %+v", ms)
	}
	mustAdd(t, m, solo("d", 0, "character", 9))
	ms := m.Cycle(at(3))
	if len(ms) != 1 || !slices.Contains(ms[0].Tickets, "d") || slices.Contains(ms[0].Tickets, "c") {
		t.Fatalf("got %+v, want d with a or b", ms)
	}
	if s := sizes(ms[0]); s["duelist_1"] != 1 || s["duelist_2"] != 1 {
		t.Errorf("teams %v", s)
	}
	if _, err := New(Config{RuleSet: rs}); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(solo("e", 0)); err == nil {
		t.Error("a player without the required character attribute was accepted")
	}
}

// Scenario 11: a 175-200 player free-for-all matches 160 players once
// minPlayers relaxes to 150 at 10 seconds, and 100 at 15.
func TestConformance11LargeMatch(t *testing.T) {
	rs := loadRuleSet(t, "large_ffa.json")
	for _, tc := range []struct {
		players int
		at      float64
	}{{160, 10}, {100, 15}} {
		t.Run(fmt.Sprint(tc.players), func(t *testing.T) {
			m := newMatchmaker(t, rs)
			for i := range tc.players {
				mustAdd(t, m, withLatency(solo(fmt.Sprint("t", i), 0, "skill", i), map[string]int{"us-west-2": 50}))
			}
			if ms := m.Cycle(at(tc.at - 0.5)); len(ms) != 0 {
				t.Fatalf("matched before %vs", tc.at)
			}
			ms := m.Cycle(at(tc.at))
			if len(ms) != 1 || len(ms[0].Tickets) != tc.players {
				t.Fatalf("at %vs: %d matches, want one of %d players", tc.at, len(ms), tc.players)
			}
		})
	}
}

// Scenario 12: a large match with ten hunter teams and a beast team fills
// the minimums first, then spreads the rest within one player.
func TestConformance12MultiTeamLarge(t *testing.T) {
	rs := loadRuleSet(t, "large_multi_team.json")
	mins := []int{5, 12, 12, 12, 12, 12, 12, 12, 12, 12, 12}
	caps := []int{5, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15}
	if got := fillTargets(122, mins, caps); got[0] != 2 || got[1] != 12 || got[10] != 12 {
		t.Errorf("after 122 players: %v, want beasts 2 and hunters 12", got)
	}
	if got := fillTargets(125, mins, caps); got[0] != 5 {
		t.Errorf("after 125 players: %v, want the beasts full", got)
	}
	m := newMatchmaker(t, rs)
	for i := range 130 {
		mustAdd(t, m, withLatency(solo(fmt.Sprint("t", i), 0, "beast-kills", i%17), map[string]int{"eu-central-1": 40}))
	}
	ms := m.Cycle(at(1))
	if len(ms) != 1 {
		t.Fatalf("%d matches, want 1", len(ms))
	}
	s := sizes(ms[0])
	if s["Beasts"] != 5 {
		t.Errorf("beasts %d, want 5", s["Beasts"])
	}
	lo, hi := 99, 0
	for i := 1; i <= 10; i++ {
		n := s[fmt.Sprint("Hunters_", i)]
		lo, hi = min(lo, n), max(hi, n)
	}
	if lo < 12 || hi-lo > 1 {
		t.Errorf("hunter teams between %d and %d players, want at least 12 and within one", lo, hi)
	}
}

// Scenario 13: or(and(SameMap,SameMode), and(SimilarSkill,SimilarLeague))
// matches players with the same map and mode however far apart their
// skills; the rules inside the compound do not veto on their own.
func TestConformance13Compound(t *testing.T) {
	rs := loadRuleSet(t, "compound.json")
	m := newMatchmaker(t, rs)
	for i := range 20 {
		mustAdd(t, m, withLatency(solo(fmt.Sprint("t", i), 0, "skill", i*100, "league", i, "map", "dunes", "mode", "ctf"), lat30))
	}
	ms := m.Cycle(at(1))
	if len(ms) != 1 || len(ms[0].Tickets) != 20 {
		t.Fatalf("got %d matches, want one of 20 players", len(ms))
	}
	m = newMatchmaker(t, rs)
	for i := range 20 {
		mustAdd(t, m, withLatency(solo(fmt.Sprint("t", i), 0, "skill", i*100, "league", i, "map", fmt.Sprint("map", i%2), "mode", "ctf"), lat30))
	}
	if ms := m.Cycle(at(1)); len(ms) != 0 {
		t.Fatalf("matched players with different maps and far skills: %+v", ms)
	}
}

// Scenario 14: a player is never matched with someone on their block list,
// nor with someone who blocks them, in a new match or a backfill.
func TestConformance14BlockList(t *testing.T) {
	rs := loadRuleSet(t, "block_list.json")
	m := newMatchmaker(t, rs)
	mustAdd(t, m, solo("t0", 0, "BlockList", []string{"pt1"}))
	for i := 1; i < 11; i++ {
		mustAdd(t, m, solo(fmt.Sprint("t", i), float64(i)))
	}
	ms := m.Cycle(at(20))
	if len(ms) != 1 {
		t.Fatalf("%d matches, want 1", len(ms))
	}
	if slices.Contains(ms[0].Tickets, "t0") && slices.Contains(ms[0].Tickets, "t1") {
		t.Errorf("t0 matched with t1, whom it blocks")
	}

	// Backfill: a running 5v4 game with an open slot on blue.
	m = newMatchmaker(t, rs)
	bf := Ticket{ID: "bf", CreatedAt: at(0), Backfill: true}
	for i := range 9 {
		team := "red"
		if i >= 5 {
			team = "blue"
		}
		p := player(fmt.Sprint("g", i))
		if i == 0 {
			p = player("g0", "BlockList", []string{"pblocked"})
		}
		p.Team = team
		bf.Players = append(bf.Players, p)
	}
	mustAdd(t, m, bf, solo("blocked", 0), solo("hater", 0, "BlockList", []string{"g3"}))
	if ms := m.Cycle(at(1)); len(ms) != 0 {
		t.Fatalf("backfilled a blocked player: %+v", ms)
	}
	x, _ := m.Explain("bf")
	if x.Reason == "" {
		t.Error("no explanation for the backfill ticket")
	}
	mustAdd(t, m, solo("friend", 0))
	ms = m.Cycle(at(2))
	if len(ms) != 1 || ms[0].Backfill != "bf" || !slices.Equal(sortedTickets(ms[0]), []string{"bf", "friend"}) {
		t.Fatalf("got %+v, want bf filled by friend", ms)
	}
	if teamOf(ms[0], "pfriend") != "blue" {
		t.Errorf("friend joined %s, want the open slot on blue", teamOf(ms[0], "pfriend"))
	}
}

// Scenario 15: acceptance is the service's: when t1 accepts and t2 rejects,
// the service puts t1 back with its original creation time and drops t2.
// t1 then matches again, its age (and so its expansions) intact.
func TestConformance15Acceptance(t *testing.T) {
	rs := loadRuleSet(t, "team_sizes.json")
	m := newMatchmaker(t, rs)
	mk := func(id string, created, skill float64) Ticket {
		tk := Ticket{ID: id, CreatedAt: at(created)}
		for i := range 4 {
			tk.Players = append(tk.Players, player(fmt.Sprint(id, "-", i), "skill", skill))
		}
		return tk
	}
	t1, t2 := mk("t1", 0, 0), mk("t2", 0, 5)
	mustAdd(t, m, t1, t2)
	ms := m.Cycle(at(1))
	if len(ms) != 1 || m.Len() != 0 {
		t.Fatalf("want t1 and t2 matched, got %+v", ms)
	}
	mustAdd(t, m, t1) // accepted: back to searching
	// A party 40 skill points away, searching since 0s, only fits once
	// FairTeamSkill has expanded: with expansionAgeSelection newest that
	// needs both tickets 5s old, which t1 is only if it kept its age.
	mustAdd(t, m, mk("t3", 0, 40))
	ms = m.Cycle(at(6))
	if len(ms) != 1 || !slices.Equal(sortedTickets(ms[0]), []string{"t1", "t3"}) {
		t.Fatalf("got %+v, want t1 with t3", ms)
	}
}
