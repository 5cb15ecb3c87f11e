package fleet

import (
	"context"
	"slices"
)

// Reasons an UpdateGameSession push gives the game server, as the server
// SDK's UpdateReason has them.
const (
	UpdateMatchmakingDataUpdated = "MATCHMAKING_DATA_UPDATED"
	UpdateBackfillFailed         = "BACKFILL_FAILED"
	UpdateBackfillTimedOut       = "BACKFILL_TIMED_OUT"
	UpdateBackfillCancelled      = "BACKFILL_CANCELLED"
)

// Backfill adds a backfill match's new players to an ACTIVE game session
// and replaces its matchmaker data, in one write, then tells the game
// server through an UpdateGameSession push (MATCHMAKING_DATA_UPDATED), as
// GameLift does when FlexMatch fills a session. A player who already holds
// a live player session in the game session keeps it, so a backfill that is
// applied twice (an owner that failed over mid-way) reserves no slot twice.
// The result lists a player session for every player, in order.
func (s *Service) Backfill(ctx context.Context, gameSessionID string, players []NewPlayer, matchmakerData, ticketID string) ([]PlayerSessionView, error) {
	var placed []PlayerSession
	gs, err := s.mutateGameSession(ctx, gameSessionID, func(gs *GameSession) error {
		placed = placed[:0]
		if gs.Status != GameSessionActive {
			return newError(ErrInvalidGameSessionStatus, "Game session %s is %s; players can join only ACTIVE game sessions.", gs.ID, gs.Status)
		}
		var fresh []NewPlayer
		for _, p := range players {
			i := slices.IndexFunc(gs.PlayerSessions, func(ps PlayerSession) bool { return ps.PlayerID == p.PlayerID && ps.holdsSlot() })
			if i < 0 {
				fresh = append(fresh, p)
			}
		}
		if free := gs.MaximumPlayerSessionCount - gs.CurrentPlayerSessionCount(); len(fresh) > free {
			return newError(ErrGameSessionFull, "Game session %s is full: %d of %d player slots are taken and the backfill brings %d more.", gs.ID, gs.CurrentPlayerSessionCount(), gs.MaximumPlayerSessionCount, len(fresh))
		}
		now := s.now()
		for _, p := range fresh {
			gs.PlayerSessions = append(gs.PlayerSessions, PlayerSession{ID: newPlayerSessionID(gs), PlayerID: p.PlayerID, PlayerData: p.PlayerData, Status: PlayerSessionReserved, CreatedAt: now})
		}
		for _, p := range players {
			i := slices.IndexFunc(gs.PlayerSessions, func(ps PlayerSession) bool { return ps.PlayerID == p.PlayerID && ps.holdsSlot() })
			placed = append(placed, gs.PlayerSessions[i])
		}
		gs.MatchmakerData = matchmakerData
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.scheduleGameSession(gs)
	s.push(ctx, ProcessRef{FleetID: gs.FleetID, Compute: gs.Compute, ProcessID: gs.ProcessID}, Push{Kind: PushUpdateGameSession, GameSession: &gs, UpdateReason: UpdateMatchmakingDataUpdated, BackfillTicketID: ticketID})
	out := make([]PlayerSessionView, len(placed))
	for i, ps := range placed {
		out[i] = gs.view(ps)
	}
	return out, nil
}

// NotifyBackfillEnded tells a game session's server that a backfill ticket
// ended without adding players (reason is one of the UpdateBackfill*
// values). A game session that has ended is not told.
func (s *Service) NotifyBackfillEnded(ctx context.Context, gameSessionID, reason, ticketID string) error {
	gs, err := s.GameSession(ctx, gameSessionID)
	if err != nil {
		return err
	}
	if gs.Status != GameSessionActive {
		return nil
	}
	s.push(ctx, ProcessRef{FleetID: gs.FleetID, Compute: gs.Compute, ProcessID: gs.ProcessID}, Push{Kind: PushUpdateGameSession, GameSession: &gs, UpdateReason: reason, BackfillTicketID: ticketID})
	return nil
}
