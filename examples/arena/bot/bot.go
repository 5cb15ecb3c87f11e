package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/rallypoint/rallypoint/sdk/client"
)

// bot is one game client.
type bot struct {
	n   int
	cfg config
	out *lines
}

func (b *bot) say(format string, args ...any) {
	b.out.printf("bot %d: "+format, append([]any{b.n}, args...)...)
}

// play walks the flow once, from sign-in to leaving the game.
func (b *bot) play(ctx context.Context) error {
	cfg := client.Config{Endpoint: b.cfg.endpoint, Region: b.cfg.region}
	id, err := client.SignInGuest(ctx, cfg, b.cfg.pool, "")
	if err != nil {
		return err
	}
	b.say("signed in as guest %s", id.ID)

	var opts []client.Option
	how := "bearer token"
	if b.cfg.sigv4 {
		opts, how = append(opts, client.WithSigV4()), "SigV4-presigned URL"
	}
	opts = append(opts, client.OnStateChange(func(s client.State, err error) {
		if s == client.StateReconnecting || err != nil {
			b.say("socket %s (%v)", s, err)
		}
	}))
	conn, err := client.Connect(ctx, cfg, id, opts...)
	if err != nil {
		return err
	}
	defer conn.Close()
	b.say("connected (%s)", how)

	latencies, err := conn.MeasureLatencies(ctx, b.cfg.configuration, b.cfg.probes)
	if err != nil {
		return err
	}
	b.say("latencies: %s", formatLatencies(latencies))

	skill := 10 + rand.IntN(10)
	ticket, err := conn.StartMatchmaking(ctx, b.cfg.configuration, map[string]client.AttributeValue{"skill": client.Number(float64(skill))}, latencies)
	if err != nil {
		return err
	}
	b.say("ticket %s %s (skill %d)", ticket.TicketID, ticket.Status, skill)

	match, err := b.awaitMatch(ctx, conn, ticket.TicketID)
	if err != nil {
		if ctx.Err() != nil {
			// A client that gives up stops its ticket, so that its match
			// does not take a game server nobody will come to.
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if serr := conn.StopMatchmaking(sctx, ticket.TicketID); serr == nil {
				b.say("stopped ticket %s", ticket.TicketID)
			} else {
				b.say("could not stop ticket %s: %v", ticket.TicketID, serr)
			}
			cancel()
		}
		return err
	}
	me, _ := match.Player(id.ID)
	addr := match.GameSessionInfo.Address()
	b.say("matched: game server %s, team %s, player session %s, event %s", addr, me.Team, me.PlayerSessionID, match.ID)

	game, err := client.JoinGameServer(ctx, addr, me.PlayerSessionID)
	if err != nil {
		return err
	}
	defer game.Close()
	b.say("joined the game as %s", game.PlayerID())

	var others []string
	for _, p := range match.GameSessionInfo.Players {
		if p.PlayerID != id.ID {
			others = append(others, p.PlayerID)
		}
	}
	if err := b.chat(ctx, game, others); err != nil {
		return err
	}
	if err := game.Leave(ctx); err != nil {
		return err
	}
	b.say("left the game")
	return nil
}

// awaitMatch follows the ticket's events until it succeeds, accepting a
// match that needs it, and returns MatchmakingSucceeded.
func (b *bot) awaitMatch(ctx context.Context, conn *client.Conn, ticketID string) (client.Event, error) {
	// A match waits for a game server with no event of its own: after a
	// while the bot says what it is most likely waiting for.
	placing := time.NewTimer(time.Hour)
	placing.Stop()
	defer placing.Stop()
	for {
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return client.Event{}, fmt.Errorf("no match within the bot's --timeout of %v", b.cfg.timeout)
			}
			return client.Event{}, fmt.Errorf("waiting for a match: %w", ctx.Err())
		case <-placing.C:
			b.say("the match is still being placed after %v: is an arena server ready in each location? Each hosts one game, then exits", placingHint)
		case ev, ok := <-conn.Events():
			if !ok {
				return client.Event{}, fmt.Errorf("the socket closed while waiting for a match: %w", conn.Err())
			}
			if !ev.ForTicket(ticketID) {
				continue
			}
			b.say("event %s", ev.Type)
			switch {
			case ev.Type == client.EventMatchmakingSucceeded:
				if me, ok := ev.Player(conn.Identity().ID); !ok || me.PlayerSessionID == "" || ev.GameSessionInfo.Address() == "" {
					return client.Event{}, errors.New("MatchmakingSucceeded without this player's session or the game's address")
				}
				return ev, nil
			case ev.Type == client.EventPotentialMatchCreated && !ev.AcceptanceRequired,
				ev.Type == client.EventAcceptMatchCompleted:
				placing.Reset(placingHint)
			case ev.Type == client.EventPotentialMatchCreated && ev.AcceptanceRequired:
				if err := conn.AcceptMatch(ctx, ticketID, true); err != nil {
					return client.Event{}, err
				}
				b.say("accepted the match")
			case ev.Ended():
				return client.Event{}, fmt.Errorf("no match: %s %s %s", ev.Type, ev.Reason, ev.Message)
			}
		}
	}
}

// placingHint is how long a bot waits for its match's game server before
// it says so.
const placingHint = 10 * time.Second

// chat sends its lines, a little apart, and listens until it has heard
// each other player of the match say something or leave; a player who
// joined after its lines went out still has its own lines heard, and
// leaves only after them, so nobody waits for a player who is gone.
func (b *bot) chat(ctx context.Context, game *client.GameConn, others []string) error {
	waiting := make(map[string]bool, len(others))
	for _, p := range others {
		waiting[p] = true
	}
	sent := 0
	send := time.NewTicker(200 * time.Millisecond)
	defer send.Stop()
	lines := make(chan string)
	errs := make(chan error, 1)
	listen, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		for {
			line, err := game.Receive(listen)
			if err != nil {
				errs <- err
				return
			}
			select {
			case lines <- line:
			case <-listen.Done():
				return
			}
		}
	}()
	sendOne := func() error {
		sent++
		return game.Send(fmt.Sprintf("hello from bot %d (%d of %d)", b.n, sent, b.cfg.messages))
	}
	if err := sendOne(); err != nil {
		return err
	}
	for len(waiting) > 0 || sent < b.cfg.messages {
		select {
		case <-send.C:
			if sent < b.cfg.messages {
				if err := sendOne(); err != nil {
					return err
				}
			}
		case line := <-lines:
			cmd, rest, _ := strings.Cut(line, " ")
			from, text, _ := strings.Cut(rest, " ")
			switch cmd {
			case "MSG":
				if waiting[from] {
					b.say("heard %s: %s", from, text)
					delete(waiting, from)
				}
			case "LEFT":
				delete(waiting, from)
			case "END":
				b.say("the game ended: %s", rest)
				return nil
			}
		case err := <-errs:
			return fmt.Errorf("in the game: %w", err)
		}
	}
	b.say("sent %d lines; every other player spoke or left", sent)
	return nil
}

func formatLatencies(l map[string]int) string {
	if len(l) == 0 {
		return "none measured"
	}
	var parts []string
	for _, loc := range slices.Sorted(maps.Keys(l)) {
		parts = append(parts, fmt.Sprintf("%s=%dms", loc, l[loc]))
	}
	return strings.Join(parts, " ")
}
