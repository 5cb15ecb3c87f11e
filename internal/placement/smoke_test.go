package placement_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rallypoint/rallypoint/internal/placement"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func TestSmokeDirect(t *testing.T) {
	w := newWorld(t)
	fid := w.fleet("f1", "", "custom-eu", "custom-us")
	w.servers(fid, "custom-eu", 2)
	w.servers(fid, "custom-us", 2)
	ctx := context.Background()
	svc := w.n.Placements()
	if _, err := svc.CreateQueue(ctx, placement.QueueInput{Name: "q1", Destinations: []string{fid}}); err != nil {
		t.Fatal(err)
	}
	_, err := svc.StartPlacement(ctx, placement.StartInput{
		PlacementID: "p1", Queue: "q1", MaximumPlayerSessionCount: 4,
		PlayerLatencies: []placement.PlayerLatency{{PlayerID: "a", Location: "custom-eu", LatencyMs: 80}, {PlayerID: "a", Location: "custom-us", LatencyMs: 20}},
		DesiredPlayers:  []placement.DesiredPlayer{{PlayerID: "a"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var pl placement.Placement
	eventually(t, "fulfilled", func() bool {
		pl, err = svc.Placement(ctx, "p1")
		return err == nil && pl.Status != placement.StatusPending
	})
	t.Logf("%+v", pl)
	if pl.Status != placement.StatusFulfilled || pl.Location != "custom-us" || len(pl.PlacedPlayers) != 1 {
		t.Fatalf("got %+v", pl)
	}
}
