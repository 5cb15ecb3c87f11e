package flexmatch

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func corpusFiles(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "rulesets", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	return files
}

func TestCorpusIsValid(t *testing.T) {
	for _, f := range corpusFiles(t) {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if errs := ValidateRuleSet(body); errs != nil {
			t.Errorf("%s: %v", f, errs)
		}
	}
}

// Each corpus rule set, broken in one place, must be refused with the error
// at that place.
func TestCorpusBadVariants(t *testing.T) {
	tests := []struct {
		file, old, new, path, reason string
	}{
		{"team_sizes.json", `"maxDistance": 10`, `"maxDistance": -10`, "rules[0].maxDistance", "must not be negative"},
		{"monster.json", `"referenceValue": 1,`, `"referenceValue": true,`, "rules[0].referenceValue", "must be a number, a string"},
		{"three_teams_latency.json", `"quantity": 3`, `"quantity": 0`, "teams[0].quantity", "between 1 and 200"},
		{"sorted_maps.json", `"mapKey": "maxValue"`, `"mapKey": "biggest"`, "rules[0].mapKey", `not "biggest"`},
		{"opponents.json", `"operation": "reference_intersection_count"`, `"operation": "overlap"`, "rules[0].operation", "must be one of"},
		{"compare_all.json", `"operation": "!="`, `"operation": "<"`, "rules[2].operation", "needs a referenceValue"},
		{"large_ffa.json", `"type": "latency"`, `"type": "distance"`, "rules[0].type", "large match"},
		{"large_multi_team.json", `"balancedAttribute": "beast-kills"`, `"balancedAttribute": "kills"`, "algorithm.balancedAttribute", "not declared"},
		{"battle_royale.json", `"batchAttribute": "mode"`, `"batchAttribute": "region"`, "rules[0].batchAttribute", "not declared"},
		{"compound.json", `and(SimilarSkillDistance, SimilarLeagueDistance)`, `and(SimilarSkillDistance, SimilarRank)`, "rules[4].statement", `"SimilarRank" is not defined`},
		{"block_list.json", `"maxCount": 0`, `"maxCount": "none"`, "rules[0].maxCount", "must be a number"},
		{"skill_latency_5v5.json", `"rules[Ping].maxLatency"`, `"rules[Ping].maxLag"`, "expansions[1].target", `no expandable property "maxLag"`},
		{"parties.json", `"sortByAttributes": [ "skill" ]`, `"sortByAttributes": [ "modes" ]`, "algorithm.sortByAttributes[0]", "string_list attribute"},
		{"batch_modes.json", `"waitTimeSeconds": 10`, `"waitTimeSeconds": -1`, "expansions[0].steps[0].waitTimeSeconds", "must not be negative"},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "rulesets", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(body), tt.old) {
				t.Fatalf("%s does not contain %q", tt.file, tt.old)
			}
			bad := strings.Replace(string(body), tt.old, tt.new, 1)
			assertError(t, bad, tt.path, tt.reason)
		})
	}
	for _, f := range corpusFiles(t) {
		if !covered[filepath.Base(f)] {
			t.Errorf("%s has no bad variant", filepath.Base(f))
		}
	}
}

func assertError(t *testing.T, body, path, reason string) {
	t.Helper()
	errs := ValidateRuleSet([]byte(body))
	for _, e := range errs {
		if e.Path == path && strings.Contains(e.Reason, reason) {
			if _, err := ParseRuleSet([]byte(body)); err == nil {
				t.Error("ParseRuleSet accepted what ValidateRuleSet refused")
			}
			return
		}
	}
	t.Errorf("want error at %s containing %q, got %v", path, reason, errs)
}

// base is a minimal valid rule set; the table below breaks it in one place.
const base = `{
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [
    {"name": "skill", "type": "number", "default": 10},
    {"name": "mode", "type": "string", "default": "ranked"},
    {"name": "maps", "type": "string_list", "default": ["a"]},
    {"name": "prefs", "type": "string_number_map", "default": {"a": 1}}
  ],
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 4}, {"name": "blue", "minPlayers": 1, "maxPlayers": 4}],
  "rules": [RULES],
  "expansions": [EXPANSIONS]
}`

func ruleSet(rules, expansions string) string {
	return strings.NewReplacer("RULES", rules, "EXPANSIONS", expansions).Replace(base)
}

