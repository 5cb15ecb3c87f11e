package matchmaking_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/testworld"
)

// duel is a 1v1 rule set: any two tickets make a match.
const duel = `{
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 10}],
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 1}, {"name": "blue", "minPlayers": 1, "maxPlayers": 1}]
}`

var eu = map[string]int32{"custom-eu": 20, "custom-us": 90}

func accept(t *testing.T, s *stage, ticket, playerID string, how types.AcceptanceType) {
	t.Helper()
	if _, err := s.C.AcceptMatch(context.Background(), &gamelift.AcceptMatchInput{TicketId: aws.String(ticket), PlayerIds: []string{playerID}, AcceptanceType: how}); err != nil {
		t.Fatalf("AcceptMatch %s %s: %v", ticket, how, err)
	}
}

func acceptanceStage(t *testing.T, timeout int32) (*stage, *eventLog, []string) {
	s := newStage(t, 1)
	s.ruleSet("duel", duel)
	s.config("duel-accept", "duel", func(in *gamelift.CreateMatchmakingConfigurationInput) {
		in.AcceptanceRequired = aws.Bool(true)
		in.AcceptanceTimeoutSeconds = aws.Int32(timeout)
	})
	log := s.events()
	ids := s.start("duel-accept", player("ann", 10, eu), player("bob", 10, eu))
	s.await(types.MatchmakingConfigurationStatusRequiresAcceptance, ids...)
	for _, id := range ids {
		log.awaitTypes(t, id, "MatchmakingSearching", "PotentialMatchCreated")
	}
	pm := log.last(ids[0], "PotentialMatchCreated")["detail"].(map[string]any)
	if pm["acceptanceRequired"] != true || pm["acceptanceTimeout"] != float64(timeout) {
		t.Errorf("PotentialMatchCreated: acceptanceRequired %v acceptanceTimeout %v", pm["acceptanceRequired"], pm["acceptanceTimeout"])
	}
	return s, log, ids
}

func TestAcceptanceAllAccept(t *testing.T) {
	s, log, ids := acceptanceStage(t, 60)
	accept(t, s, ids[0], "ann", types.AcceptanceTypeAccept)
	log.awaitTypes(t, ids[0], "MatchmakingSearching", "PotentialMatchCreated", "AcceptMatch")
	if got := s.describe(ids[0])[ids[0]].Status; got != types.MatchmakingConfigurationStatusRequiresAcceptance {
		t.Errorf("after one of two accepted, the ticket is %s", got)
	}
	accept(t, s, ids[1], "bob", types.AcceptanceTypeAccept)
	s.await(types.MatchmakingConfigurationStatusCompleted, ids...)
	for _, id := range ids {
		log.awaitTypes(t, id, "MatchmakingSearching", "PotentialMatchCreated", "AcceptMatch", "AcceptMatch", "AcceptMatchCompleted", "MatchmakingSucceeded")
	}
	done := log.last(ids[0], "AcceptMatchCompleted")["detail"].(map[string]any)
	if done["acceptance"] != "Accepted" {
		t.Errorf("AcceptMatchCompleted acceptance %v", done["acceptance"])
	}
	am := log.last(ids[1], "AcceptMatch")["detail"].(map[string]any)
	for _, tk := range am["tickets"].([]any) {
		for _, p := range tk.(map[string]any)["players"].([]any) {
			if p.(map[string]any)["accepted"] != true {
				t.Errorf("the last AcceptMatch event shows player %v", p)
			}
		}
	}
	// AcceptMatch on a ticket that no longer requires acceptance is refused.
	_, err := s.C.AcceptMatch(context.Background(), &gamelift.AcceptMatchInput{TicketId: aws.String(ids[0]), PlayerIds: []string{"ann"}, AcceptanceType: types.AcceptanceTypeAccept})
	if code := errorCode(err); code != "InvalidRequestException" {
		t.Errorf("AcceptMatch on a COMPLETED ticket: %v (%s)", err, code)
	}
}

