package gateway

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"
	"golang.org/x/time/rate"
)

// Close codes (RFC 6455 section 7.4.1) and the reasons the gateway gives.
const (
	closeNormal      = 1000
	closeGoingAway   = 1001
	closeProtocol    = 1002
	closeUnsupported = 1003
	closeNoStatus    = 1005
	closeInvalidData = 1007
	closePolicy      = 1008
	closeTooBig      = 1009
	closeInternal    = 1011

	reasonShutdown     = "server shutting down"
	reasonIdle         = "idle timeout"
	reasonMaxDuration  = "maximum connection duration"
	reasonTokenExpired = "token expired"
	reasonRate         = "rate limit exceeded"
	reasonSlow         = "slow consumer"
	reasonFrameTooBig  = "frame too large"
	reasonMsgTooBig    = "message too large"
	reasonBinary       = "binary frames are not supported"
	reasonUTF8         = "invalid UTF-8"
	reasonDeleted      = "connection deleted"
	reasonInternal     = "internal error"
	// reasonClient labels closes the client started (metrics only).
	reasonClient = "client closed"
	// reasonLost labels sockets that ended without a close handshake.
	reasonLost = "connection lost"
)

// closeGrace is how long a closing socket waits for the other side's
// close frame (or for its own to be written) before the TCP connection is
// dropped.
const closeGrace = 2 * time.Second

// maxInFlight is how many complete messages of one connection may wait to
// be handled; beyond it the reader stops reading (TCP pushes back on the
// client) until the handler catches up.
const maxInFlight = 8

// conn is one socket this node holds.
//
// Three goroutines at most serve it, and only the first lives as long as
// the socket: the reader (reads frames, answers pings, enforces sizes and
// the rate), a handler started when a message arrives and gone when none
// waits (handles messages in order), and a writer started when a frame is
// queued and gone when the queue is empty. An idle socket costs its
// reader's small stack and this struct.
type conn struct {
	g           *Gateway
	rec         record
	connectedAt time.Time
	expires     time.Time // the credentials' expiry; zero: none
	lastActive  atomic.Int64
	limiter     *rate.Limiter
	ctx         context.Context // ends when the socket closes
	cancel      context.CancelFunc

	nc net.Conn  // set once before the reader starts
	r  io.Reader // nc, behind any bytes read with the handshake

	wmu          sync.Mutex // guards the fields below
	queue        [][]byte   // encoded frames waiting for the writer
	queued       int        // bytes in queue
	writing      bool       // a writer goroutine is running
	holding      bool       // frames wait for the resume frame (or the upgrade)
	closing      bool       // a close frame is queued; nothing more is
	closeFrame   []byte     // written after the queue, then closeWritten closes
	closeCode    int
	closeReason  string
	closeWritten chan struct{}
	peerClosed   bool // the client sent its close frame first

	imu     sync.Mutex // guards the fields below
	room    *sync.Cond // signalled when inbox shrinks or the socket dies
	inbox   [][]byte
	working bool // a handler goroutine is running
	dead    bool
}

func (g *Gateway) newConn(rec record, expires time.Time) *conn {
	c := &conn{
		g:           g,
		rec:         rec,
		connectedAt: rec.ConnectedAt,
		expires:     expires,
		limiter:     rate.NewLimiter(rate.Limit(g.cfg.MessageRate), g.cfg.MessageBurst),
		holding:     true,
	}
	c.room = sync.NewCond(&c.imu)
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.lastActive.Store(rec.ConnectedAt.UnixNano())
	return c
}

func (c *conn) id() string { return c.rec.ConnectionID }

func (c *conn) lastActiveAt() time.Time { return time.Unix(0, c.lastActive.Load()) }

// --- writing ---

// send queues one data frame (text when data is UTF-8, binary otherwise).
func (c *conn) send(data []byte) error {
	op := ws.OpText
	if !utf8.Valid(data) {
		op = ws.OpBinary
	}
	return c.enqueue(encodeFrame(op, data))
}

// enqueue queues an encoded frame and makes sure a writer runs. A client
// that lets more than MaxQueueBytes pile up is closed as a slow consumer.
func (c *conn) enqueue(frame []byte) error {
	c.wmu.Lock()
	if c.closing {
		c.wmu.Unlock()
		return ErrGone
	}
	if c.queued+len(frame) > c.g.cfg.MaxQueueBytes {
		c.wmu.Unlock()
		c.closeSlow()
		return ErrLimitExceeded
	}
	c.queue = append(c.queue, frame)
	c.queued += len(frame)
	c.kickLocked()
	c.wmu.Unlock()
	return nil
}

// release lets the queued frames go, first (when given) the resume frame.
func (c *conn) release(first []byte) {
	c.wmu.Lock()
	if first != nil && !c.closing {
		c.queue = append([][]byte{encodeFrame(ws.OpText, first)}, c.queue...)
		c.queued += len(c.queue[0])
	}
	c.holding = false
	c.kickLocked()
	c.wmu.Unlock()
}

