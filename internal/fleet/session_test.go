package fleet_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
	"github.com/rallypoint/rallypoint/internal/fleet"
)

// sessionEnv is a fleet service with deadlines running, one fleet in
// custom-lab and compute host-1 in it.
type sessionEnv struct {
	s       *fleet.Service
	e       *engine.Engine
	fleetID string
	stop    context.CancelFunc
}

func newSessionEnv(t testing.TB, tweak func(*fleet.Config)) *sessionEnv {
	t.Helper()
	e := enginetest.Open(t)
	env := &sessionEnv{e: e}
	env.s = env.start(t, tweak)
	c := setupCompute(t, env.s)
	env.fleetID = c.FleetID
	return env
}

// start builds a service over env's engine and runs its deadlines until
// the test ends (or env.stop).
func (env *sessionEnv) start(t testing.TB, tweak func(*fleet.Config)) *fleet.Service {
	t.Helper()
	cfg := fleet.Config{
		Config:       env.e.Bucket(engine.BucketConfig),
		Computes:     env.e.Bucket(engine.BucketComputes),
		Sessions:     env.e.Bucket(engine.BucketSessions),
		Leases:       env.e.Leases(),
		AuthTokenTTL: time.Hour,
	}
	if tweak != nil {
		tweak(&cfg)
	}
	s, err := fleet.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Run(ctx) }()
	env.stop = func() { cancel(); <-done }
	t.Cleanup(env.stop)
	return s
}

func (env *sessionEnv) ready(t testing.TB, pid string, port int) fleet.ProcessRef {
	t.Helper()
	ref := fleet.ProcessRef{FleetID: env.fleetID, Compute: "host-1", ProcessID: pid}
	if _, err := env.s.ProcessReady(context.Background(), ref, fleet.ReadyInput{Port: port, SDKLanguage: "Go"}); err != nil {
		t.Fatalf("ProcessReady %s: %v", pid, err)
	}
	return ref
}

func (env *sessionEnv) create(t testing.TB, max int) fleet.GameSession {
	t.Helper()
	gs, err := env.s.CreateGameSession(context.Background(), fleet.CreateGameSessionInput{FleetID: env.fleetID, Location: "custom-lab", MaximumPlayerSessionCount: max, Name: "match"})
	if err != nil {
		t.Fatalf("CreateGameSession: %v", err)
	}
	return gs
}

// activeSession readies a process and gives it an ACTIVE game session.
func (env *sessionEnv) activeSession(t testing.TB, pid string, max int) (fleet.ProcessRef, fleet.GameSession) {
	t.Helper()
	ref := env.ready(t, pid, 7000)
	gs := env.create(t, max)
	if _, err := env.s.ActivateGameSession(context.Background(), ref, gs.ID); err != nil {
		t.Fatalf("ActivateGameSession: %v", err)
	}
	return ref, gs
}

func (env *sessionEnv) reserve(t *testing.T, gsID string, players ...string) []fleet.PlayerSessionView {
	t.Helper()
	var in []fleet.NewPlayer
	for _, p := range players {
		in = append(in, fleet.NewPlayer{PlayerID: p})
	}
	out, err := env.s.CreatePlayerSessions(context.Background(), gsID, in)
	if err != nil {
		t.Fatalf("CreatePlayerSessions: %v", err)
	}
	return out
}

