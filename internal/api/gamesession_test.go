package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/internal/fleet"
)

// These tests drive game and player sessions with the AWS SDK client.
// Game server processes are started without a game server binary: a
// compute is registered over the API, and its processes call ProcessReady
// on the node's fleet service itself, which is what the server SDK
// endpoint does on ActivateServerProcess. Activating a game session goes
// the same way (ActivateGameSession).

// gameHost is an Anywhere fleet whose game server processes the test
// plays.
type gameHost struct {
	t       *testing.T
	n       *testNode
	c       *gamelift.Client
	fleetID string
	started int
}

// newGameHost creates a fleet over locations, which must exist.
func newGameHost(t *testing.T, n *testNode, name string, locations ...string) *gameHost {
	t.Helper()
	c := n.sdk()
	f := mustCreateFleet(t, c, name, locations...)
	return &gameHost{t: t, n: n, c: c, fleetID: aws.ToString(f.FleetId)}
}

// compute registers a compute and starts count idle processes on it.
func (h *gameHost) compute(name, ip, location string, count int) []fleet.ProcessRef {
	h.t.Helper()
	ctx := context.Background()
	if _, err := h.c.RegisterCompute(ctx, &gamelift.RegisterComputeInput{
		FleetId: aws.String(h.fleetID), ComputeName: aws.String(name), IpAddress: aws.String(ip), Location: aws.String(location),
	}); err != nil {
		h.t.Fatalf("RegisterCompute %s: %v", name, err)
	}
	return h.processes(name, count)
}

// processes starts count more idle processes on a registered compute, on
// ports 7777, 7778, ... in the order they start.
func (h *gameHost) processes(compute string, count int) []fleet.ProcessRef {
	h.t.Helper()
	var refs []fleet.ProcessRef
	for range count {
		ref := fleet.ProcessRef{FleetID: h.fleetID, Compute: compute, ProcessID: fmt.Sprintf("pid-%d", h.started)}
		if _, err := h.n.Fleets().ProcessReady(context.Background(), ref, fleet.ReadyInput{Port: 7777 + h.started}); err != nil {
			h.t.Fatalf("ProcessReady %s: %v", ref, err)
		}
		h.started++
		refs = append(refs, ref)
	}
	return refs
}

// create starts a game session on the host's fleet (unless the input names
// a fleet or an alias) and fails the test if that fails.
func (h *gameHost) create(in gamelift.CreateGameSessionInput) *types.GameSession {
	h.t.Helper()
	if in.FleetId == nil && in.AliasId == nil {
		in.FleetId = aws.String(h.fleetID)
	}
	if in.MaximumPlayerSessionCount == nil {
		in.MaximumPlayerSessionCount = aws.Int32(10)
	}
	out, err := h.c.CreateGameSession(context.Background(), &in)
	if err != nil {
		h.t.Fatalf("CreateGameSession: %v", err)
	}
	return out.GameSession
}

// activate plays the game server hosting a game session: it reports the
// session ready for players.
func (h *gameHost) activate(gameSessionID string) {
	h.t.Helper()
	ctx := context.Background()
	gs, err := h.n.Fleets().GameSession(ctx, gameSessionID)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.n.Fleets().ActivateGameSession(ctx, gs.Process(), gameSessionID); err != nil {
		h.t.Fatalf("ActivateGameSession %s: %v", gameSessionID, err)
	}
}

// createActive creates a game session and activates it.
func (h *gameHost) createActive(in gamelift.CreateGameSessionInput) *types.GameSession {
	h.t.Helper()
	gs := h.create(in)
	h.activate(aws.ToString(gs.GameSessionId))
	return h.describe(aws.ToString(gs.GameSessionId))
}

// describe reads one game session back.
func (h *gameHost) describe(gameSessionID string) *types.GameSession {
	h.t.Helper()
	out, err := h.c.DescribeGameSessions(context.Background(), &gamelift.DescribeGameSessionsInput{GameSessionId: aws.String(gameSessionID)})
	if err != nil {
		h.t.Fatalf("DescribeGameSessions %s: %v", gameSessionID, err)
	}
	if len(out.GameSessions) != 1 {
		h.t.Fatalf("DescribeGameSessions %s returned %d sessions", gameSessionID, len(out.GameSessions))
	}
	return &out.GameSessions[0]
}

