package server_test

// Integration tests: game server processes built with this package against
// a real rallypoint node (internal/node, with embedded NATS and the server
// SDK endpoint of internal/serversdk on 127.0.0.1). What the service
// decided is read back from its fleet service, not from the SDK's view.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/sdk/server"
)

func TestServiceStartsGameSession(t *testing.T) {
	t.Parallel()
	s := startService(t, nil)
	// A query in the URL is replaced, not sent along.
	g := s.launch(t, "proc-1", s.url()+"?pID=someone-else&Authorization=stale")

	p := s.process(t, "proc-1")
	if p.Status != fleet.ProcessActive || p.Port != 7777 || !slices.Equal(p.LogPaths, []string{"/local/game/logs"}) ||
		p.SDKLanguage != "Go" || p.SDKVersion != server.SDKVersion {
		t.Fatalf("process after ProcessReady = %+v", p)
	}
	if id, _ := g.GetGameSessionID(); id != "" {
		t.Fatalf("GetGameSessionID before any = %q", id)
	}
	if err := g.ActivateGameSession(); !errors.Is(err, server.ErrNoGameSession) {
		t.Fatalf("ActivateGameSession without a game session = %v", err)
	}
	if err := g.ProcessReady(server.ProcessParameters{Port: 7777}); !errors.Is(err, server.ErrAlreadyReady) {
		t.Fatalf("second ProcessReady = %v", err)
	}

	matchmakerData := `{"matchId":"m-1","matchmakingConfigurationArn":"arn:rallypoint:gamelift:local::matchmakingconfiguration/duel","teams":[{"name":"red","players":[{"playerId":"alice","attributes":{"skill":{"attributeType":"DOUBLE","valueAttribute":23}}}]}],"autoBackfillMode":"MANUAL"}`
	want := s.createGameSession(t, fleet.CreateGameSessionInput{
		Name:                      "duel",
		MaximumPlayerSessionCount: 4,
		GameProperties:            []fleet.Property{{Key: "mode", Value: "ctf"}, {Key: "map", Value: "dust"}},
		GameSessionData:           "seed=42",
		MatchmakerData:            matchmakerData,
	})
	got := g.nextGameSession(t)
	if got.GameSessionID != want.ID || got.Name != "duel" || got.FleetID != s.fleetID || got.MaximumPlayerSessionCount != 4 ||
		got.GameSessionData != "seed=42" || got.MatchmakerData != matchmakerData ||
		got.IPAddress != "127.0.0.1" || got.DNSName != "host-1.lab" || got.Port != 7777 ||
		len(got.GameProperties) != 2 || got.GameProperties["mode"] != "ctf" || got.GameProperties["map"] != "dust" {
		t.Fatalf("OnStartGameSession got %+v\nfor %+v", got, want)
	}
	md, err := server.ParseMatchmakerData(got.MatchmakerData)
	if err != nil || md.MatchID != "m-1" || len(md.Teams) != 1 || md.Teams[0].Players[0].PlayerID != "alice" {
		t.Fatalf("ParseMatchmakerData = %+v, %v", md, err)
	}
	if id, _ := g.GetGameSessionID(); id != want.ID {
		t.Fatalf("GetGameSessionID = %q, want %q", id, want.ID)
	}
	if st := s.gameSession(t, want.ID).Status; st != fleet.GameSessionActivating {
		t.Fatalf("game session before ActivateGameSession is %s", st)
	}
	if err := g.ActivateGameSession(); err != nil {
		t.Fatal(err)
	}
	if st := s.gameSession(t, want.ID).Status; st != fleet.GameSessionActive {
		t.Fatalf("game session after ActivateGameSession is %s", st)
	}
	// Activating again is harmless.
	if err := g.ActivateGameSession(); err != nil {
		t.Fatalf("second ActivateGameSession: %v", err)
	}
}

func TestServicePlayerSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startService(t, nil)
	g, gs := s.activeGameSession(t, "proc-1")
	ps := s.playerSessions(t, gs.ID, "alice", "bob", "carol", "dave")

	if err := g.AcceptPlayerSession(ps[0].ID); err != nil {
		t.Fatalf("AcceptPlayerSession: %v", err)
	}
	if st := s.playerSessionStatus(t, ps[0].ID); st != fleet.PlayerSessionActive {
		t.Fatalf("accepted player session is %s", st)
	}
	if err := g.AcceptPlayerSession(ps[1].ID); err != nil {
		t.Fatal(err)
	}
	if err := g.RemovePlayerSession(ps[1].ID); err != nil {
		t.Fatalf("RemovePlayerSession: %v", err)
	}
	if st := s.playerSessionStatus(t, ps[1].ID); st != fleet.PlayerSessionCompleted {
		t.Fatalf("removed player session is %s", st)
	}
	if err := g.RemovePlayerSession(ps[1].ID); !errors.Is(err, server.ErrBadRequest) {
		t.Fatalf("second RemovePlayerSession = %v, want ErrBadRequest", err)
	}

	// DENY_ALL closes the game session to new players, ACCEPT_ALL opens it.
	if err := g.UpdatePlayerSessionCreationPolicy(server.DenyAll); err != nil {
		t.Fatal(err)
	}
	if _, err := s.fleets().CreatePlayerSessions(ctx, gs.ID, []fleet.NewPlayer{{PlayerID: "eve"}}); !errors.Is(err, fleet.ErrInvalidGameSessionStatus) {
		t.Fatalf("joining a DENY_ALL game session: %v", err)
	}
	if err := g.UpdatePlayerSessionCreationPolicy(server.AcceptAll); err != nil {
		t.Fatal(err)
	}
	ps = append(ps, s.playerSessions(t, gs.ID, "eve")...)

	// Pages of two, in creation order, with every field.
	var all []server.PlayerSession
	next := ""
	for pages := 0; ; pages++ {
		if pages > len(ps) {
			t.Fatal("DescribePlayerSessions keeps returning a NextToken")
		}
		r, err := g.DescribePlayerSessions(server.DescribePlayerSessionsRequest{GameSessionID: gs.ID, Limit: 2, NextToken: next})
		if err != nil {
			t.Fatalf("DescribePlayerSessions: %v", err)
		}
		if len(r.PlayerSessions) > 2 {
			t.Fatalf("page of %d with Limit 2", len(r.PlayerSessions))
		}
		all = append(all, r.PlayerSessions...)
		if next = r.NextToken; next == "" {
			break
		}
	}
	wantStatus := []server.PlayerSessionStatus{server.PlayerSessionActive, server.PlayerSessionCompleted, server.PlayerSessionReserved, server.PlayerSessionReserved, server.PlayerSessionReserved}
	if len(all) != len(ps) {
		t.Fatalf("described %d player sessions, want %d", len(all), len(ps))
	}
	for i, got := range all {
		w := ps[i]
		if got.PlayerSessionID != w.ID || got.PlayerID != w.PlayerID || got.PlayerData != w.PlayerData || got.Status != wantStatus[i] ||
			got.GameSessionID != gs.ID || got.FleetID != s.fleetID || got.IPAddress != "127.0.0.1" || got.DNSName != "host-1.lab" || got.Port != 7777 ||
			!got.CreationTime.Equal(w.CreatedAt.Truncate(time.Millisecond)) {
			t.Errorf("player session %d = %+v\nwant %+v with status %s", i, got, w, wantStatus[i])
		}
	}
	if all[1].TerminationTime.IsZero() || !all[0].TerminationTime.IsZero() {
		t.Errorf("TerminationTime: removed %v, active %v", all[1].TerminationTime, all[0].TerminationTime)
	}

	for _, tc := range []struct {
		name string
		req  server.DescribePlayerSessionsRequest
		want []string
	}{
		{"by player session", server.DescribePlayerSessionsRequest{PlayerSessionID: ps[2].ID}, []string{ps[2].ID}},
		{"by player", server.DescribePlayerSessionsRequest{PlayerID: "dave"}, []string{ps[3].ID}},
		{"by status", server.DescribePlayerSessionsRequest{GameSessionID: gs.ID, PlayerSessionStatusFilter: server.PlayerSessionReserved}, []string{ps[2].ID, ps[3].ID, ps[4].ID}},
	} {
		r, err := g.DescribePlayerSessions(tc.req)
		var ids []string
		for _, p := range r.PlayerSessions {
			ids = append(ids, p.PlayerSessionID)
		}
		if err != nil || !slices.Equal(ids, tc.want) || r.NextToken != "" {
			t.Errorf("DescribePlayerSessions %s = %v (next %q), %v; want %v", tc.name, ids, r.NextToken, err, tc.want)
		}
	}
	if _, err := g.DescribePlayerSessions(server.DescribePlayerSessionsRequest{GameSessionID: gs.ID, NextToken: "not-a-token"}); !errors.Is(err, server.ErrBadRequest) {
		t.Errorf("DescribePlayerSessions with a made-up NextToken = %v, want ErrBadRequest", err)
	}
}