func (env *sessionEnv) playerSession(t *testing.T, id string) fleet.PlayerSessionView {
	t.Helper()
	got, err := env.s.PlayerSessions(context.Background(), fleet.PlayerSessionFilter{PlayerSessionID: id})
	if err != nil || len(got) != 1 {
		t.Fatalf("PlayerSessions(%s) = %v, %v", id, got, err)
	}
	return got[0]
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestGameSessionLifecycle(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t, nil)
	ref := env.ready(t, "proc-1", 7777)

	gs := env.create(t, 4)
	if gs.Status != fleet.GameSessionActivating || gs.IPAddress != "10.0.0.1" || gs.Port != 7777 || gs.Compute != "host-1" || gs.ProcessID != "proc-1" {
		t.Fatalf("new game session = %+v", gs)
	}
	if _, err := env.s.CreatePlayerSessions(ctx, gs.ID, []fleet.NewPlayer{{PlayerID: "p1"}}); !errors.Is(err, fleet.ErrInvalidGameSessionStatus) {
		t.Fatalf("player session in an ACTIVATING game session: err = %v, want InvalidGameSessionStatus", err)
	}
	pending, err := env.s.PendingPushes(ctx, ref)
	if err != nil || len(pending) != 1 || pending[0].Kind != fleet.PushCreateGameSession || pending[0].GameSession.ID != gs.ID {
		t.Fatalf("PendingPushes before activation = %+v, %v", pending, err)
	}
	if _, err := env.s.ActivateGameSession(ctx, ref, gs.ID); err != nil {
		t.Fatal(err)
	}
	if pending, _ := env.s.PendingPushes(ctx, ref); len(pending) != 0 {
		t.Fatalf("PendingPushes after activation = %+v", pending)
	}

	ps := env.reserve(t, gs.ID, "p1", "p2")
	if ps[0].Status != fleet.PlayerSessionReserved || ps[0].Port != 7777 || ps[0].GameSessionID != gs.ID {
		t.Fatalf("player session = %+v", ps[0])
	}
	if _, err := env.s.AcceptPlayerSession(ctx, ref, gs.ID, ps[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := env.playerSession(t, ps[0].ID); got.Status != fleet.PlayerSessionActive {
		t.Fatalf("accepted player session is %s", got.Status)
	}
	if err := env.s.RemovePlayerSession(ctx, ref, gs.ID, ps[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := env.playerSession(t, ps[0].ID); got.Status != fleet.PlayerSessionCompleted {
		t.Fatalf("removed player session is %s", got.Status)
	}

	if err := env.s.ProcessEnding(ctx, ref); err != nil {
		t.Fatal(err)
	}
	ended, err := env.s.GameSession(ctx, gs.ID)
	if err != nil || ended.Status != fleet.GameSessionTerminated || ended.StatusReason != "" {
		t.Fatalf("after ProcessEnding: %+v, %v", ended, err)
	}
	if got := env.playerSession(t, ps[1].ID); got.Status != fleet.PlayerSessionTimedOut {
		t.Fatalf("unused reservation of an ended game session is %s, want TIMEDOUT", got.Status)
	}
	if _, _, err := env.s.ConnectProcess(ctx, ref, issueToken(t, env)); !errors.Is(err, fleet.ErrForbidden) {
		t.Fatalf("reconnecting an ended process id: err = %v, want Forbidden", err)
	}
}

func issueToken(t *testing.T, env *sessionEnv) string {
	t.Helper()
	tok, err := env.s.IssueComputeAuthToken(context.Background(), env.fleetID, "host-1")
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// TestAcceptPlayerSessionRefusals: a player session is accepted once, by
// the process hosting its game session, while RESERVED; everything else
// is refused and changes nothing.
func TestAcceptPlayerSessionRefusals(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t, nil)
	refA, gsA := env.activeSession(t, "proc-a", 4)
	refB, gsB := env.activeSession(t, "proc-b", 4)
	psA := env.reserve(t, gsA.ID, "alice", "carol")
	psB := env.reserve(t, gsB.ID, "bob")
	if _, err := env.s.AcceptPlayerSession(ctx, refA, gsA.ID, psA[1].ID); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name    string
		ref     fleet.ProcessRef
		gs, ps  string
		want    error
		unmoved string // a player session whose status must not change
	}{
		{"unknown id", refA, gsA.ID, "psess-nope", fleet.ErrNotFound, ""},
		{"well-formed but unknown", refA, gsA.ID, psA[0].ID[:len(psA[0].ID)-4] + "ffff", fleet.ErrNotFound, psA[0].ID},
		{"foreign player session", refA, gsA.ID, psB[0].ID, fleet.ErrNotFound, psB[0].ID},
		{"another process's game session", refA, gsB.ID, psB[0].ID, fleet.ErrForbidden, psB[0].ID},
		{"reused", refA, gsA.ID, psA[1].ID, fleet.ErrInvalidRequest, psA[1].ID},
		{"game session id garbage", refA, "gsess-garbage", psA[0].ID, fleet.ErrForbidden, psA[0].ID},
		{"process never ready", fleet.ProcessRef{FleetID: env.fleetID, Compute: "host-1", ProcessID: "ghost"}, gsA.ID, psA[0].ID, fleet.ErrInvalidRequest, psA[0].ID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var before string
			if tc.unmoved != "" {
				before = env.playerSession(t, tc.unmoved).Status
			}
			_, err := env.s.AcceptPlayerSession(ctx, tc.ref, tc.gs, tc.ps)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.unmoved != "" {
				if after := env.playerSession(t, tc.unmoved).Status; after != before {
					t.Fatalf("refused accept changed %s from %s to %s", tc.unmoved, before, after)
				}
			}
		})
	}
	_ = refB
}

func TestFleetCapacityExceeded(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t, nil)
	env.ready(t, "p1", 7001)
	env.ready(t, "p2", 7002)
	env.create(t, 2)
	env.create(t, 2)
	_, err := env.s.CreateGameSession(ctx, fleet.CreateGameSessionInput{FleetID: env.fleetID, Location: "custom-lab", MaximumPlayerSessionCount: 2})
	if !errors.Is(err, fleet.ErrFleetCapacityExceeded) {
		t.Fatalf("third game session on two processes: err = %v, want FleetCapacityExceeded", err)
	}
}

// TestConcurrentCreatesNeverShareAProcess: many callers race for few idle
// processes; each process hosts at most one game session.
func TestConcurrentCreatesNeverShareAProcess(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t, nil)
	for i := range 3 {
		env.ready(t, fmt.Sprintf("p%d", i), 7000+i)
	}
	var mu sync.Mutex
	hosts := map[string]int{}
	var full int
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			gs, err := env.s.CreateGameSession(ctx, fleet.CreateGameSessionInput{FleetID: env.fleetID, Location: "custom-lab", MaximumPlayerSessionCount: 2})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				hosts[gs.ProcessID]++
			case errors.Is(err, fleet.ErrFleetCapacityExceeded):
				full++
			default:
				t.Errorf("CreateGameSession: %v", err)
			}
		})
	}
	wg.Wait()
	if len(hosts) != 3 || full != 9 {
		t.Fatalf("sessions per process = %v, capacity errors = %d; want 3 processes with one each and 9 errors", hosts, full)
	}
	for p, n := range hosts {
		if n != 1 {
			t.Errorf("process %s hosts %d game sessions", p, n)
		}
	}
}

