package main

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"
)

// A FlexMatch match on an arena server: arena prints the teams; when a
// player leaves, arena (--backfill) asks for a replacement, and prints the
// update that brings one, who then joins.
func TestArenaMatchAndBackfill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs binaries")
	}
	ctx := context.Background()
	l := newLab(t, "--matchmaking-interval", "200ms")
	gl, fleetID := l.gl, l.fleetID
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	arena, addr := l.arena(t, "arena-m", "--backfill")

	q, err := gl.CreateGameSessionQueue(ctx, &gamelift.CreateGameSessionQueueInput{Name: aws.String("lab"),
		Destinations: []types.GameSessionQueueDestination{{DestinationArn: aws.String(fleetID)}}})
	if err != nil {
		t.Fatal(err)
	}
	must(gl.CreateMatchmakingRuleSet(ctx, &gamelift.CreateMatchmakingRuleSetInput{Name: aws.String("small"), RuleSetBody: aws.String(`{
		"ruleLanguageVersion": "1.0",
		"teams": [{"name": "red", "minPlayers": 1, "maxPlayers": 2}, {"name": "blue", "minPlayers": 1, "maxPlayers": 2}]}`)}))
	must(gl.CreateMatchmakingConfiguration(ctx, &gamelift.CreateMatchmakingConfigurationInput{
		Name: aws.String("lab"), RuleSetName: aws.String("small"), RequestTimeoutSeconds: aws.Int32(60),
		AcceptanceRequired: aws.Bool(false), GameSessionQueueArns: []string{aws.ToString(q.GameSessionQueue.GameSessionQueueArn)},
	}))

	// match starts tickets for the players and returns each one's player
	// session id once they complete.
	match := func(players ...string) map[string]string {
		t.Helper()
		var ids []string
		for _, p := range players {
			out, err := gl.StartMatchmaking(ctx, &gamelift.StartMatchmakingInput{ConfigurationName: aws.String("lab"), Players: []types.Player{{PlayerId: aws.String(p)}}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, aws.ToString(out.MatchmakingTicket.TicketId))
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			d, err := gl.DescribeMatchmaking(ctx, &gamelift.DescribeMatchmakingInput{TicketIds: ids})
			if err != nil {
				t.Fatal(err)
			}
			sessions := map[string]string{}
			for _, tk := range d.TicketList {
				if tk.Status == types.MatchmakingConfigurationStatusCompleted {
					ps := tk.GameSessionConnectionInfo.MatchedPlayerSessions[0]
					sessions[aws.ToString(ps.PlayerId)] = aws.ToString(ps.PlayerSessionId)
				}
			}
			if len(sessions) == len(players) {
				return sessions
			}
			if time.Now().After(deadline) {
				t.Fatalf("tickets of %v did not complete: %+v", players, d.TicketList)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	first := match("ann", "ben")
	arena.await(t, regexp.MustCompile(`match \S+: (red: (ann|ben); blue: (ann|ben))`))
	ann, ben := dialUDP(t, addr), dialUDP(t, addr)
	if got := ann.say("JOIN " + first["ann"]); got != "ACCEPTED ann" {
		t.Fatalf("ann's JOIN: %q", got)
	}
	if got := ben.say("JOIN " + first["ben"]); got != "ACCEPTED ben" {
		t.Fatalf("ben's JOIN: %q", got)
	}
	if got := ann.hear(); got != "JOINED ben" {
		t.Fatalf("ann heard %q", got)
	}
	if got := ann.say("LEAVE"); got != "BYE" {
		t.Fatalf("ann's LEAVE: %q", got)
	}
	if got := ben.hear(); got != "LEFT ann" {
		t.Fatalf("ben heard %q", got)
	}
	ticket := arena.await(t, regexp.MustCompile(`asked for a backfill \(ticket (\S+)\) with 1 players still in the match`))[1]

	late := match("cal")
	arena.await(t, regexp.MustCompile(`game session updated: MATCHMAKING_DATA_UPDATED \(backfill ticket `+regexp.QuoteMeta(ticket)+`\)`))
	if got := ben.hear(); got != "MATCH 2 players" {
		t.Fatalf("ben heard %q, want MATCH 2 players", got)
	}
	cal := dialUDP(t, addr)
	if got := cal.say("JOIN " + late["cal"]); got != "ACCEPTED cal" {
		t.Fatalf("cal's JOIN: %q", got)
	}
	if got := ben.hear(); got != "JOINED cal" {
		t.Fatalf("ben heard %q", got)
	}
}