func props(kv ...string) []types.GameProperty {
	var out []types.GameProperty
	for i := 0; i < len(kv); i += 2 {
		out = append(out, types.GameProperty{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func propString(ps []types.GameProperty) string {
	var b []string
	for _, p := range ps {
		b = append(b, aws.ToString(p.Key)+"="+aws.ToString(p.Value))
	}
	return strings.Join(b, ",")
}

func TestGameSessionLifecycle(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	mustCreateLocation(t, c, "custom-eu-west")
	mustCreateLocation(t, c, "custom-us-east")
	h := newGameHost(t, n, "arena", "custom-eu-west", "custom-us-east")
	procs := h.compute("eu-host-1", "10.0.0.5", "custom-eu-west", 3)
	alias, err := c.CreateAlias(ctx, &gamelift.CreateAliasInput{Name: aws.String("live"), RoutingStrategy: &types.RoutingStrategy{Type: types.RoutingStrategyTypeSimple, FleetId: aws.String(h.fleetID)}})
	if err != nil {
		t.Fatal(err)
	}

	// Anywhere fleets have no computes in the home region: Location is
	// required, and must be the fleet's.
	_, err = c.CreateGameSession(ctx, &gamelift.CreateGameSessionInput{FleetId: aws.String(h.fleetID), MaximumPlayerSessionCount: aws.Int32(4)})
	if e := wantAPIError[*types.InvalidRequestException](t, err); !strings.Contains(e.ErrorMessage(), "Location") {
		t.Errorf("message %q does not mention Location", e.ErrorMessage())
	}
	_, err = c.CreateGameSession(ctx, &gamelift.CreateGameSessionInput{FleetId: aws.String(h.fleetID), MaximumPlayerSessionCount: aws.Int32(4), Location: aws.String("custom-ap-south")})
	wantAPIError[*types.InvalidRequestException](t, err)
	_, err = c.CreateGameSession(ctx, &gamelift.CreateGameSessionInput{FleetId: aws.String(h.fleetID), MaximumPlayerSessionCount: aws.Int32(201), Location: aws.String("custom-eu-west")})
	if e := wantAPIError[*types.InvalidRequestException](t, err); !strings.Contains(e.ErrorMessage(), "200") {
		t.Errorf("message %q does not state the limit", e.ErrorMessage())
	}

	before := time.Now().Add(-time.Second)
	gs := h.create(gamelift.CreateGameSessionInput{
		Location: aws.String("custom-eu-west"), MaximumPlayerSessionCount: aws.Int32(4), Name: aws.String("dusk"),
		GameProperties: props("mode", "ffa", "map", "harbor"), GameSessionData: aws.String(`{"seed":7}`), CreatorId: aws.String("player-1"),
	})
	id := aws.ToString(gs.GameSessionId)
	if !strings.HasPrefix(id, "arn:rallypoint:gamelift:local::gamesession/"+h.fleetID+"/gsess-") {
		t.Errorf("GameSessionId = %s", id)
	}
	if gs.Status != types.GameSessionStatusActivating || aws.ToString(gs.IpAddress) != "10.0.0.5" || aws.ToString(gs.ComputeName) != "eu-host-1" ||
		aws.ToString(gs.Location) != "custom-eu-west" || aws.ToString(gs.FleetId) != h.fleetID || aws.ToString(gs.FleetArn) != "arn:rallypoint:gamelift:local::fleet/"+h.fleetID ||
		aws.ToInt32(gs.CurrentPlayerSessionCount) != 0 || aws.ToInt32(gs.MaximumPlayerSessionCount) != 4 || aws.ToString(gs.Name) != "dusk" ||
		aws.ToString(gs.CreatorId) != "player-1" || aws.ToString(gs.GameSessionData) != `{"seed":7}` || gs.PlayerSessionCreationPolicy != types.PlayerSessionCreationPolicyAcceptAll ||
		propString(gs.GameProperties) != "mode=ffa,map=harbor" || gs.TerminationTime != nil {
		t.Errorf("created game session = %+v", gs)
	}
	if port := aws.ToInt32(gs.Port); port < 7777 || port > 7779 {
		t.Errorf("Port = %d, want one of the processes' ports", port)
	}
	if gs.CreationTime == nil || gs.CreationTime.Before(before) || gs.CreationTime.After(time.Now().Add(time.Second)) {
		t.Errorf("CreationTime = %v", gs.CreationTime)
	}
	// The process that got it is the one on that port.
	hosted, err := n.Fleets().GameSession(ctx, id)
	if err != nil || hosted.Port != int(aws.ToInt32(gs.Port)) || !slices.Contains(procs, hosted.Process()) {
		t.Errorf("hosted by %+v, %v", hosted.Process(), err)
	}

	// Players join ACTIVE sessions only.
	_, err = c.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: aws.String(id), PlayerId: aws.String("p1")})
	wantAPIError[*types.InvalidGameSessionStatusException](t, err)
	h.activate(id)
	if got := h.describe(id); got.Status != types.GameSessionStatusActive {
		t.Fatalf("after activation: %s", got.Status)
	}

	ps, err := c.CreatePlayerSessions(ctx, &gamelift.CreatePlayerSessionsInput{
		GameSessionId: aws.String(id), PlayerIds: []string{"p1", "p2", "p3"},
		PlayerDataMap: map[string]string{"p1": "tank", "p3": "healer", "stranger": "ignored"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps.PlayerSessions {
		got = append(got, aws.ToString(p.PlayerId)+"="+aws.ToString(p.PlayerData))
		if !strings.HasPrefix(aws.ToString(p.PlayerSessionId), "psess-") || p.Status != types.PlayerSessionStatusReserved ||
			aws.ToString(p.GameSessionId) != id || aws.ToString(p.IpAddress) != "10.0.0.5" || aws.ToInt32(p.Port) != aws.ToInt32(gs.Port) ||
			aws.ToString(p.FleetId) != h.fleetID || aws.ToString(p.FleetArn) != aws.ToString(gs.FleetArn) || p.CreationTime == nil {
			t.Errorf("player session = %+v", p)
		}
	}
	if want := []string{"p1=tank", "p2=", "p3=healer"}; !slices.Equal(got, want) {
		t.Errorf("player sessions = %v, want %v", got, want)
	}
	// Two more do not fit in the one free slot: neither is reserved.
	_, err = c.CreatePlayerSessions(ctx, &gamelift.CreatePlayerSessionsInput{GameSessionId: aws.String(id), PlayerIds: []string{"p4", "p5"}})
	wantAPIError[*types.GameSessionFullException](t, err)
	if d := h.describe(id); aws.ToInt32(d.CurrentPlayerSessionCount) != 3 {
		t.Errorf("CurrentPlayerSessionCount = %d after a refused batch, want 3", aws.ToInt32(d.CurrentPlayerSessionCount))
	}
	one, err := c.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: aws.String(id), PlayerId: aws.String("p4"), PlayerData: aws.String("scout")})
	if err != nil || aws.ToString(one.PlayerSession.PlayerData) != "scout" || one.PlayerSession.Status != types.PlayerSessionStatusReserved {
		t.Fatalf("CreatePlayerSession = %+v, %v", one, err)
	}
	_, err = c.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: aws.String(id), PlayerId: aws.String("p5")})
	wantAPIError[*types.GameSessionFullException](t, err)

	// Update: properties are overwritten or added, never removed.
	up, err := c.UpdateGameSession(ctx, &gamelift.UpdateGameSessionInput{
		GameSessionId: aws.String(id), Name: aws.String("dusk-2"), MaximumPlayerSessionCount: aws.Int32(6),
		GameProperties: props("mode", "tdm", "rank", "gold"), ProtectionPolicy: types.ProtectionPolicyFullProtection,
	})
	if err != nil {
		t.Fatal(err)
	}
	if g := up.GameSession; aws.ToString(g.Name) != "dusk-2" || aws.ToInt32(g.MaximumPlayerSessionCount) != 6 || propString(g.GameProperties) != "mode=tdm,map=harbor,rank=gold" {
		t.Errorf("updated game session = %+v (properties %s)", g, propString(g.GameProperties))
	}
	det, err := c.DescribeGameSessionDetails(ctx, &gamelift.DescribeGameSessionDetailsInput{GameSessionId: aws.String(id)})
	if err != nil || len(det.GameSessionDetails) != 1 || det.GameSessionDetails[0].ProtectionPolicy != types.ProtectionPolicyFullProtection ||
		aws.ToString(det.GameSessionDetails[0].GameSession.Name) != "dusk-2" {
		t.Errorf("DescribeGameSessionDetails = %+v, %v", det, err)
	}
	if _, err := c.UpdateGameSession(ctx, &gamelift.UpdateGameSessionInput{GameSessionId: aws.String(id), PlayerSessionCreationPolicy: types.PlayerSessionCreationPolicyDenyAll}); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: aws.String(id), PlayerId: aws.String("p5")})
	wantAPIError[*types.InvalidGameSessionStatusException](t, err)

	// By alias, on another process; the third process takes a third
	// session, and then the location is out of capacity.
	byAlias := h.create(gamelift.CreateGameSessionInput{AliasId: alias.Alias.AliasId, Location: aws.String("custom-eu-west")})
	if aws.ToString(byAlias.FleetId) != h.fleetID || aws.ToInt32(byAlias.Port) == aws.ToInt32(gs.Port) {
		t.Errorf("game session by alias = %+v", byAlias)
	}
	h.create(gamelift.CreateGameSessionInput{Location: aws.String("custom-eu-west")})
	_, err = c.CreateGameSession(ctx, &gamelift.CreateGameSessionInput{FleetId: aws.String(h.fleetID), MaximumPlayerSessionCount: aws.Int32(2), Location: aws.String("custom-eu-west")})
	wantAPIError[*types.FleetCapacityExceededException](t, err)
	_, err = c.CreateGameSession(ctx, &gamelift.CreateGameSessionInput{FleetId: aws.String(h.fleetID), MaximumPlayerSessionCount: aws.Int32(2), Location: aws.String("custom-us-east")})
	wantAPIError[*types.FleetCapacityExceededException](t, err)

	// Termination.
	_, err = c.TerminateGameSession(ctx, &gamelift.TerminateGameSessionInput{GameSessionId: aws.String(id), TerminationMode: types.TerminationModeForceTerminate})
	if e := wantAPIError[*types.InvalidRequestException](t, err); !strings.Contains(e.ErrorMessage(), "TRIGGER_ON_PROCESS_TERMINATE") {
		t.Errorf("FORCE_TERMINATE refusal %q does not say what to use", e.ErrorMessage())
	}
	term, err := c.TerminateGameSession(ctx, &gamelift.TerminateGameSessionInput{GameSessionId: aws.String(id), TerminationMode: types.TerminationModeTriggerOnProcessTerminate})
	if err != nil || term.GameSession.Status != types.GameSessionStatusTerminating {
		t.Fatalf("TerminateGameSession = %+v, %v", term, err)
	}
	if d := h.describe(id); d.Status != types.GameSessionStatusTerminating {
		t.Errorf("after terminate: %s", d.Status)
	}
	again, err := c.TerminateGameSession(ctx, &gamelift.TerminateGameSessionInput{GameSessionId: aws.String(id), TerminationMode: types.TerminationModeTriggerOnProcessTerminate})
	if err != nil || again.GameSession.Status != types.GameSessionStatusTerminating {
		t.Errorf("terminating twice = %+v, %v", again, err)
	}
	_, err = c.UpdateGameSession(ctx, &gamelift.UpdateGameSessionInput{GameSessionId: aws.String(id), Name: aws.String("late")})
	wantAPIError[*types.InvalidGameSessionStatusException](t, err)

	// Unknown game sessions.
	unknown := aws.String("arn:rallypoint:gamelift:local::gamesession/" + h.fleetID + "/gsess-nope")
	_, err = c.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{GameSessionId: unknown})
	wantAPIError[*types.NotFoundException](t, err)
	_, err = c.UpdateGameSession(ctx, &gamelift.UpdateGameSessionInput{GameSessionId: unknown, Name: aws.String("x")})
	wantAPIError[*types.NotFoundException](t, err)
	_, err = c.TerminateGameSession(ctx, &gamelift.TerminateGameSessionInput{GameSessionId: unknown, TerminationMode: types.TerminationModeTriggerOnProcessTerminate})
	wantAPIError[*types.NotFoundException](t, err)
	_, err = c.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: unknown, PlayerId: aws.String("p1")})
	wantAPIError[*types.NotFoundException](t, err)
	_, err = c.CreateGameSession(ctx, &gamelift.CreateGameSessionInput{FleetId: aws.String("fleet-00000000-0000-0000-0000-000000000000"), MaximumPlayerSessionCount: aws.Int32(2), Location: aws.String("custom-eu-west")})
	wantAPIError[*types.NotFoundException](t, err)
}