func TestValidationErrors(t *testing.T) {
	dist := `{"name": "d", "type": "distance", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": 10, "maxDistance": 5}`
	tests := []struct {
		name, body, path, reason string
	}{
		{"not json", `{"teams": [}`, "", "not valid JSON: line 1, column 12"},
		{"trailing content", `{} {}`, "", "after the JSON document"},
		{"empty", ` `, "", "empty"},
		{"not an object", `[]`, "", "must be an object"},
		{"too long", `{"name": "` + strings.Repeat("x", maxBodyLen) + `"}`, "", "at most 65535"},
		{"no version", `{"teams": [{"name": "a", "minPlayers": 1, "maxPlayers": 1}]}`, "ruleLanguageVersion", "is required"},
		{"bad version", strings.Replace(ruleSet("", ""), `"1.0"`, `"2.0"`, 1), "ruleLanguageVersion", `not "2.0"`},
		{"unknown member", strings.Replace(ruleSet("", ""), `"rules"`, `"rulez"`, 1), "rulez", `did you mean "rules"`},
		{"no teams", `{"ruleLanguageVersion": "1.0"}`, "teams", "is required"},
		{"empty teams", `{"ruleLanguageVersion": "1.0", "teams": []}`, "teams", "at least one team"},
		{"team without name", `{"ruleLanguageVersion": "1.0", "teams": [{"minPlayers": 1, "maxPlayers": 1}]}`, "teams[0].name", "is required"},
		{"min over max", `{"ruleLanguageVersion": "1.0", "teams": [{"name": "a", "minPlayers": 3, "maxPlayers": 2}]}`, "teams[0].minPlayers", "more than maxPlayers"},
		{"fractional size", `{"ruleLanguageVersion": "1.0", "teams": [{"name": "a", "minPlayers": 1.5, "maxPlayers": 2}]}`, "teams[0].minPlayers", "whole number"},
		{"duplicate team", `{"ruleLanguageVersion": "1.0", "teams": [{"name": "a", "minPlayers": 1, "maxPlayers": 2}, {"name": "a", "minPlayers": 1, "maxPlayers": 2}]}`, "teams[1].name", "already defined"},
		{"copy name clash", `{"ruleLanguageVersion": "1.0", "teams": [{"name": "a", "minPlayers": 1, "maxPlayers": 2, "quantity": 2}, {"name": "a_2", "minPlayers": 1, "maxPlayers": 2}]}`, "teams[1].name", "clashes"},
		{"too many players", `{"ruleLanguageVersion": "1.0", "algorithm": {"strategy": "balanced", "balancedAttribute": "s"}, "playerAttributes": [{"name": "s", "type": "number"}], "teams": [{"name": "a", "minPlayers": 1, "maxPlayers": 150, "quantity": 2}]}`, "teams", "at most 200"},
		{"large without algorithm", `{"ruleLanguageVersion": "1.0", "teams": [{"name": "a", "minPlayers": 1, "maxPlayers": 50}]}`, "algorithm", "needs an algorithm"},
		{"large exhaustive", `{"ruleLanguageVersion": "1.0", "algorithm": {"strategy": "exhaustiveSearch"}, "teams": [{"name": "a", "minPlayers": 1, "maxPlayers": 50}]}`, "algorithm.strategy", "must use the balanced strategy"},
		{"duplicate attribute", strings.Replace(ruleSet("", ""), `"name": "mode"`, `"name": "skill"`, 1), "playerAttributes[1].name", "already declared"},
		{"bad attribute type", strings.Replace(ruleSet("", ""), `"type": "number", "default": 10`, `"type": "integer"`, 1), "playerAttributes[0].type", `not "integer"`},
		{"bad default", strings.Replace(ruleSet("", ""), `"default": ["a"]`, `"default": [1]`, 1), "playerAttributes[2].default[0]", "must be a string"},
		{"bad map default", strings.Replace(ruleSet("", ""), `"default": {"a": 1}`, `"default": {"a": "x"}`, 1), "playerAttributes[3].default.a", "must be a number"},
		{"balanced with random", strings.Replace(ruleSet("", ""), `"rules"`, `"algorithm": {"strategy": "balanced", "balancedAttribute": "skill", "batchingPreference": "random"}, "rules"`, 1), "algorithm.batchingPreference", "only goes with the exhaustiveSearch"},
		{"exhaustive with fastestRegion", strings.Replace(ruleSet("", ""), `"rules"`, `"algorithm": {"batchingPreference": "fastestRegion"}, "rules"`, 1), "algorithm.batchingPreference", "only goes with the balanced"},
		{"sorted without attributes", strings.Replace(ruleSet("", ""), `"rules"`, `"algorithm": {"batchingPreference": "sorted"}, "rules"`, 1), "algorithm.sortByAttributes", "needs sortByAttributes"},
		{"balanced without attribute", strings.Replace(ruleSet("", ""), `"rules"`, `"algorithm": {"strategy": "balanced"}, "rules"`, 1), "algorithm.balancedAttribute", "needs balancedAttribute"},
		{"balanced on a string", strings.Replace(ruleSet("", ""), `"rules"`, `"algorithm": {"strategy": "balanced", "balancedAttribute": "mode"}, "rules"`, 1), "algorithm.balancedAttribute", "must be number"},
		{"bad age selection", strings.Replace(ruleSet("", ""), `"rules"`, `"algorithm": {"expansionAgeSelection": "middle"}, "rules"`, 1), "algorithm.expansionAgeSelection", "must be one of"},
		{"bad backfill priority", strings.Replace(ruleSet("", ""), `"rules"`, `"algorithm": {"backfillPriority": "urgent"}, "rules"`, 1), "algorithm.backfillPriority", "must be one of"},
		{"rule without name", ruleSet(`{"type": "latency", "maxLatency": 10}`, ""), "rules[0].name", "is required"},
		{"rule without type", ruleSet(`{"name": "x"}`, ""), "rules[0].type", "is required"},
		{"rule type typo", ruleSet(`{"name": "x", "type": "distanse"}`, ""), "rules[0].type", `did you mean "distance"`},
		{"duplicate rule", ruleSet(dist+","+dist, ""), "rules[1].name", "already defined"},
		{"member of another type", ruleSet(`{"name": "x", "type": "latency", "maxLatency": 10, "operation": "="}`, ""), "rules[0].operation", "unknown member"},
		{"no measurements", ruleSet(`{"name": "x", "type": "distance", "referenceValue": 1, "maxDistance": 1}`, ""), "rules[0].measurements", "is required"},
		{"bad expression", ruleSet(`{"name": "x", "type": "distance", "measurements": ["avg(teams[*].players.attributes[skil])"], "referenceValue": 1, "maxDistance": 1}`, ""), "rules[0].measurements[0]", `attribute "skil" is not declared`},
		{"unknown team in expression", ruleSet(`{"name": "x", "type": "distance", "measurements": "avg(teams[green].players.attributes[skill])", "referenceValue": 1, "maxDistance": 1}`, ""), "rules[0].measurements", `unknown team "green"`},
		{"distance on strings", ruleSet(`{"name": "x", "type": "distance", "measurements": "flatten(teams[*].players.attributes[mode])", "referenceValue": 1, "maxDistance": 1}`, ""), "rules[0].measurements", "must be numbers"},
		{"distance without bounds", ruleSet(`{"name": "x", "type": "distance", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": 1}`, ""), "rules[0].maxDistance", "needs maxDistance, minDistance"},
		{"distance min over max", ruleSet(`{"name": "x", "type": "distance", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": 1, "minDistance": 5, "maxDistance": 1}`, ""), "rules[0].minDistance", "more than maxDistance"},
		{"distance without reference", ruleSet(`{"name": "x", "type": "distance", "measurements": "flatten(teams[*].players.attributes[skill])", "maxDistance": 1}`, ""), "rules[0].referenceValue", "is required"},
		{"distance list reference", ruleSet(`{"name": "x", "type": "distance", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": "flatten(teams[*].players.attributes[skill])", "maxDistance": 1}`, ""), "rules[0].referenceValue", "single number"},
		{"comparison string vs number", ruleSet(`{"name": "x", "type": "comparison", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": "ranked", "operation": "="}`, ""), "rules[0].referenceValue", "is a string but the measurements are numbers"},
		{"comparison order on strings", ruleSet(`{"name": "x", "type": "comparison", "measurements": "flatten(teams[*].players.attributes[mode])", "referenceValue": "ranked", "operation": "<"}`, ""), "rules[0].operation", "only be compared with = and !="},
		{"comparison without operation", ruleSet(`{"name": "x", "type": "comparison", "measurements": "flatten(teams[*].players.attributes[mode])"}`, ""), "rules[0].operation", "is required"},
		{"collection of numbers", ruleSet(`{"name": "x", "type": "collection", "operation": "intersection", "measurements": "teams[red].players.attributes[skill]", "minCount": 1}`, ""), "rules[0].measurements", "list of string lists"},
		{"collection unflattened", ruleSet(`{"name": "x", "type": "collection", "operation": "intersection", "measurements": "teams[*].players.attributes[maps]", "minCount": 1}`, ""), "rules[0].measurements", "List<List<List<string>>>"},
		{"collection without counts", ruleSet(`{"name": "x", "type": "collection", "operation": "intersection", "measurements": "flatten(teams[*].players.attributes[maps])"}`, ""), "rules[0].maxCount", "needs minCount, maxCount"},
		{"intersection with reference", ruleSet(`{"name": "x", "type": "collection", "operation": "intersection", "measurements": "flatten(teams[*].players.attributes[maps])", "referenceValue": "a", "minCount": 1}`, ""), "rules[0].referenceValue", "takes no referenceValue"},
		{"contains without reference", ruleSet(`{"name": "x", "type": "collection", "operation": "contains", "measurements": "flatten(teams[*].players.attributes[maps])", "maxCount": 1}`, ""), "rules[0].referenceValue", "needs a referenceValue"},
		{"contains a list", ruleSet(`{"name": "x", "type": "collection", "operation": "contains", "measurements": "flatten(teams[*].players.attributes[maps])", "referenceValue": ["a"], "maxCount": 1}`, ""), "rules[0].referenceValue", "looks for one string"},
		{"reference count of a string", ruleSet(`{"name": "x", "type": "collection", "operation": "reference_intersection_count", "measurements": "flatten(teams[*].players.attributes[maps])", "referenceValue": "a", "maxCount": 1}`, ""), "rules[0].referenceValue", "list of strings"},
		{"collection party numbers", ruleSet(`{"name": "x", "type": "collection", "operation": "intersection", "measurements": "flatten(teams[*].players.attributes[maps])", "minCount": 1, "partyAggregation": "avg"}`, ""), "rules[0].partyAggregation", "union"},
		{"numeric party union", ruleSet(`{"name": "x", "type": "latency", "maxLatency": 10, "partyAggregation": "union"}`, ""), "rules[0].partyAggregation", `"avg", "min", "max"`},
		{"latency without bounds", ruleSet(`{"name": "x", "type": "latency"}`, ""), "rules[0].maxLatency", "needs maxLatency, maxDistance"},
		{"latency reference alone", ruleSet(`{"name": "x", "type": "latency", "maxLatency": 10, "distanceReference": "min"}`, ""), "rules[0].distanceReference", "only used with maxDistance"},
		{"latency bad reference", ruleSet(`{"name": "x", "type": "latency", "maxDistance": 10, "distanceReference": "max"}`, ""), "rules[0].distanceReference", "must be one of"},
		{"batch without attribute", ruleSet(`{"name": "x", "type": "batchDistance", "maxDistance": 1}`, ""), "rules[0].batchAttribute", "is required"},
		{"numeric batch without distance", ruleSet(`{"name": "x", "type": "batchDistance", "batchAttribute": "skill"}`, ""), "rules[0].maxDistance", "is required when"},
		{"string batch with distance", ruleSet(`{"name": "x", "type": "batchDistance", "batchAttribute": "mode", "maxDistance": 3}`, ""), "rules[0].maxDistance", "only applies to number"},
		{"batch on a list", ruleSet(`{"name": "x", "type": "batchDistance", "batchAttribute": "maps"}`, ""), "rules[0].batchAttribute", "string_list attribute"},
		{"sort without direction", ruleSet(`{"name": "x", "type": "absoluteSort", "sortAttribute": "skill"}`, ""), "rules[0].sortDirection", "is required"},
		{"sort on a string", ruleSet(`{"name": "x", "type": "distanceSort", "sortDirection": "ascending", "sortAttribute": "mode"}`, ""), "rules[0].sortAttribute", "string attribute"},
		{"sort map without key", ruleSet(`{"name": "x", "type": "absoluteSort", "sortDirection": "ascending", "sortAttribute": "prefs"}`, ""), "rules[0].mapKey", "is required"},
		{"sort number with key", ruleSet(`{"name": "x", "type": "absoluteSort", "sortDirection": "ascending", "sortAttribute": "skill", "mapKey": "maxValue"}`, ""), "rules[0].mapKey", "only applies to string_number_map"},
		{"compound without statement", ruleSet(`{"name": "x", "type": "compound"}`, ""), "rules[0].statement", "is required"},
		{"compound forward reference", ruleSet(`{"name": "c", "type": "compound", "statement": "and(d, d)"}, `+dist, ""), "rules[0].statement", "not defined before"},
		{"compound self", ruleSet(dist+`, {"name": "c", "type": "compound", "statement": "or(d, c)"}`, ""), "rules[1].statement", "cannot name itself"},
		{"compound on batch", ruleSet(`{"name": "b", "type": "batchDistance", "batchAttribute": "mode"}, {"name": "c", "type": "compound", "statement": "not(b)"}`, ""), "rules[1].statement", "batchDistance"},
		{"compound on sort", ruleSet(`{"name": "s", "type": "absoluteSort", "sortDirection": "ascending", "sortAttribute": "skill"}, {"name": "c", "type": "compound", "statement": "not(s)"}`, ""), "rules[1].statement", "sort rule"},
		{"compound bad operator", ruleSet(dist+`, {"name": "c", "type": "compound", "statement": "nand(d, d)"}`, ""), "rules[1].statement", `unknown operator "nand"`},
		{"compound not arity", ruleSet(dist+`, {"name": "c", "type": "compound", "statement": "not(d, d)"}`, ""), "rules[1].statement", "exactly one argument"},
		{"compound and arity", ruleSet(dist+`, {"name": "c", "type": "compound", "statement": "and(d)"}`, ""), "rules[1].statement", "at least two"},
		{"compound bare name", ruleSet(dist+`, {"name": "c", "type": "compound", "statement": "d"}`, ""), "rules[1].statement", "starts with and("},
		{"compound unclosed", ruleSet(dist+`, {"name": "c", "type": "compound", "statement": "and(d, d"}`, ""), "rules[1].statement", "never closed"},
		{"expansion bad target", ruleSet(dist, `{"target": "algorithm.strategy", "steps": [{"waitTimeSeconds": 1, "value": 1}]}`), "expansions[0].target", "must be rules["},
		{"expansion unknown rule", ruleSet(dist, `{"target": "rules[z].maxDistance", "steps": [{"waitTimeSeconds": 1, "value": 1}]}`), "expansions[0].target", `rule "z"`},
		{"expansion of compound", ruleSet(dist+`, {"name": "c", "type": "compound", "statement": "not(d)"}`, `{"target": "rules[c].maxDistance", "steps": [{"waitTimeSeconds": 1, "value": 1}]}`), "expansions[0].target", "cannot be expanded"},
		{"expansion of expression reference", ruleSet(`{"name": "d", "type": "distance", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))", "maxDistance": 5}`, `{"target": "rules[d].referenceValue", "steps": [{"waitTimeSeconds": 1, "value": 1}]}`), "expansions[0].target", "property expression"},
		{"expansion unknown team", ruleSet("", `{"target": "teams[green].minPlayers", "steps": [{"waitTimeSeconds": 1, "value": 1}]}`), "expansions[0].target", `team "green"`},
		{"expansion team property", ruleSet("", `{"target": "teams[red].quantity", "steps": [{"waitTimeSeconds": 1, "value": 1}]}`), "expansions[0].target", "minPlayers or maxPlayers"},
		{"expansion twice", ruleSet(dist, `{"target": "rules[d].maxDistance", "steps": [{"waitTimeSeconds": 1, "value": 1}]}, {"target": "rules[d].maxDistance", "steps": [{"waitTimeSeconds": 2, "value": 2}]}`), "expansions[1].target", "already expanded by expansions[0]"},
		{"expansion without steps", ruleSet(dist, `{"target": "rules[d].maxDistance"}`), "expansions[0].steps", "is required"},
		{"expansion empty steps", ruleSet(dist, `{"target": "rules[d].maxDistance", "steps": []}`), "expansions[0].steps", "at least one step"},
		{"expansion waits shrink", ruleSet(dist, `{"target": "rules[d].maxDistance", "steps": [{"waitTimeSeconds": 5, "value": 1}, {"waitTimeSeconds": 5, "value": 2}]}`), "expansions[0].steps[1].waitTimeSeconds", "must grow"},
		{"expansion value type", ruleSet(dist, `{"target": "rules[d].maxDistance", "steps": [{"waitTimeSeconds": 5, "value": "far"}]}`), "expansions[0].steps[0].value", "must be a number"},
		{"expansion crossing sizes", ruleSet("", `{"target": "teams[red].minPlayers", "steps": [{"waitTimeSeconds": 5, "value": 6}]}`), "expansions[0].steps", "need at least 6 players but hold at most 4"},
		{"expansion to large", ruleSet("", `{"target": "teams[red].maxPlayers", "steps": [{"waitTimeSeconds": 5, "value": 40}]}`), "expansions", "40-player line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertError(t, tt.body, tt.path, tt.reason)
		})
	}
}