func TestAcceptanceOneRejects(t *testing.T) {
	s, log, ids := acceptanceStage(t, 60)
	accept(t, s, ids[0], "ann", types.AcceptanceTypeAccept)
	log.awaitTypes(t, ids[0], "MatchmakingSearching", "PotentialMatchCreated", "AcceptMatch")
	accept(t, s, ids[1], "bob", types.AcceptanceTypeReject)
	got := s.await(types.MatchmakingConfigurationStatusCancelled, ids[1])
	if r := aws.ToString(got[ids[1]].StatusReason); r == "" {
		t.Errorf("a rejecting ticket has no StatusReason")
	}
	s.await(types.MatchmakingConfigurationStatusSearching, ids[0])
	log.awaitTypes(t, ids[1], "MatchmakingSearching", "PotentialMatchCreated", "AcceptMatch", "AcceptMatch", "AcceptMatchCompleted", "MatchmakingCancelled")
	log.awaitTypes(t, ids[0], "MatchmakingSearching", "PotentialMatchCreated", "AcceptMatch", "AcceptMatch", "AcceptMatchCompleted", "MatchmakingSearching")
	if a := log.last(ids[0], "AcceptMatchCompleted")["detail"].(map[string]any)["acceptance"]; a != "Rejected" {
		t.Errorf("acceptance %v, want Rejected", a)
	}
	// The ticket that accepted searches on with its original start time
	// and matches the next player.
	more := s.start("duel-accept", player("cat", 10, eu))
	s.await(types.MatchmakingConfigurationStatusRequiresAcceptance, ids[0], more[0])
}

func TestAcceptanceSilentPlayerTimesOut(t *testing.T) {
	s, log, ids := acceptanceStage(t, 1)
	accept(t, s, ids[0], "ann", types.AcceptanceTypeAccept)
	s.await(types.MatchmakingConfigurationStatusCancelled, ids[1])
	s.await(types.MatchmakingConfigurationStatusSearching, ids[0])
	log.awaitTypes(t, ids[1], "MatchmakingSearching", "PotentialMatchCreated", "AcceptMatch", "AcceptMatchCompleted", "MatchmakingCancelled")
	if a := log.last(ids[1], "AcceptMatchCompleted")["detail"].(map[string]any)["acceptance"]; a != "TimedOut" {
		t.Errorf("acceptance %v, want TimedOut", a)
	}
}

