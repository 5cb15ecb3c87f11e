package placement_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/gamelift"

	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/testworld"
)

// world is a real rallypoint node with fleets, computes and game server
// processes that run the real server SDK in this test process.
type world struct {
	*testworld.World
}

func newWorld(t testing.TB) *world { return &world{testworld.New(t, nil)} }

// restart stops the node and starts it again on the same data directory;
// the game servers reconnect by themselves.
func (w *world) restart() { w.Restart() }

// fleet creates the custom locations (if new) and a fleet over them with
// the cost given (none when empty), and returns the fleet id.
func (w *world) fleet(name, cost string, locations ...string) string {
	w.T.Helper()
	return w.FleetCost(name, cost, locations...)
}

// servers registers a compute in the fleet location and starts count game
// server processes on it.
func (w *world) servers(fleetID, location string, count int) []*testworld.GameServer {
	w.T.Helper()
	return w.Servers(fleetID, location, count)
}

// joinNode starts a node that uses the engine of w's node.
func (w *world) joinNode(id string) (*node.Node, *gamelift.Client) { return w.Join(id) }

// eventually waits for cond, failing the test after a generous while.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testworld.Eventually(t, what, cond)
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
