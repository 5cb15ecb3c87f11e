package placement_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"

	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/placement"
)

// BenchmarkPlacements measures placements per second on one node with 100
// fleet locations (10 fleets of 10 locations) and 10,000 idle server
// processes. The processes are registered through the fleet service, and
// a goroutine stands in for their game servers by activating each game
// session as it is created, so what is measured is the placement path
// (queue ownership, ordering, claims, game and player sessions, events)
// without 10,000 WebSockets.
//
//	go test -run '^$' -bench Placements -benchtime 5000x ./internal/placement/
func BenchmarkPlacements(b *testing.B) {
	w := newWorld(b)
	ctx := context.Background()
	fleets := w.N.Fleets()
	var dests []string
	for f := range 10 {
		var locs []string
		for l := range 10 {
			locs = append(locs, fmt.Sprintf("custom-f%d-l%d", f, l))
		}
		id := w.fleet(fmt.Sprintf("bench-%d", f), fmt.Sprint(f), locs...)
		dests = append(dests, id)
		for _, loc := range locs {
			compute := "c-" + loc
			if _, err := w.C.RegisterCompute(ctx, &gamelift.RegisterComputeInput{
				FleetId: aws.String(id), ComputeName: aws.String(compute), IpAddress: aws.String("10.0.0.1"), Location: aws.String(loc),
			}); err != nil {
				b.Fatal(err)
			}
			for p := range 100 {
				ref := fleet.ProcessRef{FleetID: id, Compute: compute, ProcessID: fmt.Sprintf("p%d", p)}
				if _, err := fleets.ProcessReady(ctx, ref, fleet.ReadyInput{Port: 7000 + p}); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	w.queue(gamelift.CreateGameSessionQueueInput{Name: aws.String("bench"), Destinations: destinations(dests...)})

	// The stand-in game servers.
	actx, stop := context.WithCancel(ctx)
	defer stop()
	changes, err := fleets.WatchGameSessions(actx)
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		for gs := range changes {
			if gs.Status == fleet.GameSessionActivating {
				go func() { _, _ = fleets.ActivateGameSession(actx, gs.Process(), gs.ID) }()
			}
		}
	}()
	time.Sleep(500 * time.Millisecond) // the process cache is read

	svc := w.N.Placements()
	if b.N > 10000 {
		b.Fatalf("only 10,000 processes: run with -benchtime Nx, N <= 10000")
	}
	b.ResetTimer()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				_, err := svc.StartPlacement(ctx, placement.StartInput{
					PlacementID: fmt.Sprintf("b%d", i), Queue: "bench", MaximumPlayerSessionCount: 4,
					PlayerLatencies: []placement.PlayerLatency{{PlayerID: "x", Location: fmt.Sprintf("custom-f%d-l%d", i%10, i%7), LatencyMs: 20}},
					DesiredPlayers:  []placement.DesiredPlayer{{PlayerID: "x"}, {PlayerID: "y"}},
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for i := 1; i <= b.N; i++ {
		for {
			pl, err := svc.Placement(ctx, fmt.Sprintf("b%d", i))
			if err != nil {
				b.Fatal(err)
			}
			if pl.Status == placement.StatusFulfilled {
				break
			}
			if pl.Ended() {
				b.Fatalf("placement b%d ended %s", i, pl.Status)
			}
			time.Sleep(time.Millisecond)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "placements/s")
}