func TestStopMatchmakingAtEachStatus(t *testing.T) {
	s := newStage(t, 1)
	s.ruleSet("duel", duel)
	s.config("duel-accept", "duel", func(in *gamelift.CreateMatchmakingConfigurationInput) {
		in.AcceptanceRequired = aws.Bool(true)
		in.AcceptanceTimeoutSeconds = aws.Int32(60)
	})
	log := s.events()
	ctx := context.Background()
	stop := func(id string) {
		t.Helper()
		if _, err := s.C.StopMatchmaking(ctx, &gamelift.StopMatchmakingInput{TicketId: aws.String(id)}); err != nil {
			t.Fatalf("StopMatchmaking %s: %v", id, err)
		}
	}

	var solo string
	t.Run("searching", func(t *testing.T) {
		ids := s.start("duel-accept", player("solo", 10, eu))
		s.await(types.MatchmakingConfigurationStatusSearching, ids...)
		stop(ids[0])
		s.await(types.MatchmakingConfigurationStatusCancelled, ids...)
		log.awaitTypes(t, ids[0], "MatchmakingSearching", "MatchmakingCancelled")
		d := log.last(ids[0], "MatchmakingCancelled")["detail"].(map[string]any)
		if d["reason"] != "Cancelled" {
			t.Errorf("MatchmakingCancelled reason %v", d["reason"])
		}
		// The player is free to search again.
		solo = s.start("duel-accept", player("solo", 10, eu))[0]
	})

	t.Run("requires acceptance", func(t *testing.T) {
		ids := s.start("duel-accept", player("dan", 10, eu))
		// "solo" from the last step is still searching: they match. (The
		// two tickets' writes go out together, so either may show the
		// new status first.)
		s.await(types.MatchmakingConfigurationStatusRequiresAcceptance, solo, ids[0])
		other := solo
		accept(t, s, other, "solo", types.AcceptanceTypeAccept)
		stop(ids[0])
		s.await(types.MatchmakingConfigurationStatusCancelled, ids...)
		s.await(types.MatchmakingConfigurationStatusSearching, other)
		stop(other)
		s.await(types.MatchmakingConfigurationStatusCancelled, other)
	})

	t.Run("completed", func(t *testing.T) {
		ids := s.start("duel-accept", player("eve", 10, eu), player("fay", 10, eu))
		s.await(types.MatchmakingConfigurationStatusRequiresAcceptance, ids...)
		accept(t, s, ids[0], "eve", types.AcceptanceTypeAccept)
		accept(t, s, ids[1], "fay", types.AcceptanceTypeAccept)
		s.await(types.MatchmakingConfigurationStatusCompleted, ids...)
		stop(ids[0])
		if got := s.describe(ids[0])[ids[0]].Status; got != types.MatchmakingConfigurationStatusCompleted {
			t.Errorf("StopMatchmaking changed a COMPLETED ticket to %s", got)
		}
	})

	t.Run("unknown", func(t *testing.T) {
		_, err := s.C.StopMatchmaking(ctx, &gamelift.StopMatchmakingInput{TicketId: aws.String("no-such-ticket")})
		if code := errorCode(err); code != "NotFoundException" {
			t.Errorf("StopMatchmaking of an unknown ticket: %v (%s)", err, code)
		}
	})
}

func TestStopMatchmakingWhilePlacing(t *testing.T) {
	// No game server runs, so the placement waits for capacity.
	s := newStage(t, 0)
	s.ruleSet("duel", duel)
	s.config("duel", "duel", nil)
	log := s.events()
	ids := s.start("duel", player("gil", 10, eu), player("hal", 10, eu))
	s.await(types.MatchmakingConfigurationStatusPlacing, ids...)
	if _, err := s.C.StopMatchmaking(context.Background(), &gamelift.StopMatchmakingInput{TicketId: aws.String(ids[0])}); err != nil {
		t.Fatal(err)
	}
	s.await(types.MatchmakingConfigurationStatusCancelled, ids[0])
	s.await(types.MatchmakingConfigurationStatusSearching, ids[1])
	log.awaitTypes(t, ids[0], "MatchmakingSearching", "PotentialMatchCreated", "MatchmakingCancelled")
	log.awaitTypes(t, ids[1], "MatchmakingSearching", "PotentialMatchCreated", "MatchmakingSearching")
	// The match's placement was stopped.
	pm := log.last(ids[1], "PotentialMatchCreated")["detail"].(map[string]any)
	pl, err := s.C.DescribeGameSessionPlacement(context.Background(), &gamelift.DescribeGameSessionPlacementInput{PlacementId: aws.String(pm["matchId"].(string))})
	if err != nil {
		t.Fatal(err)
	}
	if pl.GameSessionPlacement.Status != types.GameSessionPlacementStateCancelled {
		t.Errorf("the match's placement is %s, want CANCELLED", pl.GameSessionPlacement.Status)
	}
}

