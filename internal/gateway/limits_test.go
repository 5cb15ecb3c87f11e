package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gobwas/ws"

	"github.com/rallypoint/rallypoint/internal/gateway"
)

// Each limit closes the offending socket with its documented code and
// reason, while another socket on the same gateway keeps working.
func TestLimitsCloseTheOffenderOnly(t *testing.T) {
	w := newWorld(t)
	n := w.node("a", func(c *cfgT) {
		c.MaxFrameBytes = 1024
		c.MaxMessageBytes = 4096
		c.MessageRate = 5
		c.MessageBurst = 5
	})
	cases := []struct {
		name   string
		offend func(r *raw) error
		code   int
		reason string
	}{
		{"frame over MaxFrameBytes", func(r *raw) error {
			return r.frame(true, ws.OpText, bytes.Repeat([]byte("x"), 2000))
		}, 1009, "frame too large"},
		{"fragmented message over MaxMessageBytes", func(r *raw) error {
			for i := range 5 {
				if err := r.frame(i == 4, map[bool]ws.OpCode{true: ws.OpText, false: ws.OpContinuation}[i == 0], bytes.Repeat([]byte("x"), 1000)); err != nil {
					return err
				}
			}
			return nil
		}, 1009, "message too large"},
		{"message flood", func(r *raw) error {
			for range 50 {
				if err := r.frame(true, ws.OpText, []byte(`{"action":"ping"}`)); err != nil {
					return err
				}
			}
			return nil
		}, 1008, "rate limit exceeded"},
		{"binary frame", func(r *raw) error {
			return r.frame(true, ws.OpBinary, []byte{1, 2, 3})
		}, 1003, "binary frames are not supported"},
		{"invalid UTF-8", func(r *raw) error {
			return r.frame(true, ws.OpText, []byte{0xff, 0xfe})
		}, 1007, "invalid UTF-8"},
		{"unmasked frame", func(r *raw) error {
			_, err := r.nc.Write([]byte{0x81, 0x02, 'h', 'i'})
			return err
		}, 1002, "client frames must be masked"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			good := n.connect(t, w.player())
			bad := n.dialRaw(t, w.player())
			if err := tc.offend(bad); err != nil {
				t.Fatalf("offend: %v", err)
			}
			bad.expectClose(tc.code, tc.reason)
			good.ping()
		})
	}
	// A fragmented message within the limits is assembled and answered.
	t.Run("fragmented message within limits", func(t *testing.T) {
		r := n.dialRaw(t, w.player())
		parts := []string{`{"action":"pi`, `ng","request`, `Id":"frag"}`}
		for i, part := range parts {
			op := ws.OpContinuation
			if i == 0 {
				op = ws.OpText
			}
			if err := r.frame(i == len(parts)-1, op, []byte(part)); err != nil {
				t.Fatal(err)
			}
		}
		_ = r.nc.SetReadDeadline(time.Now().Add(wait))
		f, err := ws.ReadFrame(r.br)
		if err != nil || string(f.Payload) != `{"requestId":"frag","ok":true}` {
			t.Fatalf("reply %q, %v", f.Payload, err)
		}
		// Pings are answered with pongs carrying the same payload.
		if err := r.frame(true, ws.OpPing, []byte("hb")); err != nil {
			t.Fatal(err)
		}
		f, err = ws.ReadFrame(r.br)
		if err != nil || f.Header.OpCode != ws.OpPong || string(f.Payload) != "hb" {
			t.Fatalf("pong %v %q, %v", f.Header.OpCode, f.Payload, err)
		}
	})
}

// Time limits are judged on the gateway's clock by one ticker: a socket
// idle past IdleTimeout, or older than MaxDuration, is closed 1001.
func TestTimeLimits(t *testing.T) {
	w := newWorld(t)
	t.Run("idle", func(t *testing.T) {
		clk := &clock{}
		n := w.node("idle", func(c *cfgT) { c.Now = clk.Now; c.IdleTimeout = 6 * time.Minute; c.MaxDuration = 24 * time.Hour })
		idle := n.connect(t, w.player())
		clk.Advance(4 * time.Minute)
		busy := n.connect(t, w.player())
		busy.ping()
		clk.Advance(4 * time.Minute) // idle: 8 min without a frame; busy: 4 (tokens live 15)
		idle.expectClose(websocket.StatusGoingAway, "idle timeout")
		busy.ping()
	})
	t.Run("maximum duration", func(t *testing.T) {
		clk := &clock{}
		n := w.node("old", func(c *cfgT) { c.Now = clk.Now; c.IdleTimeout = 24 * time.Hour; c.MaxDuration = 6 * time.Minute })
		old := n.connect(t, w.player())
		clk.Advance(4 * time.Minute)
		young := n.connect(t, w.player())
		clk.Advance(4 * time.Minute)
		old.expectClose(websocket.StatusGoingAway, "maximum connection duration")
		young.ping()
	})
}

// A client that stops reading is closed as a slow consumer once more than
// MaxQueueBytes wait for it, and sends to it fail with ErrLimitExceeded,
// while another socket keeps working.
func TestSlowConsumer(t *testing.T) {
	w := newWorld(t)
	n := w.node("a", func(c *cfgT) { c.MaxQueueBytes, c.WriteTimeout = 64<<10, time.Second })
	good := n.connect(t, w.player())
	p := w.player()
	r := n.dialRaw(t, p)
	// The client reads nothing, and its kernel buffers little.
	if tc, ok := r.nc.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}
	var id string
	eventually(t, "the slow client's record", func() bool {
		ids := w.recordsOf(p.id)
		if len(ids) == 1 {
			id = ids[0]
		}
		return id != ""
	})
	chunk := bytes.Repeat([]byte("x"), 32<<10)
	var err error
	// 64 MB is far more than the kernel's buffers on both ends can hold.
	for i := 0; i < 2048 && err == nil; i++ {
		err = n.g.Send(context.Background(), id, chunk)
	}
	if !errors.Is(err, gateway.ErrLimitExceeded) && !errors.Is(err, gateway.ErrGone) {
		t.Fatalf("sending to a client that does not read: %v, want ErrLimitExceeded", err)
	}
	eventually(t, "the slow client's records to go", func() bool { return len(w.recordsOf(p.id)) == 0 })
	good.ping()
}
