package matchmaking_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/internal/testworld"
)

// fiveVFiveByMode is fiveVFive with a required string attribute "mode"
// and a batchDistance rule on it: players are matched only with players
// of the same mode, so tickets whose modes all differ search and never
// match.
const fiveVFiveByMode = `{
  "name": "five-v-five-by-mode",
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [
    {"name": "skill", "type": "number", "default": 10},
    {"name": "mode", "type": "string"}
  ],
  "teams": [
    {"name": "red", "minPlayers": 5, "maxPlayers": 5},
    {"name": "blue", "minPlayers": 5, "maxPlayers": 5}
  ],
  "rules": [
    {"name": "SameMode", "type": "batchDistance", "batchAttribute": "mode"},
    {"name": "FairSkill", "type": "distance",
     "measurements": ["avg(teams[*].players.attributes[skill])"],
     "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))",
     "maxDistance": 10},
    {"name": "FastConnection", "type": "latency", "maxLatency": 150}
  ]
}`

// startMany starts n single-player tickets of the configuration from
// several goroutines and returns their ids in order; mk makes the i-th
// ticket's player.
func (s *stage) startMany(config string, n int, mk func(i int) types.Player) []string {
	s.T.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%04d", config, i)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				_, err := s.C.StartMatchmaking(context.Background(), &gamelift.StartMatchmakingInput{
					TicketId: aws.String(ids[i]), ConfigurationName: aws.String(config), Players: []types.Player{mk(i)},
				})
				// The ticket ids are new, so one already in use was
				// started by an earlier attempt whose answer was lost.
				if err != nil && !(errorCode(err) == "InvalidRequestException" && strings.Contains(err.Error(), "already in use")) {
					s.T.Errorf("StartMatchmaking %s: %v", ids[i], err)
					return
				}
			}
		})
	}
	wg.Wait()
	if s.T.Failed() {
		s.T.FailNow()
	}
	return ids
}

// cycles returns how many matchmaking cycles the node has run over the
// configuration's pool since it started, from its Prometheus metrics (a
// cycle runs only over a pool that holds tickets).
func (s *stage) cycles(t *testing.T, config string) int {
	t.Helper()
	resp, err := http.Get("http://" + s.N.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read /metrics: %v", err)
	}
	prefix := `rallypoint_matchmaking_cycle_seconds_count{configuration="` + config + `"} `
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), prefix); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("metrics line %q: %v", line, err)
			}
			return n
		}
	}
	return 0
}