func TestGameSessionIdempotency(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	mustCreateLocation(t, c, "custom-eu-west")
	h := newGameHost(t, n, "arena", "custom-eu-west")
	h.compute("eu-host-1", "10.0.0.5", "custom-eu-west", 2)

	in := gamelift.CreateGameSessionInput{FleetId: aws.String(h.fleetID), Location: aws.String("custom-eu-west"), MaximumPlayerSessionCount: aws.Int32(8), IdempotencyToken: aws.String("match-42"), GameProperties: props("mode", "ffa")}
	first := h.create(in)
	if !strings.HasSuffix(aws.ToString(first.GameSessionId), "/match-42") {
		t.Errorf("GameSessionId %s does not end in the token", aws.ToString(first.GameSessionId))
	}
	h.activate(aws.ToString(first.GameSessionId))
	// A repeat returns the same session, in its current status, and takes
	// no second process.
	again := h.create(in)
	if aws.ToString(again.GameSessionId) != aws.ToString(first.GameSessionId) || again.Status != types.GameSessionStatusActive {
		t.Errorf("repeat = %s %s, want %s ACTIVE", aws.ToString(again.GameSessionId), again.Status, aws.ToString(first.GameSessionId))
	}
	// The deprecated GameSessionId member is the same token.
	old := in
	old.IdempotencyToken, old.GameSessionId = nil, aws.String("match-42")
	if byOld := h.create(old); aws.ToString(byOld.GameSessionId) != aws.ToString(first.GameSessionId) {
		t.Errorf("GameSessionId as the token gave %s", aws.ToString(byOld.GameSessionId))
	}
	both := in
	both.GameSessionId = aws.String("match-43")
	_, err := c.CreateGameSession(ctx, &both)
	wantAPIError[*types.InvalidRequestException](t, err)

	changed := in
	changed.MaximumPlayerSessionCount = aws.Int32(9)
	_, err = c.CreateGameSession(ctx, &changed)
	if e := wantAPIError[*types.IdempotentParameterMismatchException](t, err); !strings.Contains(e.ErrorMessage(), "match-42") {
		t.Errorf("message %q does not name the token", e.ErrorMessage())
	}
	changed = in
	changed.GameProperties = props("mode", "tdm")
	_, err = c.CreateGameSession(ctx, &changed)
	wantAPIError[*types.IdempotentParameterMismatchException](t, err)

	// The second process is still idle.
	second := h.create(gamelift.CreateGameSessionInput{Location: aws.String("custom-eu-west")})
	if aws.ToString(second.GameSessionId) == aws.ToString(first.GameSessionId) {
		t.Error("a session without a token reused the token's session")
	}
	_, err = c.CreateGameSession(ctx, &gamelift.CreateGameSessionInput{FleetId: aws.String(h.fleetID), MaximumPlayerSessionCount: aws.Int32(2), Location: aws.String("custom-eu-west")})
	wantAPIError[*types.FleetCapacityExceededException](t, err)
}

