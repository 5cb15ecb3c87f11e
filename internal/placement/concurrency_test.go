package placement_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"
	"github.com/rallypoint/rallypoint/internal/testworld"
)

// 500 placements at once, through two queues that share a fleet, over 30
// server processes: each process gets at most one game session, every
// placement ends FULFILLED or TIMED_OUT, and the counts agree.
func TestConcurrentPlacementsNeverDoubleBook(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	shared := w.fleet("shared", "", "custom-a", "custom-b")
	other := w.fleet("other", "", "custom-c")
	var servers []*testworld.GameServer
	servers = append(servers, w.servers(shared, "custom-a", 10)...)
	servers = append(servers, w.servers(shared, "custom-b", 10)...)
	servers = append(servers, w.servers(other, "custom-c", 10)...)
	w.queue(gamelift.CreateGameSessionQueueInput{Name: aws.String("left"), Destinations: destinations(shared, other), TimeoutInSeconds: aws.Int32(10)})
	w.queue(gamelift.CreateGameSessionQueueInput{Name: aws.String("right"), Destinations: destinations(other, shared), TimeoutInSeconds: aws.Int32(10)})

	const total = 500
	ids := make(chan string, total)
	for i := range total {
		queue := "left"
		if i%2 == 1 {
			queue = "right"
		}
		ids <- fmt.Sprintf("%s-%03d", queue, i)
	}
	close(ids)
	var wg sync.WaitGroup
	errs := make(chan error, total)
	for range 25 {
		wg.Go(func() {
			for id := range ids {
				queue := id[:len(id)-4]
				_, err := w.C.StartGameSessionPlacement(context.Background(), &gamelift.StartGameSessionPlacementInput{
					PlacementId: aws.String(id), GameSessionQueueName: aws.String(queue), MaximumPlayerSessionCount: aws.Int32(4),
					DesiredPlayerSessions: []types.DesiredPlayerSession{{PlayerId: aws.String("p-" + id)}},
				})
				if err != nil {
					errs <- fmt.Errorf("start %s: %w", id, err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// Wait for every placement to end.
	outcomes := map[string]*types.GameSessionPlacement{}
	deadline := time.Now().Add(60 * time.Second)
	for len(outcomes) < total {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d placements ended", len(outcomes), total)
		}
		for i := range total {
			id := fmt.Sprintf("left-%03d", i)
			if i%2 == 1 {
				id = fmt.Sprintf("right-%03d", i)
			}
			if _, done := outcomes[id]; done {
				continue
			}
			if pl := w.describe(id); pl.Status != types.GameSessionPlacementStatePending {
				outcomes[id] = pl
			}
		}
		time.Sleep(200 * time.Millisecond)
	}

	fulfilled, timedOut := 0, 0
	sessions := map[string]string{}
	for id, pl := range outcomes {
		switch pl.Status {
		case types.GameSessionPlacementStateFulfilled:
			fulfilled++
			arn := aws.ToString(pl.GameSessionArn)
			if other, dup := sessions[arn]; dup {
				t.Fatalf("placements %s and %s share game session %s", id, other, arn)
			}
			sessions[arn] = id
			if len(pl.PlacedPlayerSessions) != 1 {
				t.Fatalf("placement %s placed %d players", id, len(pl.PlacedPlayerSessions))
			}
		case types.GameSessionPlacementStateTimedOut:
			timedOut++
			if pl.GameSessionArn != nil {
				t.Fatalf("timed-out placement %s names game session %s", id, aws.ToString(pl.GameSessionArn))
			}
		default:
			t.Fatalf("placement %s ended %s", id, pl.Status)
		}
	}
	started := 0
	for _, g := range servers {
		n := int(g.Sessions.Load())
		if n > 1 {
			t.Fatalf("process on %s was given %d game sessions", g.Compute, n)
		}
		started += n
	}
	t.Logf("%d fulfilled, %d timed out, %d game sessions started", fulfilled, timedOut, started)
	if fulfilled != len(servers) || started != fulfilled || fulfilled+timedOut != total {
		t.Fatalf("counts do not add up: %d fulfilled, %d timed out, %d game sessions started, %d servers, %d placements", fulfilled, timedOut, started, len(servers), total)
	}
}
