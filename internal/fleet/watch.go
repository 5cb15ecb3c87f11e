package fleet

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// WatchGameSessions delivers every change to a game session made from now
// on, on any node, until ctx ends; the channel is closed then, or if the
// watch fails (the caller should start a new one). Changes arrive in the
// order they were stored. A slow reader holds back only its own watch.
func (s *Service) WatchGameSessions(ctx context.Context) (<-chan GameSession, error) {
	w, err := s.cfg.Sessions.WatchFiltered(ctx, []string{"gs.>"}, jetstream.UpdatesOnly(), jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("watch game sessions: %w", err)
	}
	out := make(chan GameSession, 64)
	go func() {
		defer close(out)
		defer w.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil {
					continue
				}
				var gs GameSession
				if err := json.Unmarshal(e.Value(), &gs); err != nil {
					s.log.Warn("unreadable game session record", "key", e.Key(), "error", err)
					continue
				}
				select {
				case out <- gs:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// GameSessionARN is the id a game session created in the fleet with the
// idempotency token gets, so that a caller that may have created it before
// (and crashed) can look for it.
func (s *Service) GameSessionARN(fleetID, idempotencyToken string) string {
	return s.arn("gamesession/" + fleetID + "/" + idempotencyToken)
}