// TestConcurrentPlayerSessionsNeverExceedMaximum: many reservations at
// once for one game session fill it exactly.
func TestConcurrentPlayerSessionsNeverExceedMaximum(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t, nil)
	_, gs := env.activeSession(t, "p", 10)
	var ok, full int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			_, err := env.s.CreatePlayerSessions(ctx, gs.ID, []fleet.NewPlayer{{PlayerID: fmt.Sprint("player-", i)}})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, fleet.ErrGameSessionFull):
				full++
			default:
				t.Errorf("CreatePlayerSessions: %v", err)
			}
		})
	}
	wg.Wait()
	got, err := env.s.GameSession(ctx, gs.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok != 10 || full != 40 || got.CurrentPlayerSessionCount() != 10 || len(got.PlayerSessions) != 10 {
		t.Fatalf("ok=%d full=%d stored=%d/%d; want 10 reserved and 40 refused", ok, full, got.CurrentPlayerSessionCount(), len(got.PlayerSessions))
	}
}

func TestCreatePlayerSessionsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t, nil)
	_, gs := env.activeSession(t, "p", 3)
	env.reserve(t, gs.ID, "a", "b")
	_, err := env.s.CreatePlayerSessions(ctx, gs.ID, []fleet.NewPlayer{{PlayerID: "c"}, {PlayerID: "d"}})
	if !errors.Is(err, fleet.ErrGameSessionFull) {
		t.Fatalf("two players into one free slot: err = %v, want GameSessionFull", err)
	}
	if got, _ := env.s.GameSession(ctx, gs.ID); got.CurrentPlayerSessionCount() != 2 {
		t.Fatalf("a refused batch left %d player sessions, want 2", got.CurrentPlayerSessionCount())
	}
}

