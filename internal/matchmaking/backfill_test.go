package matchmaking_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/internal/testworld"
	"github.com/rallypoint/rallypoint/sdk/server"
)

// smallTeams lets a match start with one player a side and grow to two.
const smallTeams = `{
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 10}],
  "teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 2}, {"name": "blue", "minPlayers": 1, "maxPlayers": 2}]
}`

// hostOf finds the game server that got the game session.
func (s *stage) hostOf(t *testing.T, gameSession string) (*testworld.GameServer, server.GameSession) {
	t.Helper()
	for _, servers := range s.servers {
		for _, g := range servers {
			select {
			case gs := <-g.Started:
				if gs.GameSessionID == gameSession {
					return g, gs
				}
			default:
			}
		}
	}
	t.Fatalf("no game server got game session %s", gameSession)
	return nil, server.GameSession{}
}

// awaitUpdate waits for the game server's next UpdateGameSession.
func awaitUpdate(t *testing.T, g *testworld.GameServer) server.UpdateGameSession {
	t.Helper()
	select {
	case u := <-g.Updated:
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("the game server got no UpdateGameSession")
	}
	return server.UpdateGameSession{}
}

func TestManualBackfillFromTheGameServer(t *testing.T) {
	s := newStage(t, 1)
	s.ruleSet("small", smallTeams)
	cfg := s.config("small", "small", nil)
	log := s.events()
	ids := s.start("small", player("ada", 10, eu), player("ben", 10, eu))
	done := s.await(types.MatchmakingConfigurationStatusCompleted, ids...)
	gsARN := aws.ToString(done[ids[0]].GameSessionConnectionInfo.GameSessionArn)
	g, gs := s.hostOf(t, gsARN)
	md, err := server.ParseMatchmakerData(gs.MatchmakerData)
	if err != nil {
		t.Fatal(err)
	}
	if md.MatchmakingConfigurationArn != aws.ToString(cfg.ConfigurationArn) || len(md.Teams) != 2 {
		t.Fatalf("matchmaker data: %+v", md)
	}

	// The game server asks for players, with its current ones as the
	// matchmaker data says.
	var current []server.Player
	for _, tm := range md.Teams {
		for _, p := range tm.Players {
			current = append(current, server.Player{PlayerID: p.PlayerID, Team: tm.Name, PlayerAttributes: p.Attributes, LatencyInMS: map[string]int{"custom-eu": 20}})
		}
	}
	res, err := g.Proc.StartMatchBackfill(server.StartMatchBackfillRequest{GameSessionArn: gsARN, MatchmakingConfigurationArn: md.MatchmakingConfigurationArn, Players: current})
	if err != nil {
		t.Fatalf("StartMatchBackfill: %v", err)
	}
	s.await(types.MatchmakingConfigurationStatusSearching, res.TicketID)

	late := s.start("small", player("cy", 10, eu))
	got := s.await(types.MatchmakingConfigurationStatusCompleted, late[0], res.TicketID)
	ci := got[late[0]].GameSessionConnectionInfo
	if aws.ToString(ci.GameSessionArn) != gsARN || len(ci.MatchedPlayerSessions) != 1 {
		t.Fatalf("the late player's connection info: %+v", ci)
	}
	u := awaitUpdate(t, g)
	if u.UpdateReason != server.UpdateMatchmakingDataUpdated || u.BackfillTicketID != res.TicketID {
		t.Errorf("UpdateGameSession reason %s ticket %s", u.UpdateReason, u.BackfillTicketID)
	}
	md2, err := server.ParseMatchmakerData(u.GameSession.MatchmakerData)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tm := range md2.Teams {
		n += len(tm.Players)
	}
	if n != 3 {
		t.Errorf("the updated matchmaker data has %d players, want 3: %+v", n, md2)
	}
	// The new player holds a reservation in the running game session,
	// which the game server accepts.
	if err := g.Proc.AcceptPlayerSession(aws.ToString(ci.MatchedPlayerSessions[0].PlayerSessionId)); err != nil {
		t.Errorf("AcceptPlayerSession of the backfilled player: %v", err)
	}
	log.awaitTypes(t, late[0], "MatchmakingSearching", "PotentialMatchCreated", "MatchmakingSucceeded")
	log.awaitTypes(t, res.TicketID, "MatchmakingSearching", "PotentialMatchCreated", "MatchmakingSucceeded")

	// Another process cannot backfill a game session it does not host.
	other := s.servers["custom-us"][0]
	if other == g {
		other = s.servers["custom-eu"][0]
	}
	if _, err := other.Proc.StartMatchBackfill(server.StartMatchBackfillRequest{GameSessionArn: gsARN, MatchmakingConfigurationArn: md.MatchmakingConfigurationArn, Players: current}); err == nil {
		t.Error("a process backfilled a game session it does not host")
	}
}

