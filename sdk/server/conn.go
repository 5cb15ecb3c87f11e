package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/google/uuid"
)

// This file keeps the connection up: dialing with backoff, reading frames,
// noticing drops, redialing and switching sockets on RefreshConnection.

// dialURL is base with its query replaced by the connection parameters, as
// GameLift's Go SDK builds it.
func (p *Process) dialURL(base, token, idempotencyToken string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := url.Values{}
	q.Set("pID", p.processID)
	q.Set("sdkVersion", SDKVersion)
	q.Set("sdkLanguage", sdkLanguage)
	q.Set("ComputeId", p.hostID)
	q.Set("FleetId", p.fleetID)
	q.Set("IdempotencyToken", idempotencyToken)
	q.Set("Authorization", token)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// redact drops the query (and with it the token) from a URL for logs and
// errors.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.RawQuery = ""
	u.User = nil
	return u.String()
}

// errAuth marks dial failures not worth retrying.
type errAuth struct{ err error }

func (e errAuth) Error() string { return e.err.Error() }
func (e errAuth) Unwrap() error { return e.err }

// dial makes one connection attempt.
func (p *Process) dial(ctx context.Context, base, token, idempotencyToken string) (*websocket.Conn, error) {
	u, err := p.dialURL(base, token, idempotencyToken)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		HTTPClient: p.cfg.httpClient,
		HTTPHeader: http.Header{"User-Agent": []string{"rallypoint-go-server-sdk/" + SDKVersion}},
	})
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			kind := ErrUnauthorized
			if resp.StatusCode == http.StatusForbidden {
				kind = ErrForbidden
			}
			return nil, errAuth{fmt.Errorf("%w: the service refused the connection with HTTP %d: the AuthToken must be valid and unexpired and the ProcessID unique", kind, resp.StatusCode)}
		}
		// The URL in coder/websocket's errors carries the token.
		if resp != nil {
			return nil, fmt.Errorf("WebSocket handshake failed with HTTP %d", resp.StatusCode)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			return nil, fmt.Errorf("dial %s: %w", redact(ue.URL), ue.Err)
		}
		return nil, errors.New("dial failed: " + redactErr(err, token))
	}
	conn.SetReadLimit(readLimit)
	return conn, nil
}

// redactErr is err's text without the token, which the URLs in
// coder/websocket's errors carry.
func redactErr(err error, token string) string {
	s := err.Error()
	for _, t := range []string{url.QueryEscape(token), token} {
		if t != "" {
			s = strings.ReplaceAll(s, t, "REDACTED")
		}
	}
	return s
}

// dialRetry dials until it succeeds, ctx ends or the token is refused. The
// attempts share one IdempotencyToken.
func (p *Process) dialRetry(ctx context.Context, base, token string) (*websocket.Conn, error) {
	idem := uuid.NewString()
	for attempt := 0; ; attempt++ {
		conn, err := p.dial(ctx, base, token, idem)
		if err == nil {
			return conn, nil
		}
		var auth errAuth
		if errors.As(err, &auth) {
			return nil, err
		}
		wait := p.cfg.backoff.wait(attempt)
		p.log.Warn("dial failed", "attempt", attempt+1, "retry_in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("gave up after %d attempts: %w (%w)", attempt+1, err, ctx.Err())
		case <-t.C:
		}
	}
}

// install makes conn the connection requests go out on and starts its
// reader. Call with mu held.
func (p *Process) install(conn *websocket.Conn) {
	p.conn = conn
	p.gen++
	p.timeouts = 0
	gen := p.gen
	p.broadcast()
	p.goTracked(func() { p.read(conn, gen) })
}

