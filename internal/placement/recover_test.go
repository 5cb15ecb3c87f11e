package placement

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
	"github.com/rallypoint/rallypoint/internal/events"
	"github.com/rallypoint/rallypoint/internal/fleet"
)

// An owner that stopped between creating a placement's game session (and
// reserving its players) and recording them leaves work behind; the next
// owner finds and uses it, instead of taking a second server process or
// reserving the players twice.
func TestNewOwnerFindsWorkTheLastOneDidNotRecord(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := enginetest.Open(t)
	fleets, err := fleet.New(ctx, fleet.Config{
		Config: e.Bucket(engine.BucketConfig), Computes: e.Bucket(engine.BucketComputes), Sessions: e.Bucket(engine.BucketSessions),
	})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = fleets.Run(ctx) }()
	if _, err := fleets.CreateLocation(ctx, "custom-a", nil); err != nil {
		t.Fatal(err)
	}
	f, err := fleets.CreateFleet(ctx, fleet.CreateFleetInput{Name: "f", ComputeType: fleet.ComputeTypeAnywhere, Locations: []string{"custom-a"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fleets.RegisterCompute(ctx, fleet.RegisterComputeInput{FleetID: f.ID, Name: "c1", IPAddress: "10.0.0.1", Location: "custom-a"}); err != nil {
		t.Fatal(err)
	}
	var refs []fleet.ProcessRef
	for _, pid := range []string{"p1", "p2", "p3"} {
		ref := fleet.ProcessRef{FleetID: f.ID, Compute: "c1", ProcessID: pid}
		if _, err := fleets.ProcessReady(ctx, ref, fleet.ReadyInput{Port: 7000}); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref)
	}
	cfg := Config{Config: e.Bucket(engine.BucketConfig), Sessions: e.Bucket(engine.BucketSessions), Fleets: fleets, RetryInterval: 50 * time.Millisecond}
	stopped, err := New(cfg) // the owner that stopped: it only stores
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stopped.CreateQueue(ctx, QueueInput{Name: "q", Destinations: []string{f.ARN}}); err != nil {
		t.Fatal(err)
	}
	players := []DesiredPlayer{{PlayerID: "ann", PlayerData: "x"}, {PlayerID: "bo"}}
	pl, err := stopped.StartPlacement(ctx, StartInput{PlacementID: "crash", Queue: "q", MaximumPlayerSessionCount: 4, GameSessionName: "g", DesiredPlayers: players})
	if err != nil {
		t.Fatal(err)
	}
	// What the stopped owner did and did not record: the game session
	// (activated by its server) and one of the two player sessions.
	gs, err := fleets.CreateGameSession(ctx, fleet.CreateGameSessionInput{
		FleetID: f.ID, Location: "custom-a", Name: "g", MaximumPlayerSessionCount: 4, IdempotencyToken: gameSessionToken(pl.ID, 0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fleets.ActivateGameSession(ctx, gs.Process(), gs.ID); err != nil {
		t.Fatal(err)
	}
	made, err := fleets.CreatePlayerSessions(ctx, gs.ID, []fleet.NewPlayer{{PlayerID: "ann", PlayerData: "x"}})
	if err != nil {
		t.Fatal(err)
	}

	// A game session someone made with CreateGameSession under another
	// placement's token is not taken for that placement's.
	if _, err := fleets.CreateGameSession(ctx, fleet.CreateGameSessionInput{
		FleetID: f.ID, Location: "custom-a", Name: "someone-else", MaximumPlayerSessionCount: 4, IdempotencyToken: "foreign",
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := stopped.StartPlacement(ctx, StartInput{PlacementID: "foreign", Queue: "q", MaximumPlayerSessionCount: 4, GameSessionName: "g"}); err != nil {
		t.Fatal(err)
	}

	next, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = next.Run(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for pl.Status == StatusPending {
		if time.Now().After(deadline) {
			t.Fatal("the placement was not taken over")
		}
		time.Sleep(20 * time.Millisecond)
		if pl, err = next.Placement(ctx, "crash"); err != nil {
			t.Fatal(err)
		}
	}
	if pl.Status != StatusFulfilled || pl.GameSessionARN != gs.ID || len(pl.PlacedPlayers) != 2 || pl.PlacedPlayers[0].PlayerSessionID != made[0].ID {
		t.Fatalf("taken-over placement: %+v; want FULFILLED on %s reusing %s", pl, gs.ID, made[0].ID)
	}
	views, err := fleets.PlayerSessions(ctx, fleet.PlayerSessionFilter{GameSessionID: gs.ID})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range views {
		ids = append(ids, v.PlayerID)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"ann", "bo"}) {
		t.Fatalf("player sessions in the game session: %v, want one each for ann and bo", ids)
	}
	// The foreign placement goes to the last process, under its next
	// attempt's token, once that process's game session is activated.
	var foreign Placement
	for foreign.GameSessionARN == "" {
		if time.Now().After(deadline) {
			t.Fatal("the other placement got no game session")
		}
		time.Sleep(20 * time.Millisecond)
		if foreign, err = next.Placement(ctx, "foreign"); err != nil {
			t.Fatal(err)
		}
	}
	if want := fleets.GameSessionARN(f.ID, "foreign-2"); foreign.GameSessionARN != want {
		t.Fatalf("the other placement has game session %s, want %s", foreign.GameSessionARN, want)
	}
	sessions := map[string]int{}
	for _, ref := range refs {
		p, err := fleets.Process(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		sessions[p.GameSession]++
	}
	if len(sessions) != 3 || sessions[""] != 0 {
		t.Fatalf("the three processes host %v; want one game session each", sessions)
	}
}

// An owner that stored a placement's outcome and stopped before publishing
// its event leaves the event to the next owner, which publishes it once:
// a second takeover does not publish it again.
func TestNewOwnerPublishesTheEventsTheLastOneMayNotHave(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := enginetest.Open(t)
	fleets, err := fleet.New(ctx, fleet.Config{
		Config: e.Bucket(engine.BucketConfig), Computes: e.Bucket(engine.BucketComputes), Sessions: e.Bucket(engine.BucketSessions),
	})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = fleets.Run(ctx) }()
	cfg := Config{Config: e.Bucket(engine.BucketConfig), Sessions: e.Bucket(engine.BucketSessions), Fleets: fleets, Events: events.NewPublisher(e.JetStream())}
	stopped, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stopped.CreateQueue(ctx, QueueInput{Name: "q"}); err != nil {
		t.Fatal(err)
	}
	if _, err := stopped.StartPlacement(ctx, StartInput{PlacementID: "quiet", Queue: "q", MaximumPlayerSessionCount: 1}); err != nil {
		t.Fatal(err)
	}
	// What the stopped owner stored, without the event.
	if _, err := engine.Mutate(ctx, e.Bucket(engine.BucketSessions), placementKey("quiet"), func(pl *Placement) error {
		pl.Status, pl.EndTime = StatusTimedOut, time.Now().UTC()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	count := func() uint64 {
		info, err := e.Events().Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Msgs
	}
	for i := range 2 {
		owner, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		octx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = owner.Run(octx) }()
		deadline := time.Now().Add(10 * time.Second)
		for count() == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("takeover %d: no event was published", i+1)
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // room for a second publication
		stop()
		<-done
		if n := count(); n != 1 {
			t.Fatalf("after takeover %d the stream holds %d events, want 1", i+1, n)
		}
	}
	msg, err := e.Events().GetLastMsgForSubject(ctx, "rp.events.placement.q.PlacementTimedOut")
	if err != nil {
		t.Fatalf("the event is not under its subject: %v", err)
	}
	if !strings.Contains(string(msg.Data), `"placementId":"quiet"`) {
		t.Fatalf("event: %s", msg.Data)
	}
}
