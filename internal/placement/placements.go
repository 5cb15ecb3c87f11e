package placement

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/fleet"
)

func placementKey(id string) string { return "pl." + id }

// StartPlacement records a PENDING placement; the queue's owner places it.
func (s *Service) StartPlacement(ctx context.Context, in StartInput) (Placement, error) {
	if !validID(in.PlacementID) {
		return Placement{}, newError(ErrInvalidRequest, "PlacementId %q must be 1 to 48 letters, digits and '-'.", in.PlacementID)
	}
	q, _, err := s.loadQueue(ctx, in.Queue)
	if err != nil {
		return Placement{}, err
	}
	if in.MaximumPlayerSessionCount < 0 || in.MaximumPlayerSessionCount > fleet.MaxPlayersPerGameSession {
		return Placement{}, newError(ErrInvalidRequest, "MaximumPlayerSessionCount %d is out of range: a game session holds 0 to %d players.", in.MaximumPlayerSessionCount, fleet.MaxPlayersPerGameSession)
	}
	if len(in.DesiredPlayers) > in.MaximumPlayerSessionCount {
		return Placement{}, newError(ErrInvalidRequest, "DesiredPlayerSessions asks for %d players but MaximumPlayerSessionCount is %d.", len(in.DesiredPlayers), in.MaximumPlayerSessionCount)
	}
	seen := map[string]bool{}
	for _, d := range in.DesiredPlayers {
		if seen[d.PlayerID] {
			return Placement{}, newError(ErrInvalidRequest, "DesiredPlayerSessions lists player %s twice.", d.PlayerID)
		}
		seen[d.PlayerID] = true
	}
	if o := in.Override; o != nil {
		if len(in.PlayerLatencies) > 0 {
			return Placement{}, newError(ErrInvalidRequest, "PriorityConfigurationOverride cannot be combined with PlayerLatencies.")
		}
		if len(q.PriorityOrder) == 0 || q.PriorityOrder[0] != PriorityLocation {
			return Placement{}, newError(ErrInvalidRequest, "PriorityConfigurationOverride needs a queue whose PriorityConfiguration.PriorityOrder puts LOCATION first; queue %s does not.", q.Name)
		}
		if len(o.LocationOrder) == 0 {
			return Placement{}, newError(ErrInvalidRequest, "PriorityConfigurationOverride.LocationOrder must list at least one location.")
		}
		if dup := firstDuplicate(o.LocationOrder); dup != "" {
			return Placement{}, newError(ErrInvalidRequest, "PriorityConfigurationOverride.LocationOrder lists %s twice.", dup)
		}
		switch o.Fallback {
		case "":
			o.Fallback = FallbackDefaultAfterSinglePass
		case FallbackDefaultAfterSinglePass, FallbackNone:
		default:
			return Placement{}, newError(ErrInvalidRequest, "PriorityConfigurationOverride.PlacementFallbackStrategy must be DEFAULT_AFTER_SINGLE_PASS or NONE, not %q.", o.Fallback)
		}
	}
	now := s.now()
	pl := Placement{
		ID:                        in.PlacementID,
		Queue:                     q.Name,
		Status:                    StatusPending,
		MaximumPlayerSessionCount: in.MaximumPlayerSessionCount,
		GameSessionName:           in.GameSessionName,
		GameProperties:            slices.Clone(in.GameProperties),
		GameSessionData:           in.GameSessionData,
		MatchmakerData:            in.MatchmakerData,
		PlayerLatencies:           slices.Clone(in.PlayerLatencies),
		DesiredPlayers:            slices.Clone(in.DesiredPlayers),
		Override:                  in.Override,
		StartTime:                 now,
		Deadline:                  now.Add(secondsDuration(q.TimeoutSeconds)),
	}
	rev, err := engine.Create(ctx, s.cfg.Sessions, placementKey(pl.ID), pl)
	if errors.Is(err, engine.ErrExists) {
		return Placement{}, newError(ErrInvalidRequest, "PlacementId %s is already in use; placement ids cannot be reused.", pl.ID)
	}
	if err != nil {
		return Placement{}, fmt.Errorf("record placement %s: %w", pl.ID, err)
	}
	s.log.Debug("placement started", "placement", pl.ID, "queue", q.Name)
	s.metrics.placementStarted(q.Name)
	s.observe(pl, rev)
	return pl, nil
}

func validID(id string) bool {
	return len(id) <= 48 && validName(id)
}

// Placement returns one placement.
func (s *Service) Placement(ctx context.Context, id string) (Placement, error) {
	pl, _, err := s.loadPlacement(ctx, id)
	return pl, err
}

func (s *Service) loadPlacement(ctx context.Context, id string) (Placement, uint64, error) {
	if !validID(id) {
		return Placement{}, 0, newError(ErrNotFound, "Game session placement %s not found.", id)
	}
	pl, rev, err := engine.Get[Placement](ctx, s.cfg.Sessions, placementKey(id))
	if errors.Is(err, engine.ErrNotFound) {
		return pl, 0, newError(ErrNotFound, "Game session placement %s not found.", id)
	}
	if err != nil {
		return pl, 0, fmt.Errorf("read placement %s: %w", id, err)
	}
	return pl, rev, nil
}

// StopPlacement cancels a PENDING placement that has no game session yet.
// Any node may do it: the write is a compare-and-set, so it either lands
// before the owner's next write (which then sees the cancellation and
// undoes what it had started) or fails and is reported.
func (s *Service) StopPlacement(ctx context.Context, id string) (Placement, error) {
	notFound := newError(ErrNotFound, "Game session placement %s not found.", id)
	if !validID(id) {
		return Placement{}, notFound
	}
	pl, err := engine.Mutate(ctx, s.cfg.Sessions, placementKey(id), func(pl *Placement) error {
		if pl.Ended() {
			return newError(ErrInvalidRequest, "Game session placement %s is %s; only a PENDING placement can be stopped.", pl.ID, pl.Status)
		}
		if pl.GameSessionARN != "" {
			return newError(ErrInvalidRequest, "Game session placement %s has already started game session %s; end it with TerminateGameSession instead.", pl.ID, pl.GameSessionARN)
		}
		pl.Status = StatusCancelled
		pl.EndTime = s.now()
		return nil
	})
	var pe *Error
	switch {
	case errors.Is(err, engine.ErrNotFound):
		return Placement{}, notFound
	case errors.As(err, &pe):
		return Placement{}, err
	case err != nil:
		return Placement{}, fmt.Errorf("stop placement %s: %w", id, err)
	}
	s.log.Info("placement cancelled", "placement", id, "queue", pl.Queue)
	s.metrics.placementEnded(pl)
	s.publish(ctx, pl, nil)
	return pl, nil
}

func secondsDuration(s int) time.Duration { return time.Duration(s) * time.Second }
