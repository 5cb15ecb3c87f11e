package testworld

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"
)

// duelRules is one player against one, with a numeric skill attribute that
// defaults to 10.
const duelRules = `{"ruleLanguageVersion":"1.0",
	"playerAttributes":[{"name":"skill","type":"number","default":10}],
	"teams":[{"name":"red","minPlayers":1,"maxPlayers":1},{"name":"blue","minPlayers":1,"maxPlayers":1}]}`

// Duel creates a game session queue onto fleetID and a one-versus-one
// matchmaking configuration named name (and a rule set of that name) that
// places its matches through it, without acceptance. It returns the
// configuration's name.
func (w *World) Duel(name, fleetID string) string {
	w.T.Helper()
	ctx := context.Background()
	q, err := w.C.CreateGameSessionQueue(ctx, &gamelift.CreateGameSessionQueueInput{
		Name:         aws.String(name + "-queue"),
		Destinations: []types.GameSessionQueueDestination{{DestinationArn: aws.String(fleetID)}},
	})
	if err != nil {
		w.T.Fatalf("CreateGameSessionQueue: %v", err)
	}
	if _, err := w.C.CreateMatchmakingRuleSet(ctx, &gamelift.CreateMatchmakingRuleSetInput{
		Name: aws.String(name), RuleSetBody: aws.String(duelRules),
	}); err != nil {
		w.T.Fatalf("CreateMatchmakingRuleSet: %v", err)
	}
	if _, err := w.C.CreateMatchmakingConfiguration(ctx, &gamelift.CreateMatchmakingConfigurationInput{
		Name:                  aws.String(name),
		RuleSetName:           aws.String(name),
		RequestTimeoutSeconds: aws.Int32(120),
		AcceptanceRequired:    aws.Bool(false),
		FlexMatchMode:         types.FlexMatchModeWithQueue,
		GameSessionQueueArns:  []string{aws.ToString(q.GameSessionQueue.GameSessionQueueArn)},
	}); err != nil {
		w.T.Fatalf("CreateMatchmakingConfiguration: %v", err)
	}
	return name
}
