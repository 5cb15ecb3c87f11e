package matchmaking

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rallypoint/rallypoint/flexmatch"
	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/fleet"
)

// Keys in the Tickets bucket.
func ticketKey(id string) string { return "t." + id }
func matchKey(id string) string  { return "m." + id }

// playerKey marks a player as being in an active ticket, so that a second
// StartMatchmaking for the player is refused. Player ids may hold any
// character, so the key holds them encoded.
func playerKey(id string) string { return "p." + base64.RawURLEncoding.EncodeToString([]byte(id)) }

// backfillKey names a game session's active backfill ticket: GameLift
// runs at most one per game session.
func backfillKey(gameSessionARN string) string {
	return "b." + base64.RawURLEncoding.EncodeToString([]byte(gameSessionARN))
}

// claim is the value at a player or backfill key.
type claim struct {
	TicketID string    `json:"ticketId"`
	At       time.Time `json:"at"`
}

// claimGrace is how long a claim whose ticket does not exist yet is
// honoured: the request that made it may still be writing the ticket.
const claimGrace = 10 * time.Second

// validTicketID reports whether id is a GameLift ticket id: up to 128
// letters, digits, '-' and '.'.
func validTicketID(id string) bool {
	return id == "" || validName(id)
}

// checkers caches, per configuration, a matchmaker used only to check
// tickets before they are stored (its pool stays empty).
type checkers struct {
	mu sync.Mutex
	by map[string]checker
}

type checker struct {
	body       string
	additional int
	mm         *flexmatch.Matchmaker
	rs         *flexmatch.RuleSet
}

// matchmakerFor returns the configuration's rule set and a matchmaker
// that checks tickets against it.
func (s *Service) matchmakerFor(ctx context.Context, c Configuration) (*flexmatch.RuleSet, *flexmatch.Matchmaker, error) {
	rsRec, _, err := engine.Get[RuleSet](ctx, s.cfg.Config, ruleSetKey(c.RuleSetName))
	if errors.Is(err, engine.ErrNotFound) {
		return nil, nil, newError(ErrNotFound, "Matchmaking rule set %s of configuration %s not found.", c.RuleSetName, c.Name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read rule set %s: %w", c.RuleSetName, err)
	}
	s.check.mu.Lock()
	ch, ok := s.check.by[c.Name]
	s.check.mu.Unlock()
	if ok && ch.body == rsRec.Body && ch.additional == c.additionalPlayers() {
		return ch.rs, ch.mm, nil
	}
	rs, err := flexmatch.ParseRuleSet([]byte(rsRec.Body))
	if err != nil {
		return nil, nil, fmt.Errorf("parse stored rule set %s: %w", c.RuleSetName, err)
	}
	mm, err := flexmatch.New(flexmatch.Config{RuleSet: rs, AdditionalPlayerCount: c.additionalPlayers()})
	if err != nil {
		return nil, nil, fmt.Errorf("matchmaker for configuration %s: %w", c.Name, err)
	}
	s.check.mu.Lock()
	if s.check.by == nil {
		s.check.by = make(map[string]checker)
	}
	s.check.by[c.Name] = checker{body: rsRec.Body, additional: c.additionalPlayers(), mm: mm, rs: rs}
	s.check.mu.Unlock()
	return rs, mm, nil
}

// toFlexmatch turns a stored ticket into the matchmaker's form.
func toFlexmatch(t *Ticket) flexmatch.Ticket {
	ft := flexmatch.Ticket{ID: t.ID, CreatedAt: t.StartTime, Backfill: t.Backfill, Players: make([]flexmatch.Player, len(t.Players))}
	for i, p := range t.Players {
		fp := flexmatch.Player{ID: p.PlayerID, LatencyMs: p.LatencyInMs}
		if t.Backfill {
			fp.Team = p.Team
		}
		if len(p.Attributes) > 0 {
			fp.Attributes = make(map[string]flexmatch.AttributeValue, len(p.Attributes))
			for name, v := range p.Attributes {
				fp.Attributes[name] = v.flexmatch()
			}
		}
		ft.Players[i] = fp
	}
	return ft
}

func (v AttributeValue) flexmatch() flexmatch.AttributeValue {
	switch {
	case v.S != nil:
		return flexmatch.StringAttr(*v.S)
	case v.N != nil:
		return flexmatch.NumberAttr(*v.N)
	case v.SDM != nil:
		return flexmatch.StringNumberMapAttr(v.SDM)
	default:
		return flexmatch.StringListAttr(v.SL...)
	}
}

// checkPlayers refuses players the matchmaker could never take, naming
// the player and the reason.
func checkPlayers(mm *flexmatch.Matchmaker, t *Ticket) error {
	seen := make(map[string]bool, len(t.Players))
	for _, p := range t.Players {
		if p.PlayerID == "" {
			return newError(ErrInvalidRequest, "Players: every player needs a PlayerId.")
		}
		if seen[p.PlayerID] {
			return newError(ErrInvalidRequest, "Players lists player %s twice.", p.PlayerID)
		}
		seen[p.PlayerID] = true
		for loc, ms := range p.LatencyInMs {
			if ms < 1 {
				return newError(ErrInvalidRequest, "Players: LatencyInMs of player %s for %s is %d; latencies are at least 1 ms.", p.PlayerID, loc, ms)
			}
		}
	}
	if err := mm.Check(toFlexmatch(t)); err != nil {
		return newError(ErrInvalidRequest, "Players: %s.", ticketProblem(err))
	}
	return nil
}

// ticketProblem extracts, from a flexmatch error about a ticket, the part
// that describes the problem (the ticket id prefix means nothing to the
// caller, who has not got one yet).
func ticketProblem(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "\": "); i >= 0 {
		return msg[i+3:]
	}
	return strings.TrimPrefix(msg, flexmatch.ErrInvalidTicket.Error()+": ")
}