// TestServiceAcceptRefusals: a player session that is not RESERVED in the
// process's own game session is refused, and the refusal changes nothing.
func TestServiceAcceptRefusals(t *testing.T) {
	t.Parallel()
	const reservation = time.Second
	s := startService(t, func(c *node.Config) { c.ReservationTimeout = reservation })
	g, gs := s.activeGameSession(t, "proc-1")
	_, other := s.activeGameSession(t, "proc-2")
	ps := s.playerSessions(t, gs.ID, "alice", "bob")
	if err := g.AcceptPlayerSession(ps[0].ID); err != nil {
		t.Fatal(err)
	}
	// ps[1] is left to time out.
	eventually(t, "the unaccepted reservation times out", func() bool {
		return s.playerSessionStatus(t, ps[1].ID) == fleet.PlayerSessionTimedOut
	})
	foreign := s.playerSessions(t, other.ID, "mallory")[0]

	for _, tc := range []struct {
		name   string
		id     string
		want   error
		status string
	}{
		{"accepted already", ps[0].ID, server.ErrBadRequest, fleet.PlayerSessionActive},
		{"unknown", ps[0].ID[:len(ps[0].ID)-4] + "beef", server.ErrNotFound, ""},
		{"another game session's", foreign.ID, server.ErrNotFound, fleet.PlayerSessionReserved},
		{"timed out", ps[1].ID, server.ErrBadRequest, fleet.PlayerSessionTimedOut},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := g.AcceptPlayerSession(tc.id)
			var e *server.Error
			if !errors.Is(err, tc.want) || !errors.As(err, &e) || e.Action != "AcceptPlayerSession" || e.Message == "" {
				t.Fatalf("AcceptPlayerSession = %#v, want an *Error matching %v", err, tc.want)
			}
			if tc.status != "" {
				if st := s.playerSessionStatus(t, tc.id); st != tc.status {
					t.Errorf("after the refusal the player session is %s, want %s", st, tc.status)
				}
			}
		})
	}
	// A player session accepted in time does not time out.
	if st := s.playerSessionStatus(t, ps[0].ID); st != fleet.PlayerSessionActive {
		t.Errorf("accepted player session is %s after the reservation timeout", st)
	}
}

// TestServiceConcurrentAccepts: replies to many calls in flight at once on
// one connection each reach their own caller.
func TestServiceConcurrentAccepts(t *testing.T) {
	t.Parallel()
	s := startService(t, nil)
	g, gs := s.activeGameSession(t, "proc-1")
	players := make([]string, 60)
	for i := range players {
		players[i] = fmt.Sprintf("player-%d", i)
	}
	ps := s.playerSessions(t, gs.ID, players...)
	type result struct {
		id    string
		known bool
		err   error
	}
	var ids []result
	for i, p := range ps {
		ids = append(ids, result{id: p.ID, known: true})
		if i%3 == 0 {
			ids = append(ids, result{id: fmt.Sprintf("%s%04d", p.ID[:len(p.ID)-4], i)})
		}
	}
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() { ids[i].err = g.AcceptPlayerSession(ids[i].id) })
	}
	wg.Wait()
	for _, r := range ids {
		switch {
		case r.known && r.err != nil:
			t.Errorf("AcceptPlayerSession(%s) = %v", r.id, r.err)
		case !r.known && !errors.Is(r.err, server.ErrNotFound):
			t.Errorf("AcceptPlayerSession(unknown %s) = %v, want ErrNotFound", r.id, r.err)
		case !r.known && !strings.Contains(r.err.Error(), r.id):
			t.Errorf("AcceptPlayerSession(%s) got the reply to another request: %v", r.id, r.err)
		}
	}
	for _, p := range ps {
		if st := s.playerSessionStatus(t, p.ID); st != fleet.PlayerSessionActive {
			t.Errorf("%s is %s", p.ID, st)
		}
	}
}