func TestCreatorLimit(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	mustCreateLocation(t, c, "custom-eu-west")
	h := newGameHost(t, n, "arena", "custom-eu-west")
	h.compute("eu-host-1", "10.0.0.5", "custom-eu-west", 3)
	if _, err := c.UpdateFleetAttributes(ctx, &gamelift.UpdateFleetAttributesInput{FleetId: aws.String(h.fleetID),
		ResourceCreationLimitPolicy: &types.ResourceCreationLimitPolicy{NewGameSessionsPerCreator: aws.Int32(2), PolicyPeriodInMinutes: aws.Int32(10)}}); err != nil {
		t.Fatal(err)
	}
	in := gamelift.CreateGameSessionInput{Location: aws.String("custom-eu-west"), CreatorId: aws.String("greedy")}
	h.create(in)
	h.create(in)
	in.FleetId, in.MaximumPlayerSessionCount = aws.String(h.fleetID), aws.Int32(2)
	_, err := c.CreateGameSession(ctx, &in)
	wantAPIError[*types.LimitExceededException](t, err)
	// Another creator is not limited by greedy's sessions.
	h.create(gamelift.CreateGameSessionInput{Location: aws.String("custom-eu-west"), CreatorId: aws.String("modest")})
}

func TestDescribeGameSessions(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	mustCreateLocation(t, c, "custom-eu-west")
	mustCreateLocation(t, c, "custom-us-east")
	h := newGameHost(t, n, "arena", "custom-eu-west", "custom-us-east")
	h.compute("eu-host-1", "10.0.0.5", "custom-eu-west", 4)
	h.compute("us-host-1", "10.1.0.5", "custom-us-east", 3)
	alias, err := c.CreateAlias(ctx, &gamelift.CreateAliasInput{Name: aws.String("live"), RoutingStrategy: &types.RoutingStrategy{Type: types.RoutingStrategyTypeSimple, FleetId: aws.String(h.fleetID)}})
	if err != nil {
		t.Fatal(err)
	}

	var ids []string // in creation order
	for i, loc := range []string{"custom-eu-west", "custom-us-east", "custom-eu-west", "custom-us-east", "custom-eu-west"} {
		gs := h.create(gamelift.CreateGameSessionInput{Location: aws.String(loc), Name: aws.String(fmt.Sprintf("g%d", i))})
		ids = append(ids, aws.ToString(gs.GameSessionId))
	}
	h.activate(ids[1])
	h.activate(ids[2])

	collect := func(in gamelift.DescribeGameSessionsInput) (names []string, pages int) {
		t.Helper()
		p := gamelift.NewDescribeGameSessionsPaginator(c, &in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, gs := range page.GameSessions {
				names = append(names, aws.ToString(gs.Name))
			}
		}
		return names, pages
	}
	tests := []struct {
		name  string
		in    gamelift.DescribeGameSessionsInput
		want  []string
		pages int
	}{
		{"fleet, paged", gamelift.DescribeGameSessionsInput{FleetId: aws.String(h.fleetID), Limit: aws.Int32(2)}, []string{"g0", "g1", "g2", "g3", "g4"}, 3},
		{"fleet ARN", gamelift.DescribeGameSessionsInput{FleetId: aws.String("arn:rallypoint:gamelift:local::fleet/" + h.fleetID)}, []string{"g0", "g1", "g2", "g3", "g4"}, 1},
		{"alias", gamelift.DescribeGameSessionsInput{AliasId: alias.Alias.AliasId, Limit: aws.Int32(4)}, []string{"g0", "g1", "g2", "g3", "g4"}, 2},
		{"location", gamelift.DescribeGameSessionsInput{FleetId: aws.String(h.fleetID), Location: aws.String("custom-us-east")}, []string{"g1", "g3"}, 1},
		{"ACTIVE", gamelift.DescribeGameSessionsInput{FleetId: aws.String(h.fleetID), StatusFilter: aws.String("ACTIVE")}, []string{"g1", "g2"}, 1},
		{"ACTIVATING in eu-west", gamelift.DescribeGameSessionsInput{FleetId: aws.String(h.fleetID), StatusFilter: aws.String("ACTIVATING"), Location: aws.String("custom-eu-west"), Limit: aws.Int32(1)}, []string{"g0", "g4"}, 2},
		{"TERMINATED", gamelift.DescribeGameSessionsInput{FleetId: aws.String(h.fleetID), StatusFilter: aws.String("TERMINATED")}, nil, 1},
		{"one by id", gamelift.DescribeGameSessionsInput{GameSessionId: aws.String(ids[3])}, []string{"g3"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			names, pages := collect(tc.in)
			if !slices.Equal(names, tc.want) || pages != tc.pages {
				t.Errorf("got %v in %d pages, want %v in %d", names, pages, tc.want, tc.pages)
			}
		})
	}

	// A page stays right when sessions start between pages: the next one
	// continues after the last it returned, and the new one comes last.
	first, err := c.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{FleetId: aws.String(h.fleetID), Limit: aws.Int32(3)})
	if err != nil || len(first.GameSessions) != 3 || first.NextToken == nil {
		t.Fatalf("first page = %+v, %v", first, err)
	}
	h.create(gamelift.CreateGameSessionInput{Location: aws.String("custom-us-east"), Name: aws.String("g5")})
	rest, err := c.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{FleetId: aws.String(h.fleetID), Limit: aws.Int32(3), NextToken: first.NextToken})
	var names []string
	for _, gs := range rest.GameSessions {
		names = append(names, aws.ToString(gs.Name))
	}
	if err != nil || !slices.Equal(names, []string{"g3", "g4", "g5"}) || rest.NextToken != nil {
		t.Errorf("second page = %v (next %v), %v", names, rest.NextToken, err)
	}

	// DescribeGameSessionDetails pages the same way, with each session's
	// protection policy.
	dp := gamelift.NewDescribeGameSessionDetailsPaginator(c, &gamelift.DescribeGameSessionDetailsInput{FleetId: aws.String(h.fleetID), Limit: aws.Int32(4)})
	count := 0
	for dp.HasMorePages() {
		page, err := dp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.GameSessionDetails {
			count++
			if d.ProtectionPolicy != types.ProtectionPolicyNoProtection || d.GameSession == nil {
				t.Errorf("detail = %+v", d)
			}
		}
	}
	if count != 6 {
		t.Errorf("DescribeGameSessionDetails listed %d sessions, want 6", count)
	}

	_, err = c.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{FleetId: aws.String("fleet-00000000-0000-0000-0000-000000000000")})
	wantAPIError[*types.NotFoundException](t, err)
	_, err = c.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{})
	wantAPIError[*types.InvalidRequestException](t, err)
}

