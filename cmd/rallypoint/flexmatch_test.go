package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// corpus is the flexmatch package's rule-set corpus, in the guide's styles.
const corpus = "../../flexmatch/testdata/rulesets"

// runCLI runs rallypoint with args and returns its output and error.
func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func exitCode(err error) int {
	var e exitError
	if errors.As(err, &e) {
		return e.code
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestFlexmatchValidate(t *testing.T) {
	good := filepath.Join(corpus, "team_sizes.json")
	bad := writeFile(t, "bad.json", `{"ruleLanguageVersion": "1.0", "teams": [{"name": "a", "minPlayers": 3, "maxPlayers": 2}],
		"rules": [{"name": "r", "type": "distance", "measurements": "flatten(teams[*].players.attributes[skill])", "referenceValue": 1, "maxDistance": -1}]}`)
	broken := writeFile(t, "broken.json", `{"teams": [}`)

	out, err := runCLI(t, "flexmatch", "validate", good)
	if err != nil || out != good+": valid\n" {
		t.Errorf("valid file: %q, %v", out, err)
	}
	out, err = runCLI(t, "flexmatch", "validate", good, bad, broken, "/nonexistent/rules.json")
	if exitCode(err) != 1 {
		t.Errorf("exit code %d, want 1", exitCode(err))
	}
	for _, want := range []string{
		good + ": valid\n",
		bad + ": teams[0].minPlayers: minPlayers (3) is more than maxPlayers (2)\n",
		bad + `: rules[0].measurements: at character 9: attribute "skill" is not declared in playerAttributes` + "\n",
		bad + ": rules[0].maxDistance: maxDistance must not be negative, but is -1\n",
		broken + ": not valid JSON: line 1, column 12: invalid character '}' looking for beginning of value\n",
		"/nonexistent/rules.json: cannot read: no such file or directory\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := runCLI(t, "flexmatch", "validate"); err == nil {
		t.Error("validate without files succeeded")
	}
	// Every corpus rule set is valid.
	files, _ := filepath.Glob(filepath.Join(corpus, "*.json"))
	out, err = runCLI(t, append([]string{"flexmatch", "validate"}, files...)...)
	if err != nil || strings.Count(out, ": valid\n") != len(files) {
		t.Errorf("corpus: %v\n%s", err, out)
	}
}

func TestFlexmatchHelp(t *testing.T) {
	for args, want := range map[string][]string{
		"flexmatch --help":          {"validate", "run", "Offline"},
		"flexmatch validate --help": {"FILE: PATH: reason", "rules[2].maxDistance", "exit status is 0"},
		"flexmatch run --help":      {"--rule-set", "--tickets", "--configuration", "--seed", "--step-seconds", "--until", "PlayerAttributes", "RequestTimeoutSeconds", `"status":"TIMED_OUT"`},
	} {
		out, err := runCLI(t, strings.Fields(args)...)
		if err != nil {
			t.Errorf("%s: %v", args, err)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q", args, w)
			}
		}
	}
}

// result is the parsed output of a run.
type result struct {
	matches []matchOut
	tickets map[string]ticketLine
}

type matchOut struct {
	MatchID  string     `json:"matchId"`
	At       float64    `json:"at"`
	Tickets  []string   `json:"tickets"`
	Teams    []teamLine `json:"teams"`
	Backfill string     `json:"backfillTicket"`
}

func (r result) matchWith(ticket string) (matchOut, bool) {
	for _, m := range r.matches {
		if slices.Contains(m.Tickets, ticket) {
			return m, true
		}
	}
	return matchOut{}, false
}

func (m matchOut) teamOf(player string) string {
	for _, t := range m.Teams {
		if slices.Contains(t.Players, player) {
			return t.Name
		}
	}
	return ""
}

func (m matchOut) players() int {
	n := 0
	for _, t := range m.Teams {
		n += len(t.Players)
	}
	return n
}

func run(t *testing.T, ruleSet, tickets, config string, extra ...string) result {
	t.Helper()
	args := []string{"flexmatch", "run", "--rule-set", filepath.Join(corpus, ruleSet), "--tickets", writeFile(t, "tickets.jsonl", tickets)}
	if config != "" {
		args = append(args, "--configuration", writeFile(t, "config.json", config))
	}
	out, err := runCLI(t, append(args, extra...)...)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	r := result{tickets: map[string]ticketLine{}}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var doc struct {
			Match *matchOut `json:"match"`
			ticketLine
		}
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			t.Fatalf("bad output line %q: %v", line, err)
		}
		if doc.Match != nil {
			if len(r.tickets) > 0 {
				t.Fatalf("match line after ticket lines: %s", line)
			}
			r.matches = append(r.matches, *doc.Match)
		} else {
			r.tickets[doc.Ticket] = doc.ticketLine
		}
	}
	return r
}