func TestReservationTimesOutAndFreesItsSlot(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t, func(c *fleet.Config) { c.ReservationTimeout = 300 * time.Millisecond })
	ref, gs := env.activeSession(t, "p", 1)
	ps := env.reserve(t, gs.ID, "slowpoke")[0]
	if _, err := env.s.CreatePlayerSessions(ctx, gs.ID, []fleet.NewPlayer{{PlayerID: "next"}}); !errors.Is(err, fleet.ErrGameSessionFull) {
		t.Fatalf("second player while the slot is reserved: err = %v, want GameSessionFull", err)
	}
	eventually(t, "the reservation to time out", func() bool {
		return env.playerSession(t, ps.ID).Status == fleet.PlayerSessionTimedOut
	})
	if _, err := env.s.AcceptPlayerSession(ctx, ref, gs.ID, ps.ID); !errors.Is(err, fleet.ErrInvalidRequest) {
		t.Fatalf("accepting a timed-out reservation: err = %v, want InvalidRequest", err)
	}
	env.reserve(t, gs.ID, "next")
}

// TestReservationDeadlineSurvivesRestart: deadlines are stored, so a new
// service (a restarted node) finds them by rescanning.
func TestReservationDeadlineSurvivesRestart(t *testing.T) {
	timeout := func(c *fleet.Config) { c.ReservationTimeout = 400 * time.Millisecond }
	env := newSessionEnv(t, timeout)
	_, gs := env.activeSession(t, "p", 2)
	ps := env.reserve(t, gs.ID, "alice")[0]
	env.stop() // the first node stops before the deadline
	env.s = env.start(t, timeout)
	eventually(t, "the restarted service to time the reservation out", func() bool {
		return env.playerSession(t, ps.ID).Status == fleet.PlayerSessionTimedOut
	})
}

// TestSilentProcessIsMarkedUnhealthy: a process that misses its
// heartbeat gets no new game session; one that beats again does.
func TestSilentProcessIsMarkedUnhealthy(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t, func(c *fleet.Config) { c.HeartbeatTimeout = 2 * time.Second })
	ref := env.ready(t, "quiet", 7000)
	eventually(t, "the silent process to be marked unhealthy", func() bool {
		p, err := env.s.Process(ctx, ref)
		return err == nil && !p.Healthy && p.Status == fleet.ProcessActive
	})
	if _, err := env.s.CreateGameSession(ctx, fleet.CreateGameSessionInput{FleetID: env.fleetID, Location: "custom-lab", MaximumPlayerSessionCount: 2}); !errors.Is(err, fleet.ErrFleetCapacityExceeded) {
		t.Fatalf("game session on an unhealthy process: err = %v, want FleetCapacityExceeded", err)
	}
	if err := env.s.Heartbeat(ctx, ref, true); err != nil {
		t.Fatal(err)
	}
	env.create(t, 2)
}

func TestLostProcessEndsItsGameSession(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t, func(c *fleet.Config) { c.HeartbeatTimeout = 2 * time.Second })
	ref, active := env.activeSession(t, "beating-then-silent", 2)
	env.ready(t, "never-activated", 7001)
	activating := env.create(t, 2)
	ps := env.reserve(t, active.ID, "alice")[0]
	if _, err := env.s.AcceptPlayerSession(ctx, ref, active.ID, ps.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the silent process to be marked unhealthy", func() bool {
		p, err := env.s.Process(ctx, ref)
		return err == nil && (!p.Healthy || p.Status == fleet.ProcessTerminated)
	})
	eventually(t, "both game sessions to end", func() bool {
		a, _ := env.s.GameSession(ctx, active.ID)
		b, _ := env.s.GameSession(ctx, activating.ID)
		return a.Status == fleet.GameSessionTerminated && b.Status == fleet.GameSessionError
	})
	a, _ := env.s.GameSession(ctx, active.ID)
	if a.StatusReason != fleet.ReasonInterrupted {
		t.Errorf("ACTIVE session of a lost process ended with reason %q, want INTERRUPTED", a.StatusReason)
	}
	if got := env.playerSession(t, ps.ID); got.Status != fleet.PlayerSessionCompleted {
		t.Errorf("player of a lost process is %s, want COMPLETED", got.Status)
	}
	p, err := env.s.Process(ctx, ref)
	if err != nil || p.Status != fleet.ProcessTerminated {
		t.Fatalf("silent process = %+v, %v; want TERMINATED", p, err)
	}
	if err := env.s.Heartbeat(ctx, ref, true); !errors.Is(err, fleet.ErrInvalidRequest) {
		t.Fatalf("heartbeat of a lost process: err = %v, want InvalidRequest", err)
	}
}

