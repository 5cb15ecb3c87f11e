package server

import (
	"math/rand/v2"
	"time"
)

// backoff is the schedule of waits between dial attempts.
type backoff struct {
	base, max time.Duration
}

// delay is the wait before retry number attempt (0 for the first retry),
// without jitter: base doubled attempt times, capped at max.
func (b backoff) delay(attempt int) time.Duration {
	d := b.base
	for i := 0; i < attempt && d < b.max; i++ {
		d *= 2
	}
	return min(d, b.max)
}

// jittered shortens d by frac (in [0, 1)) of a fifth, so that processes
// dropped together do not all redial at once.
func jittered(d time.Duration, frac float64) time.Duration {
	return d - time.Duration(frac*float64(d)/5)
}

// wait is delay(attempt) with random jitter.
func (b backoff) wait(attempt int) time.Duration {
	return jittered(b.delay(attempt), rand.Float64())
}

// heartbeatDelay is interval moved by jitter scaled by frac in [-1, 1].
func heartbeatDelay(interval, jitter time.Duration, frac float64) time.Duration {
	return interval + time.Duration(frac*float64(jitter))
}

// nextHeartbeat is the wait before the next heartbeat.
func (c config) nextHeartbeat() time.Duration {
	return heartbeatDelay(c.heartbeatInterval, c.heartbeatJitter, 2*rand.Float64()-1)
}