// tickets writes JSON lines for solo tickets: id, arrival, then attribute
// JSON (GameLift's typed form) and latency JSON.
type tk struct {
	id      string
	arrival float64
	attrs   string
	latency string
}

func lines(ts ...tk) string {
	var b strings.Builder
	for _, t := range ts {
		attrs := t.attrs
		if attrs == "" {
			attrs = "{}"
		}
		lat := ""
		if t.latency != "" {
			lat = `,"LatencyInMs":` + t.latency
		}
		fmt.Fprintf(&b, `{"ticketId":%q,"arrival":%v,"players":[{"PlayerId":"p%s","PlayerAttributes":%s%s}]}`+"\n", t.id, t.arrival, t.id, attrs, lat)
	}
	return b.String()
}

func many(n int, f func(i int) tk) []tk {
	out := make([]tk, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

const short = `{"RequestTimeoutSeconds": 40}`

// For each corpus rule set, a ticket stream with a known answer.
func TestFlexmatchRunCorpus(t *testing.T) {
	t.Run("team_sizes", func(t *testing.T) {
		ts := many(9, func(i int) tk { return tk{fmt.Sprint("t", i), 0, fmt.Sprintf(`{"skill":{"N":%d}}`, 9+i%3), ""} })
		r := run(t, "team_sizes.json", lines(ts...), short)
		if len(r.matches) != 1 || r.matches[0].At != 0 || len(r.matches[0].Tickets) != 8 {
			t.Fatalf("matches %+v, want one 4v4 at 0", r.matches)
		}
		var left []string
		for id, l := range r.tickets {
			if l.Status != "TIMED_OUT" || l.At != 40 {
				t.Errorf("%s: %+v", id, l)
			}
			left = append(left, id)
		}
		if len(left) != 1 {
			t.Errorf("left over %v, want one ticket", left)
		}
	})
	t.Run("team_sizes waits for the skill expansion", func(t *testing.T) {
		var b strings.Builder
		for k, skill := range []int{0, 40} {
			fmt.Fprintf(&b, `{"ticketId":"party%d","arrival":0,"players":[`, k)
			for i := range 4 {
				if i > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, `{"PlayerId":"p%d-%d","PlayerAttributes":{"skill":{"N":%d}}}`, k, i, skill)
			}
			b.WriteString("]}\n")
		}
		r := run(t, "team_sizes.json", b.String(), short)
		if len(r.matches) != 1 || r.matches[0].At != 5 {
			t.Fatalf("matches %+v, want one at 5s", r.matches)
		}
	})
	t.Run("monster", func(t *testing.T) {
		ts := append(many(4, func(i int) tk { return tk{fmt.Sprint("h", i), 0, "", ""} }),
			tk{"m", 2, `{"wantsToBeMonster":{"N":1},"skill":{"N":30}}`, ""})
		r := run(t, "monster.json", lines(ts...), `{"RequestTimeoutSeconds": 90}`)
		if len(r.matches) != 1 || r.matches[0].At != 32 || r.matches[0].teamOf("pm") != "monster" {
			t.Fatalf("matches %+v, want the monster matched with 4 hunters at 32s (30s after it arrived)", r.matches)
		}
	})
	t.Run("three_teams_latency", func(t *testing.T) {
		ts := append(many(8, func(i int) tk { return tk{fmt.Sprint("t", i), 0, "", `{"eu-west-1":30}`} }),
			tk{"slow", 0, "", `{"eu-west-1":80}`}, tk{"mute", 0, "", ""})
		r := run(t, "three_teams_latency.json", lines(ts...), short)
		m, ok := r.matchWith("slow")
		if !ok || m.At != 10 || len(m.Tickets) != 9 {
			t.Fatalf("matches %+v, want 9 players at 10s", r.matches)
		}
		if l := r.tickets["mute"]; l.Status != "TIMED_OUT" || !strings.Contains(l.Reason, "latency") {
			t.Errorf("mute: %+v", l)
		}
	})
	t.Run("sorted_maps", func(t *testing.T) {
		ts := append(many(6, func(i int) tk {
			return tk{fmt.Sprint("t", i), 0, fmt.Sprintf(`{"gameMode":{"SL":["coop"]},"experience":{"N":%d}}`, 40+i), ""}
		}), tk{"odd", 0, `{"gameMode":{"SL":["ranked"]}}`, ""})
		r := run(t, "sorted_maps.json", lines(ts...), short)
		if len(r.matches) != 1 || slices.Contains(r.matches[0].Tickets, "odd") || r.tickets["odd"].Status != "TIMED_OUT" {
			t.Fatalf("got %+v / %+v, want the six coop players matched and odd left", r.matches, r.tickets)
		}
	})
	t.Run("opponents", func(t *testing.T) {
		chars := []string{"knight", "mage", "rogue", "knight", "bard"}
		ts := many(5, func(i int) tk {
			return tk{fmt.Sprint("t", i), 0, fmt.Sprintf(`{"myCharacter":{"SL":[%q]},"preferredOpponents":{"SL":["knight","mage","rogue"]}}`, chars[i]), ""}
		})
		r := run(t, "opponents.json", lines(ts...), short)
		if len(r.matches) != 1 || r.matches[0].At != 15 {
			t.Fatalf("matches %+v, want one at 15s", r.matches)
		}
	})
	t.Run("compare_all", func(t *testing.T) {
		r := run(t, "compare_all.json", lines(
			tk{"a", 0, `{"character":{"N":7}}`, ""},
			tk{"b", 0, `{"character":{"N":7}}`, ""},
			tk{"c", 3, `{"character":{"N":9}}`, ""},
		), short)
		if len(r.matches) != 1 || r.matches[0].At != 3 || !slices.Contains(r.matches[0].Tickets, "c") {
			t.Fatalf("matches %+v, want c matched at 3s", r.matches)
		}
	})
	t.Run("large_ffa", func(t *testing.T) {
		ts := many(160, func(i int) tk {
			return tk{fmt.Sprint("t", i), 0, fmt.Sprintf(`{"skill":{"N":%d}}`, i), `{"us-west-2":60}`}
		})
		r := run(t, "large_ffa.json", lines(ts...), short)
		if len(r.matches) != 1 || r.matches[0].At != 10 || r.matches[0].players() != 160 {
			t.Fatalf("got %d matches, want 160 players at 10s", len(r.matches))
		}
	})
	t.Run("large_multi_team", func(t *testing.T) {
		ts := many(130, func(i int) tk { return tk{fmt.Sprint("t", i), 0, "", `{"eu-central-1":40,"eu-west-1":90}`} })
		r := run(t, "large_multi_team.json", lines(ts...), short)
		if len(r.matches) != 1 || r.matches[0].At != 0 || len(r.matches[0].Teams[0].Players) != 5 {
			t.Fatalf("got %+v", r.matches)
		}
	})
	t.Run("battle_royale", func(t *testing.T) {
		ts := append(many(60, func(i int) tk {
			return tk{fmt.Sprint("s", i), 0, fmt.Sprintf(`{"skill":{"N":%d}}`, 1000+i), `{"sa-east-1":50}`}
		}),
			many(30, func(i int) tk {
				return tk{fmt.Sprint("h", i), 0, fmt.Sprintf(`{"skill":{"N":%d},"mode":{"S":"hardcore"}}`, 1000+i), `{"sa-east-1":50}`}
			})...)
		r := run(t, "battle_royale.json", lines(ts...), short)
		if len(r.matches) != 2 {
			t.Fatalf("%d matches, want 2", len(r.matches))
		}
		std, _ := r.matchWith("s0")
		hard, _ := r.matchWith("h0")
		if std.At != 0 || len(std.Tickets) != 60 || hard.At != 30 || len(hard.Tickets) != 30 {
			t.Errorf("standard %v at %v, hardcore %v at %v; want 60 at 0 and 30 at 30", len(std.Tickets), std.At, len(hard.Tickets), hard.At)
		}
		for _, id := range hard.Tickets {
			if strings.HasPrefix(id, "s") {
				t.Errorf("modes mixed: %s in the hardcore match", id)
			}
		}
	})
	t.Run("compound", func(t *testing.T) {
		ts := many(20, func(i int) tk {
			return tk{fmt.Sprint("t", i), 0, fmt.Sprintf(`{"skill":{"N":%d},"league":{"N":%d},"map":{"S":"dunes"},"mode":{"S":"ctf"}}`, i*100, i), `{"us-east-1":20}`}
		})
		r := run(t, "compound.json", lines(ts...), short)
		if len(r.matches) != 1 || r.matches[0].players() != 20 {
			t.Fatalf("got %+v, want all 20 matched", r.matches)
		}
		if d := len(r.matches[0].Teams[0].Players) - len(r.matches[0].Teams[1].Players); d != 0 {
			t.Errorf("balanced teams differ by %d", d)
		}
	})
	t.Run("block_list", func(t *testing.T) {
		ts := append([]tk{{"t0", 0, `{"BlockList":{"SL":["pt1"]}}`, ""}}, many(10, func(i int) tk { return tk{fmt.Sprint("t", i+1), 1, "", ""} })...)
		r := run(t, "block_list.json", lines(ts...), short)
		if len(r.matches) != 1 {
			t.Fatalf("%d matches", len(r.matches))
		}
		if m := r.matches[0]; slices.Contains(m.Tickets, "t0") && slices.Contains(m.Tickets, "t1") {
			t.Error("t0 matched with the player it blocks")
		}
	})
	t.Run("skill_latency_5v5", func(t *testing.T) {
		ts := append(many(9, func(i int) tk { return tk{fmt.Sprint("t", i), 0, `{"skill":{"N":1500}}`, `{"eu-west-1":35}`} }),
			tk{"high", 0, `{"skill":{"N":1700}}`, `{"eu-west-1":35}`})
		r := run(t, "skill_latency_5v5.json", lines(ts...), short)
		if len(r.matches) != 1 || r.matches[0].At != 10 {
			t.Fatalf("got %+v, want a match at 10s when SkillSpread widens to 200", r.matches)
		}
	})
	t.Run("parties", func(t *testing.T) {
		party := `{"ticketId":"duo","arrival":0,"players":[{"PlayerId":"d1","PlayerAttributes":{"skill":{"N":1500}}},{"PlayerId":"d2","PlayerAttributes":{"skill":{"N":1520}}}]}` + "\n"
		ts := many(6, func(i int) tk { return tk{fmt.Sprint("t", i), 0, fmt.Sprintf(`{"skill":{"N":%d}}`, 1480+i*10), ""} })
		r := run(t, "parties.json", party+lines(ts...), short)
		m, ok := r.matchWith("duo")
		if !ok || m.teamOf("d1") != m.teamOf("d2") || m.players() != 8 {
			t.Fatalf("got %+v, want the duo together in a 4v4", r.matches)
		}
	})
	t.Run("batch_modes", func(t *testing.T) {
		ts := append(many(4, func(i int) tk { return tk{fmt.Sprint("c", i), 0, fmt.Sprintf(`{"skill":{"N":%d}}`, 1000+10*i), ""} }),
			many(4, func(i int) tk {
				return tk{fmt.Sprint("r", i), 0, fmt.Sprintf(`{"skill":{"N":%d},"mode":{"S":"ranked"}}`, 1000+100*i), ""}
			})...)
		r := run(t, "batch_modes.json", lines(ts...), short)
		casual, _ := r.matchWith("c0")
		ranked, _ := r.matchWith("r0")
		if casual.At != 0 || ranked.At != 10 || len(casual.Tickets) != 4 || len(ranked.Tickets) != 4 {
			t.Fatalf("got %+v, want casual at 0 and ranked at 10", r.matches)
		}
	})
}

func TestFlexmatchRunAutomaticBackfill(t *testing.T) {
	ts := append(many(9, func(i int) tk { return tk{fmt.Sprint("t", i), 0, "", `{"eu-west-1":30}`} }),
		tk{"late", 5, "", `{"eu-west-1":30}`})
	r := run(t, "three_teams_latency.json", lines(ts...), `{"RequestTimeoutSeconds": 20, "BackfillMode": "AUTOMATIC", "AcceptanceRequired": true}`)
	if len(r.matches) != 2 {
		t.Fatalf("got %+v", r.matches)
	}
	first, fill := r.matches[0], r.matches[1]
	if first.players() != 9 || fill.MatchID != first.MatchID || fill.At != 5 || fill.players() != 10 || fill.Backfill == "" {
		t.Errorf("first %+v, backfill %+v; want the late player added to the same match at 5s", first, fill)
	}
	if len(r.tickets) != 0 {
		t.Errorf("unmatched tickets %+v", r.tickets)
	}
}

func TestFlexmatchRunManualBackfillAndSeed(t *testing.T) {
	bf := `{"ticketId":"bf","arrival":0,"backfill":true,"players":[` +
		`{"PlayerId":"g1","Team":"red"},{"PlayerId":"g2","Team":"red"},{"PlayerId":"g3","Team":"red"},{"PlayerId":"g4","Team":"red"},{"PlayerId":"g5","Team":"red"},` +
		`{"PlayerId":"g6","Team":"blue"},{"PlayerId":"g7","Team":"blue"},{"PlayerId":"g8","Team":"blue"},{"PlayerId":"g9","Team":"blue","PlayerAttributes":{"BlockList":{"SL":["px"]}}}]}` + "\n"
	r := run(t, "block_list.json", bf+lines(tk{"x", 0, "", ""}, tk{"y", 2, "", ""}), short)
	if len(r.matches) != 1 || r.matches[0].At != 2 || r.matches[0].Backfill != "bf" || r.matches[0].teamOf("py") != "blue" {
		t.Fatalf("got %+v, want y backfilled onto blue at 2s", r.matches)
	}
	if l := r.tickets["x"]; l.Status != "TIMED_OUT" {
		t.Errorf("x: %+v", l)
	}

	// The same seed gives the same output; --until stops early and leaves
	// tickets searching.
	ts := lines(many(30, func(i int) tk {
		return tk{fmt.Sprint("t", i), float64(i % 4), fmt.Sprintf(`{"skill":{"N":%d}}`, 1400+i*7), `{"eu-west-1":30}`}
	})...)
	args := func(seed string) []string {
		return []string{"flexmatch", "run", "--rule-set", filepath.Join(corpus, "skill_latency_5v5.json"), "--tickets", writeFile(t, "t.jsonl", ts), "--seed", seed, "--until", "2", "--step-seconds", "0.5"}
	}
	a, err := runCLI(t, args("3")...)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := runCLI(t, args("3")...)
	if a != b {
		t.Errorf("same seed, different output:\n%s\n%s", a, b)
	}
	if !strings.Contains(a, `"status":"SEARCHING","at":2`) {
		t.Errorf("no ticket left searching at --until 2:\n%s", a)
	}
}

func TestFlexmatchRunBadInput(t *testing.T) {
	rules := filepath.Join(corpus, "team_sizes.json")
	tests := []struct {
		name, tickets, config, want string
		extra                       []string
	}{
		{"unknown member", `{"ticketId":"t1","arrival":0,"players":[{"PlayerId":"p1","Latency":{"a":1}}]}`, "", `tickets.jsonl:1: unknown member "Latency"`, nil},
		{"wrong type", "\n" + `{"ticketId":"t1","arrival":"soon","players":[{"PlayerId":"p1"}]}`, "", `tickets.jsonl:2: member arrival: expected float64, got a JSON string`, nil},
		{"no ticket id", `{"arrival":0,"players":[{"PlayerId":"p1"}]}`, "", "tickets.jsonl:1: member ticketId is missing", nil},
		{"duplicate id", `{"ticketId":"t1","players":[{"PlayerId":"p1"}]}` + "\n" + `{"ticketId":"t1","players":[{"PlayerId":"p2"}]}`, "", `tickets.jsonl:2: ticketId "t1" is already used on line 1`, nil},
		{"no players", `{"ticketId":"t1"}`, "", "member players is missing", nil},
		{"no player id", `{"ticketId":"t1","players":[{}]}`, "", "players[0].PlayerId is missing", nil},
		{"two attribute kinds", `{"ticketId":"t1","players":[{"PlayerId":"p1","PlayerAttributes":{"skill":{"N":1,"S":"x"}}}]}`, "", "PlayerAttributes.skill must have exactly one of S, N, SL, SDM", nil},
		{"attribute type", `{"ticketId":"t1","players":[{"PlayerId":"p1","PlayerAttributes":{"skill":{"S":"x"}}}]}`, "", `attribute "skill" of player "p1" is a string; the rule set declares a number`, nil},
		{"not json", `{"ticketId":`, "", "tickets.jsonl:1: not valid JSON", nil},
		{"bad timeout", `{"ticketId":"t1","players":[{"PlayerId":"p1"}]}`, `{"RequestTimeoutSeconds": "long"}`, "member RequestTimeoutSeconds: expected float64", nil},
		{"expansion beyond timeout", `{"ticketId":"t1","players":[{"PlayerId":"p1"}]}`, `{"RequestTimeoutSeconds": 10}`, "longer than RequestTimeoutSeconds", nil},
		{"bad backfill mode", `{"ticketId":"t1","players":[{"PlayerId":"p1"}]}`, `{"BackfillMode": "SOMETIMES"}`, "member BackfillMode: must be MANUAL or AUTOMATIC", nil},
		{"bad step", `{"ticketId":"t1","players":[{"PlayerId":"p1"}]}`, "", "--step-seconds must be more than 0", []string{"--step-seconds", "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"flexmatch", "run", "--rule-set", rules, "--tickets", writeFile(t, "tickets.jsonl", tt.tickets)}
			if tt.config != "" {
				args = append(args, "--configuration", writeFile(t, "config.json", tt.config))
			}
			_, err := runCLI(t, append(args, tt.extra...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
	bad := writeFile(t, "bad.json", `{"ruleLanguageVersion": "1.0"}`)
	_, err := runCLI(t, "flexmatch", "run", "--rule-set", bad, "--tickets", writeFile(t, "t.jsonl", ""))
	if err == nil || !strings.Contains(err.Error(), bad+": teams: teams is required") {
		t.Errorf("invalid rule set: %v", err)
	}
	if _, err := runCLI(t, "flexmatch", "run", "--tickets", "x"); err == nil || !strings.Contains(err.Error(), "rule-set") {
		t.Errorf("missing --rule-set: %v", err)
	}
}
