package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/coder/websocket"
)

// State is the state of a Conn's socket.
type State int

const (
	// StateConnected: the socket is open.
	StateConnected State = iota + 1
	// StateReconnecting: the socket dropped and the Conn is opening
	// another; requests wait for it.
	StateReconnecting
	// StateClosed: Close was called, or the Conn gave up (Err says why).
	StateClosed
)

func (s State) String() string {
	switch s {
	case StateConnected:
		return "connected"
	case StateReconnecting:
		return "reconnecting"
	case StateClosed:
		return "closed"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// GatewayPath is where the socket is opened under Config.Endpoint.
const GatewayPath = "/ws"

const (
	// dialTimeout bounds one attempt to open the socket.
	dialTimeout = 15 * time.Second
	// writeTimeout bounds writing one frame. It is not the caller's
	// context: a write cut short by a context leaves the socket unusable.
	writeTimeout = 10 * time.Second
	// renewMargin is how long before they expire a token or credentials
	// are renewed rather than used for a new socket.
	renewMargin = 30 * time.Second
	// readLimit bounds one frame from the server.
	readLimit = 1 << 20
	// presignExpiry is how long a presigned socket URL is good for: only
	// the upgrade request uses it.
	presignExpiry = "300"
	// emptySHA256 is the payload hash of a request without a body.
	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// Conn is a game client's socket to rallypoint: it sends requests,
// receives their replies and the player's matchmaking events, and
// reconnects by itself when the socket drops. Its methods may be called
// from many goroutines at once.
type Conn struct {
	cfg     Config
	opts    options
	log     *slog.Logger
	cognito *cognitoidentity.Client
	nextID  atomic.Uint64

	// ctx ends when the Conn closes; it bounds every attempt to connect.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // the run and deliver goroutines

	idMu sync.Mutex // guards id; only the run goroutine replaces it
	id   *Identity

	mu      sync.Mutex // guards the fields below
	ws      *websocket.Conn
	up      chan struct{} // closed while connected; waited on while not
	pending map[string]chan result
	state   State
	err     error // why the Conn ended (nil after Close)

	qmu   sync.Mutex // guards queue
	queue []Event    // events not yet taken from events
	wake  chan struct{}

	events chan Event
	seen   seenEvents // run goroutine only
}

// result is a reply frame, or why none came.
type result struct {
	frame []byte
	err   error
}

// Connect opens the player's socket with id's token (or, WithSigV4, a
// presigned URL made with its credentials, which it gets first if id has
// none), and returns once it is open. If the socket drops later, the Conn
// opens another by itself (renewing the token or credentials when they
// expired) until Close.
func Connect(ctx context.Context, cfg Config, id *Identity, opts ...Option) (*Conn, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if id == nil || id.ID == "" {
		return nil, errors.New("client: Connect needs a signed-in Identity")
	}
	c := &Conn{
		cfg: cfg, opts: newOptions(opts), log: cfg.logger().With("player", id.ID), cognito: newCognito(cfg),
		id: id.clone(), up: make(chan struct{}), pending: map[string]chan result{},
		wake: make(chan struct{}, 1), events: make(chan Event),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	ws, err := c.dial(ctx, false)
	if err != nil {
		c.cancel()
		return nil, err
	}
	c.setUp(ws)
	c.wg.Add(2)
	go c.run(ws)
	go c.deliver()
	return c, nil
}

// Events returns the player's matchmaking events, in the order the
// matchmaker published them, each once. It is closed when the Conn is.
func (c *Conn) Events() <-chan Event { return c.events }

// Identity returns the identity the Conn is connected as, with the token
// and credentials it uses now.
func (c *Conn) Identity() Identity {
	c.idMu.Lock()
	defer c.idMu.Unlock()
	return *c.id.clone()
}

// State returns the socket's state now.
func (c *Conn) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Err returns why the Conn gave up (the identity could not be renewed),
// or nil while it is open or after Close.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the socket and stops reconnecting. Requests waiting for a
// reply fail with ErrClosed, and Events is closed.
func (c *Conn) Close() error {
	c.end(nil)
	c.wg.Wait()
	return nil
}

// end closes the Conn, once, with the reason it gave up (nil for Close).
func (c *Conn) end(reason error) {
	c.mu.Lock()
	if c.state == StateClosed {
		c.mu.Unlock()
		return
	}
	c.state, c.err = StateClosed, reason
	ws, pending := c.ws, c.pending
	c.ws, c.pending = nil, map[string]chan result{}
	c.mu.Unlock()
	c.cancel()
	for _, ch := range pending {
		ch <- result{err: c.closedErr(reason)}
	}
	if ws != nil {
		_ = ws.Close(websocket.StatusNormalClosure, "bye")
	}
	if reason != nil {
		c.log.Warn("connection gave up", "error", reason)
	}
	c.changed(StateClosed, reason)
}

func (c *Conn) closedErr(reason error) error {
	if reason != nil {
		return fmt.Errorf("%w: %w", ErrClosed, reason)
	}
	return ErrClosed
}

func (c *Conn) changed(s State, err error) {
	if c.opts.onState != nil {
		c.opts.onState(s, err)
	}
}

// setUp makes ws the Conn's socket, unless the Conn has closed meanwhile.
func (c *Conn) setUp(ws *websocket.Conn) bool {
	c.mu.Lock()
	if c.state == StateClosed {
		c.mu.Unlock()
		ws.CloseNow()
		return false
	}
	c.ws, c.state = ws, StateConnected
	close(c.up)
	c.mu.Unlock()
	c.log.Debug("socket open")
	c.changed(StateConnected, nil)
	return true
}

// down forgets the dropped socket and fails the requests sent on it.
func (c *Conn) down(cause error) {
	c.mu.Lock()
	if c.state == StateClosed {
		c.mu.Unlock()
		return
	}
	c.ws, c.state, c.up = nil, StateReconnecting, make(chan struct{})
	pending := c.pending
	c.pending = map[string]chan result{}
	c.mu.Unlock()
	for _, ch := range pending {
		ch <- result{err: fmt.Errorf("%w: %v", ErrConnectionLost, cause)}
	}
	c.log.Info("socket dropped; reconnecting", "error", cause)
	c.changed(StateReconnecting, cause)
}

// run reads the socket, and replaces it when it drops, until the Conn
// closes.
func (c *Conn) run(ws *websocket.Conn) {
	defer c.wg.Done()
	for ws != nil {
		err := c.serve(ws)
		if c.ctx.Err() != nil {
			return
		}
		c.down(err)
		ws = c.reconnect(tokenExpired(err))
	}
}

// tokenExpired reports whether the server closed the socket because its
// token or credentials expired.
func tokenExpired(err error) bool {
	var ce websocket.CloseError
	return errors.As(err, &ce) && ce.Code == websocket.StatusPolicyViolation && strings.Contains(ce.Reason, "expired")
}

// serve reads frames from ws until it fails, and returns the error.
func (c *Conn) serve(ws *websocket.Conn) error {
	if c.opts.keepAlive > 0 {
		stop := make(chan struct{})
		defer close(stop)
		go c.keepAlive(ws, stop)
	}
	for {
		_, frame, err := ws.Read(context.Background())
		if err != nil {
			return err
		}
		c.dispatch(frame)
	}
}

// keepAlive pings ws until stop; a ping without an answer closes ws, so
// that serve returns and the Conn reconnects.
func (c *Conn) keepAlive(ws *websocket.Conn, stop <-chan struct{}) {
	t := time.NewTicker(c.opts.keepAlive)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(c.ctx, max(c.opts.keepAlive, 10*time.Second))
		err := ws.Ping(ctx)
		cancel()
		if err != nil && c.ctx.Err() == nil {
			c.log.Info("ping unanswered; dropping the socket", "error", err)
			ws.CloseNow()
			return
		}
	}
}

// reconnect opens a new socket, waiting longer after each failed attempt,
// and returns it; nil means the Conn closed meanwhile.
func (c *Conn) reconnect(renew bool) *websocket.Conn {
	for attempt := 0; ; attempt++ {
		wait := time.NewTimer(c.backoff(attempt))
		select {
		case <-c.ctx.Done():
			wait.Stop()
			return nil
		case <-wait.C:
		}
		ctx, cancel := context.WithTimeout(c.ctx, dialTimeout)
		ws, err := c.dial(ctx, renew)
		cancel()
		switch {
		case err == nil:
			if !c.setUp(ws) {
				return nil
			}
			return ws
		case c.ctx.Err() != nil:
			return nil
		case permanent(err):
			c.end(err)
			return nil
		}
		var ue *upgradeError
		if errors.As(err, &ue) && (ue.status == http.StatusUnauthorized || ue.status == http.StatusForbidden) {
			renew = true
		}
		c.log.Info("reconnect failed", "attempt", attempt+1, "error", err)
		c.changed(StateReconnecting, err)
	}
}

// backoff is the delay before reconnection attempt n (from 0): about
// minBackoff doubled n times, at most maxBackoff, drawn from the upper
// half.
func (c *Conn) backoff(n int) time.Duration {
	d := c.opts.maxBackoff
	if n < 30 {
		d = min(c.opts.minBackoff<<n, c.opts.maxBackoff)
	}
	return d/2 + rand.N(d/2+1)
}

// upgradeError is a refused upgrade: the HTTP status and the server's
// message.
type upgradeError struct {
	status int
	err    error
}

func (e *upgradeError) Error() string {
	return fmt.Sprintf("client: open socket: HTTP %d: %v", e.status, e.err)
}

func (e *upgradeError) Unwrap() error { return e.err }

// dial opens a socket, with the identity's token or credentials renewed
// first if they expire soon (or if renew).
func (c *Conn) dial(ctx context.Context, renew bool) (*websocket.Conn, error) {
	url, header, err := c.authorize(ctx, renew)
	if err != nil {
		return nil, err
	}
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: c.cfg.httpClient(), HTTPHeader: header})
	if err != nil {
		if resp != nil {
			return nil, &upgradeError{status: resp.StatusCode, err: err}
		}
		return nil, fmt.Errorf("client: open socket: %w", err)
	}
	ws.SetReadLimit(readLimit)
	return ws, nil
}

// authorize returns the socket URL and headers that authenticate the
// identity, renewing what is needed.
func (c *Conn) authorize(ctx context.Context, renew bool) (string, http.Header, error) {
	id, err := c.current(ctx, renew)
	if err != nil {
		return "", nil, err
	}
	base := strings.TrimRight(c.cfg.Endpoint, "/") + GatewayPath
	if !c.opts.sigv4 {
		return "ws" + strings.TrimPrefix(base, "http"), http.Header{"Authorization": {"Bearer " + id.Token}}, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"?X-Amz-Expires="+presignExpiry, nil)
	if err != nil {
		return "", nil, fmt.Errorf("client: socket URL: %w", err)
	}
	signed, _, err := v4.NewSigner().PresignHTTP(ctx, *id.Credentials, req, emptySHA256, "execute-api", c.cfg.region(), time.Now())
	if err != nil {
		return "", nil, fmt.Errorf("client: presign the socket URL: %w", err)
	}
	return "ws" + strings.TrimPrefix(signed, "http"), nil, nil
}

// current returns the identity with a token (or credentials, for SigV4)
// good for a new socket, renewing them if they expire soon or if renew.
func (c *Conn) current(ctx context.Context, renew bool) (*Identity, error) {
	c.idMu.Lock()
	id := c.id.clone()
	c.idMu.Unlock()
	var stale bool
	if c.opts.sigv4 {
		stale = id.Credentials == nil || id.Credentials.CanExpire && time.Until(id.Credentials.Expires) < renewMargin
	} else {
		stale = id.Token == "" || !id.TokenExpires.IsZero() && time.Until(id.TokenExpires) < renewMargin
	}
	if !stale && !renew {
		return id, nil
	}
	var err error
	if c.opts.renew != nil {
		fresh, err := c.opts.renew(ctx)
		if err != nil {
			return nil, fmt.Errorf("client: renew identity %s: %w", id.ID, err)
		}
		if fresh == nil || fresh.ID != id.ID {
			return nil, &Error{Code: "NotAuthorizedException", Message: "WithRenew's function returned another identity"}
		}
		id = fresh.clone()
		if c.opts.sigv4 && (id.Credentials == nil || id.Credentials.CanExpire && time.Until(id.Credentials.Expires) < renewMargin) {
			err = id.renewCredentials(ctx, c.cognito)
		}
		if err != nil {
			return nil, fmt.Errorf("client: renew identity %s: %w", id.ID, err)
		}
	} else {
		if c.opts.sigv4 {
			err = id.renewCredentials(ctx, c.cognito)
		} else {
			err = id.renewToken(ctx, c.cognito)
		}
		if err != nil {
			return nil, fmt.Errorf("client: renew identity %s: %w", id.ID, err)
		}
	}
	c.idMu.Lock()
	c.id = id.clone()
	c.idMu.Unlock()
	return id, nil
}

// request sends the action with the members of fields, waits for its
// reply, and decodes the reply into out (when not nil). While the socket
// is being replaced it waits for the new one.
func (c *Conn) request(ctx context.Context, action string, fields map[string]any, out any) error {
	for {
		c.mu.Lock()
		if c.state == StateClosed {
			err := c.closedErr(c.err)
			c.mu.Unlock()
			return err
		}
		ws, up := c.ws, c.up
		if ws == nil {
			c.mu.Unlock()
			select {
			case <-up:
				continue
			case <-ctx.Done():
				return ctx.Err()
			case <-c.ctx.Done():
				continue // the loop returns the reason
			}
		}
		id := "r" + strconv.FormatUint(c.nextID.Add(1), 10)
		ch := make(chan result, 1)
		c.pending[id] = ch
		c.mu.Unlock()
		return c.roundTrip(ctx, ws, id, ch, action, fields, out)
	}
}

func (c *Conn) roundTrip(ctx context.Context, ws *websocket.Conn, id string, ch chan result, action string, fields map[string]any, out any) error {
	frame := make(map[string]any, len(fields)+2)
	for k, v := range fields {
		frame[k] = v
	}
	frame["action"], frame["requestId"] = action, id
	b, err := json.Marshal(frame)
	if err != nil {
		c.forget(id)
		return fmt.Errorf("client: encode %s: %w", action, err)
	}
	wctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	err = ws.Write(wctx, websocket.MessageText, b)
	cancel()
	if err != nil {
		c.forget(id)
		return fmt.Errorf("%w: %v", ErrConnectionLost, err)
	}
	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		c.forget(id)
		return ctx.Err()
	}
	if r.err != nil {
		return r.err
	}
	var reply struct {
		OK    bool   `json:"ok"`
		Error *Error `json:"error"`
	}
	if err := json.Unmarshal(r.frame, &reply); err != nil {
		return fmt.Errorf("client: reply to %s: %w", action, err)
	}
	if !reply.OK {
		if reply.Error == nil {
			return &Error{Code: CodeInternal, Message: "the reply says not ok, without an error"}
		}
		return reply.Error
	}
	if out != nil {
		if err := json.Unmarshal(r.frame, out); err != nil {
			return fmt.Errorf("client: reply to %s: %w", action, err)
		}
	}
	return nil
}