// StartMatchmaking records a matchmaking request as a QUEUED ticket; the
// configuration's owner takes it into its pool.
func (s *Service) StartMatchmaking(ctx context.Context, in StartInput) (Ticket, error) {
	if !validTicketID(in.TicketID) {
		return Ticket{}, newError(ErrInvalidRequest, "TicketId %q must be up to 128 letters, digits, '-' and '.'.", in.TicketID)
	}
	c, _, err := s.loadConfiguration(ctx, in.Configuration)
	if err != nil {
		return Ticket{}, err
	}
	if n := len(in.Players); n < 1 || n > MaxPlayersPerTicket {
		return Ticket{}, newError(ErrInvalidRequest, "Players holds %d players; a matchmaking request holds 1 to %d.", n, MaxPlayersPerTicket)
	}
	_, mm, err := s.matchmakerFor(ctx, c)
	if err != nil {
		return Ticket{}, err
	}
	now := s.now()
	t := Ticket{
		ID:            in.TicketID,
		Configuration: c.Name,
		ConfigARN:     c.ARN,
		Status:        StatusQueued,
		Players:       make([]Player, len(in.Players)),
		StartTime:     now,
		ChangedAt:     now,
		Deadline:      now.Add(time.Duration(c.RequestTimeoutSeconds) * time.Second),
	}
	if t.ID == "" {
		t.ID = uuid.NewString()
	}
	for i, p := range in.Players {
		t.Players[i] = Player{PlayerID: p.PlayerID, Attributes: p.Attributes, LatencyInMs: p.LatencyInMs}
	}
	if err := checkPlayers(mm, &t); err != nil {
		return Ticket{}, err
	}
	// The players are claimed before the ticket exists, so that the owner
	// never sees a ticket whose players turn out to be taken.
	var claimed []string
	release := func() {
		for _, pid := range claimed {
			s.releaseClaim(context.WithoutCancel(ctx), playerKey(pid), t.ID)
		}
	}
	for _, p := range t.Players {
		if err := s.takeClaim(ctx, playerKey(p.PlayerID), t.ID, func(other Ticket) error {
			return newError(ErrInvalidRequest, "Player %s is already in matchmaking ticket %s (%s); stop that ticket or wait for it to end.", p.PlayerID, other.ID, other.Status)
		}); err != nil {
			release()
			return Ticket{}, err
		}
		claimed = append(claimed, p.PlayerID)
	}
	rev, err := engine.Create(ctx, s.cfg.Tickets, ticketKey(t.ID), t)
	if err != nil {
		release()
		if errors.Is(err, engine.ErrExists) {
			return Ticket{}, newError(ErrInvalidRequest, "TicketId %s is already in use; ticket ids cannot be reused.", t.ID)
		}
		return Ticket{}, fmt.Errorf("record ticket %s: %w", t.ID, err)
	}
	s.metrics.ticketStarted(c.Name)
	s.observe(t, rev)
	return t, nil
}

