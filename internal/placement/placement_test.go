package placement_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"
)

// queue creates a queue over the destinations with the given policies.
func (w *world) queue(in gamelift.CreateGameSessionQueueInput) *types.GameSessionQueue {
	w.T.Helper()
	out, err := w.C.CreateGameSessionQueue(context.Background(), &in)
	if err != nil {
		w.T.Fatalf("CreateGameSessionQueue: %v", err)
	}
	return out.GameSessionQueue
}

func destinations(fleetIDs ...string) []types.GameSessionQueueDestination {
	var out []types.GameSessionQueueDestination
	for _, id := range fleetIDs {
		out = append(out, types.GameSessionQueueDestination{DestinationArn: aws.String(id)})
	}
	return out
}

// latencies gives one player's latency to each location.
func latencies(player string, ms map[string]float32) []types.PlayerLatency {
	var out []types.PlayerLatency
	for loc, v := range ms {
		out = append(out, types.PlayerLatency{PlayerId: aws.String(player), RegionIdentifier: aws.String(loc), LatencyInMilliseconds: aws.Float32(v)})
	}
	return out
}

// place starts a placement for the players and returns its id.
func (w *world) place(queue, id string, lat []types.PlayerLatency, players ...string) string {
	w.T.Helper()
	in := &gamelift.StartGameSessionPlacementInput{
		PlacementId:               aws.String(id),
		GameSessionQueueName:      aws.String(queue),
		MaximumPlayerSessionCount: aws.Int32(10),
		PlayerLatencies:           lat,
	}
	for _, p := range players {
		in.DesiredPlayerSessions = append(in.DesiredPlayerSessions, types.DesiredPlayerSession{PlayerId: aws.String(p), PlayerData: aws.String("data-" + p)})
	}
	out, err := w.C.StartGameSessionPlacement(context.Background(), in)
	if err != nil {
		w.T.Fatalf("StartGameSessionPlacement %s: %v", id, err)
	}
	if out.GameSessionPlacement.Status != types.GameSessionPlacementStatePending {
		w.T.Fatalf("a new placement is %s, want PENDING", out.GameSessionPlacement.Status)
	}
	return id
}

func (w *world) describe(id string) *types.GameSessionPlacement {
	w.T.Helper()
	out, err := w.C.DescribeGameSessionPlacement(context.Background(), &gamelift.DescribeGameSessionPlacementInput{PlacementId: aws.String(id)})
	if err != nil {
		w.T.Fatalf("DescribeGameSessionPlacement %s: %v", id, err)
	}
	return out.GameSessionPlacement
}

// outcome waits for the placement to end and returns it.
func (w *world) outcome(id string) *types.GameSessionPlacement {
	w.T.Helper()
	var pl *types.GameSessionPlacement
	eventually(w.T, "placement "+id+" to end", func() bool {
		pl = w.describe(id)
		return pl.Status != types.GameSessionPlacementStatePending
	})
	return pl
}