func TestSearchGameSessions(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	mustCreateLocation(t, c, "custom-eu-west")
	mustCreateLocation(t, c, "custom-us-east")
	h := newGameHost(t, n, "arena", "custom-eu-west", "custom-us-east")
	h.compute("eu-host-1", "10.0.0.5", "custom-eu-west", 4)
	h.compute("us-host-1", "10.1.0.5", "custom-us-east", 2)

	type session struct {
		name, loc string
		max       int32
		players   int
		props     []types.GameProperty
	}
	for _, s := range []session{
		{"alpha", "custom-eu-west", 10, 2, props("mode", "ffa", "level", "10")},
		{"bravo", "custom-eu-west", 4, 4, props("mode", "ffa")},
		{"charlie", "custom-us-east", 16, 1, props("mode", "ctf", "level", "9")},
		{"delta", "custom-eu-west", 8, 0, nil},
		{"echo's", "custom-us-east", 2, 1, props("mode", "ctf")},
	} {
		gs := h.createActive(gamelift.CreateGameSessionInput{Location: aws.String(s.loc), Name: aws.String(s.name), MaximumPlayerSessionCount: aws.Int32(s.max), GameProperties: s.props})
		for i := range s.players {
			if _, err := c.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: gs.GameSessionId, PlayerId: aws.String(fmt.Sprintf("%s-%d", s.name, i))}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Only ACTIVE sessions are searched.
	h.create(gamelift.CreateGameSessionInput{Location: aws.String("custom-eu-west"), Name: aws.String("activating")})

	tests := []struct {
		name         string
		filter, sort string
		location     string
		want         []string
	}{
		{name: "everything, in creation order", want: []string{"alpha", "bravo", "charlie", "delta", "echo's"}},
		{name: "open seats", filter: "hasAvailablePlayerSessions=true", want: []string{"alpha", "charlie", "delta", "echo's"}},
		{name: "big and open", filter: "maximumSessions>=10 AND hasAvailablePlayerSessions=true", want: []string{"alpha", "charlie"}},
		{name: "property", filter: "gameSessionProperties.mode = 'ctf'", want: []string{"charlie", "echo's"}},
		{name: "double-quoted property", filter: `gameSessionProperties.mode = "ffa"`, want: []string{"alpha", "bravo"}},
		{name: "NOT and OR", filter: "NOT (gameSessionProperties.mode = 'ffa' OR playerSessionCount >= 1)", want: []string{"delta"}},
		{name: "escaped name", filter: `gameSessionName = 'echo\'s'`, want: []string{"echo's"}},
		{name: "properties compare as strings", filter: "gameSessionProperties.level > '9'", want: nil},
		{name: "location", location: "custom-us-east", want: []string{"charlie", "echo's"}},
		{name: "sort by players", sort: "playerSessionCount DESC", want: []string{"bravo", "alpha", "charlie", "echo's", "delta"}},
		{name: "sort by a property, nulls last", sort: "gameSessionProperties.level ASC", want: []string{"alpha", "charlie", "bravo", "delta", "echo's"}},
		{name: "filter and sort", filter: "playerSessionCount >= 1", sort: "maximumSessions ASC", want: []string{"echo's", "bravo", "alpha", "charlie"}},
		{name: "sort by name, descending", sort: "gameSessionName DESC", want: []string{"echo's", "delta", "charlie", "bravo", "alpha"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &gamelift.SearchGameSessionsInput{FleetId: aws.String(h.fleetID), Limit: aws.Int32(2)}
			if tc.filter != "" {
				in.FilterExpression = aws.String(tc.filter)
			}
			if tc.sort != "" {
				in.SortExpression = aws.String(tc.sort)
			}
			if tc.location != "" {
				in.Location = aws.String(tc.location)
			}
			var names []string
			p := gamelift.NewSearchGameSessionsPaginator(c, in)
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				for _, gs := range page.GameSessions {
					if gs.Status != types.GameSessionStatusActive {
						t.Errorf("%s is %s", aws.ToString(gs.Name), gs.Status)
					}
					names = append(names, aws.ToString(gs.Name))
				}
			}
			if !slices.Equal(names, tc.want) {
				t.Errorf("found %v, want %v", names, tc.want)
			}
		})
	}

	bad := []struct {
		name string
		in   gamelift.SearchGameSessionsInput
		want []string
	}{
		{"filter syntax", gamelift.SearchGameSessionsInput{FleetId: aws.String(h.fleetID), FilterExpression: aws.String("maximumSessions >= 'ten'")}, []string{"FilterExpression: at position 19:", "integer"}},
		{"unknown operand", gamelift.SearchGameSessionsInput{FleetId: aws.String(h.fleetID), FilterExpression: aws.String("playerCount > 2")}, []string{"FilterExpression: at position 0:"}},
		{"sort syntax", gamelift.SearchGameSessionsInput{FleetId: aws.String(h.fleetID), SortExpression: aws.String("creationTimeMillis UP")}, []string{"SortExpression: at position 19:"}},
		{"fleet and alias", gamelift.SearchGameSessionsInput{FleetId: aws.String(h.fleetID), AliasId: aws.String("alias-x")}, []string{"'fleetId'", "'aliasId'"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.SearchGameSessions(ctx, &tc.in)
			e := wantAPIError[*types.InvalidRequestException](t, err)
			for _, w := range tc.want {
				if !strings.Contains(e.ErrorMessage(), w) {
					t.Errorf("message %q does not hold %q", e.ErrorMessage(), w)
				}
			}
		})
	}

	// Limit is clamped to 20, as GameLift does.
	crowd := newGameHost(t, n, "crowd", "custom-eu-west")
	crowd.compute("crowd-host", "10.0.0.9", "custom-eu-west", 21)
	for range 21 {
		crowd.createActive(gamelift.CreateGameSessionInput{Location: aws.String("custom-eu-west")})
	}
	page, err := c.SearchGameSessions(ctx, &gamelift.SearchGameSessionsInput{FleetId: aws.String(crowd.fleetID), Limit: aws.Int32(100)})
	if err != nil || len(page.GameSessions) != 20 || page.NextToken == nil {
		t.Fatalf("Limit 100 gave %d sessions (next %v), %v; want 20 and a token", len(page.GameSessions), page.NextToken, err)
	}
	page, err = c.SearchGameSessions(ctx, &gamelift.SearchGameSessionsInput{FleetId: aws.String(crowd.fleetID), NextToken: page.NextToken})
	if err != nil || len(page.GameSessions) != 1 || page.NextToken != nil {
		t.Errorf("second page: %d sessions (next %v), %v", len(page.GameSessions), page.NextToken, err)
	}
}