// read handles frames from conn until it fails, then deals with the drop.
func (p *Process) read(conn *websocket.Conn, gen uint64) {
	for {
		// No context: one that ends would make coder/websocket drop the
		// connection without a close handshake. Destroy closes conn instead.
		typ, data, err := conn.Read(context.Background())
		if err != nil {
			p.down(conn, gen, err)
			return
		}
		if typ != websocket.MessageText {
			p.log.Debug("binary frame ignored")
			continue
		}
		p.handleFrame(data)
	}
}

// down handles the end of connection gen: requests sent on it lose their
// replies; if it was the current one and it did not end normally, redial.
func (p *Process) down(conn *websocket.Conn, gen uint64, err error) {
	onGen := func(c *call) bool { return c.gen == gen }
	p.mu.Lock()
	if p.closedErr != nil {
		p.mu.Unlock()
		return
	}
	p.failPending(onGen, ErrReplyLost)
	if gen != p.gen {
		// A connection replaced by RefreshConnection, closed by us.
		p.mu.Unlock()
		return
	}
	p.conn = nil
	status := websocket.CloseStatus(err)
	if status == websocket.StatusNormalClosure || status == websocket.StatusGoingAway {
		p.closedErr = fmt.Errorf("%w (status %d)", ErrClosedByService, status)
		p.broadcast()
		p.mu.Unlock()
		p.log.Warn("the service closed the connection; not reconnecting", "status", int(status))
		return
	}
	p.broadcast()
	url, token := p.url, p.token
	p.mu.Unlock()

	_ = conn.CloseNow()
	p.log.Warn("connection lost; reconnecting", "err", err)
	p.redial(url, token)
}

// redial dials until it succeeds or Destroy. It reads the URL and token
// again after each failure, since a RefreshConnection may change them.
func (p *Process) redial(url, token string) {
	idem := uuid.NewString()
	for attempt := 0; ; attempt++ {
		conn, err := p.dial(p.ctx, url, token, idem)
		if err == nil {
			p.mu.Lock()
			if p.closedErr != nil || p.conn != nil {
				// Destroyed, or a refresh connected first.
				p.mu.Unlock()
				_ = conn.Close(websocket.StatusNormalClosure, "")
				return
			}
			p.install(conn)
			p.mu.Unlock()
			p.log.Info("reconnected", "attempts", attempt+1)
			return
		}
		wait := p.cfg.backoff.wait(attempt)
		p.log.Warn("redial failed", "attempt", attempt+1, "retry_in", wait, "err", err)
		t := time.NewTimer(wait)
		select {
		case <-p.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		p.mu.Lock()
		url, token = p.url, p.token
		p.mu.Unlock()
	}
}

// refresh handles RefreshConnection: dial the new endpoint with the new
// token, move requests to the new socket, let replies due on the old one
// arrive for a moment, then close it with 1000. A failed dial leaves the old
// connection in use; the service is expected to send RefreshConnection again.
func (p *Process) refresh(endpoint, token string) {
	conn, err := p.dial(p.ctx, endpoint, token, uuid.NewString())
	if err != nil {
		p.log.Error("refresh connection failed; keeping the current connection", "url", redact(endpoint), "err", err)
		return
	}
	p.mu.Lock()
	if p.closedErr != nil {
		p.mu.Unlock()
		_ = conn.Close(websocket.StatusNormalClosure, "")
		return
	}
	old, oldGen := p.conn, p.gen
	p.url, p.token = endpoint, token
	p.install(conn)
	p.mu.Unlock()
	p.log.Info("connection refreshed", "url", redact(endpoint))
	if old == nil {
		return
	}

	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(refreshDrain)
drain:
	for p.waitingOn(oldGen) {
		select {
		case <-tick.C:
		case <-deadline:
			break drain
		case <-p.ctx.Done():
			break drain
		}
	}
	_ = old.Close(websocket.StatusNormalClosure, "connection refreshed")
}

// waitingOn reports whether requests sent on connection gen still wait for
// replies.
func (p *Process) waitingOn(gen uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.pending {
		if c.gen == gen {
			return true
		}
	}
	return false
}