// fulfilledIn waits for the placement and checks that it was fulfilled in
// the location, with its player sessions reserved on the game server the
// placement names.
func (w *world) fulfilledIn(id, location string, players ...string) *types.GameSessionPlacement {
	w.T.Helper()
	pl := w.outcome(id)
	if pl.Status != types.GameSessionPlacementStateFulfilled {
		w.T.Fatalf("placement %s ended %s, want FULFILLED", id, pl.Status)
	}
	if got := aws.ToString(pl.GameSessionRegion); got != location {
		w.T.Fatalf("placement %s landed in %s, want %s", id, got, location)
	}
	if aws.ToString(pl.IpAddress) != "127.0.0.1" || aws.ToInt32(pl.Port) == 0 || pl.GameSessionArn == nil || aws.ToString(pl.GameSessionId) != aws.ToString(pl.GameSessionArn) {
		w.T.Fatalf("placement %s lacks connection details: ip %q port %d arn %q", id, aws.ToString(pl.IpAddress), aws.ToInt32(pl.Port), aws.ToString(pl.GameSessionArn))
	}
	if pl.EndTime == nil || pl.StartTime == nil || pl.EndTime.Before(*pl.StartTime) {
		w.T.Fatalf("placement %s times: start %v end %v", id, pl.StartTime, pl.EndTime)
	}
	if len(pl.PlacedPlayerSessions) != len(players) {
		w.T.Fatalf("placement %s placed %d players, want %d", id, len(pl.PlacedPlayerSessions), len(players))
	}
	gs, err := w.C.DescribeGameSessions(context.Background(), &gamelift.DescribeGameSessionsInput{GameSessionId: pl.GameSessionArn})
	if err != nil || len(gs.GameSessions) != 1 {
		w.T.Fatalf("DescribeGameSessions %s: %v", aws.ToString(pl.GameSessionArn), err)
	}
	if g := gs.GameSessions[0]; g.Status != types.GameSessionStatusActive || aws.ToString(g.Location) != location || aws.ToInt32(g.Port) != aws.ToInt32(pl.Port) {
		w.T.Fatalf("game session %s is %s in %s on port %d", aws.ToString(g.GameSessionId), g.Status, aws.ToString(g.Location), aws.ToInt32(g.Port))
	}
	for i, p := range pl.PlacedPlayerSessions {
		if aws.ToString(p.PlayerId) != players[i] {
			w.T.Fatalf("placed player %d is %s, want %s", i, aws.ToString(p.PlayerId), players[i])
		}
		ps, err := w.C.DescribePlayerSessions(context.Background(), &gamelift.DescribePlayerSessionsInput{PlayerSessionId: p.PlayerSessionId})
		if err != nil || len(ps.PlayerSessions) != 1 {
			w.T.Fatalf("DescribePlayerSessions %s: %v", aws.ToString(p.PlayerSessionId), err)
		}
		if s := ps.PlayerSessions[0]; s.Status != types.PlayerSessionStatusReserved || aws.ToString(s.GameSessionId) != aws.ToString(pl.GameSessionArn) || aws.ToString(s.PlayerData) != "data-"+players[i] {
			w.T.Fatalf("player session %s: %s in %s with data %q", aws.ToString(s.PlayerSessionId), s.Status, aws.ToString(s.GameSessionId), aws.ToString(s.PlayerData))
		}
	}
	return pl
}

// Three locations, one fleet each, and the placement follows the players'
// latencies; a full location is skipped for the next best.
func TestPlacementFollowsLatency(t *testing.T) {
	w := newWorld(t)
	eu := w.fleet("eu", "", "custom-eu-west")
	us := w.fleet("us", "", "custom-us-east")
	ap := w.fleet("ap", "", "custom-ap-south")
	w.servers(eu, "custom-eu-west", 2)
	w.servers(us, "custom-us-east", 1)
	w.servers(ap, "custom-ap-south", 1)
	w.queue(gamelift.CreateGameSessionQueueInput{Name: aws.String("main"), Destinations: destinations(eu, us, ap)})

	european := func(p string) []types.PlayerLatency {
		return latencies(p, map[string]float32{"custom-eu-west": 25, "custom-us-east": 90, "custom-ap-south": 180})
	}
	american := func(p string) []types.PlayerLatency {
		return latencies(p, map[string]float32{"custom-eu-west": 95, "custom-us-east": 15, "custom-ap-south": 200})
	}
	asian := func(p string) []types.PlayerLatency {
		return latencies(p, map[string]float32{"custom-eu-west": 150, "custom-us-east": 210, "custom-ap-south": 30})
	}
	w.fulfilledIn(w.place("main", "p-eu", european("anna"), "anna"), "custom-eu-west", "anna")
	w.fulfilledIn(w.place("main", "p-us", american("bob"), "bob"), "custom-us-east", "bob")
	w.fulfilledIn(w.place("main", "p-ap", asian("chen"), "chen"), "custom-ap-south", "chen")

	// us-east is now full; an American goes to the next best, eu-west.
	w.fulfilledIn(w.place("main", "p-us-2", american("dave"), "dave"), "custom-eu-west", "dave")

	// A group: the average decides (eu 60, us 52.5 -> full, ap 115).
	group := append(european("e1"), american("e2")...)
	w.servers(us, "custom-us-east", 1)
	w.fulfilledIn(w.place("main", "p-group", group, "e1", "e2"), "custom-us-east", "e1", "e2")
}