func TestDescribePlayerSessions(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	mustCreateLocation(t, c, "custom-eu-west")
	h := newGameHost(t, n, "arena", "custom-eu-west")
	h.compute("eu-host-1", "10.0.0.5", "custom-eu-west", 2)
	g1 := aws.ToString(h.createActive(gamelift.CreateGameSessionInput{Location: aws.String("custom-eu-west")}).GameSessionId)
	g2 := aws.ToString(h.createActive(gamelift.CreateGameSessionInput{Location: aws.String("custom-eu-west")}).GameSessionId)

	// One at a time, so that creation order is the order of the calls.
	create := func(gs, player string) string {
		t.Helper()
		out, err := c.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: aws.String(gs), PlayerId: aws.String(player)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.PlayerSession.PlayerSessionId)
	}
	a1 := create(g1, "ana")
	b1 := create(g1, "ben")
	c1 := create(g1, "cho")
	a2 := create(g2, "ana")
	// ana joins the first game; cho leaves it.
	ref := func(gs string) fleet.ProcessRef {
		s, err := n.Fleets().GameSession(ctx, gs)
		if err != nil {
			t.Fatal(err)
		}
		return s.Process()
	}
	if _, err := n.Fleets().AcceptPlayerSession(ctx, ref(g1), g1, a1); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Fleets().AcceptPlayerSession(ctx, ref(g1), g1, c1); err != nil {
		t.Fatal(err)
	}
	if err := n.Fleets().RemovePlayerSession(ctx, ref(g1), g1, c1); err != nil {
		t.Fatal(err)
	}

	type row struct{ id, status string }
	describe := func(in gamelift.DescribePlayerSessionsInput) ([]row, int) {
		t.Helper()
		var rows []row
		pages := 0
		p := gamelift.NewDescribePlayerSessionsPaginator(c, &in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, ps := range page.PlayerSessions {
				rows = append(rows, row{aws.ToString(ps.PlayerSessionId), string(ps.Status)})
			}
		}
		return rows, pages
	}
	tests := []struct {
		name  string
		in    gamelift.DescribePlayerSessionsInput
		want  []row
		pages int
	}{
		{"by player session", gamelift.DescribePlayerSessionsInput{PlayerSessionId: aws.String(b1)}, []row{{b1, "RESERVED"}}, 1},
		{"by player session, limit and status ignored", gamelift.DescribePlayerSessionsInput{PlayerSessionId: aws.String(c1), Limit: aws.Int32(1), PlayerSessionStatusFilter: aws.String("ACTIVE")}, []row{{c1, "COMPLETED"}}, 1},
		{"by game session, paged", gamelift.DescribePlayerSessionsInput{GameSessionId: aws.String(g1), Limit: aws.Int32(2)}, []row{{a1, "ACTIVE"}, {b1, "RESERVED"}, {c1, "COMPLETED"}}, 2},
		{"by game session and status", gamelift.DescribePlayerSessionsInput{GameSessionId: aws.String(g1), PlayerSessionStatusFilter: aws.String("RESERVED")}, []row{{b1, "RESERVED"}}, 1},
		{"by player, across game sessions", gamelift.DescribePlayerSessionsInput{PlayerId: aws.String("ana"), Limit: aws.Int32(1)}, []row{{a1, "ACTIVE"}, {a2, "RESERVED"}}, 2},
		{"by player, status ignored", gamelift.DescribePlayerSessionsInput{PlayerId: aws.String("ana"), PlayerSessionStatusFilter: aws.String("ACTIVE")}, []row{{a1, "ACTIVE"}, {a2, "RESERVED"}}, 1},
		{"by player and game session", gamelift.DescribePlayerSessionsInput{PlayerId: aws.String("ana"), GameSessionId: aws.String(g2)}, []row{{a2, "RESERVED"}}, 1},
		{"unknown player", gamelift.DescribePlayerSessionsInput{PlayerId: aws.String("zed")}, nil, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, pages := describe(tc.in)
			if !slices.Equal(rows, tc.want) || pages != tc.pages {
				t.Errorf("got %v in %d pages, want %v in %d", rows, pages, tc.want, tc.pages)
			}
		})
	}
	// The completed player session freed its slot and has an end time.
	one, err := c.DescribePlayerSessions(ctx, &gamelift.DescribePlayerSessionsInput{PlayerSessionId: aws.String(c1)})
	if err != nil || one.PlayerSessions[0].TerminationTime == nil || aws.ToString(one.PlayerSessions[0].PlayerId) != "cho" {
		t.Errorf("completed player session = %+v, %v", one, err)
	}
	if d := h.describe(g1); aws.ToInt32(d.CurrentPlayerSessionCount) != 2 {
		t.Errorf("CurrentPlayerSessionCount = %d, want 2 (ACTIVE and RESERVED)", aws.ToInt32(d.CurrentPlayerSessionCount))
	}

	_, err = c.DescribePlayerSessions(ctx, &gamelift.DescribePlayerSessionsInput{PlayerSessionId: aws.String("psess-" + h.fleetID + ".gsess-nope.0000000000000000")})
	wantAPIError[*types.NotFoundException](t, err)
	_, err = c.DescribePlayerSessions(ctx, &gamelift.DescribePlayerSessionsInput{})
	wantAPIError[*types.InvalidRequestException](t, err)
}

