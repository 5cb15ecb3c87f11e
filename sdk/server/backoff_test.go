package server

import (
	"testing"
	"time"
)

func TestBackoffSchedule(t *testing.T) {
	b := newConfig(nil).backoff
	want := []time.Duration{
		250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second,
		8 * time.Second, 16 * time.Second, 32 * time.Second, 32 * time.Second, 32 * time.Second,
	}
	for i, w := range want {
		if got := b.delay(i); got != w {
			t.Errorf("delay(%d) = %v, want %v", i, got, w)
		}
	}
	if got := b.delay(1000); got != 32*time.Second {
		t.Errorf("delay(1000) = %v", got)
	}
	custom := newConfig([]Option{WithReconnectBackoff(100*time.Millisecond, 300*time.Millisecond)}).backoff
	for i, w := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond, 300 * time.Millisecond} {
		if got := custom.delay(i); got != w {
			t.Errorf("custom delay(%d) = %v, want %v", i, got, w)
		}
	}
}

func TestJitter(t *testing.T) {
	d := time.Second
	if got := jittered(d, 0); got != d {
		t.Errorf("jittered(0) = %v", got)
	}
	if got := jittered(d, 0.999999); got <= 800*time.Millisecond || got > d {
		t.Errorf("jittered(~1) = %v, want just over 800ms", got)
	}
	b := newConfig(nil).backoff
	for range 1000 {
		if w := b.wait(2); w <= 800*time.Millisecond || w > time.Second {
			t.Fatalf("wait(2) = %v, want in (800ms, 1s]", w)
		}
	}
}

func TestHeartbeatDelay(t *testing.T) {
	for _, tc := range []struct {
		frac float64
		want time.Duration
	}{
		{-1, 50 * time.Second},
		{0, 60 * time.Second},
		{1, 70 * time.Second},
		{0.5, 65 * time.Second},
	} {
		if got := heartbeatDelay(60*time.Second, 10*time.Second, tc.frac); got != tc.want {
			t.Errorf("heartbeatDelay(%v) = %v, want %v", tc.frac, got, tc.want)
		}
	}
	c := newConfig(nil)
	for range 1000 {
		if d := c.nextHeartbeat(); d < 50*time.Second || d > 70*time.Second {
			t.Fatalf("nextHeartbeat = %v, want 60s ± 10s", d)
		}
	}
}
