package placement_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
)

// Pending placements survive a restart of the node on the same data: those
// still looking for capacity go on looking, and one whose game session
// was activating is fulfilled when its server activates after the
// restart.
func TestPlacementsGoOnAfterRestart(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.fleet("f", "", "custom-a", "custom-b")
	slow := w.servers(f, "custom-a", 1)[0]
	slow.Activate.Store(false)
	// Only custom-a has a server, so the first placement takes the slow
	// one and the others wait.
	w.queue(gamelift.CreateGameSessionQueueInput{Name: aws.String("q"), Destinations: destinations(f)})
	w.place("q", "activating", nil, "ann")
	gs := <-slow.Started
	eventually(t, "the placement to record its game session", func() bool {
		return aws.ToString(w.describe("activating").GameSessionArn) == gs.GameSessionID
	})
	for _, id := range []string{"waiting-1", "waiting-2", "waiting-3"} {
		w.place("q", id, nil, "p-"+id)
	}

	w.restart()

	if err := slow.Proc.ActivateGameSession(); err != nil {
		t.Fatalf("activate after the restart: %v", err)
	}
	pl := w.fulfilledIn("activating", "custom-a", "ann")
	if aws.ToString(pl.GameSessionArn) != gs.GameSessionID {
		t.Fatalf("fulfilled with %s, want the game session from before the restart %s", aws.ToString(pl.GameSessionArn), gs.GameSessionID)
	}
	w.servers(f, "custom-b", 3)
	for _, id := range []string{"waiting-1", "waiting-2", "waiting-3"} {
		w.fulfilledIn(id, "custom-b", "p-"+id)
	}
	if n := slow.Sessions.Load(); n != 1 {
		t.Fatalf("the slow server was given %d game sessions", n)
	}
}