func TestManualBackfillStoppedTellsTheServer(t *testing.T) {
	s := newStage(t, 1)
	s.ruleSet("small", smallTeams)
	s.config("small", "small", nil)
	ids := s.start("small", player("dee", 10, eu), player("eli", 10, eu))
	done := s.await(types.MatchmakingConfigurationStatusCompleted, ids...)
	gsARN := aws.ToString(done[ids[0]].GameSessionConnectionInfo.GameSessionArn)
	g, _ := s.hostOf(t, gsARN)
	ctx := context.Background()
	bf, err := s.C.StartMatchBackfill(ctx, &gamelift.StartMatchBackfillInput{
		ConfigurationName: aws.String("small"), GameSessionArn: aws.String(gsARN),
		Players: []types.Player{{PlayerId: aws.String("dee"), Team: aws.String("red")}, {PlayerId: aws.String("eli"), Team: aws.String("blue")}},
	})
	if err != nil {
		t.Fatalf("StartMatchBackfill: %v", err)
	}
	id := aws.ToString(bf.MatchmakingTicket.TicketId)
	s.await(types.MatchmakingConfigurationStatusSearching, id)
	if _, err := s.C.StopMatchmaking(ctx, &gamelift.StopMatchmakingInput{TicketId: aws.String(id)}); err != nil {
		t.Fatalf("StopMatchmaking of a backfill ticket: %v", err)
	}
	s.await(types.MatchmakingConfigurationStatusCancelled, id)
	if u := awaitUpdate(t, g); u.UpdateReason != server.UpdateBackfillCancelled || u.BackfillTicketID != id {
		t.Errorf("UpdateGameSession reason %s ticket %s, want BACKFILL_CANCELLED %s", u.UpdateReason, u.BackfillTicketID, id)
	}
}

func TestAutomaticBackfillFillsOpenSlots(t *testing.T) {
	s := newStage(t, 1)
	s.ruleSet("small", smallTeams)
	s.config("auto", "small", func(in *gamelift.CreateMatchmakingConfigurationInput) {
		in.BackfillMode = types.BackfillModeAutomatic
	})
	ids := s.start("auto", player("fox", 10, eu), player("gus", 10, eu))
	done := s.await(types.MatchmakingConfigurationStatusCompleted, ids...)
	gsARN := aws.ToString(done[ids[0]].GameSessionConnectionInfo.GameSessionArn)
	g, gs := s.hostOf(t, gsARN)
	md, err := server.ParseMatchmakerData(gs.MatchmakerData)
	if err != nil {
		t.Fatal(err)
	}
	if md.AutoBackfillMode != "AUTOMATIC" || md.AutoBackfillTicketID == "" {
		t.Fatalf("matchmaker data of an AUTOMATIC configuration: %+v", md)
	}
	s.await(types.MatchmakingConfigurationStatusSearching, md.AutoBackfillTicketID)

	late := s.start("auto", player("hex", 10, eu))
	got := s.await(types.MatchmakingConfigurationStatusCompleted, late[0], md.AutoBackfillTicketID)
	if arn := aws.ToString(got[late[0]].GameSessionConnectionInfo.GameSessionArn); arn != gsARN {
		t.Errorf("the late player went to %s, want the open game session %s", arn, gsARN)
	}
	u := awaitUpdate(t, g)
	if u.UpdateReason != server.UpdateMatchmakingDataUpdated {
		t.Errorf("UpdateGameSession reason %s", u.UpdateReason)
	}
	md2, err := server.ParseMatchmakerData(u.GameSession.MatchmakerData)
	if err != nil {
		t.Fatal(err)
	}
	// One slot is still open, so another automatic backfill runs.
	if md2.AutoBackfillTicketID == "" || md2.AutoBackfillTicketID == md.AutoBackfillTicketID {
		t.Fatalf("after the first backfill the auto backfill ticket is %q (was %q)", md2.AutoBackfillTicketID, md.AutoBackfillTicketID)
	}
	s.await(types.MatchmakingConfigurationStatusSearching, md2.AutoBackfillTicketID)
	last := s.start("auto", player("ike", 10, eu))
	got = s.await(types.MatchmakingConfigurationStatusCompleted, last[0])
	if arn := aws.ToString(got[last[0]].GameSessionConnectionInfo.GameSessionArn); arn != gsARN {
		t.Errorf("the fourth player went to %s, want %s", arn, gsARN)
	}
	ps, err := s.C.DescribePlayerSessions(context.Background(), &gamelift.DescribePlayerSessionsInput{GameSessionId: aws.String(gsARN)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps.PlayerSessions) != 4 {
		t.Errorf("the game session has %d player sessions, want 4", len(ps.PlayerSessions))
	}
}