func (c *Conn) forget(id string) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

// dispatch hands a frame to the request it answers, or to Events.
func (c *Conn) dispatch(frame []byte) {
	var f struct {
		RequestID json.RawMessage `json:"requestId"`
		OK        *bool           `json:"ok"`
		Event     json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal(frame, &f); err != nil {
		c.other(frame)
		return
	}
	switch {
	case len(f.Event) > 0 && string(f.Event) != "null":
		ev, err := ParseEvent(f.Event)
		if err != nil {
			c.log.Warn("undecodable event", "error", err)
			return
		}
		if c.seen.add(ev.ID) {
			c.enqueue(ev)
		}
	case f.OK != nil && len(f.RequestID) > 0:
		var id string
		_ = json.Unmarshal(f.RequestID, &id)
		c.mu.Lock()
		ch := c.pending[id]
		delete(c.pending, id)
		c.mu.Unlock()
		if ch == nil {
			c.log.Debug("reply to no waiting request", "requestId", string(f.RequestID))
			return
		}
		ch <- result{frame: frame}
	default:
		c.other(frame)
	}
}

func (c *Conn) other(frame []byte) {
	if c.opts.onMessage != nil {
		c.opts.onMessage(frame)
		return
	}
	c.log.Debug("frame that is neither a reply nor an event", "bytes", len(frame))
}

// enqueue queues an event for Events; the queue has no bound, so that a
// slow reader of Events never holds up replies.
func (c *Conn) enqueue(ev Event) {
	c.qmu.Lock()
	c.queue = append(c.queue, ev)
	c.qmu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// deliver moves queued events to Events until the Conn closes, and then
// closes Events.
func (c *Conn) deliver() {
	defer c.wg.Done()
	defer close(c.events)
	for {
		c.qmu.Lock()
		if len(c.queue) == 0 {
			c.qmu.Unlock()
			select {
			case <-c.wake:
				continue
			case <-c.ctx.Done():
				return
			}
		}
		ev := c.queue[0]
		c.qmu.Unlock()
		select {
		case c.events <- ev:
			c.qmu.Lock()
			c.queue[0] = Event{}
			c.queue = c.queue[1:]
			c.qmu.Unlock()
		case <-c.ctx.Done():
			return
		}
	}
}