func TestHeartbeatsKeepAProcess(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t, func(c *fleet.Config) { c.HeartbeatTimeout = time.Second })
	ref, gs := env.activeSession(t, "p", 2)
	until := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(until) {
		if err := env.s.Heartbeat(ctx, ref, true); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got, _ := env.s.GameSession(ctx, gs.ID); got.Status != fleet.GameSessionActive {
		t.Fatalf("game session of a beating process is %s", got.Status)
	}
}

func TestUnhealthyReportsEndAProcess(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t, nil)
	ref, gs := env.activeSession(t, "sick", 2)
	for i := range 3 {
		if err := env.s.Heartbeat(ctx, ref, false); err != nil {
			t.Fatalf("unhealthy heartbeat %d: %v", i+1, err)
		}
	}
	got, _ := env.s.GameSession(ctx, gs.ID)
	if got.Status != fleet.GameSessionTerminated {
		t.Fatalf("after three unhealthy heartbeats the game session is %s", got.Status)
	}
}

func TestActivationTimeout(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t, func(c *fleet.Config) { c.ActivationTimeout = 300 * time.Millisecond })
	ref := env.ready(t, "slow", 7000)
	gs := env.create(t, 2)
	eventually(t, "the unactivated game session to end", func() bool {
		got, _ := env.s.GameSession(ctx, gs.ID)
		return got.Status == fleet.GameSessionError
	})
	if p, _ := env.s.Process(ctx, ref); p.Status != fleet.ProcessTerminated {
		t.Fatalf("process that never activated its session is %s", p.Status)
	}
}

func TestTerminateGameSession(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t, func(c *fleet.Config) { c.TerminationGrace = 400 * time.Millisecond })
	ref, gs := env.activeSession(t, "p", 2)
	if _, err := env.s.TerminateGameSession(ctx, gs.ID, fleet.ForceTerminate); !errors.Is(err, fleet.ErrInvalidRequest) {
		t.Fatalf("FORCE_TERMINATE: err = %v, want InvalidRequest", err)
	}
	got, err := env.s.TerminateGameSession(ctx, gs.ID, fleet.TriggerOnProcessTerminate)
	if err != nil || got.Status != fleet.GameSessionTerminating {
		t.Fatalf("TerminateGameSession = %+v, %v", got, err)
	}
	pending, _ := env.s.PendingPushes(ctx, ref)
	if len(pending) != 1 || pending[0].Kind != fleet.PushTerminateProcess || pending[0].TerminationTime.IsZero() {
		t.Fatalf("pending pushes of a terminating process = %+v", pending)
	}
	if err := env.s.ProcessEnding(ctx, ref); err != nil {
		t.Fatal(err)
	}
	got, _ = env.s.GameSession(ctx, gs.ID)
	if got.Status != fleet.GameSessionTerminated || got.StatusReason != fleet.ReasonTriggeredOnProcessTerminate {
		t.Fatalf("after ProcessEnding: %s %s", got.Status, got.StatusReason)
	}

	// A process that ignores the request is ended at its termination time.
	ref2, gs2 := env.activeSession(t, "stubborn", 2)
	if _, err := env.s.TerminateGameSession(ctx, gs2.ID, fleet.TriggerOnProcessTerminate); err != nil {
		t.Fatal(err)
	}
	// The process is ended first, then its game session.
	eventually(t, "the stubborn process and its game session to be ended", func() bool {
		p, _ := env.s.Process(ctx, ref2)
		got, _ := env.s.GameSession(ctx, gs2.ID)
		return p.Status == fleet.ProcessTerminated && got.Status == fleet.GameSessionTerminated
	})
	if got, _ := env.s.GameSession(ctx, gs2.ID); got.StatusReason != fleet.ReasonTriggeredOnProcessTerminate {
		t.Fatalf("stubborn process's session ended with reason %q", got.StatusReason)
	}
}