func TestRequestTimeout(t *testing.T) {
	s := newStage(t, 1)
	s.ruleSet("five-v-five", fiveVFive)
	s.config("quick", "five-v-five", func(in *gamelift.CreateMatchmakingConfigurationInput) {
		in.RequestTimeoutSeconds = aws.Int32(1)
	})
	log := s.events()
	ids := s.start("quick", player("ivy", 10, eu), player("jon", 40, eu))
	got := s.await(types.MatchmakingConfigurationStatusTimedOut, ids...)
	if got[ids[0]].EndTime == nil {
		t.Error("a timed-out ticket has no EndTime")
	}
	for _, id := range ids {
		log.awaitTypes(t, id, "MatchmakingSearching", "MatchmakingTimedOut")
	}
	d := log.last(ids[0], "MatchmakingTimedOut")["detail"].(map[string]any)
	if d["reason"] != "TimedOut" || d["message"] == "" {
		t.Errorf("MatchmakingTimedOut: reason %v message %v", d["reason"], d["message"])
	}
	if m, _ := d["ruleEvaluationMetrics"].([]any); len(m) != 2 {
		t.Errorf("ruleEvaluationMetrics %v", d["ruleEvaluationMetrics"])
	}
}

func TestRefusedRequestsStoreNothing(t *testing.T) {
	s := newStage(t, 1)
	s.ruleSet("five-v-five", fiveVFive)
	s.config("ranked", "five-v-five", nil)
	ctx := context.Background()
	first := s.start("ranked", player("kim", 10, eu))

	cases := []struct {
		name    string
		in      *gamelift.StartMatchmakingInput
		mention string
	}{
		{"player already searching", &gamelift.StartMatchmakingInput{TicketId: aws.String("dup"), ConfigurationName: aws.String("ranked"),
			Players: []types.Player{player("kim", 10, eu)}}, "kim"},
		{"attribute of the wrong type", &gamelift.StartMatchmakingInput{TicketId: aws.String("badtype"), ConfigurationName: aws.String("ranked"),
			Players: []types.Player{{PlayerId: aws.String("lea"), PlayerAttributes: map[string]types.AttributeValue{"skill": {S: aws.String("high")}}}}}, "skill"},
		{"ticket id in use", &gamelift.StartMatchmakingInput{TicketId: aws.String(first[0]), ConfigurationName: aws.String("ranked"),
			Players: []types.Player{player("max", 10, eu)}}, first[0]},
		{"unknown configuration", &gamelift.StartMatchmakingInput{TicketId: aws.String("nocfg"), ConfigurationName: aws.String("nope"),
			Players: []types.Player{player("ned", 10, eu)}}, "nope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.C.StartMatchmaking(ctx, c.in)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.mention) {
				t.Errorf("the error does not name %q: %v", c.mention, err)
			}
			if c.in.TicketId != nil && aws.ToString(c.in.TicketId) != first[0] {
				if got := s.describe(aws.ToString(c.in.TicketId)); len(got) != 0 {
					t.Errorf("a refused ticket was stored: %+v", got)
				}
			}
		})
	}
	// The players of refused requests were not claimed.
	s.start("ranked", player("lea", 10, eu), player("max", 10, eu))
}

// partyRules is 2v2 with a latency-free skill rule; a party of two must
// play on one team.
const partyRules = `{
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number"}],
  "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2}, {"name": "blue", "minPlayers": 2, "maxPlayers": 2}]
}`

