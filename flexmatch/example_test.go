package flexmatch_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/rallypoint/rallypoint/flexmatch"
)

const duelRules = `{
    "name": "duel",
    "ruleLanguageVersion": "1.0",
    "playerAttributes": [{"name": "skill", "type": "number", "default": 1000}],
    "teams": [{"name": "player", "minPlayers": 1, "maxPlayers": 1, "quantity": 2}],
    "rules": [{
        "name": "CloseSkill",
        "type": "distance",
        "measurements": ["max(flatten(teams[*].players.attributes[skill]))"],
        "referenceValue": "min(flatten(teams[*].players.attributes[skill]))",
        "maxDistance": 50
    }],
    "expansions": [{
        "target": "rules[CloseSkill].maxDistance",
        "steps": [{"waitTimeSeconds": 10, "value": 200}]
    }]
}`

func ExampleParseRuleSet() {
	rs, err := flexmatch.ParseRuleSet([]byte(duelRules))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rs.Name(), rs.LargeMatch(), rs.MaxPlayers())
	for _, t := range rs.Teams() {
		fmt.Println(t.Name, t.MinPlayers, t.MaxPlayers)
	}
	// Output:
	// duel false 2
	// player_1 1 1
	// player_2 1 1
}

func ExampleValidateRuleSet() {
	errs := flexmatch.ValidateRuleSet([]byte(`{
		"ruleLanguageVersion": "1.0",
		"teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 4}],
		"rules": [{"name": "Fair", "type": "distance", "measurements": "avg(teams[red].players.attributes[skill])", "referenceValue": 10}]
	}`))
	for _, e := range errs {
		fmt.Printf("%s: %s\n", e.Path, e.Reason)
	}
	// Output:
	// rules[0].measurements: at character 5: attribute "skill" is not declared in playerAttributes
	// rules[0].maxDistance: a distance rule needs maxDistance, minDistance or both
}

func ExampleValidationErrors() {
	_, err := flexmatch.ParseRuleSet([]byte(`{"ruleLanguageVersion": "2.0", "teams": []}`))
	var errs flexmatch.ValidationErrors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Println(e)
		}
	}
	// Output:
	// ruleLanguageVersion: ruleLanguageVersion must be "1.0", the only version FlexMatch has, not "2.0"
	// teams: a rule set defines at least one team
}

func ExampleRuleSet_Attributes() {
	rs, _ := flexmatch.ParseRuleSet([]byte(duelRules))
	for _, a := range rs.Attributes() {
		fmt.Println(a.Name, a.Type, a.Default.N)
	}
	fmt.Println(rs.RuleNames(), rs.MaxExpansionWait())
	// Output:
	// skill number 1000
	// [CloseSkill] 10s
}

func ExampleMatchmaker_Cycle() {
	rs, _ := flexmatch.ParseRuleSet([]byte(duelRules))
	m, _ := flexmatch.New(flexmatch.Config{RuleSet: rs, Seed: 1})
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for id, skill := range map[string]float64{"ana": 1000, "bo": 1120} {
		err := m.Add(flexmatch.Ticket{
			ID:        id,
			CreatedAt: start,
			Players:   []flexmatch.Player{{ID: id, Attributes: map[string]flexmatch.AttributeValue{"skill": flexmatch.NumberAttr(skill)}}},
		})
		if err != nil {
			fmt.Println(err)
		}
	}
	// 120 skill points apart: no match until CloseSkill expands at 10s.
	for _, sec := range []int{0, 5, 10} {
		for _, mt := range m.Cycle(start.Add(time.Duration(sec) * time.Second)) {
			fmt.Println(sec, len(mt.Tickets), "tickets;", mt.RuleMetrics[0].Rule, "passed", mt.RuleMetrics[0].Passed > 0)
		}
	}
	fmt.Println(m.Len(), "left")
	// Output:
	// 10 2 tickets; CloseSkill passed true
	// 0 left
}

func ExampleMatchmaker_Explain() {
	rs, _ := flexmatch.ParseRuleSet([]byte(duelRules))
	m, _ := flexmatch.New(flexmatch.Config{RuleSet: rs})
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	_ = m.Add(flexmatch.Ticket{ID: "ana", CreatedAt: start, Players: []flexmatch.Player{{ID: "ana"}}})
	_ = m.Add(flexmatch.Ticket{ID: "bo", CreatedAt: start, Players: []flexmatch.Player{{ID: "bo", Attributes: map[string]flexmatch.AttributeValue{"skill": flexmatch.NumberAttr(1500)}}}})
	m.Cycle(start.Add(time.Second))
	x, _ := m.Explain("bo")
	fmt.Println(x.Rule, x.Step)
	fmt.Println(x.Reason)
	// Output:
	// CloseSkill 0
	// rule "CloseSkill" (distance) failed at expansion step 0
}

func ExampleMatchmaker_Add_backfill() {
	rs, _ := flexmatch.ParseRuleSet([]byte(`{"ruleLanguageVersion": "1.0",
		"teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2}, {"name": "blue", "minPlayers": 2, "maxPlayers": 2}]}`))
	m, _ := flexmatch.New(flexmatch.Config{RuleSet: rs})
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	// A running game lost a blue player: a backfill ticket carries the
	// players still in it, on their teams.
	_ = m.Add(flexmatch.Ticket{ID: "game-1", CreatedAt: now, Backfill: true, Players: []flexmatch.Player{
		{ID: "r1", Team: "red"}, {ID: "r2", Team: "red"}, {ID: "b1", Team: "blue"},
	}})
	_ = m.Add(flexmatch.Ticket{ID: "newcomer", CreatedAt: now, Players: []flexmatch.Player{{ID: "n1"}}})
	for _, mt := range m.Cycle(now) {
		fmt.Println(mt.Backfill, mt.Tickets, mt.Teams[1].Players)
	}
	// Output:
	// game-1 [game-1 newcomer] [b1 n1]
}

func ExampleStringListAttr() {
	p := flexmatch.Player{
		ID: "p1",
		Attributes: map[string]flexmatch.AttributeValue{
			"skill": flexmatch.NumberAttr(23),
			"mode":  flexmatch.StringAttr("ranked"),
			"maps":  flexmatch.StringListAttr("dunes", "docks"),
			"pref":  flexmatch.StringNumberMapAttr(map[string]float64{"dunes": 9}),
		},
		LatencyMs: map[string]int{"eu-west-1": 40},
	}
	fmt.Println(p.Attributes["maps"].Type, p.Attributes["maps"].SL)
	// Output:
	// string_list [dunes docks]
}