func TestIdempotencyToken(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t, nil)
	env.ready(t, "p1", 7001)
	env.ready(t, "p2", 7002)
	in := fleet.CreateGameSessionInput{FleetID: env.fleetID, Location: "custom-lab", MaximumPlayerSessionCount: 4, IdempotencyToken: "match-42"}
	first, err := env.s.CreateGameSession(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	again, err := env.s.CreateGameSession(ctx, in)
	if err != nil || again.ID != first.ID || again.ProcessID != first.ProcessID {
		t.Fatalf("repeat = %+v, %v; want the first session %s", again, err, first.ID)
	}
	in.MaximumPlayerSessionCount = 5
	if _, err := env.s.CreateGameSession(ctx, in); !errors.Is(err, fleet.ErrIdempotentParameterMismatch) {
		t.Fatalf("same token, other parameters: err = %v", err)
	}
	// The repeat took no second process.
	if _, err := env.s.CreateGameSession(ctx, fleet.CreateGameSessionInput{FleetID: env.fleetID, Location: "custom-lab", MaximumPlayerSessionCount: 4}); err != nil {
		t.Fatalf("the second process should still be idle: %v", err)
	}
}

func TestDeregisterComputeEndsItsProcesses(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t, nil)
	_, gs := env.activeSession(t, "p", 2)
	if err := env.s.DeregisterCompute(ctx, env.fleetID, "host-1"); err != nil {
		t.Fatal(err)
	}
	got, _ := env.s.GameSession(ctx, gs.ID)
	if got.Status != fleet.GameSessionTerminated {
		t.Fatalf("game session on a deregistered compute is %s", got.Status)
	}
}

// TestEndedGameSessionsArePurged: an ended game session stays readable for
// the retention, then is gone with its player sessions.
func TestEndedGameSessionsArePurged(t *testing.T) {
	ctx := context.Background()
	env := newSessionEnv(t, func(c *fleet.Config) {
		c.Retention = 300 * time.Millisecond
		c.RescanInterval = 100 * time.Millisecond
	})
	ref, gs := env.activeSession(t, "p", 2)
	ps := env.reserve(t, gs.ID, "alice")[0]
	_, live := env.activeSession(t, "q", 2)
	if err := env.s.ProcessEnding(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if got, err := env.s.GameSession(ctx, gs.ID); err != nil || got.Status != fleet.GameSessionTerminated {
		t.Fatalf("just after it ended: %v, %v", got.Status, err)
	}
	eventually(t, "the ended game session to be purged", func() bool {
		_, err := env.s.GameSession(ctx, gs.ID)
		return errors.Is(err, fleet.ErrNotFound)
	})
	if _, err := env.s.PlayerSessions(ctx, fleet.PlayerSessionFilter{PlayerSessionID: ps.ID}); !errors.Is(err, fleet.ErrNotFound) {
		t.Fatalf("player session of a purged game session: %v", err)
	}
	if got, err := env.s.GameSession(ctx, live.ID); err != nil || got.Status != fleet.GameSessionActive {
		t.Fatalf("a live game session was touched: %v, %v", got.Status, err)
	}
}

func TestProcessReadyPortRange(t *testing.T) {
	env := newSessionEnv(t, nil)
	for _, port := range []int{0, 60001, 65535} {
		ref := fleet.ProcessRef{FleetID: env.fleetID, Compute: "host-1", ProcessID: fmt.Sprint("p", port)}
		if _, err := env.s.ProcessReady(context.Background(), ref, fleet.ReadyInput{Port: port}); !errors.Is(err, fleet.ErrInvalidRequest) {
			t.Errorf("ProcessReady on port %d: err = %v, want InvalidRequest", port, err)
		}
	}
	env.ready(t, "edge", 60000)
}