func TestValidationCollectsEveryError(t *testing.T) {
	body := ruleSet(`{"name": "a", "type": "latency"}, {"name": "b", "type": "distance"}`, `{"target": "teams[nobody].minPlayers", "steps": [{"waitTimeSeconds": 1, "value": 1}]}`)
	errs := ValidateRuleSet([]byte(body))
	var paths []string
	for _, e := range errs {
		paths = append(paths, e.Path)
	}
	for _, want := range []string{"rules[0].maxLatency", "rules[1].measurements", "rules[1].maxDistance", "rules[1].referenceValue", "expansions[0].target"} {
		if !slices.Contains(paths, want) {
			t.Errorf("missing an error at %s; got %v", want, errs)
		}
	}
}

func TestLenientForms(t *testing.T) {
	for name, body := range map[string]string{
		"comments":                    "// a comment\n" + ruleSet(`/* inline */ {"name": "x", "type": "latency", "maxLatency": 10} // end`+"\n", ""),
		"numeric strings":             ruleSet(`{"name": "x", "type": "batchDistance", "batchAttribute": "skill", "maxDistance": "500"}`, ""),
		"measurement string":          ruleSet(`{"name": "x", "type": "distance", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": 1, "maxDistance": 1}`, ""),
		"team[] spelling":             ruleSet(`{"name": "x", "type": "comparison", "measurements": "count(team[red].players)", "referenceValue": "count(team[blue].players)", "operation": "="}`, ""),
		"sortbyAttributes typo":       strings.Replace(ruleSet("", ""), `"rules"`, `"algorithm": {"batchingPreference": "sorted", "sortbyAttributes": ["skill"]}, "rules"`, 1),
		"repeated key keeps the last": strings.Replace(ruleSet(`{"name": "x", "type": "latency", "maxLatency": 10}`, ""), `"maxLatency": 10`, `"maxLatency": "bad", "maxLatency": 10`, 1),
		"comment markers in strings":  strings.Replace(ruleSet("", ""), `"default": "ranked"`, `"default": "http://x/*y*/"`, 1),
	} {
		if errs := ValidateRuleSet([]byte(body)); errs != nil {
			t.Errorf("%s: %v", name, errs)
		}
	}
}