func TestServiceOtherCalls(t *testing.T) {
	t.Parallel()
	s := startService(t, nil)
	g, gs := s.activeGameSession(t, "proc-1")

	cert, err := g.GetComputeCertificate()
	if err != nil || cert.CertificatePath != "/etc/host-1/cert.pem" || cert.ComputeName != "host-1" {
		t.Errorf("GetComputeCertificate = %+v, %v", cert, err)
	}
	// rallypoint fleets have no IAM role.
	if _, err := g.GetFleetRoleCredentials(server.GetFleetRoleCredentialsRequest{RoleArn: "arn:aws:iam::123456789012:role/game"}); !errors.Is(err, server.ErrBadRequest) {
		t.Errorf("GetFleetRoleCredentials = %v, want ErrBadRequest", err)
	}
	// No matchmaking configuration exists (rallypoint has no matchmaking
	// yet).
	backfill := server.StartMatchBackfillRequest{
		GameSessionArn:              gs.ID,
		MatchmakingConfigurationArn: "arn:rallypoint:gamelift:local::matchmakingconfiguration/duel",
		Players:                     []server.Player{{PlayerID: "alice", Team: "red", LatencyInMS: map[string]int{location: 20}, PlayerAttributes: map[string]server.AttributeValue{"skill": server.NumberAttribute(23)}}},
	}
	if _, err := g.StartMatchBackfill(backfill); !errors.Is(err, server.ErrNotFound) {
		t.Errorf("StartMatchBackfill = %v, want ErrNotFound", err)
	}
	if err := g.StopMatchBackfill(server.StopMatchBackfillRequest{TicketID: "t-1", GameSessionArn: gs.ID, MatchmakingConfigurationArn: backfill.MatchmakingConfigurationArn}); !errors.Is(err, server.ErrNotFound) {
		t.Errorf("StopMatchBackfill = %v, want ErrNotFound", err)
	}
}

// TestServiceTerminateGameSession: TerminateGameSession reaches the game as
// OnProcessTerminate; its ProcessEnding ends the game session.
func TestServiceTerminateGameSession(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startService(t, nil)
	g, gs := s.activeGameSession(t, "proc-1", server.WithHeartbeat(10*time.Millisecond, 0))
	ps := s.playerSessions(t, gs.ID, "alice", "bob")
	if err := g.AcceptPlayerSession(ps[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := g.GetTerminationTime(); !errors.Is(err, server.ErrNoTerminationTime) {
		t.Fatalf("GetTerminationTime before = %v", err)
	}

	before := time.Now()
	if _, err := s.fleets().TerminateGameSession(ctx, gs.ID, fleet.TriggerOnProcessTerminate); err != nil {
		t.Fatal(err)
	}
	recv(t, g.terminate, "OnProcessTerminate")
	tt, err := g.GetTerminationTime()
	proc := s.process(t, "proc-1")
	if err != nil || !tt.Equal(proc.TerminationTime.Truncate(time.Millisecond)) || !tt.After(before) {
		t.Fatalf("GetTerminationTime = %v, %v; the service says %v", tt, err, proc.TerminationTime)
	}
	if st := s.gameSession(t, gs.ID).Status; st != fleet.GameSessionTerminating {
		t.Fatalf("game session before ProcessEnding is %s", st)
	}
	if err := g.ProcessEnding(); err != nil {
		t.Fatalf("ProcessEnding: %v", err)
	}
	got := s.gameSession(t, gs.ID)
	if got.Status != fleet.GameSessionTerminated || got.StatusReason != fleet.ReasonTriggeredOnProcessTerminate {
		t.Fatalf("game session after ProcessEnding is %s/%s", got.Status, got.StatusReason)
	}
	if p := s.process(t, "proc-1"); p.Status != fleet.ProcessTerminated {
		t.Fatalf("process after ProcessEnding is %s", p.Status)
	}
	if st := s.playerSessionStatus(t, ps[0].ID); st != fleet.PlayerSessionCompleted {
		t.Errorf("active player session of the ended game session is %s", st)
	}
	if _, err := g.GetComputeCertificate(); !errors.Is(err, server.ErrProcessNotReady) {
		t.Errorf("call after ProcessEnding = %v", err)
	}
	// Heartbeats stop: one may have been under way, then none, so none
	// fails against the ended process.
	sent := g.logs.count("heartbeat")
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if n := g.logs.count("heartbeat"); n > sent+1 {
			t.Fatalf("%d heartbeats after ProcessEnding", n-sent)
		}
	}
	if n := g.logs.count("heartbeat failed"); n != 0 {
		t.Errorf("%d heartbeats failed", n)
	}
	if err := g.Destroy(); err != nil {
		t.Fatal(err)
	}
	// The process id is spent.
	_, err = server.Connect(ctx, server.ServerParameters{WebSocketURL: s.url(), ProcessID: "proc-1", HostID: "host-1", FleetID: s.fleetID, AuthToken: s.token})
	if !errors.Is(err, server.ErrForbidden) {
		t.Fatalf("Connect with an ended process id = %v, want ErrForbidden", err)
	}
}

// TestServiceTerminateWithoutCallback: a game without OnProcessTerminate
// ends by itself when told to.
func TestServiceTerminateWithoutCallback(t *testing.T) {
	t.Parallel()
	s := startService(t, nil)
	g := s.connect(t, "proc-1", "")
	started := make(chan server.GameSession, 1)
	if err := g.ProcessReady(server.ProcessParameters{Port: 7777, OnStartGameSession: func(gs server.GameSession) { started <- gs }}); err != nil {
		t.Fatal(err)
	}
	gs := s.createGameSession(t, fleet.CreateGameSessionInput{})
	recv(t, started, "OnStartGameSession")
	if err := g.ActivateGameSession(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.fleets().TerminateGameSession(context.Background(), gs.ID, fleet.TriggerOnProcessTerminate); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the game session is terminated", func() bool {
		return s.gameSession(t, gs.ID).Status == fleet.GameSessionTerminated
	})
}

