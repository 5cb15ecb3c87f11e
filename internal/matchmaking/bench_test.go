package matchmaking_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/internal/testworld"
)

// benchStage is newStage for a benchmark: the node keeps its default
// matchmaking interval (1s), so what is measured is what a node does out
// of the box.
func benchStage(b *testing.B, perLocation int) *stage {
	b.Helper()
	w := testworld.New(b, nil)
	s := &stage{World: w, servers: map[string][]*testworld.GameServer{}}
	s.fleet = w.Fleet("arena", "custom-eu", "custom-us")
	for _, loc := range []string{"custom-eu", "custom-us"} {
		s.servers[loc] = w.Servers(s.fleet, loc, perLocation)
	}
	q, err := w.C.CreateGameSessionQueue(context.Background(), &gamelift.CreateGameSessionQueueInput{
		Name:         aws.String("arena-queue"),
		Destinations: []types.GameSessionQueueDestination{{DestinationArn: aws.String(s.fleet)}},
	})
	if err != nil {
		b.Fatalf("CreateGameSessionQueue: %v", err)
	}
	s.queue = aws.ToString(q.GameSessionQueue.GameSessionQueueArn)
	return s
}

// maxBenchTickets bounds b.N: every match of 10 takes a game server
// process (a WebSocket to the node) of its own.
const maxBenchTickets = 10000

// BenchmarkMatchmaking5v5 measures single-player tickets per second
// through one node under the fiveVFive rule set, from StartMatchmaking to
// the ticket's MatchmakingSucceeded event on the event stream: the pool,
// the matchmaking cycle, the placement of each match through the queue
// onto an in-process game server that activates it, and the events. It
// also reports the time each ticket spent, from its StartMatchmaking call
// to its MatchmakingSucceeded event: p50-ms and p99-ms.
//
// The tickets are started all at once (16 goroutines), so the time in
// queue includes the wait for the burst to be accepted and for the next
// matchmaking cycle (the node's default interval, 1s): with a cycle a
// second, a ticket waits half a second for it on average, and tickets/s
// moves in steps of the interval, since the last tickets of the burst
// wait for a cycle too. starts/s is the rate at which the node accepted
// the burst's StartMatchmaking calls.
//
// b.N is rounded up to a multiple of 10 (a match takes 10 players); each
// match gets a server process of its own, with a few to spare. The
// allocations reported are the whole process's (node, client and game
// servers) per ticket.
//
//	go test -run '^$' -bench Matchmaking5v5 -benchtime 2000x ./internal/matchmaking/
func BenchmarkMatchmaking5v5(b *testing.B) {
	n := (b.N + 9) / 10 * 10
	if n > maxBenchTickets {
		b.Fatalf("at most %d tickets: run with -benchtime Nx, N <= %d", maxBenchTickets, maxBenchTickets)
	}
	s := benchStage(b, n/20+5)
	s.ruleSet("five-v-five", fiveVFive)
	s.config("bench", "five-v-five", func(in *gamelift.CreateMatchmakingConfigurationInput) {
		in.RequestTimeoutSeconds = aws.Int32(600)
	})

	// The event stream's MatchmakingSucceeded events, timed as they
	// arrive. The consumer starts before any ticket does.
	var mu sync.Mutex
	succeeded := make(map[string]time.Time, n)
	all := make(chan struct{})
	evs := s.Events("rp.events.matchmaking.>")
	go func() {
		for ev := range evs {
			if ev.Type() != "MatchmakingSucceeded" {
				continue
			}
			at := time.Now()
			d, _ := ev.Doc["detail"].(map[string]any)
			ts, _ := d["tickets"].([]any)
			mu.Lock()
			for _, t := range ts {
				id, _ := t.(map[string]any)["ticketId"].(string)
				if _, dup := succeeded[id]; !dup {
					succeeded[id] = at
				}
			}
			done := len(succeeded) == n
			mu.Unlock()
			if done {
				close(all)
				return
			}
		}
	}()

	ids := make([]string, n)
	players := make([]types.Player, n)
	for i := range n {
		ids[i] = fmt.Sprintf("bench-%05d", i)
		// Skills 0 to 19 keep every team within FairSkill's 10 of the
		// average; every player is within FastConnection's 150ms of both
		// locations, some faster in one, some in the other.
		players[i] = player(fmt.Sprintf("p%05d", i), float64(i%20), map[string]int32{"custom-eu": int32(20 + i%100), "custom-us": int32(20 + (i*37)%100)})
	}
	started := make([]time.Time, n)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				started[i] = time.Now()
				_, err := s.C.StartMatchmaking(ctx, &gamelift.StartMatchmakingInput{
					TicketId: aws.String(ids[i]), ConfigurationName: aws.String("bench"), Players: []types.Player{players[i]},
				})
				// As in startMany: an id already in use was started by a
				// retried attempt.
				if err != nil && !(errorCode(err) == "InvalidRequestException" && strings.Contains(err.Error(), "already in use")) {
					b.Errorf("StartMatchmaking %s: %v", ids[i], err)
					return
				}
			}
		})
	}
	wg.Wait()
	accepted := time.Now()
	if b.Failed() {
		b.FailNow()
	}
	select {
	case <-all:
	case <-time.After(5 * time.Minute):
		mu.Lock()
		got := len(succeeded)
		mu.Unlock()
		b.Fatalf("%d of %d tickets succeeded within 5 minutes", got, n)
	}
	b.StopTimer()

	first, last := slices.MinFunc(started, time.Time.Compare), time.Time{}
	waits := make([]time.Duration, n)
	mu.Lock()
	for i, id := range ids {
		at := succeeded[id]
		if at.After(last) {
			last = at
		}
		waits[i] = at.Sub(started[i])
	}
	mu.Unlock()
	slices.Sort(waits)
	ms := func(q float64) float64 {
		return float64(waits[int(q*float64(n-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(n)/last.Sub(first).Seconds(), "tickets/s")
	b.ReportMetric(float64(n)/accepted.Sub(first).Seconds(), "starts/s")
	b.ReportMetric(ms(0.50), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}