func TestRuleSetAccessors(t *testing.T) {
	rs := loadRuleSet(t, "large_multi_team.json")
	if !rs.LargeMatch() || rs.Name() != "beast-hunt" {
		t.Errorf("LargeMatch %v, Name %q", rs.LargeMatch(), rs.Name())
	}
	teams := rs.Teams()
	if len(teams) != 11 || teams[0] != (Team{"Beasts", 5, 5}) || teams[10] != (Team{"Hunters_10", 12, 15}) {
		t.Errorf("Teams() = %v", teams)
	}
	if rs.MaxPlayers() != 155 {
		t.Errorf("MaxPlayers() = %d, want 155", rs.MaxPlayers())
	}
	if rs.MaxExpansionWait() != 20*time.Second {
		t.Errorf("MaxExpansionWait() = %v", rs.MaxExpansionWait())
	}
	attrs := rs.Attributes()
	if len(attrs) != 1 || attrs[0].Name != "beast-kills" || attrs[0].Type != AttributeNumber || attrs[0].Default.N != 5 {
		t.Errorf("Attributes() = %+v", attrs)
	}
	if got := rs.RuleNames(); !slices.Equal(got, []string{"latency-catchall"}) {
		t.Errorf("RuleNames() = %v", got)
	}
	small := loadRuleSet(t, "opponents.json")
	if small.LargeMatch() || small.Attributes()[0].Default != nil {
		t.Errorf("opponents: large %v, default %v", small.LargeMatch(), small.Attributes()[0].Default)
	}
	// An expansion that raises maxPlayers raises MaxPlayers.
	raised, err := ParseRuleSet([]byte(ruleSet("", `{"target": "teams[red].maxPlayers", "steps": [{"waitTimeSeconds": 5, "value": 6}]}`)))
	if err != nil {
		t.Fatal(err)
	}
	if raised.MaxPlayers() != 10 {
		t.Errorf("MaxPlayers() = %d, want 10", raised.MaxPlayers())
	}
	var ve ValidationErrors
	_, err = ParseRuleSet([]byte(`{}`))
	if !asValidationErrors(err, &ve) || len(ve) == 0 || !strings.Contains(err.Error(), "invalid rule set") {
		t.Errorf("ParseRuleSet error %v", err)
	}
}

