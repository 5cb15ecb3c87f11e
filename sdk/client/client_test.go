package client_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/testworld"
	"github.com/rallypoint/rallypoint/sdk/client"
)

// Two guests, one on a SigV4-presigned socket and one with a bearer
// token, measure their latency to the location's beacon, ask for a match,
// and are each pushed the game server's address and their own player
// session.
func TestGuestsAreMatchedAndToldTheirGame(t *testing.T) {
	a := newArena(t, nil)
	ctx := context.Background()
	alice := a.guest(t, a.cfg, client.WithSigV4())
	bob := a.guest(t, a.cfg)
	if alice.Identity().Credentials == nil {
		t.Fatal("a SigV4 Conn has no credentials in its Identity")
	}
	if !strings.HasPrefix(alice.Identity().ID, "local:") || alice.Identity().ID == bob.Identity().ID {
		t.Fatalf("identity ids %q and %q: want two distinct <region>:<uuid>", alice.Identity().ID, bob.Identity().ID)
	}

	latencies, err := client.MeasureBeacons(ctx, map[string]string{"custom-eu": a.w.N.PingBeaconAddr()}, 3)
	if err != nil || latencies["custom-eu"] < 1 {
		t.Fatalf("MeasureBeacons: %v, %v; want custom-eu measured", latencies, err)
	}
	// The configuration's locations: custom-us has no beacon, and is left
	// out.
	locs, err := alice.DescribeLocations(ctx, "duel")
	if err != nil || len(locs) != 2 {
		t.Fatalf("DescribeLocations: %+v, %v; want custom-eu and custom-us", locs, err)
	}
	got, err := alice.MeasureLatencies(ctx, "duel", 3)
	if err != nil || got["custom-eu"] < 1 || len(got) != 1 {
		t.Fatalf("MeasureLatencies: %v, %v; want custom-eu alone", got, err)
	}

	skill := map[string]client.AttributeValue{"skill": client.Number(20)}
	aliceTicket, err := alice.StartMatchmaking(ctx, "duel", skill, latencies)
	if err != nil {
		t.Fatalf("alice's StartMatchmaking: %v", err)
	}
	bobTicket, err := bob.StartMatchmaking(ctx, "duel", skill, latencies)
	if err != nil {
		t.Fatalf("bob's StartMatchmaking: %v", err)
	}
	if aliceTicket.TicketID == "" || aliceTicket.ConfigurationName != "duel" || len(aliceTicket.Players) != 1 ||
		aliceTicket.Players[0].PlayerID != alice.Identity().ID || aliceTicket.Players[0].LatencyInMs["custom-eu"] != latencies["custom-eu"] {
		t.Fatalf("alice's ticket: %+v", aliceTicket)
	}

	for _, p := range []struct {
		name   string
		conn   *client.Conn
		ticket string
	}{{"alice", alice, aliceTicket.TicketID}, {"bob", bob, bobTicket.TicketID}} {
		ev := awaitEvent(t, p.conn, p.ticket, client.EventMatchmakingSucceeded)
		me, ok := ev.Player(p.conn.Identity().ID)
		if !ok || me.PlayerSessionID == "" || me.Team == "" {
			t.Fatalf("%s's MatchmakingSucceeded lacks its player session or team: %+v", p.name, ev.GameSessionInfo)
		}
		if addr := ev.GameSessionInfo.Address(); !strings.HasPrefix(addr, "127.0.0.1:70") || ev.MatchID == "" || ev.ID == "" || ev.Time.IsZero() {
			t.Fatalf("%s's MatchmakingSucceeded: address %q, match %q, id %q, time %v", p.name, addr, ev.MatchID, ev.ID, ev.Time)
		}
		out, err := a.w.C.DescribePlayerSessions(ctx, &gamelift.DescribePlayerSessionsInput{PlayerSessionId: aws.String(me.PlayerSessionID)})
		if err != nil || len(out.PlayerSessions) != 1 || out.PlayerSessions[0].Status != types.PlayerSessionStatusReserved ||
			aws.ToString(out.PlayerSessions[0].PlayerId) != p.conn.Identity().ID {
			t.Fatalf("%s's player session %s: %+v, %v", p.name, me.PlayerSessionID, out, err)
		}
		tk, err := p.conn.DescribeMatchmaking(ctx, p.ticket)
		if err != nil || tk.Status != client.StatusCompleted || !tk.Ended() || tk.GameSessionConnectionInfo == nil ||
			tk.GameSessionConnectionInfo.MatchedPlayerSessions[0].PlayerSessionID != me.PlayerSessionID {
			t.Fatalf("%s's DescribeMatchmaking: %+v, %v", p.name, tk, err)
		}
	}

	// A guest that keeps its identity id comes back as the same player.
	again, err := client.SignInGuest(ctx, a.cfg, a.pool, alice.Identity().ID)
	if err != nil || again.ID != alice.Identity().ID || again.Token == "" || again.TokenExpires.Before(time.Now()) {
		t.Fatalf("signing in again as %s: %+v, %v", alice.Identity().ID, again, err)
	}
}