// A restart of the node loses no searching ticket: each is still there,
// SEARCHING, with its StartTime, and when the configuration is pointed at
// a rule set they can match under, each is matched exactly once.
func TestRestartKeepsEverySearchingTicket(t *testing.T) {
	const tickets = 1000
	// 100 matches of 10, each in a game session of its own; a few
	// processes to spare.
	s := newStage(t, 55)
	s.ruleSet("by-mode", fiveVFiveByMode)
	s.ruleSet("five-v-five", fiveVFive)
	s.config("restart", "by-mode", func(in *gamelift.CreateMatchmakingConfigurationInput) {
		in.RequestTimeoutSeconds = aws.Int32(3600)
	})
	early := s.events()
	ids := s.startMany("restart", tickets, func(i int) types.Player {
		p := player(fmt.Sprintf("p%04d", i), float64(5+i%10), map[string]int32{"custom-eu": int32(20 + i%50), "custom-us": int32(20 + (i*7)%50)})
		// Every mode is unique, so no two players can share a match.
		p.PlayerAttributes["mode"] = types.AttributeValue{S: aws.String(fmt.Sprintf("mode-%d", i))}
		return p
	})
	before := s.await(types.MatchmakingConfigurationStatusSearching, ids...)
	// A ticket is stored SEARCHING before its event is published; the
	// restart comes once every event is on the stream.
	testworld.Eventually(t, "a MatchmakingSearching event for every ticket", func() bool {
		for _, id := range ids {
			if len(early.types(id)) == 0 {
				return false
			}
		}
		return true
	})

	s.Restart()

	// Two cycles of the new owner over its pool: the tickets are in it and
	// still match nothing.
	testworld.Eventually(t, "two matchmaking cycles after the restart", func() bool {
		return s.cycles(t, "restart") >= 2
	})
	after := s.describe(ids...)
	for _, id := range ids {
		tk, ok := after[id]
		if !ok {
			t.Errorf("ticket %s is gone after the restart", id)
			continue
		}
		if tk.Status != types.MatchmakingConfigurationStatusSearching {
			t.Errorf("ticket %s is %s after the restart, want SEARCHING", id, tk.Status)
		}
		if b := before[id].StartTime; tk.StartTime == nil || b == nil || !tk.StartTime.Equal(*b) {
			t.Errorf("ticket %s: StartTime %v after the restart, %v before", id, tk.StartTime, b)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// Events are read from the stream's start, on the restarted node.
	log := s.events()
	if _, err := s.C.UpdateMatchmakingConfiguration(context.Background(), &gamelift.UpdateMatchmakingConfigurationInput{
		Name: aws.String("restart"), RuleSetName: aws.String("five-v-five"),
	}); err != nil {
		t.Fatalf("UpdateMatchmakingConfiguration: %v", err)
	}
	done := s.await(types.MatchmakingConfigurationStatusCompleted, ids...)

	players := map[string]string{}           // player id -> game session
	sessions := map[string]map[string]bool{} // game session -> player ids
	teams := map[string]map[string]int{}     // game session -> team -> players
	for _, id := range ids {
		tk := done[id]
		ci := tk.GameSessionConnectionInfo
		if ci == nil || len(ci.MatchedPlayerSessions) != 1 {
			t.Errorf("completed ticket %s: connection info %+v", id, ci)
			continue
		}
		if b := before[id].StartTime; tk.StartTime == nil || !tk.StartTime.Equal(*b) {
			t.Errorf("completed ticket %s: StartTime %v, %v when it was started", id, tk.StartTime, b)
		}
		gs := aws.ToString(ci.GameSessionArn)
		pid := aws.ToString(ci.MatchedPlayerSessions[0].PlayerId)
		if want := aws.ToString(tk.Players[0].PlayerId); pid != want {
			t.Errorf("ticket %s of player %s has the player session of %s", id, want, pid)
		}
		if other, dup := players[pid]; dup {
			t.Errorf("player %s is in game sessions %s and %s", pid, other, gs)
		}
		players[pid] = gs
		if sessions[gs] == nil {
			sessions[gs] = map[string]bool{}
			teams[gs] = map[string]int{}
		}
		sessions[gs][pid] = true
		teams[gs][aws.ToString(tk.Players[0].Team)]++
	}
	if len(sessions) != tickets/10 {
		t.Errorf("the tickets are in %d game sessions, want %d", len(sessions), tickets/10)
	}
	for gs, ps := range sessions {
		if len(ps) != 10 || teams[gs]["red"] != 5 || teams[gs]["blue"] != 5 {
			t.Errorf("game session %s has %d players, teams %v; want 10 in teams of 5", gs, len(ps), teams[gs])
		}
	}

	count := func(id, typ string) int {
		n := 0
		for _, got := range log.types(id) {
			if got == typ {
				n++
			}
		}
		return n
	}
	testworld.Eventually(t, "a MatchmakingSucceeded event for every ticket", func() bool {
		for _, id := range ids {
			if count(id, "MatchmakingSucceeded") == 0 {
				return false
			}
		}
		return true
	})
	// The restart neither announces the search again nor the match twice.
	for _, id := range ids {
		if count(id, "MatchmakingSearching") != 1 || count(id, "MatchmakingSucceeded") != 1 {
			t.Errorf("ticket %s: events %v, want one MatchmakingSearching and one MatchmakingSucceeded", id, log.types(id))
		}
	}
}

// A match being placed when the node restarts is carried on by the new
// owner: its placement (which waited for capacity) is followed, not
// started again, and its tickets complete in one game session.
func TestRestartWhilePlacing(t *testing.T) {
	s := newStage(t, 0)
	s.ruleSet("duel", duel)
	s.config("duel", "duel", nil)
	ids := s.start("duel", player("ora", 10, eu), player("pia", 10, eu))
	s.await(types.MatchmakingConfigurationStatusPlacing, ids...)

	s.Restart()
	s.servers["custom-eu"] = s.Servers(s.fleet, "custom-eu", 2)
	done := s.await(types.MatchmakingConfigurationStatusCompleted, ids...)
	a, b := done[ids[0]].GameSessionConnectionInfo, done[ids[1]].GameSessionConnectionInfo
	if aws.ToString(a.GameSessionArn) == "" || aws.ToString(a.GameSessionArn) != aws.ToString(b.GameSessionArn) {
		t.Fatalf("the match's tickets are in game sessions %q and %q", aws.ToString(a.GameSessionArn), aws.ToString(b.GameSessionArn))
	}
	// One game session in all: the placement was not started twice.
	gs, err := s.C.DescribeGameSessions(context.Background(), &gamelift.DescribeGameSessionsInput{FleetId: aws.String(s.fleet)})
	if err != nil {
		t.Fatal(err)
	}
	if len(gs.GameSessions) != 1 {
		t.Errorf("the fleet has %d game sessions, want 1", len(gs.GameSessions))
	}
}