// takeClaim makes key name ticket id. A claim held by a ticket that has
// ended (or that never came to exist) is taken over; one held by an active
// ticket is refused with busy(thatTicket).
func (s *Service) takeClaim(ctx context.Context, key, id string, busy func(Ticket) error) error {
	for range 4 {
		_, err := engine.Create(ctx, s.cfg.Tickets, key, claim{TicketID: id, At: s.now()})
		if err == nil {
			return nil
		}
		if !errors.Is(err, engine.ErrExists) {
			return fmt.Errorf("claim %s: %w", key, err)
		}
		held, rev, err := engine.Get[claim](ctx, s.cfg.Tickets, key)
		if errors.Is(err, engine.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read claim %s: %w", key, err)
		}
		other, _, err := engine.Get[Ticket](ctx, s.cfg.Tickets, ticketKey(held.TicketID))
		switch {
		case err == nil && !other.Ended():
			return busy(other)
		case errors.Is(err, engine.ErrNotFound) && s.now().Sub(held.At) < claimGrace:
			return busy(Ticket{ID: held.TicketID, Status: StatusQueued})
		case err != nil && !errors.Is(err, engine.ErrNotFound):
			return fmt.Errorf("read ticket %s: %w", held.TicketID, err)
		}
		if _, err := engine.Update(ctx, s.cfg.Tickets, key, claim{TicketID: id, At: s.now()}, rev); err == nil {
			return nil
		} else if !errors.Is(err, engine.ErrStale) {
			return fmt.Errorf("claim %s: %w", key, err)
		}
	}
	return newError(ErrConflict, "Too many concurrent requests for the same player or game session; retry.")
}

// releaseClaim deletes key if it still names ticket id.
func (s *Service) releaseClaim(ctx context.Context, key, id string) {
	held, rev, err := engine.Get[claim](ctx, s.cfg.Tickets, key)
	if err != nil || held.TicketID != id {
		return
	}
	if err := engine.Delete(ctx, s.cfg.Tickets, key, rev); err != nil && !errors.Is(err, engine.ErrStale) {
		s.log.Warn("could not release a claim; the next request takes it over", "key", key, "ticket", id, "error", err)
	}
}