func TestDescribeFleetUtilization(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	mustCreateLocation(t, c, "custom-eu-west")
	h := newGameHost(t, n, "arena", "custom-eu-west")
	h.compute("eu-host-1", "10.0.0.5", "custom-eu-west", 3)
	idle := newGameHost(t, n, "idle", "custom-eu-west")

	g1 := h.createActive(gamelift.CreateGameSessionInput{Location: aws.String("custom-eu-west"), MaximumPlayerSessionCount: aws.Int32(4)})
	h.create(gamelift.CreateGameSessionInput{Location: aws.String("custom-eu-west"), MaximumPlayerSessionCount: aws.Int32(6)})
	if _, err := c.CreatePlayerSessions(ctx, &gamelift.CreatePlayerSessionsInput{GameSessionId: g1.GameSessionId, PlayerIds: []string{"a", "b", "c"}}); err != nil {
		t.Fatal(err)
	}

	out, err := c.DescribeFleetUtilization(ctx, &gamelift.DescribeFleetUtilizationInput{FleetIds: []string{h.fleetID, idle.fleetID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.FleetUtilization) != 2 {
		t.Fatalf("FleetUtilization = %+v", out.FleetUtilization)
	}
	u := out.FleetUtilization[0]
	if aws.ToString(u.FleetId) != h.fleetID || aws.ToString(u.FleetArn) != "arn:rallypoint:gamelift:local::fleet/"+h.fleetID || aws.ToString(u.Location) != "local" ||
		aws.ToInt32(u.ActiveServerProcessCount) != 3 || aws.ToInt32(u.ActiveGameSessionCount) != 2 ||
		aws.ToInt32(u.CurrentPlayerSessionCount) != 3 || aws.ToInt32(u.MaximumPlayerSessionCount) != 10 {
		t.Errorf("arena utilization = %+v", u)
	}
	if u := out.FleetUtilization[1]; aws.ToString(u.FleetId) != idle.fleetID || u.ActiveServerProcessCount == nil || aws.ToInt32(u.ActiveServerProcessCount) != 0 ||
		aws.ToInt32(u.ActiveGameSessionCount) != 0 || aws.ToInt32(u.MaximumPlayerSessionCount) != 0 {
		t.Errorf("idle utilization = %+v", u)
	}

	// Without FleetIds: every fleet, paged.
	var ids []string
	p := gamelift.NewDescribeFleetUtilizationPaginator(c, &gamelift.DescribeFleetUtilizationInput{Limit: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range page.FleetUtilization {
			ids = append(ids, aws.ToString(u.FleetId))
		}
	}
	want := []string{h.fleetID, idle.fleetID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("all fleets = %v, want %v", ids, want)
	}
	_, err = c.DescribeFleetUtilization(ctx, &gamelift.DescribeFleetUtilizationInput{FleetIds: []string{"fleet-00000000-0000-0000-0000-000000000000"}})
	wantAPIError[*types.NotFoundException](t, err)
}

// TestCreatePlayerSessionConcurrency races 40 clients for the 10 slots of
// one game session: exactly 10 get one, the rest are told it is full, and
// the session holds exactly 10.
func TestCreatePlayerSessionConcurrency(t *testing.T) {
	n := startNode(t, "")
	// Forty simultaneous calls make the client dial connections it then
	// does not use; the node's shutdown waits 5 s for such connections
	// (net/http counts a connection without a request as busy for that
	// long) unless the client closes them first, as this cleanup, run
	// before the node's, does.
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c := gamelift.New(n.sdk().Options(), func(o *gamelift.Options) { o.HTTPClient = &http.Client{Transport: tr} })
	ctx := context.Background()
	mustCreateLocation(t, c, "custom-eu-west")
	h := newGameHost(t, n, "arena", "custom-eu-west")
	h.compute("eu-host-1", "10.0.0.5", "custom-eu-west", 1)
	gs := h.createActive(gamelift.CreateGameSessionInput{Location: aws.String("custom-eu-west"), MaximumPlayerSessionCount: aws.Int32(10)})

	const callers = 40
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok, full int
		other    []error
		start    = make(chan struct{})
	)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := c.CreatePlayerSession(ctx, &gamelift.CreatePlayerSessionInput{GameSessionId: gs.GameSessionId, PlayerId: aws.String(fmt.Sprintf("player-%d", i))})
			var fullErr *types.GameSessionFullException
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.As(err, &fullErr):
				full++
			default:
				other = append(other, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if ok != 10 || full != callers-10 || len(other) > 0 {
		t.Errorf("%d succeeded, %d full, other errors %v; want 10, %d, none", ok, full, other, callers-10)
	}
	if d := h.describe(aws.ToString(gs.GameSessionId)); aws.ToInt32(d.CurrentPlayerSessionCount) != 10 {
		t.Errorf("CurrentPlayerSessionCount = %d, want 10", aws.ToInt32(d.CurrentPlayerSessionCount))
	}
	ps, err := c.DescribePlayerSessions(ctx, &gamelift.DescribePlayerSessionsInput{GameSessionId: gs.GameSessionId})
	if err != nil || len(ps.PlayerSessions) != 10 {
		t.Errorf("DescribePlayerSessions = %d sessions, %v; want 10", len(ps.PlayerSessions), err)
	}
}