func asValidationErrors(err error, out *ValidationErrors) bool {
	ve, ok := err.(ValidationErrors)
	if ok {
		*out = ve
	}
	return ok
}

func FuzzValidateRuleSet(f *testing.F) {
	for _, file := range corpusFiles(f) {
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
	}
	f.Add([]byte(ruleSet(`{"name": "c", "type": "compound", "statement": "and(or(a,b),not(c))"}`, "")))
	f.Fuzz(func(t *testing.T, body []byte) {
		errs := ValidateRuleSet(body)
		for _, e := range errs {
			if e.Reason == "" {
				t.Fatalf("error without a reason at %q", e.Path)
			}
		}
		if errs != nil {
			return
		}
		// A valid rule set must also run: build a matchmaker and a cycle
		// over a few tickets with default attributes.
		rs, err := ParseRuleSet(body)
		if err != nil {
			t.Fatalf("ValidateRuleSet accepted what ParseRuleSet refused: %v", err)
		}
		m, err := New(Config{RuleSet: rs})
		if err != nil {
			return
		}
		for i := range 12 {
			tk := Ticket{ID: string(rune('a' + i)), CreatedAt: t0, Players: []Player{{ID: string(rune('A' + i)), LatencyMs: map[string]int{"r": 10 * i}}}}
			_ = m.Add(tk)
		}
		m.Cycle(at(3))
		m.Cycle(at(60))
	})
}