// TestServiceHeartbeats: heartbeats keep a process alive; a process whose
// heartbeats stop is ended, with its game session.
func TestServiceHeartbeats(t *testing.T) {
	t.Parallel()
	// Long enough that, on a loaded machine, the silent process still
	// gets its game session before it counts as unhealthy (half of it).
	const timeout = 1500 * time.Millisecond
	s := startService(t, func(c *node.Config) { c.HeartbeatTimeout = timeout })
	beating := server.WithHeartbeat(50*time.Millisecond, 10*time.Millisecond)
	start := time.Now()

	alive, aliveGS := s.activeGameSession(t, "alive", beating)
	// Its heartbeats stop after the first (sent at ProcessReady).
	silent, silentGS := s.activeGameSession(t, "silent")
	// Dies without ProcessEnding.
	dead, deadGS := s.activeGameSession(t, "dead", beating)
	// Never activates its game session.
	inactive := s.launch(t, "inactive", "")
	inactiveGS := s.createGameSession(t, fleet.CreateGameSessionInput{})
	inactive.nextGameSession(t)
	if err := dead.Destroy(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		pid            string
		gs             string
		status, reason string
	}{
		{"silent", silentGS.ID, fleet.GameSessionTerminated, fleet.ReasonInterrupted},
		{"dead", deadGS.ID, fleet.GameSessionTerminated, fleet.ReasonInterrupted},
		{"inactive", inactiveGS.ID, fleet.GameSessionError, ""},
	} {
		eventually(t, "the game session of "+tc.pid+" ends", func() bool {
			st := s.gameSession(t, tc.gs).Status
			return st == fleet.GameSessionTerminated || st == fleet.GameSessionError
		})
		if got := s.gameSession(t, tc.gs); got.Status != tc.status || got.StatusReason != tc.reason {
			t.Errorf("game session of %s is %s/%s, want %s/%s", tc.pid, got.Status, got.StatusReason, tc.status, tc.reason)
		}
		if p := s.process(t, tc.pid); p.Status != fleet.ProcessTerminated {
			t.Errorf("process %s is %s", tc.pid, p.Status)
		}
	}
	// A process that is lost is told to terminate, in case it still runs.
	recv(t, silent.terminate, "OnProcessTerminate of the silent process")
	recv(t, inactive.terminate, "OnProcessTerminate of the inactive process")

	// The beating process stays, through a few more timeouts.
	for time.Since(start) < 3*timeout {
		if p := s.process(t, "alive"); p.Status != fleet.ProcessActive || !p.Healthy {
			t.Fatalf("beating process is %s (healthy %v): %s", p.Status, p.Healthy, p.EndReason)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st := s.gameSession(t, aliveGS.ID).Status; st != fleet.GameSessionActive {
		t.Errorf("game session of the beating process is %s", st)
	}
	if err := alive.AcceptPlayerSession(s.playerSessions(t, aliveGS.ID, "alice")[0].ID); err != nil {
		t.Errorf("AcceptPlayerSession on the beating process: %v", err)
	}
}

// TestServiceUnhealthy: a process that reports itself unhealthy is ended.
// A health check slower than the limit counts as unhealthy.
func TestServiceUnhealthy(t *testing.T) {
	t.Parallel()
	s := startService(t, nil)
	release := make(chan struct{})
	defer close(release)
	for pid, health := range map[string]func() bool{
		"unhealthy": func() bool { return false },
		"slow":      func() bool { <-release; return true },
	} {
		g := s.connect(t, pid, "", server.WithHeartbeat(20*time.Millisecond, 0), server.WithHealthCheckTimeout(10*time.Millisecond))
		if err := g.ProcessReady(server.ProcessParameters{Port: 7777, OnHealthCheck: health}); err != nil {
			t.Fatal(err)
		}
	}
	s.launch(t, "healthy", "", server.WithHeartbeat(20*time.Millisecond, 0))
	for _, pid := range []string{"unhealthy", "slow"} {
		eventually(t, pid+" is ended", func() bool { return s.process(t, pid).Status == fleet.ProcessTerminated })
	}
	// Without OnHealthCheck, the process reports healthy.
	if p := s.process(t, "healthy"); p.Status != fleet.ProcessActive || !p.Healthy || p.Unhealthy != 0 {
		t.Errorf("process without a health check = %+v", p)
	}
}

// TestServiceReconnectAfterNodeRestart: a node that shuts down closes the
// sockets with 1012; the process redials, finds the node back, and goes on
// as the same process.
func TestServiceReconnectAfterNodeRestart(t *testing.T) {
	t.Parallel()
	s := startService(t, nil)
	g, gs := s.activeGameSession(t, "proc-1")
	ps := s.playerSessions(t, gs.ID, "alice", "bob")
	if err := g.AcceptPlayerSession(ps[0].ID); err != nil {
		t.Fatal(err)
	}

	s.restart()
	if err := g.AcceptPlayerSession(ps[1].ID); err != nil {
		t.Fatalf("AcceptPlayerSession after the restart: %v", err)
	}
	if id, _ := g.GetGameSessionID(); id != gs.ID {
		t.Errorf("GetGameSessionID after the restart = %q, want %q", id, gs.ID)
	}
	// Logged just after the new connection is in use. There may be two:
	// the node shutting down closes the sockets before its listener, so a
	// quick redial can reach it, to be closed with 1012 again.
	eventually(t, "the process logs its reconnect", func() bool { return g.logs.count("reconnected") >= 1 })
	if p := s.process(t, "proc-1"); p.Status != fleet.ProcessActive {
		t.Errorf("process after the restart is %s", p.Status)
	}
	if err := g.ProcessEnding(); err != nil {
		t.Fatal(err)
	}
	if st := s.gameSession(t, gs.ID).Status; st != fleet.GameSessionTerminated {
		t.Errorf("game session is %s", st)
	}
}

// TestServiceReconnectAfterCut: connections cut on the way (no close
// frame) are redialed with the same process id; a game session placed
// while the process was away reaches it when it is back, once.
func TestServiceReconnectAfterCut(t *testing.T) {
	t.Parallel()
	s := startService(t, nil)
	r := newRelay(t, s.n.PublicAddr())
	g := s.launch(t, "proc-1", r.url())

	// Placed while the process is away: the push is missed.
	r.cut(true)
	gs := s.createGameSession(t, fleet.CreateGameSessionInput{Name: "missed"})
	r.up()
	got := g.nextGameSession(t)
	if got.GameSessionID != gs.ID || got.Name != "missed" {
		t.Fatalf("OnStartGameSession after reconnecting = %+v, want %s", got, gs.ID)
	}

	// Cut again before activating: the service sends the game session again,
	// and the game does not start it twice.
	g.cutAndWait(t, r)
	if _, err := g.GetComputeCertificate(); err != nil {
		t.Fatalf("call after the second cut: %v", err)
	}
	// The re-sent push came on the new socket before the reply.
	if n := g.logs.count("game session pushed again; already started, ignored"); n != 1 {
		t.Fatalf("the game session was pushed again %d times, want 1", n)
	}
	select {
	case again := <-g.started:
		t.Fatalf("OnStartGameSession ran twice for %s", again.GameSessionID)
	default:
	}
	if err := g.ActivateGameSession(); err != nil {
		t.Fatal(err)
	}
	ps := s.playerSessions(t, gs.ID, "alice")
	g.cutAndWait(t, r)
	if err := g.AcceptPlayerSession(ps[0].ID); err != nil {
		t.Fatalf("AcceptPlayerSession after the third cut: %v", err)
	}

	// A call made while the process is away waits for it to be back...
	refused := r.refusedCount()
	r.cut(true)
	eventually(t, "the process redials", func() bool { return r.refusedCount() > refused })
	errc := make(chan error, 1)
	go func() { _, err := g.GetComputeCertificate(); errc <- err }()
	r.up()
	if err := recv(t, errc, "a call made while reconnecting"); err != nil {
		t.Fatalf("call made while reconnecting: %v", err)
	}
	// ...until its context ends.
	refused = r.refusedCount()
	r.cut(true)
	eventually(t, "the process redials", func() bool { return r.refusedCount() > refused })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := g.GetComputeCertificateContext(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("call while the service is unreachable = %v", err)
	}
	r.up()

	if accepted, _ := r.stats(); accepted < 4 {
		t.Errorf("%d connections through the relay, want at least 4", accepted)
	}
	if id, _ := g.GetGameSessionID(); id != gs.ID {
		t.Errorf("GetGameSessionID = %q", id)
	}
	if p := s.process(t, "proc-1"); p.Status != fleet.ProcessActive || p.GameSession == "" {
		t.Errorf("process = %+v", p)
	}
}

// TestServiceRefreshConnection: before its token expires the node sends
// RefreshConnection; the process moves to the new socket with the new
// token, closes the old one, and later redials with the new token.
func TestServiceRefreshConnection(t *testing.T) {
	t.Parallel()
	s := startService(t, func(c *node.Config) { c.ComputeAuthTokenTTL = 3 * time.Second })
	// Through the relay; the refresh endpoint is the node itself.
	r := newRelay(t, s.n.PublicAddr())
	g, gs := func() (*gameServer, fleet.GameSession) {
		g := s.launch(t, "proc-1", r.url())
		gs := s.createGameSession(t, fleet.CreateGameSessionInput{})
		g.nextGameSession(t)
		if err := g.ActivateGameSession(); err != nil {
			t.Fatal(err)
		}
		return g, gs
	}()

	eventually(t, "the process leaves the relayed socket", func() bool {
		_, ended := r.stats()
		return ended == 1
	})
	if n := g.logs.count("connection refreshed"); n < 1 {
		t.Fatal("the relayed socket ended without a refresh")
	}
	r.cut(true) // nothing goes through the old path any more
	ps := s.playerSessions(t, gs.ID, "alice", "bob")
	if err := g.AcceptPlayerSession(ps[0].ID); err != nil {
		t.Fatalf("AcceptPlayerSession on the refreshed socket: %v", err)
	}

	// Once the first token has expired, a redial must use a refreshed one.
	eventually(t, "the first token expires", func() bool { return time.Now().After(s.expires) })
	s.restart()
	if err := g.AcceptPlayerSession(ps[1].ID); err != nil {
		t.Fatalf("AcceptPlayerSession after a redial past the first token's expiry: %v", err)
	}
	if p := s.process(t, "proc-1"); p.Status != fleet.ProcessActive {
		t.Errorf("process is %s", p.Status)
	}
}

// TestServiceConnectRefused: the service refuses a bad token or a spent
// process id at the upgrade, and Connect does not retry.
func TestServiceConnectRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := startService(t, nil)
	other, err := s.fleets().IssueComputeAuthToken(ctx, s.fleetID, "host-2")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"garbage token", "rp1.garbage.garbage"},
		{"another compute's token", other.Token},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(ctx, wait)
			defer cancel()
			start := time.Now()
			_, err := server.Connect(ctx, server.ServerParameters{WebSocketURL: s.url(), ProcessID: "proc-1", HostID: "host-1", FleetID: s.fleetID, AuthToken: tc.token},
				server.WithReconnectBackoff(time.Second, time.Second))
			if !errors.Is(err, server.ErrForbidden) {
				t.Fatalf("Connect = %v, want ErrForbidden", err)
			}
			if strings.Contains(err.Error(), tc.token) {
				t.Errorf("the error shows the token: %v", err)
			}
			if time.Since(start) > 900*time.Millisecond {
				t.Errorf("Connect took %v: it retried", time.Since(start))
			}
		})
	}
}

