package matchmaking_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/testworld"
)

// In a cluster one node owns a configuration; tickets started and
// accepted through other nodes reach it, and when it stops mid-acceptance
// another node carries the match on.
func TestConfigurationOwnershipMovesWithAMatchAwaitingAcceptance(t *testing.T) {
	s := newStage(t, 1)
	b, bc := s.Join("node-b")
	c, cc := s.Join("node-c")
	ctx := context.Background()
	if _, err := bc.CreateMatchmakingRuleSet(ctx, &gamelift.CreateMatchmakingRuleSetInput{Name: aws.String("duel"), RuleSetBody: aws.String(duel)}); err != nil {
		t.Fatal(err)
	}
	// The configuration's owner must be one of the joined nodes, which the
	// test can stop; the first node holds the engine. Whichever node's
	// claim comes first wins, so the test recreates the configuration
	// until a joined node owns it.
	var owner *node.Node
	for owner == nil {
		if _, err := bc.CreateMatchmakingConfiguration(ctx, &gamelift.CreateMatchmakingConfigurationInput{
			Name: aws.String("shared"), RuleSetName: aws.String("duel"), RequestTimeoutSeconds: aws.Int32(120),
			AcceptanceRequired: aws.Bool(true), AcceptanceTimeoutSeconds: aws.Int32(120),
			FlexMatchMode: types.FlexMatchModeWithQueue, GameSessionQueueArns: []string{s.queue},
		}); err != nil {
			t.Fatal(err)
		}
		testworld.Eventually(t, "a node to own the configuration", func() bool {
			return s.N.Matchmaking().Owns("shared") || b.Matchmaking().Owns("shared") || c.Matchmaking().Owns("shared")
		})
		switch {
		case b.Matchmaking().Owns("shared"):
			owner = b
		case c.Matchmaking().Owns("shared"):
			owner, cc = c, bc
		default:
			if _, err := bc.DeleteMatchmakingConfiguration(ctx, &gamelift.DeleteMatchmakingConfigurationInput{Name: aws.String("shared")}); err != nil {
				t.Fatal(err)
			}
			testworld.Eventually(t, "the first node to drop the deleted configuration", func() bool { return !s.N.Matchmaking().Owns("shared") })
		}
	}
	log := s.events()

	var ids []string
	for _, p := range []string{"oli", "pam"} {
		out, err := cc.StartMatchmaking(ctx, &gamelift.StartMatchmakingInput{ConfigurationName: aws.String("shared"), Players: []types.Player{player(p, 10, eu)}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.MatchmakingTicket.TicketId))
	}
	s.await(types.MatchmakingConfigurationStatusRequiresAcceptance, ids...)
	accept(t, s, ids[0], "oli", types.AcceptanceTypeAccept)
	log.awaitTypes(t, ids[0], "MatchmakingSearching", "PotentialMatchCreated", "AcceptMatch")

	if err := owner.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	testworld.Eventually(t, "another node to own the configuration", func() bool {
		return s.N.Matchmaking().Owns("shared") || (owner != c && c.Matchmaking().Owns("shared")) || (owner != b && b.Matchmaking().Owns("shared"))
	})
	if _, err := cc.AcceptMatch(ctx, &gamelift.AcceptMatchInput{TicketId: aws.String(ids[1]), PlayerIds: []string{"pam"}, AcceptanceType: types.AcceptanceTypeAccept}); err != nil {
		t.Fatal(err)
	}
	done := s.await(types.MatchmakingConfigurationStatusCompleted, ids...)
	if x, y := done[ids[0]].GameSessionConnectionInfo, done[ids[1]].GameSessionConnectionInfo; x == nil || y == nil || aws.ToString(x.GameSessionArn) != aws.ToString(y.GameSessionArn) {
		t.Fatalf("connection infos %+v and %+v", x, y)
	}
	for _, id := range ids {
		log.awaitTypes(t, id, "MatchmakingSearching", "PotentialMatchCreated", "AcceptMatch", "AcceptMatch", "AcceptMatchCompleted", "MatchmakingSucceeded")
	}
}