// FuzzRuleFields fuzzes the strings inside a rule set rather than its JSON
// structure: a measurement, a reference value, a compound statement and an
// expansion target. The rule set around them stays well formed, so the
// fuzzer spends its time in the expression and statement parsers and in the
// cross-checks, and whatever validates must also run.
func FuzzRuleFields(f *testing.F) {
	f.Add("avg(teams[*].players.attributes[skill])", "avg(flatten(teams[*].players.attributes[skill]))", "or(d, not(d))", "rules[d].maxDistance")
	f.Add("flatten(teams[red].players.attributes[skill])", "10", "and(d,d)", "teams[red].minPlayers")
	f.Add("count(teams[blue].players)", "count(teams[red].players)", "xor(d, d, d)", "teams[red,blue].maxPlayers")
	f.Fuzz(func(t *testing.T, measurement, reference, statement, target string) {
		q := func(s string) string {
			b, _ := json.Marshal(s)
			return string(b)
		}
		rules := fmt.Sprintf(`{"name": "d", "type": "distance", "measurements": [%s], "referenceValue": %s, "maxDistance": 5},
			{"name": "c", "type": "compound", "statement": %s}`, q(measurement), q(reference), q(statement))
		exps := fmt.Sprintf(`{"target": %s, "steps": [{"waitTimeSeconds": 2, "value": 3}]}`, q(target))
		body := []byte(ruleSet(rules, exps))
		errs := ValidateRuleSet(body)
		for _, e := range errs {
			if e.Reason == "" {
				t.Fatalf("error without a reason at %q", e.Path)
			}
		}
		if errs != nil {
			return
		}
		rs, err := ParseRuleSet(body)
		if err != nil {
			t.Fatal(err)
		}
		m, err := New(Config{RuleSet: rs})
		if err != nil {
			return
		}
		for i := range 6 {
			_ = m.Add(solo(fmt.Sprint("t", i), 0, "skill", float64(i*3)))
		}
		m.Cycle(at(1))
		m.Cycle(at(5))
	})
}
