package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/coder/websocket"
	"github.com/google/uuid"
)

// call is a request waiting for its reply.
type call struct {
	action string
	// gen is the connection the request went out on.
	gen uint64
	// done gets exactly one reply or error.
	done chan reply
	// onSuccess, if set, runs in the reader with mu held when a 200 reply
	// arrives, before any later frame is handled. ProcessReady uses it to be
	// ready before a CreateGameSession right behind the reply comes in.
	onSuccess func()
}

type reply struct {
	data []byte
	err  error
}

// do sends req and waits for its reply, for at most the call timeout,
// including any wait for the connection to come back. It returns the reply
// frame on a 200.
func (p *Process) do(ctx context.Context, req outgoing, onSuccess func()) ([]byte, error) {
	env := req.head()
	env.RequestID = uuid.NewString()
	action, id := env.Action, env.RequestID
	data, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("%s: encode: %w", action, err)
	}
	timeout := p.cfg.callTimeout
	ctx, cancel := context.WithTimeoutCause(ctx, timeout, errCallTimeout)
	defer cancel()

	c := &call{action: action, done: make(chan reply, 1), onSuccess: onSuccess}
	var conn *websocket.Conn
	for conn == nil {
		p.mu.Lock()
		if p.closedErr != nil {
			err := p.closedErr
			p.mu.Unlock()
			return nil, fmt.Errorf("%s: %w", action, err)
		}
		if p.conn != nil {
			conn, c.gen = p.conn, p.gen
			p.pending[id] = c
		}
		changed := p.changed
		p.mu.Unlock()
		if conn != nil {
			break
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, p.ctxErr(ctx, action, "no connection to the service within %s (reconnecting)", timeout)
		}
	}

	// The write has its own deadline: if the caller's context ended during
	// a write, coder/websocket would drop the connection.
	wctx, wcancel := context.WithTimeout(p.ctx, timeout)
	err = conn.Write(wctx, websocket.MessageText, data)
	wcancel()
	if err != nil {
		if p.forget(id) {
			// A failed write leaves the socket unusable; the reader then
			// sees the drop and redials.
			_ = conn.CloseNow()
			return nil, fmt.Errorf("%s (RequestId %s): send failed: %w: %w", action, id, ErrReplyLost, err)
		}
		// Destroy or a drop already answered the call.
	}
	p.log.Debug("request sent", "action", action, "request", id)

	select {
	case r := <-c.done:
		return r.data, r.err
	case <-ctx.Done():
		if !p.forget(id) {
			r := <-c.done
			return r.data, r.err
		}
		p.timedOut(conn)
		return nil, p.ctxErr(ctx, action, "no reply within %s", timeout)
	}
}

// errCallTimeout is the cause of a call's context ending at the call timeout.
var errCallTimeout = errors.New("call timeout")

// ctxErr explains why ctx ended: the call timeout, or the caller's context.
func (p *Process) ctxErr(ctx context.Context, action, format string, args ...any) error {
	if context.Cause(ctx) == errCallTimeout {
		return fmt.Errorf("%s: %w: "+format+"; the request may or may not have taken effect", append([]any{action, ErrTimeout}, args...)...)
	}
	return fmt.Errorf("%s: %w", action, ctx.Err())
}

// forget drops the pending call id; false if it was already answered.
func (p *Process) forget(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.pending[id]; !ok {
		return false
	}
	delete(p.pending, id)
	return true
}

// timedOut counts a call that got no reply on conn. After a few in a row the
// connection is taken for half-open and dropped, which makes the reader
// redial.
func (p *Process) timedOut(conn *websocket.Conn) {
	p.mu.Lock()
	drop := false
	if p.conn == conn {
		p.timeouts++
		drop = p.timeouts >= maxTimeoutsInARow
	}
	p.mu.Unlock()
	if drop {
		p.log.Warn("calls keep timing out; redialing", "timeouts", maxTimeoutsInARow)
		_ = conn.CloseNow()
	}
}

// failPending answers the pending calls that match with err. Call with mu
// held.
func (p *Process) failPending(match func(*call) bool, err error) {
	for id, c := range p.pending {
		if match(c) {
			delete(p.pending, id)
			c.done <- reply{err: fmt.Errorf("%s (RequestId %s): %w", c.action, id, err)}
		}
	}
}

// handleFrame routes one frame from the service, following the rules of
// GameLift's SDKs: a frame with a RequestId and a StatusCode other than 200
// is a failed reply; a frame with a pending RequestId is that request's
// reply; a push is handled by its Action.
func (p *Process) handleFrame(data []byte) {
	var in inbound
	if err := json.Unmarshal(data, &in); err != nil {
		p.log.Warn("frame is not a JSON object; ignored", "err", err)
		return
	}
	status := 0
	if in.StatusCode != nil {
		status = *in.StatusCode
	}
	if in.RequestID != "" {
		p.mu.Lock()
		c, ok := p.pending[in.RequestID]
		if ok {
			delete(p.pending, in.RequestID)
			p.timeouts = 0
			r := replyFor(c, in, status, data)
			if r.err == nil && c.onSuccess != nil {
				c.onSuccess()
			}
			p.mu.Unlock()
			c.done <- r
			return
		}
		p.mu.Unlock()
		if status != 200 || !isPush(in.Action) {
			// GameLift's SDKs drop a push that has a RequestId but no
			// StatusCode 200 as a failed reply; so does this one.
			p.log.Warn("reply to no waiting request; ignored", "action", in.Action, "request", in.RequestID, "status", status)
			return
		}
	}
	if !isPush(in.Action) {
		p.log.Warn("frame with unknown action ignored", "action", in.Action)
		return
	}
	p.handlePush(in.Action, data)
}

// replyFor turns the reply to c into its result.
func replyFor(c *call, in inbound, status int, data []byte) reply {
	id := in.RequestID
	if in.StatusCode == nil {
		return reply{err: &Error{Action: c.action, Code: 0, Type: TypeInternalService,
			Message: fmt.Sprintf("reply (RequestId %s) has no StatusCode", id)}}
	}
	if status != 200 {
		return reply{err: &Error{Action: c.action, Code: status, Type: errorType(status), Message: in.ErrorMessage}}
	}
	if in.Action != c.action {
		// GameLift's C++ and C# SDKs read a reply by its Action, so a reply
		// must echo it.
		return reply{err: fmt.Errorf("%s (RequestId %s): %w: reply has Action %q", c.action, id, ErrProtocol, in.Action)}
	}
	return reply{data: data}
}