// Tickets returns the tickets with the given ids that exist, in the order
// asked (DescribeMatchmaking leaves unknown ids out).
func (s *Service) Tickets(ctx context.Context, ids []string) ([]Ticket, error) {
	out := make([]Ticket, 0, len(ids))
	for _, id := range ids {
		if !validName(id) {
			continue
		}
		t, _, err := engine.Get[Ticket](ctx, s.cfg.Tickets, ticketKey(id))
		if errors.Is(err, engine.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read ticket %s: %w", id, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// mutateTicket applies fn to a stored ticket with compare-and-set and
// hands the result to this node's owner, if it is the configuration's.
func (s *Service) mutateTicket(ctx context.Context, id string, fn func(*Ticket) error) (Ticket, error) {
	if !validName(id) {
		return Ticket{}, newError(ErrNotFound, "Matchmaking ticket %s not found.", id)
	}
	for range 8 {
		t, rev, err := engine.Get[Ticket](ctx, s.cfg.Tickets, ticketKey(id))
		if errors.Is(err, engine.ErrNotFound) {
			return Ticket{}, newError(ErrNotFound, "Matchmaking ticket %s not found.", id)
		}
		if err != nil {
			return Ticket{}, fmt.Errorf("read ticket %s: %w", id, err)
		}
		if err := fn(&t); err != nil {
			if errors.Is(err, errNoChange) {
				return t, nil
			}
			return Ticket{}, err
		}
		t.ChangedAt = s.now()
		next, err := engine.Update(ctx, s.cfg.Tickets, ticketKey(id), t, rev)
		if errors.Is(err, engine.ErrStale) {
			continue
		}
		if err != nil {
			return Ticket{}, fmt.Errorf("update ticket %s: %w", id, err)
		}
		s.observe(t, next)
		return t, nil
	}
	return Ticket{}, newError(ErrConflict, "Matchmaking ticket %s is changing under heavy contention; retry.", id)
}

var errNoChange = errors.New("no change")

// StopMatchmaking asks for a ticket to be cancelled. The owner cancels it
// at once if it is searching or awaiting acceptance; a ticket being placed
// is cancelled if its placement can still be stopped, else it completes.
// Stopping an ended ticket does nothing.
func (s *Service) StopMatchmaking(ctx context.Context, id string) error {
	_, err := s.mutateTicket(ctx, id, func(t *Ticket) error {
		if t.Ended() || t.StopRequested {
			return errNoChange
		}
		t.StopRequested = true
		return nil
	})
	return err
}

// StopMatchBackfill cancels a backfill ticket.
func (s *Service) StopMatchBackfill(ctx context.Context, id string) error {
	_, err := s.mutateTicket(ctx, id, func(t *Ticket) error {
		if !t.Backfill {
			return newError(ErrInvalidRequest, "Ticket %s is a matchmaking ticket, not a backfill ticket; use StopMatchmaking.", t.ID)
		}
		if t.Ended() || t.StopRequested {
			return errNoChange
		}
		t.StopRequested = true
		return nil
	})
	return err
}

// AcceptMatch records players' answers to a proposed match.
func (s *Service) AcceptMatch(ctx context.Context, ticketID string, playerIDs []string, acceptanceType string) error {
	var accepted bool
	switch acceptanceType {
	case Accept:
		accepted = true
	case Reject:
	default:
		return newError(ErrInvalidRequest, "AcceptanceType must be ACCEPT or REJECT, not %q.", acceptanceType)
	}
	if len(playerIDs) == 0 {
		return newError(ErrInvalidRequest, "PlayerIds must name at least one player of the ticket.")
	}
	_, err := s.mutateTicket(ctx, ticketID, func(t *Ticket) error {
		if t.Status != StatusRequiresAcceptance {
			return newError(ErrInvalidRequest, "Matchmaking ticket %s is %s; players can accept or reject a match only while it is REQUIRES_ACCEPTANCE.", t.ID, t.Status)
		}
		for _, pid := range playerIDs {
			if !slices.ContainsFunc(t.Players, func(p Player) bool { return p.PlayerID == pid }) {
				return newError(ErrInvalidRequest, "PlayerIds: player %s is not in matchmaking ticket %s.", pid, t.ID)
			}
		}
		players := slices.Clone(t.Players)
		changed := false
		for i := range players {
			if slices.Contains(playerIDs, players[i].PlayerID) && (players[i].Accepted == nil || *players[i].Accepted != accepted) {
				players[i].Accepted = &accepted
				changed = true
			}
		}
		if !changed {
			return errNoChange
		}
		t.Players = players
		return nil
	})
	return err
}

// StartMatchBackfill records a request for players to fill a running game
// session. A game session has one backfill ticket at a time: a new one
// cancels the one before.
func (s *Service) StartMatchBackfill(ctx context.Context, in BackfillInput) (Ticket, error) {
	if !validTicketID(in.TicketID) {
		return Ticket{}, newError(ErrInvalidRequest, "TicketId %q must be up to 128 letters, digits, '-' and '.'.", in.TicketID)
	}
	c, _, err := s.loadConfiguration(ctx, in.Configuration)
	if err != nil {
		return Ticket{}, err
	}
	if c.FlexMatchMode == ModeStandalone {
		return Ticket{}, newError(ErrInvalidRequest, "Matchmaking configuration %s is STANDALONE: rallypoint backfills only game sessions it hosts, through WITH_QUEUE configurations.", c.Name)
	}
	if n := len(in.Players); n < 1 || n > MaxPlayersPerBackfill {
		return Ticket{}, newError(ErrInvalidRequest, "Players holds %d players; a backfill request holds the game session's current players, 1 to %d.", n, MaxPlayersPerBackfill)
	}
	if in.GameSessionARN == "" {
		return Ticket{}, newError(ErrInvalidRequest, "GameSessionArn is required.")
	}
	gs, err := s.cfg.Fleets.GameSession(ctx, in.GameSessionARN)
	if errors.Is(err, fleet.ErrNotFound) {
		return Ticket{}, newError(ErrNotFound, "Game session %s not found.", in.GameSessionARN)
	}
	if err != nil {
		return Ticket{}, fmt.Errorf("read game session %s: %w", in.GameSessionARN, err)
	}
	if gs.Status != fleet.GameSessionActive {
		return Ticket{}, newError(ErrInvalidRequest, "Game session %s is %s; only ACTIVE game sessions can be backfilled.", gs.ID, gs.Status)
	}
	for _, p := range in.Players {
		if p.Team == "" {
			return Ticket{}, newError(ErrInvalidRequest, "Players: player %s needs the Team it plays on in the game session.", p.PlayerID)
		}
	}
	return s.startBackfill(ctx, c, gs, in.TicketID, in.Players, false)
}

func (s *Service) startBackfill(ctx context.Context, c Configuration, gs fleet.GameSession, id string, players []Player, auto bool) (Ticket, error) {
	_, mm, err := s.matchmakerFor(ctx, c)
	if err != nil {
		return Ticket{}, err
	}
	now := s.now()
	t := Ticket{
		ID:             id,
		Configuration:  c.Name,
		ConfigARN:      c.ARN,
		Status:         StatusQueued,
		Players:        make([]Player, len(players)),
		StartTime:      now,
		ChangedAt:      now,
		Deadline:       now.Add(time.Duration(c.RequestTimeoutSeconds) * time.Second),
		Backfill:       true,
		Auto:           auto,
		GameSessionARN: gs.ID,
	}
	if t.ID == "" {
		t.ID = uuid.NewString()
	}
	for i, p := range players {
		t.Players[i] = Player{PlayerID: p.PlayerID, Attributes: p.Attributes, LatencyInMs: p.LatencyInMs, Team: p.Team}
	}
	if err := checkPlayers(mm, &t); err != nil {
		return Ticket{}, err
	}
	// The game session's current backfill ticket, if any, is replaced.
	if prev, _, err := engine.Get[claim](ctx, s.cfg.Tickets, backfillKey(gs.ID)); err == nil && prev.TicketID != t.ID {
		if err := s.StopMatchBackfill(ctx, prev.TicketID); err != nil && !errors.Is(err, ErrNotFound) {
			return Ticket{}, fmt.Errorf("cancel backfill ticket %s of game session %s: %w", prev.TicketID, gs.ID, err)
		}
		s.releaseClaim(ctx, backfillKey(gs.ID), prev.TicketID)
	}
	if err := s.takeClaim(ctx, backfillKey(gs.ID), t.ID, func(other Ticket) error {
		return newError(ErrConflict, "Game session %s got backfill ticket %s at the same time; retry.", gs.ID, other.ID)
	}); err != nil {
		return Ticket{}, err
	}
	rev, err := engine.Create(ctx, s.cfg.Tickets, ticketKey(t.ID), t)
	if err != nil {
		s.releaseClaim(context.WithoutCancel(ctx), backfillKey(gs.ID), t.ID)
		if errors.Is(err, engine.ErrExists) {
			return Ticket{}, newError(ErrInvalidRequest, "TicketId %s is already in use; ticket ids cannot be reused.", t.ID)
		}
		return Ticket{}, fmt.Errorf("record backfill ticket %s: %w", t.ID, err)
	}
	s.metrics.ticketStarted(c.Name)
	s.observe(t, rev)
	return t, nil
}