// states records a Conn's state changes.
type states struct {
	mu      sync.Mutex
	seen    []client.State
	changed chan struct{}
}

func newStates() *states { return &states{changed: make(chan struct{})} }

func (s *states) record(st client.State, _ error) {
	s.mu.Lock()
	s.seen = append(s.seen, st)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
}

// await waits until the states seen include want, in order, after the
// first from.
func (s *states) await(t *testing.T, from int, want ...client.State) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		s.mu.Lock()
		seen, ch := append([]client.State(nil), s.seen...), s.changed
		s.mu.Unlock()
		i := 0
		for _, st := range seen[min(from, len(seen)):] {
			if i < len(want) && st == want[i] {
				i++
			}
		}
		if i == len(want) {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("states %v, want %v after the first %d", seen, want, from)
		}
	}
}

func (s *states) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

// A socket that drops while its ticket searches comes back by itself,
// and the result that came meanwhile is delivered, once. A request whose
// reply was on its way when the socket dropped fails with a retryable
// error.
func TestReconnectDeliversTheResultMissed(t *testing.T) {
	a := newArena(t, nil)
	ctx := context.Background()
	p := newProxy(t, a.w.N.PublicAddr())
	cfg := a.cfg
	cfg.Endpoint = p.url()
	st := newStates()
	alice := a.guest(t, cfg, client.WithSigV4(), client.WithBackoff(20*time.Millisecond, 200*time.Millisecond), client.OnStateChange(st.record))
	st.await(t, 0, client.StateConnected)

	// A request in flight when the socket drops.
	p.freeze()
	failed := make(chan error, 1)
	go func() { failed <- alice.Ping(ctx) }()
	p.awaitHeld(t)
	p.block(true)
	p.cut()
	p.unfreeze()
	if err := <-failed; !errors.Is(err, client.ErrConnectionLost) || !client.IsRetryable(err) {
		t.Fatalf("ping in flight when the socket dropped: %v, want ErrConnectionLost", err)
	}
	p.block(false)
	st.await(t, 1, client.StateReconnecting, client.StateConnected)

	ticket, err := alice.StartMatchmaking(ctx, "duel", nil, map[string]int{"custom-eu": 10})
	if err != nil {
		t.Fatal(err)
	}
	awaitEvent(t, alice, ticket.TicketID, client.EventMatchmakingSearching)

	// Cut off while searching: the match is made and placed meanwhile.
	n := st.count()
	p.block(true)
	p.cut()
	st.await(t, n, client.StateReconnecting)
	bob := a.guest(t, a.cfg)
	bobTicket, err := bob.StartMatchmaking(ctx, "duel", nil, map[string]int{"custom-eu": 10})
	if err != nil {
		t.Fatal(err)
	}
	awaitEvent(t, bob, bobTicket.TicketID, client.EventMatchmakingSucceeded)
	p.block(false)

	ev := awaitEvent(t, alice, ticket.TicketID, client.EventMatchmakingSucceeded)
	if me, ok := ev.Player(alice.Identity().ID); !ok || me.PlayerSessionID == "" {
		t.Fatalf("the result delivered after reconnecting lacks alice's player session: %+v", ev.GameSessionInfo)
	}
	st.await(t, n, client.StateReconnecting, client.StateConnected)

	// Dropped again after the result: the server sends it once more on
	// the next socket, and the Conn does not deliver it twice.
	n = st.count()
	p.cut()
	st.await(t, n, client.StateReconnecting, client.StateConnected)
	if err := alice.Ping(ctx); err != nil {
		t.Fatalf("ping after reconnecting: %v", err)
	}
	select {
	case again := <-alice.Events():
		t.Fatalf("an event delivered again after reconnecting: %s %s", again.Type, again.ID)
	default:
	}
	if tk, err := alice.DescribeMatchmaking(ctx, ticket.TicketID); err != nil || tk.Status != client.StatusCompleted {
		t.Fatalf("DescribeMatchmaking after reconnecting: %+v, %v", tk, err)
	}
}