// TestServiceConnectWaitsForService: Connect retries until the service is
// reachable, and gives up with its context.
func TestServiceConnectWaitsForService(t *testing.T) {
	t.Parallel()
	s := startService(t, nil)
	r := newRelay(t, s.n.PublicAddr())
	r.cut(true)
	params := server.ServerParameters{WebSocketURL: r.url(), ProcessID: "proc-1", HostID: "host-1", FleetID: s.fleetID, AuthToken: s.token}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := server.Connect(ctx, params, server.WithReconnectBackoff(5*time.Millisecond, 10*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), s.token) {
		t.Fatalf("Connect while the service is unreachable = %v", err)
	}

	// Nothing listening at all: refused connections are retried too.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedURL := "ws://" + ln.Addr().String() + node.ServerSDKPath
	ln.Close()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	p2 := params
	p2.WebSocketURL = closedURL
	if _, err := server.Connect(ctx2, p2, server.WithReconnectBackoff(5*time.Millisecond, 10*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), s.token) {
		t.Fatalf("Connect to a closed port = %v", err)
	}

	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		p, err := server.Connect(ctx, params, server.WithReconnectBackoff(5*time.Millisecond, 20*time.Millisecond))
		if err == nil {
			err = p.Destroy()
		}
		done <- err
	}()
	eventually(t, "Connect has been turned away a few times", func() bool { return r.refusedCount() >= 3 })
	r.up()
	if err := recv(t, done, "Connect"); err != nil {
		t.Fatalf("Connect once the service is reachable: %v", err)
	}
}

