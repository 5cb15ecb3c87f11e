package server

import (
	"encoding/json"
	"time"
)

// handlePush acts on a message the service pushed. State changes happen here,
// in the reader, so that a call made right after (or from the callback) sees
// them; callbacks then run in goroutines of their own.
func (p *Process) handlePush(action string, data []byte) {
	log := p.log.With("action", action)
	switch action {
	case pushCreateGameSession:
		var m createGameSessionPush
		if err := json.Unmarshal(data, &m); err != nil {
			log.Error("push not understood; ignored", "err", err)
			return
		}
		gs := m.gameSession()
		gs.FleetID = p.fleetID
		p.mu.Lock()
		if !p.ready || p.closedErr != nil {
			p.mu.Unlock()
			log.Warn("game session pushed to a process that is not ready; ignored", "game_session", gs.GameSessionID)
			return
		}
		if gs.GameSessionID != "" && gs.GameSessionID == p.gameSessionID {
			// The service sends a game session it has not seen activated
			// again when the process reconnects, in case the first push was
			// lost; the game has it already.
			p.mu.Unlock()
			log.Info("game session pushed again; already started, ignored", "game_session", gs.GameSessionID)
			return
		}
		p.gameSessionID = gs.GameSessionID
		cb := p.params.OnStartGameSession
		p.mu.Unlock()
		log.Info("game session started", "game_session", gs.GameSessionID)
		if cb != nil {
			go cb(gs)
		}

	case pushUpdateGameSession:
		var m updateGameSessionPush
		if err := json.Unmarshal(data, &m); err != nil {
			log.Error("push not understood; ignored", "err", err)
			return
		}
		u := m.update()
		p.mu.Lock()
		if !p.ready || p.closedErr != nil {
			p.mu.Unlock()
			log.Warn("game session update pushed to a process that is not ready; ignored", "game_session", u.GameSession.GameSessionID)
			return
		}
		cb := p.params.OnUpdateGameSession
		p.mu.Unlock()
		log.Info("game session updated", "game_session", u.GameSession.GameSessionID, "reason", u.UpdateReason)
		if cb != nil {
			go cb(u)
		}

	case pushTerminateProcess:
		var m terminateProcessPush
		if err := json.Unmarshal(data, &m); err != nil {
			log.Error("push not understood; ignored", "err", err)
			return
		}
		p.mu.Lock()
		if p.closedErr != nil {
			p.mu.Unlock()
			return
		}
		p.terminationTime = time.UnixMilli(m.TerminationTime)
		cb := p.params.OnProcessTerminate
		p.mu.Unlock()
		log.Info("termination requested", "termination_time", time.UnixMilli(m.TerminationTime).UTC())
		if cb != nil {
			go cb()
			return
		}
		// Without a callback, end the process as GameLift's SDKs do (they
		// also exit; a library should not).
		p.goTracked(func() {
			if err := p.ProcessEnding(); err != nil {
				log.Error("ProcessEnding after TerminateProcess failed", "err", err)
			}
		})

	case pushRefreshConnection:
		var m refreshConnectionPush
		if err := json.Unmarshal(data, &m); err != nil || m.RefreshConnectionEndpoint == "" || m.AuthToken == "" {
			log.Error("RefreshConnection without endpoint or token; ignored", "err", err)
			return
		}
		p.goTracked(func() { p.refresh(m.RefreshConnectionEndpoint, m.AuthToken) })
	}
}