// Without latency data, the queue's destination order decides; the
// fleet's AnywhereConfiguration.Cost decides under COST.
func TestPlacementWithoutLatencyFollowsDestinationsAndCost(t *testing.T) {
	w := newWorld(t)
	pricey := w.fleet("pricey", "9.5", "custom-a")
	cheap := w.fleet("cheap", "0.5", "custom-b")
	w.servers(pricey, "custom-a", 2)
	w.servers(cheap, "custom-b", 2)
	w.queue(gamelift.CreateGameSessionQueueInput{Name: aws.String("by-dest"), Destinations: destinations(pricey, cheap)})
	w.queue(gamelift.CreateGameSessionQueueInput{
		Name: aws.String("by-cost"), Destinations: destinations(pricey, cheap),
		PriorityConfiguration: &types.PriorityConfiguration{PriorityOrder: []types.PriorityType{types.PriorityTypeCost}},
	})
	w.fulfilledIn(w.place("by-dest", "d1", nil, "x"), "custom-a", "x")
	w.fulfilledIn(w.place("by-cost", "c1", nil, "y"), "custom-b", "y")
	w.fulfilledIn(w.place("by-cost", "c2", nil, "z"), "custom-b", "z")
	// The cheap location is full: cost order falls back to the pricey one.
	w.fulfilledIn(w.place("by-cost", "c3", nil), "custom-a")
}

// A strict latency policy makes a placement wait while only bad locations
// have capacity; when the policy relaxes it lands. With a policy that
// never relaxes it times out, and capacity that frees up meanwhile is
// used at once.
func TestPlacementLatencyPolicies(t *testing.T) {
	w := newWorld(t)
	f := w.fleet("world", "", "custom-near", "custom-far")
	w.servers(f, "custom-far", 2)
	w.queue(gamelift.CreateGameSessionQueueInput{
		Name: aws.String("relaxing"), Destinations: destinations(f), TimeoutInSeconds: aws.Int32(30),
		PlayerLatencyPolicies: []types.PlayerLatencyPolicy{
			{MaximumIndividualPlayerLatencyMilliseconds: aws.Int32(50), PolicyDurationSeconds: aws.Int32(3)},
			{MaximumIndividualPlayerLatencyMilliseconds: aws.Int32(200)},
		},
	})
	w.queue(gamelift.CreateGameSessionQueueInput{
		Name: aws.String("strict"), Destinations: destinations(f), TimeoutInSeconds: aws.Int32(10),
		PlayerLatencyPolicies: []types.PlayerLatencyPolicy{{MaximumIndividualPlayerLatencyMilliseconds: aws.Int32(50)}},
	})
	lat := latencies("p", map[string]float32{"custom-near": 20, "custom-far": 150})

	start := time.Now()
	w.place("relaxing", "relax-1", lat, "p")
	// Still waiting while the 50 ms policy holds: custom-near has no server.
	time.Sleep(300 * time.Millisecond)
	if st := w.describe("relax-1").Status; st != types.GameSessionPlacementStatePending {
		t.Fatalf("under the 50 ms policy the placement is %s, want PENDING", st)
	}
	pl := w.fulfilledIn("relax-1", "custom-far", "p")
	if waited := pl.EndTime.Sub(*pl.StartTime); waited < 3*time.Second {
		t.Fatalf("the placement landed after %v, before the 50 ms policy's 3 s were over", waited)
	}
	t.Logf("relaxed placement took %v", time.Since(start))

	w.place("strict", "strict-1", lat, "q")
	if pl := w.outcome("strict-1"); pl.Status != types.GameSessionPlacementStateTimedOut || pl.GameSessionArn != nil || pl.EndTime == nil {
		t.Fatalf("strict placement: %s, game session %q", pl.Status, aws.ToString(pl.GameSessionArn))
	}

	// A near server appears while a strict placement waits: it is used.
	w.place("strict", "strict-2", lat, "r")
	time.Sleep(300 * time.Millisecond)
	w.servers(f, "custom-near", 1)
	w.fulfilledIn("strict-2", "custom-near", "r")
}