// TestServicePlacementRacesHeartbeat: a game session placed while the only
// idle process's heartbeat is being recorded should still land on it.
func TestServicePlacementRacesHeartbeat(t *testing.T) {
	t.Parallel()
	s := startService(t, nil)
	for i := range 10 {
		pid := fmt.Sprintf("proc-%d", i)
		// Heartbeats back to back.
		s.launch(t, pid, "", server.WithHeartbeat(time.Millisecond, 0))
		in := fleet.CreateGameSessionInput{FleetID: s.fleetID, Location: location, MaximumPlayerSessionCount: 2}
		if _, err := s.fleets().CreateGameSession(context.Background(), in); err != nil {
			t.Fatalf("placement %d with one idle process: %v", i, err)
		}
	}
}

// TestServiceGameEndsItself: the pattern of the package documentation,
// ProcessEnding and Destroy from OnProcessTerminate.
func TestServiceGameEndsItself(t *testing.T) {
	t.Parallel()
	s := startService(t, nil)
	g := s.connect(t, "proc-1", "")
	started := make(chan server.GameSession, 1)
	ended := make(chan error, 1)
	err := g.ProcessReady(server.ProcessParameters{
		Port: 7777,
		OnStartGameSession: func(gs server.GameSession) {
			if err := g.ActivateGameSession(); err != nil {
				t.Errorf("ActivateGameSession from OnStartGameSession: %v", err)
			}
			started <- gs
		},
		OnProcessTerminate: func() { ended <- errors.Join(g.ProcessEnding(), g.Destroy()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	gs := s.createGameSession(t, fleet.CreateGameSessionInput{})
	recv(t, started, "OnStartGameSession")
	if _, err := s.fleets().TerminateGameSession(context.Background(), gs.ID, fleet.TriggerOnProcessTerminate); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, ended, "OnProcessTerminate"); err != nil {
		t.Fatalf("ProcessEnding and Destroy from OnProcessTerminate: %v", err)
	}
	if st := s.gameSession(t, gs.ID).Status; st != fleet.GameSessionTerminated {
		t.Errorf("game session is %s", st)
	}
	if _, err := g.GetComputeCertificate(); !errors.Is(err, server.ErrDestroyed) {
		t.Errorf("call after Destroy = %v", err)
	}
}

// TestServiceDefaultInstance: the package-level functions, as code written
// against GameLift's Go SDK calls them. The only test that uses the
// default instance.
func TestServiceDefaultInstance(t *testing.T) {
	t.Parallel()
	if err := server.ProcessReady(server.ProcessParameters{Port: 1}); !errors.Is(err, server.ErrNotInitialized) {
		t.Errorf("ProcessReady before InitSDK = %v", err)
	}
	s := startService(t, nil)
	params := server.ServerParameters{WebSocketURL: s.url(), ProcessID: "proc-1", HostID: "host-1", FleetID: s.fleetID, AuthToken: s.token}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := server.InitSDK(ctx, params); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Destroy() })
	if err := server.InitSDK(ctx, params); !errors.Is(err, server.ErrAlreadyInitialized) {
		t.Errorf("second InitSDK = %v", err)
	}
	started := make(chan server.GameSession, 1)
	if err := server.ProcessReady(server.ProcessParameters{Port: 7777, OnStartGameSession: func(gs server.GameSession) { started <- gs }}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the first heartbeat is recorded", func() bool {
		p := s.process(t, "proc-1")
		return p.LastBeat.After(p.ActivatedAt)
	})
	gs := s.createGameSession(t, fleet.CreateGameSessionInput{})
	recv(t, started, "OnStartGameSession")
	if err := server.ActivateGameSession(); err != nil {
		t.Fatal(err)
	}
	if id, err := server.GetGameSessionID(); id != gs.ID || err != nil {
		t.Errorf("GetGameSessionID = %q, %v", id, err)
	}
	if err := server.ProcessEnding(); err != nil {
		t.Fatal(err)
	}
	if err := server.Destroy(); err != nil {
		t.Fatal(err)
	}
	if err := server.Destroy(); !errors.Is(err, server.ErrNotInitialized) {
		t.Errorf("second Destroy = %v", err)
	}
	if st := s.gameSession(t, gs.ID).Status; st != fleet.GameSessionTerminated {
		t.Errorf("game session is %s", st)
	}
}