// The server closes a socket when its token expires; the Conn signs in
// again and carries on.
func TestExpiredTokenIsRenewed(t *testing.T) {
	a := newArena(t, func(c *node.Config) { c.Players.TokenTTL = 2 * time.Second })
	st := newStates()
	c := a.guest(t, a.cfg, client.WithBackoff(20*time.Millisecond, 200*time.Millisecond), client.OnStateChange(st.record))
	first := c.Identity().Token
	st.await(t, 0, client.StateConnected, client.StateReconnecting, client.StateConnected)
	if c.Identity().Token == first {
		t.Fatal("reconnected after the token expired with the same token")
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("ping on the renewed socket: %v", err)
	}
}

// A ticket of another player is not found; requests on a closed Conn
// fail with ErrClosed, and its Events are closed.
func TestErrors(t *testing.T) {
	a := newArena(t, nil)
	ctx := context.Background()
	alice := a.guest(t, a.cfg)
	bob := a.guest(t, a.cfg)
	ticket, err := alice.StartMatchmaking(ctx, "duel", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"DescribeMatchmaking": func() error { _, err := bob.DescribeMatchmaking(ctx, ticket.TicketID); return err },
		"StopMatchmaking":     func() error { return bob.StopMatchmaking(ctx, ticket.TicketID) },
		"AcceptMatch":         func() error { return bob.AcceptMatch(ctx, ticket.TicketID, true) },
	} {
		var e *client.Error
		if err := call(); !errors.As(err, &e) || e.Code != client.CodeNotFound || client.IsRetryable(err) {
			t.Errorf("%s of another player's ticket: %v, want a NotFoundException *Error", name, err)
		}
	}
	_, err = alice.StartMatchmaking(ctx, "no-such-configuration", nil, nil)
	var e *client.Error
	if !errors.As(err, &e) || (e.Code != client.CodeInvalidRequest && e.Code != client.CodeNotFound) {
		t.Errorf("StartMatchmaking in a configuration that does not exist: %v", err)
	}
	if err := alice.StopMatchmaking(ctx, ticket.TicketID); err != nil {
		t.Fatalf("StopMatchmaking of alice's own ticket: %v", err)
	}
	awaitEvent(t, alice, ticket.TicketID, client.EventMatchmakingCancelled)

	if err := alice.Close(); err != nil {
		t.Fatal(err)
	}
	if err := alice.Ping(ctx); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("ping on a closed Conn: %v, want ErrClosed", err)
	}
	if _, ok := <-alice.Events(); ok {
		t.Fatal("Events of a closed Conn is not closed")
	}
	if alice.State() != client.StateClosed || alice.Err() != nil {
		t.Fatalf("closed Conn: state %v, Err %v", alice.State(), alice.Err())
	}

	// An identity pool that does not allow guests refuses them.
	_, err = client.SignInGuest(ctx, a.cfg, "local:00000000-0000-0000-0000-000000000000", "")
	if !errors.As(err, &e) || e.Code != "ResourceNotFoundException" {
		t.Errorf("SignInGuest into a pool that does not exist: %v", err)
	}
}

// A studio backend's developer token opens a socket as a bearer token,
// and is exchanged for credentials for a SigV4 one.
func TestDeveloperToken(t *testing.T) {
	a := newArena(t, nil)
	ctx := context.Background()
	pool, err := testworld.Cognito(a.w.N).CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName:               aws.String("studio"),
		AllowUnauthenticatedIdentities: false,
		DeveloperProviderName:          aws.String("login.studio.example"),
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := testworld.Cognito(a.w.N).GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: pool.IdentityPoolId,
		Logins:         map[string]string{"login.studio.example": "user-42"},
	})
	if err != nil {
		t.Fatal(err)
	}
	id, err := client.SignInWithDeveloperToken("", aws.ToString(out.Token))
	if err != nil || id.ID != aws.ToString(out.IdentityId) || id.PoolID != aws.ToString(pool.IdentityPoolId) || id.TokenExpires.IsZero() {
		t.Fatalf("SignInWithDeveloperToken: %+v, %v", id, err)
	}
	for _, opts := range [][]client.Option{nil, {client.WithSigV4()}} {
		c, err := client.Connect(ctx, a.cfg, id, opts...)
		if err != nil {
			t.Fatalf("Connect with a developer token (%d options): %v", len(opts), err)
		}
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	if _, err := client.SignInWithDeveloperToken("local:someone-else", aws.ToString(out.Token)); err == nil {
		t.Fatal("a developer token accepted for another identity")
	}
}