// kickLocked starts a writer when there is something to write and none
// runs. c.wmu must be held.
func (c *conn) kickLocked() {
	if c.writing || c.holding || c.nc == nil {
		return
	}
	if len(c.queue) == 0 && c.closeFrame == nil {
		return
	}
	c.writing = true
	c.g.metrics.writers.Inc()
	go c.write()
}

// write writes the queue, batching what has accumulated into one system
// call, until it is empty; then the close frame, if one is due.
func (c *conn) write() {
	defer c.g.metrics.writers.Dec()
	for {
		c.wmu.Lock()
		batch := c.queue
		c.queue, c.queued = nil, 0
		final := false
		if len(batch) == 0 {
			if c.closeFrame == nil {
				c.writing = false
				c.wmu.Unlock()
				return
			}
			batch = [][]byte{c.closeFrame}
			c.closeFrame = nil
			final = true
		}
		c.wmu.Unlock()

		_ = c.nc.SetWriteDeadline(time.Now().Add(c.g.cfg.WriteTimeout))
		bufs := net.Buffers(batch)
		_, err := bufs.WriteTo(c.nc)
		if err != nil || final {
			c.wmu.Lock()
			c.writing = false
			if c.closeWritten != nil {
				select {
				case <-c.closeWritten:
				default:
					close(c.closeWritten)
				}
			}
			peer := c.peerClosed
			c.wmu.Unlock()
			if err != nil || peer {
				// Nothing more can or need be said: drop the connection,
				// which ends the reader.
				_ = c.nc.Close()
			}
			return
		}
	}
}

// close starts the closing handshake: the queued frames go out, then a
// close frame with code and reason; the reader waits a moment for the
// client's answer and drops the connection. It is safe to call any number
// of times from any goroutine; the first call wins.
func (c *conn) close(code int, reason string) {
	c.closeWith(code, reason, false, false)
}

// closeSlow closes a client that does not read: what waits is dropped.
func (c *conn) closeSlow() { c.closeWith(closePolicy, reasonSlow, false, true) }

func (c *conn) closeWith(code int, reason string, peer, drop bool) {
	c.wmu.Lock()
	if c.closing {
		c.wmu.Unlock()
		return
	}
	c.closing = true
	c.closeCode, c.closeReason = code, reason
	c.peerClosed = peer
	c.closeWritten = make(chan struct{})
	if drop {
		c.queue, c.queued = nil, 0
	}
	c.closeFrame = encodeClose(code, reason)
	c.holding = false
	c.kickLocked()
	nc := c.nc
	c.wmu.Unlock()

	c.cancel()
	c.imu.Lock()
	c.dead = true
	c.room.Broadcast()
	c.imu.Unlock()
	if nc != nil && !peer {
		// The reader keeps reading (and discarding) until the client's
		// close frame arrives or the grace runs out.
		_ = nc.SetReadDeadline(time.Now().Add(closeGrace + c.g.cfg.WriteTimeout))
	}
	label := reason
	if peer {
		label = reasonClient
	}
	c.g.metrics.closes.WithLabelValues(label).Inc()
}

// isClosing reports whether the closing handshake has started.
func (c *conn) isClosing() bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.closing
}

// encodeFrame returns an unmasked server frame: header and payload in one
// buffer, so a frame is one write.
func encodeFrame(op ws.OpCode, payload []byte) []byte {
	n := len(payload)
	var b []byte
	switch {
	case n < 126:
		b = make([]byte, 2, 2+n)
		b[1] = byte(n)
	case n <= 0xFFFF:
		b = make([]byte, 4, 4+n)
		b[1] = 126
		binary.BigEndian.PutUint16(b[2:], uint16(n))
	default:
		b = make([]byte, 10, 10+n)
		b[1] = 127
		binary.BigEndian.PutUint64(b[2:], uint64(n))
	}
	b[0] = 0x80 | byte(op)
	return append(b, payload...)
}

// encodeClose returns a close frame; reasons are cut to fit the 125 bytes
// a control frame may carry.
func encodeClose(code int, reason string) []byte {
	if code == closeNoStatus {
		return encodeFrame(ws.OpClose, nil)
	}
	if len(reason) > 123 {
		reason = reason[:123]
	}
	p := make([]byte, 2+len(reason))
	binary.BigEndian.PutUint16(p, uint16(code))
	copy(p[2:], reason)
	return encodeFrame(ws.OpClose, p)
}

// --- reading ---

