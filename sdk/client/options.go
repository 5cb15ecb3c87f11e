package client

import (
	"context"
	"time"
)

// An Option adjusts how Connect connects and reconnects.
type Option func(*options)

type options struct {
	sigv4                  bool
	minBackoff, maxBackoff time.Duration
	keepAlive              time.Duration
	onState                func(State, error)
	onMessage              func([]byte)
	renew                  func(context.Context) (*Identity, error)
}

// Defaults of the options.
const (
	DefaultMinBackoff = 250 * time.Millisecond
	DefaultMaxBackoff = 30 * time.Second
	DefaultKeepAlive  = time.Minute
)

func newOptions(opts []Option) options {
	o := options{minBackoff: DefaultMinBackoff, maxBackoff: DefaultMaxBackoff, keepAlive: DefaultKeepAlive}
	for _, opt := range opts {
		opt(&o)
	}
	if o.minBackoff <= 0 {
		o.minBackoff = DefaultMinBackoff
	}
	if o.maxBackoff < o.minBackoff {
		o.maxBackoff = o.minBackoff
	}
	return o
}

// WithSigV4 opens the socket with a SigV4-presigned URL (service
// execute-api), signed with the identity's temporary credentials
// (GetCredentialsForIdentity), as API Gateway clients with IAM
// authorization do. Without it the socket is opened with the identity's
// token as a bearer token.
func WithSigV4() Option {
	return func(o *options) { o.sigv4 = true }
}

// WithBackoff sets the delays between reconnection attempts: the first
// waits about first, each next one twice as long, up to limit; each delay is
// drawn at random from its upper half, so that clients cut off together
// do not come back together.
func WithBackoff(first, limit time.Duration) Option {
	return func(o *options) { o.minBackoff, o.maxBackoff = first, limit }
}

// WithKeepAlive sets how often the Conn sends a WebSocket ping: it keeps
// a quiet socket from the server's idle timeout, and a ping that is not
// answered tells a dead connection, which is then replaced. Zero or less
// sends none.
func WithKeepAlive(every time.Duration) Option {
	return func(o *options) { o.keepAlive = every }
}

// OnStateChange calls f each time the socket's state changes: connected,
// reconnecting (with the reason: the error that dropped the socket or
// failed an attempt), closed (with the reason the Conn gave up, or nil
// after Close). f runs on the Conn's own goroutine (or Close's) and must
// not block or call Close.
func OnStateChange(f func(State, error)) Option {
	return func(o *options) { o.onState = f }
}

// OnMessage calls f with each frame that is neither a reply nor an event:
// what the studio's backend sends through the @connections API or an HTTP
// integration answers. f runs on the Conn's reading goroutine and must
// not block. Without it such frames are logged and dropped.
func OnMessage(f func(frame []byte)) Option {
	return func(o *options) { o.onMessage = f }
}

// WithRenew sets how the Conn gets a new token or credentials when they
// expire, in place of asking the identity pool with what the identity was
// signed in with. A client signed in with a developer token needs it: f
// asks the studio's backend for a new token (SignInWithDeveloperToken).
// The identity f returns must have the same ID.
func WithRenew(f func(ctx context.Context) (*Identity, error)) Option {
	return func(o *options) { o.renew = f }
}
