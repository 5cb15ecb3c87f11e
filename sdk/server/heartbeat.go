package server

import (
	"context"
	"time"
)

// startHeartbeats starts reporting health, at once and then every
// heartbeat interval (± jitter), until ProcessEnding or Destroy. Call with mu
// held, from the reader.
func (p *Process) startHeartbeats(health func() bool) {
	if p.stopHeartbeats != nil {
		p.stopHeartbeats()
	}
	ctx, cancel := context.WithCancel(p.ctx)
	p.stopHeartbeats = cancel
	p.goTracked(func() {
		for {
			p.heartbeat(ctx, health)
			t := time.NewTimer(p.cfg.nextHeartbeat())
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	})
}

// heartbeat sends one HeartbeatServerProcess with the game's health.
func (p *Process) heartbeat(ctx context.Context, health func() bool) {
	healthy := p.checkHealth(ctx, health)
	if ctx.Err() != nil {
		return
	}
	p.beating.Lock()
	defer p.beating.Unlock()
	if ctx.Err() != nil {
		return // stopped while the game answered
	}
	req := &heartbeatServerProcessRequest{envelope: envelope{Action: actionHeartbeatServerProcess}, HealthStatus: healthy}
	// Once sent, a heartbeat is waited for even if heartbeats stop (only
	// Destroy cuts it short); see beating.
	if _, err := p.do(p.ctx, req, nil); err != nil {
		if p.ctx.Err() == nil {
			p.log.Warn("heartbeat failed", "err", err)
		}
		return
	}
	p.log.Debug("heartbeat", "healthy", healthy)
}

// checkHealth asks the game, counting a slow answer as unhealthy. A game
// without a health callback is healthy, as in GameLift's C++ SDK.
func (p *Process) checkHealth(ctx context.Context, health func() bool) bool {
	if health == nil {
		return true
	}
	answer := make(chan bool, 1)
	// The callback is the game's code: if it hangs, this goroutine does too,
	// and only it.
	go func() { answer <- health() }()
	t := time.NewTimer(p.cfg.healthCheckTimeout)
	defer t.Stop()
	select {
	case ok := <-answer:
		return ok
	case <-t.C:
		p.log.Warn("health check took too long; reporting unhealthy", "limit", p.cfg.healthCheckTimeout)
		return false
	case <-ctx.Done():
		return false
	}
}