func TestPartyPlaysOnOneTeam(t *testing.T) {
	s := newStage(t, 1)
	s.ruleSet("party", partyRules)
	s.config("party", "party", nil)
	ctx := context.Background()
	party, err := s.C.StartMatchmaking(ctx, &gamelift.StartMatchmakingInput{
		TicketId: aws.String("party"), ConfigurationName: aws.String("party"),
		Players: []types.Player{player("pat", 10, eu), player("quinn", 12, eu)},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A rule set attribute without a default must be given.
	_, err = s.C.StartMatchmaking(ctx, &gamelift.StartMatchmakingInput{ConfigurationName: aws.String("party"), Players: []types.Player{{PlayerId: aws.String("nos")}}})
	if code := errorCode(err); code != "InvalidRequestException" || !strings.Contains(err.Error(), "skill") {
		t.Errorf("a player without a required attribute: %v", err)
	}
	solos := s.start("party", player("rae", 10, eu), player("sam", 11, eu))
	ids := append([]string{aws.ToString(party.MatchmakingTicket.TicketId)}, solos...)
	done := s.await(types.MatchmakingConfigurationStatusCompleted, ids...)
	pt := done["party"]
	if len(pt.Players) != 2 || aws.ToString(pt.Players[0].Team) != aws.ToString(pt.Players[1].Team) || aws.ToString(pt.Players[0].Team) == "" {
		t.Errorf("the party's players are on teams %q and %q", aws.ToString(pt.Players[0].Team), aws.ToString(pt.Players[1].Team))
	}
	if n := len(pt.GameSessionConnectionInfo.MatchedPlayerSessions); n != 2 {
		t.Errorf("the party's ticket has %d matched player sessions, want 2", n)
	}
	for _, id := range solos {
		if aws.ToString(done[id].Players[0].Team) == aws.ToString(pt.Players[0].Team) {
			t.Errorf("solo %s joined the party's full team", id)
		}
	}
}

func TestStandaloneReportsTheMatch(t *testing.T) {
	s := newStage(t, 0)
	s.ruleSet("duel", duel)
	_, err := s.C.CreateMatchmakingConfiguration(context.Background(), &gamelift.CreateMatchmakingConfigurationInput{
		Name: aws.String("solo-mode"), RuleSetName: aws.String("duel"), RequestTimeoutSeconds: aws.Int32(30),
		AcceptanceRequired: aws.Bool(false), FlexMatchMode: types.FlexMatchModeStandalone,
	})
	if err != nil {
		t.Fatal(err)
	}
	log := s.events()
	ids := s.start("solo-mode", player("una", 10, eu), player("vic", 10, eu))
	done := s.await(types.MatchmakingConfigurationStatusCompleted, ids...)
	for _, id := range ids {
		if done[id].GameSessionConnectionInfo != nil {
			t.Errorf("a STANDALONE ticket has connection info %+v", done[id].GameSessionConnectionInfo)
		}
		if aws.ToString(done[id].Players[0].Team) == "" {
			t.Errorf("a STANDALONE ticket's player has no team")
		}
		log.awaitTypes(t, id, "MatchmakingSearching", "PotentialMatchCreated", "MatchmakingSucceeded")
	}
	gsi := log.last(ids[0], "MatchmakingSucceeded")["detail"].(map[string]any)["gameSessionInfo"].(map[string]any)
	if gsi["gameSessionArn"] != nil || len(gsi["players"].([]any)) != 2 {
		t.Errorf("STANDALONE gameSessionInfo: %v", gsi)
	}
}

func TestEndedTicketsArePurgedAfterTheRetention(t *testing.T) {
	w := testworld.New(t, func(c *node.Config) {
		c.MatchmakingInterval = 100 * time.Millisecond
		c.TicketRetention = 500 * time.Millisecond
	})
	s := &stage{World: w, servers: map[string][]*testworld.GameServer{}}
	s.ruleSet("duel", duel)
	if _, err := w.C.CreateMatchmakingConfiguration(context.Background(), &gamelift.CreateMatchmakingConfigurationInput{
		Name: aws.String("brief"), RuleSetName: aws.String("duel"), RequestTimeoutSeconds: aws.Int32(1),
		AcceptanceRequired: aws.Bool(false), FlexMatchMode: types.FlexMatchModeStandalone,
	}); err != nil {
		t.Fatal(err)
	}
	ids := s.start("brief", player("xia", 10, eu), player("yan", 10, eu), player("zed", 10, eu))
	got := s.describe(ids...)
	if len(got) != 3 {
		t.Fatalf("DescribeMatchmaking found %d of 3 new tickets", len(got))
	}
	// Two complete, one times out; all three are gone once the
	// retention has passed.
	testworld.Eventually(t, "the ended tickets to be purged", func() bool { return len(s.describe(ids...)) == 0 })
}