// readLoop reads frames until the socket ends, then removes the
// connection. It runs in the goroutine that served the upgrade.
func (c *conn) readLoop() {
	defer c.g.disconnect(c)
	var (
		msg     []byte // the message being assembled
		msgOp   ws.OpCode
		inFrags bool // a fragmented message is being assembled
	)
	for {
		h, err := ws.ReadHeader(c.r)
		if err != nil {
			return
		}
		if c.isClosing() {
			// Discard everything but the client's close frame.
			if h.OpCode == ws.OpClose {
				return
			}
			if _, err := io.CopyN(io.Discard, c.r, h.Length); err != nil {
				return
			}
			continue
		}
		c.lastActive.Store(c.g.cfg.Now().UnixNano())
		if problem := frameProblem(h); problem != "" {
			c.close(closeProtocol, problem)
			if !c.skip(h.Length) {
				return
			}
			continue
		}
		if h.OpCode.IsControl() {
			payload := make([]byte, h.Length)
			if _, err := io.ReadFull(c.r, payload); err != nil {
				return
			}
			ws.Cipher(payload, h.Mask, 0)
			switch h.OpCode {
			case ws.OpPing:
				if !c.limiter.Allow() {
					c.close(closePolicy, reasonRate)
					continue
				}
				_ = c.enqueue(encodeFrame(ws.OpPong, payload))
			case ws.OpClose:
				c.peerClose(payload)
				return
			}
			continue
		}
		// A data frame: text, binary, or a continuation.
		switch {
		case h.OpCode == ws.OpContinuation && !inFrags:
			c.close(closeProtocol, "continuation frame without a message to continue")
		case h.OpCode != ws.OpContinuation && inFrags:
			c.close(closeProtocol, "new message before the last one ended")
		case h.Length > int64(c.g.cfg.MaxFrameBytes):
			c.close(closeTooBig, reasonFrameTooBig)
		case int64(len(msg))+h.Length > int64(c.g.cfg.MaxMessageBytes):
			c.close(closeTooBig, reasonMsgTooBig)
		}
		if c.isClosing() {
			if !c.skip(h.Length) {
				return
			}
			continue
		}
		if h.OpCode != ws.OpContinuation {
			msgOp = h.OpCode
			if h.Fin {
				msg = make([]byte, 0, h.Length)
			}
		}
		start := len(msg)
		msg = append(msg, make([]byte, h.Length)...)
		if _, err := io.ReadFull(c.r, msg[start:]); err != nil {
			return
		}
		ws.Cipher(msg[start:], h.Mask, 0)
		if !h.Fin {
			inFrags = true
			continue
		}
		inFrags = false
		m := msg
		msg = nil
		switch {
		case msgOp == ws.OpBinary:
			c.close(closeUnsupported, reasonBinary)
		case !utf8.Valid(m):
			c.close(closeInvalidData, reasonUTF8)
		case !c.limiter.Allow():
			c.close(closePolicy, reasonRate)
		default:
			c.submit(m)
		}
	}
}

// frameProblem says how a frame header breaks RFC 6455, or "".
func frameProblem(h ws.Header) string {
	switch {
	case h.Rsv != 0:
		return "reserved bits set"
	case !h.Masked:
		return "client frames must be masked"
	case h.OpCode.IsReserved():
		return "reserved opcode"
	case h.OpCode.IsControl() && (!h.Fin || h.Length > 125):
		return "control frames must be whole and at most 125 bytes"
	}
	return ""
}

// skip discards a frame's payload (bounded in time by the closing read
// deadline).
func (c *conn) skip(n int64) bool {
	_, err := io.CopyN(io.Discard, c.r, n)
	return err == nil
}

// peerClose answers the client's close frame with the same code and
// waits (briefly) for the answer to be written.
func (c *conn) peerClose(payload []byte) {
	code := closeNoStatus
	switch {
	case len(payload) == 1:
		code = closeProtocol
	case len(payload) >= 2:
		code = int(binary.BigEndian.Uint16(payload))
		if !sendableCloseCode(code) || !utf8.Valid(payload[2:]) {
			code = closeProtocol
		}
	}
	c.closeWith(code, "", true, false)
	c.wmu.Lock()
	done := c.closeWritten
	c.wmu.Unlock()
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

// sendableCloseCode reports whether a close frame may carry code (RFC
// 6455 section 7.4: 1000-1003, 1007-1011, 3000-4999).
func sendableCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1011, code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// submit hands a message to the connection's handler, in order, waiting
// while maxInFlight messages are pending. Once the socket is closing the
// message is dropped.
func (c *conn) submit(m []byte) {
	c.imu.Lock()
	defer c.imu.Unlock()
	for len(c.inbox) >= maxInFlight && !c.dead {
		c.room.Wait()
	}
	if c.dead {
		return
	}
	c.inbox = append(c.inbox, m)
	if !c.working {
		c.working = true
		go c.handleInbox()
	}
}

// handleInbox handles the pending messages one at a time until none is
// left.
func (c *conn) handleInbox() {
	for {
		c.imu.Lock()
		if len(c.inbox) == 0 || c.dead {
			c.inbox = nil
			c.working = false
			c.room.Broadcast()
			c.imu.Unlock()
			return
		}
		m := c.inbox[0]
		c.inbox[0] = nil
		c.inbox = c.inbox[1:]
		c.room.Broadcast()
		c.imu.Unlock()
		c.g.handleMessage(c, m)
	}
}