// The location filter and a location order override.
func TestPlacementFilterAndOverride(t *testing.T) {
	w := newWorld(t)
	f := w.fleet("multi", "", "custom-a", "custom-b", "custom-c")
	w.servers(f, "custom-a", 2)
	w.servers(f, "custom-b", 2)
	w.servers(f, "custom-c", 3)
	w.queue(gamelift.CreateGameSessionQueueInput{
		Name: aws.String("filtered"), Destinations: destinations(f),
		FilterConfiguration: &types.FilterConfiguration{AllowedLocations: []string{"custom-c"}},
	})
	w.queue(gamelift.CreateGameSessionQueueInput{
		Name: aws.String("ordered"), Destinations: destinations(f),
		PriorityConfiguration: &types.PriorityConfiguration{
			PriorityOrder: []types.PriorityType{types.PriorityTypeLocation},
			LocationOrder: []string{"custom-b", "custom-a", "custom-c"},
		},
	})
	// custom-a would come first alphabetically; the filter allows only c.
	w.fulfilledIn(w.place("filtered", "f1", nil), "custom-c")
	w.fulfilledIn(w.place("ordered", "o1", nil), "custom-b")
	_, err := w.C.StartGameSessionPlacement(context.Background(), &gamelift.StartGameSessionPlacementInput{
		PlacementId: aws.String("o2"), GameSessionQueueName: aws.String("ordered"), MaximumPlayerSessionCount: aws.Int32(2),
		PriorityConfigurationOverride: &types.PriorityConfigurationOverride{LocationOrder: []string{"custom-c"}, PlacementFallbackStrategy: types.PlacementFallbackStrategyNone},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.fulfilledIn("o2", "custom-c")
	// The last custom-c server.
	_, err = w.C.StartGameSessionPlacement(context.Background(), &gamelift.StartGameSessionPlacementInput{
		PlacementId: aws.String("o3"), GameSessionQueueName: aws.String("ordered"), MaximumPlayerSessionCount: aws.Int32(2),
		PriorityConfigurationOverride: &types.PriorityConfigurationOverride{LocationOrder: []string{"custom-c"}, PlacementFallbackStrategy: types.PlacementFallbackStrategyNone},
	})
	if err != nil {
		t.Fatal(err)
	}
	w.fulfilledIn("o3", "custom-c")
	_, err = w.C.StartGameSessionPlacement(context.Background(), &gamelift.StartGameSessionPlacementInput{
		PlacementId: aws.String("o4"), GameSessionQueueName: aws.String("ordered"), MaximumPlayerSessionCount: aws.Int32(2),
		PriorityConfigurationOverride: &types.PriorityConfigurationOverride{LocationOrder: []string{"custom-c"}, PlacementFallbackStrategy: types.PlacementFallbackStrategyDefaultAfterSinglePass},
	})
	if err != nil {
		t.Fatal(err)
	}
	// custom-c is full: after one pass the queue's own order applies, and
	// custom-b (first there, one server left) gets it.
	w.fulfilledIn("o4", "custom-b")
	// With NONE, a full custom-c makes the placement wait rather than
	// spill over.
	_, err = w.C.StartGameSessionPlacement(context.Background(), &gamelift.StartGameSessionPlacementInput{
		PlacementId: aws.String("o5"), GameSessionQueueName: aws.String("ordered"), MaximumPlayerSessionCount: aws.Int32(2),
		PriorityConfigurationOverride: &types.PriorityConfigurationOverride{LocationOrder: []string{"custom-c"}, PlacementFallbackStrategy: types.PlacementFallbackStrategyNone},
	})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	if st := w.describe("o5").Status; st != types.GameSessionPlacementStatePending {
		t.Fatalf("a NONE-fallback placement to a full location is %s, want PENDING", st)
	}
	w.servers(f, "custom-c", 1)
	w.fulfilledIn("o5", "custom-c")
}

// StopGameSessionPlacement cancels a pending placement; a stopped or
// ended one cannot be stopped again.
func TestStopPlacement(t *testing.T) {
	w := newWorld(t)
	f := w.fleet("empty", "", "custom-x")
	w.queue(gamelift.CreateGameSessionQueueInput{Name: aws.String("q"), Destinations: destinations(f)})
	w.place("q", "s1", nil, "p")
	out, err := w.C.StopGameSessionPlacement(context.Background(), &gamelift.StopGameSessionPlacementInput{PlacementId: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	if out.GameSessionPlacement.Status != types.GameSessionPlacementStateCancelled || out.GameSessionPlacement.EndTime == nil {
		t.Fatalf("stopped placement is %s", out.GameSessionPlacement.Status)
	}
	// Capacity arriving later does not revive it.
	w.servers(f, "custom-x", 1)
	time.Sleep(300 * time.Millisecond)
	if st := w.describe("s1").Status; st != types.GameSessionPlacementStateCancelled {
		t.Fatalf("cancelled placement became %s", st)
	}
	var bad *types.InvalidRequestException
	if _, err := w.C.StopGameSessionPlacement(context.Background(), &gamelift.StopGameSessionPlacementInput{PlacementId: aws.String("s1")}); !errorsAs(err, &bad) {
		t.Fatalf("stopping a cancelled placement: %v, want InvalidRequestException", err)
	}
	var nf *types.NotFoundException
	if _, err := w.C.StopGameSessionPlacement(context.Background(), &gamelift.StopGameSessionPlacementInput{PlacementId: aws.String("nope")}); !errorsAs(err, &nf) {
		t.Fatalf("stopping an unknown placement: %v, want NotFoundException", err)
	}
	// A placement id is never reused.
	if _, err := w.C.StartGameSessionPlacement(context.Background(), &gamelift.StartGameSessionPlacementInput{
		PlacementId: aws.String("s1"), GameSessionQueueName: aws.String("q"), MaximumPlayerSessionCount: aws.Int32(2),
	}); !errorsAs(err, &bad) {
		t.Fatalf("reusing a placement id: %v, want InvalidRequestException", err)
	}
	// The server is still idle: a new placement gets it.
	w.fulfilledIn(w.place("q", "s2", nil), "custom-x")
}

// A game server that never activates its game session: the placement
// waits, and when the game session ends unactivated, it is placed again
// elsewhere.
func TestPlacementRetriesWhenGameSessionDoesNotActivate(t *testing.T) {
	w := newWorld(t)
	f := w.fleet("flaky", "", "custom-a", "custom-b")
	bad := w.servers(f, "custom-a", 1)[0]
	bad.Activate.Store(false)
	w.queue(gamelift.CreateGameSessionQueueInput{Name: aws.String("q"), Destinations: destinations(f)})
	w.place("q", "r1", nil, "p")
	gs := <-bad.Started
	eventually(t, "the placement to show its first game session", func() bool {
		return aws.ToString(w.describe("r1").GameSessionArn) == gs.GameSessionID
	})
	if st := w.describe("r1").Status; st != types.GameSessionPlacementStatePending {
		t.Fatalf("placement is %s while its game session is activating", st)
	}
	w.servers(f, "custom-b", 1)
	// The unresponsive server ends; its game session with it.
	if err := bad.Proc.ProcessEnding(); err != nil {
		t.Fatal(err)
	}
	pl := w.fulfilledIn("r1", "custom-b", "p")
	if aws.ToString(pl.GameSessionArn) == gs.GameSessionID {
		t.Fatal("the placement kept the game session that never activated")
	}
}

// A game session made with CreateGameSession under a placement's id as
// its idempotency token does not stop the placement: it uses the next
// attempt's token.
func TestPlacementTokenTakenByAnotherGameSession(t *testing.T) {
	w := newWorld(t)
	f := w.fleet("f", "", "custom-a")
	w.servers(f, "custom-a", 2)
	w.queue(gamelift.CreateGameSessionQueueInput{Name: aws.String("q"), Destinations: destinations(f)})
	if _, err := w.C.CreateGameSession(context.Background(), &gamelift.CreateGameSessionInput{
		FleetId: aws.String(f), Location: aws.String("custom-a"), MaximumPlayerSessionCount: aws.Int32(2),
		Name: aws.String("not-a-placement"), IdempotencyToken: aws.String("clash"),
	}); err != nil {
		t.Fatal(err)
	}
	pl := w.fulfilledIn(w.place("q", "clash", nil, "p"), "custom-a", "p")
	if !strings.HasSuffix(aws.ToString(pl.GameSessionArn), "/clash-2") {
		t.Fatalf("placement game session %s, want the second attempt's token", aws.ToString(pl.GameSessionArn))
	}
}

// Deleting a queue fails its pending placements.
func TestDeletingAQueueFailsItsPlacements(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.fleet("f", "", "custom-a")
	w.queue(gamelift.CreateGameSessionQueueInput{Name: aws.String("doomed"), Destinations: destinations(f)})
	w.place("doomed", "orphan", nil)
	if _, err := w.C.DeleteGameSessionQueue(context.Background(), &gamelift.DeleteGameSessionQueueInput{Name: aws.String("doomed")}); err != nil {
		t.Fatal(err)
	}
	if pl := w.outcome("orphan"); pl.Status != types.GameSessionPlacementStateFailed || pl.EndTime == nil {
		t.Fatalf("placement of a deleted queue: %s", pl.Status)
	}
	var nf *types.NotFoundException
	if _, err := w.C.StartGameSessionPlacement(context.Background(), &gamelift.StartGameSessionPlacementInput{
		PlacementId: aws.String("late"), GameSessionQueueName: aws.String("doomed"), MaximumPlayerSessionCount: aws.Int32(1),
	}); !errorsAs(err, &nf) {
		t.Fatalf("placing through a deleted queue: %v, want NotFoundException", err)
	}
}

// A queue's changes apply to the placements already waiting in it, and an
// alias destination follows the fleet it points to.
func TestQueueChangesReachPendingPlacements(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a := w.fleet("a", "", "custom-a")
	b := w.fleet("b", "", "custom-b")
	w.servers(a, "custom-a", 3)
	w.servers(b, "custom-b", 1)
	ctx := context.Background()
	alias, err := w.C.CreateAlias(ctx, &gamelift.CreateAliasInput{Name: aws.String("live"), RoutingStrategy: &types.RoutingStrategy{Type: types.RoutingStrategyTypeSimple, FleetId: aws.String(a)}})
	if err != nil {
		t.Fatal(err)
	}
	w.queue(gamelift.CreateGameSessionQueueInput{
		Name: aws.String("q"), Destinations: []types.GameSessionQueueDestination{{DestinationArn: alias.Alias.AliasArn}},
		FilterConfiguration: &types.FilterConfiguration{AllowedLocations: []string{"custom-b"}},
	})
	// The alias leads to custom-a, which the filter excludes: it waits.
	w.place("q", "waits", nil)
	time.Sleep(300 * time.Millisecond)
	if st := w.describe("waits").Status; st != types.GameSessionPlacementStatePending {
		t.Fatalf("placement is %s, want PENDING", st)
	}
	if _, err := w.C.UpdateGameSessionQueue(ctx, &gamelift.UpdateGameSessionQueueInput{
		Name: aws.String("q"), FilterConfiguration: &types.FilterConfiguration{AllowedLocations: []string{"custom-a", "custom-b"}},
	}); err != nil {
		t.Fatal(err)
	}
	w.fulfilledIn("waits", "custom-a")
	// Re-pointing the alias moves the next placements to the other fleet.
	if _, err := w.C.UpdateAlias(ctx, &gamelift.UpdateAliasInput{AliasId: alias.Alias.AliasId, RoutingStrategy: &types.RoutingStrategy{Type: types.RoutingStrategyTypeSimple, FleetId: aws.String(b)}}); err != nil {
		t.Fatal(err)
	}
	// Owners read a queue's destinations again when they are a second old.
	time.Sleep(1500 * time.Millisecond)
	w.fulfilledIn(w.place("q", "moved", nil), "custom-b")
}

// The game server receives what the placement asked for.
func TestPlacementPassesItsGameSessionToTheServer(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	f := w.fleet("f", "", "custom-a")
	g := w.servers(f, "custom-a", 1)[0]
	w.queue(gamelift.CreateGameSessionQueueInput{Name: aws.String("q"), Destinations: destinations(f)})
	_, err := w.C.StartGameSessionPlacement(context.Background(), &gamelift.StartGameSessionPlacementInput{
		PlacementId: aws.String("full"), GameSessionQueueName: aws.String("q"), MaximumPlayerSessionCount: aws.Int32(6),
		GameSessionName: aws.String("ranked match"), GameSessionData: aws.String(`{"map":"dust"}`),
		GameProperties: []types.GameProperty{{Key: aws.String("mode"), Value: aws.String("ranked")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	gs := <-g.Started
	if gs.Name != "ranked match" || gs.GameSessionData != `{"map":"dust"}` || gs.MaximumPlayerSessionCount != 6 ||
		gs.GameProperties["mode"] != "ranked" || gs.IPAddress != "127.0.0.1" || gs.Port != 7000 {
		t.Fatalf("the game server got %+v", gs)
	}
	pl := w.fulfilledIn("full", "custom-a")
	if aws.ToString(pl.GameSessionName) != "ranked match" || len(pl.GameProperties) != 1 || aws.ToString(pl.GameSessionData) != `{"map":"dust"}` {
		t.Fatalf("the placement shows %+v", pl)
	}
	if gs.GameSessionID != aws.ToString(pl.GameSessionArn) {
		t.Fatalf("the server hosts %s, the placement names %s", gs.GameSessionID, aws.ToString(pl.GameSessionArn))
	}
}
