package placement_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"
	"github.com/rallypoint/rallypoint/internal/node"
)

// In a cluster, one node owns a queue; placements started on any node are
// placed by it, and when it stops another node takes the queue over with
// its pending placements.
func TestQueueOwnershipMovesWhenTheOwnerStops(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	b, bc := w.joinNode("node-b")
	c, cc := w.joinNode("node-c")
	f := w.fleet("f", "", "custom-a")
	ctx := context.Background()
	// The owner must be a joined node, which the test can stop (the first
	// node holds the engine). Whichever node claims first wins, so the
	// queue is created again until a joined node owns it.
	var owner *node.Node
	for owner == nil {
		if _, err := bc.CreateGameSessionQueue(ctx, &gamelift.CreateGameSessionQueueInput{Name: aws.String("shared"), Destinations: destinations(f)}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "a node to own the queue", func() bool {
			return w.N.Placements().Owns("shared") || b.Placements().Owns("shared") || c.Placements().Owns("shared")
		})
		switch {
		case b.Placements().Owns("shared"):
			owner = b
		case c.Placements().Owns("shared"):
			owner, cc = c, bc
		default:
			if _, err := bc.DeleteGameSessionQueue(ctx, &gamelift.DeleteGameSessionQueueInput{Name: aws.String("shared")}); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the first node to drop the deleted queue", func() bool { return !w.N.Placements().Owns("shared") })
		}
	}

	// Started on a node that does not own the queue, placed by the owner.
	w.servers(f, "custom-a", 1)
	if _, err := cc.StartGameSessionPlacement(ctx, &gamelift.StartGameSessionPlacementInput{
		PlacementId: aws.String("via-c"), GameSessionQueueName: aws.String("shared"), MaximumPlayerSessionCount: aws.Int32(2),
	}); err != nil {
		t.Fatal(err)
	}
	w.fulfilledIn("via-c", "custom-a")

	// No capacity left: these wait while the owner stops.
	for _, id := range []string{"wait-1", "wait-2"} {
		if _, err := cc.StartGameSessionPlacement(ctx, &gamelift.StartGameSessionPlacementInput{
			PlacementId: aws.String(id), GameSessionQueueName: aws.String("shared"), MaximumPlayerSessionCount: aws.Int32(2),
			DesiredPlayerSessions: []types.DesiredPlayerSession{{PlayerId: aws.String("p-" + id), PlayerData: aws.String("data-p-" + id)}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if err := owner.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "another node to own the queue", func() bool {
		return w.N.Placements().Owns("shared") || (owner != b && b.Placements().Owns("shared")) || (owner != c && c.Placements().Owns("shared"))
	})
	w.servers(f, "custom-a", 2)
	w.fulfilledIn("wait-1", "custom-a", "p-wait-1")
	w.fulfilledIn("wait-2", "custom-a", "p-wait-2")
}
