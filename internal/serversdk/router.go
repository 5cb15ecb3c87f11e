package serversdk

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rallypoint/rallypoint/internal/fleet"
)

// Router delivers pushes to a process wherever its socket is: the node
// holding the socket subscribes to the process's subject, and a push is a
// NATS request on it, answered once the frame is written. It implements
// fleet.Pusher; it is built before the fleet service and the Server, which
// both need it.
type Router struct {
	nc      *nats.Conn
	timeout time.Duration
}

// NewRouter returns a Router over the node's NATS connection.
func NewRouter(nc *nats.Conn) *Router {
	return &Router{nc: nc, timeout: 5 * time.Second}
}

// subject is rp.sdk.<fleet>.<compute>.<process id, base64url>; compute
// names may hold one '/', which subjects allow.
func subject(ref fleet.ProcessRef) string {
	return "rp.sdk." + ref.FleetID + "." + ref.Compute + "." + base64.RawURLEncoding.EncodeToString([]byte(ref.ProcessID))
}

// Header values on the process subject.
const (
	hdrKind       = "Rp-Kind"
	kindPush      = "push"
	kindSupersede = "supersede" // a newer socket of the process took over
	hdrConn       = "Rp-Conn"
)

// errNotConnected means no node holds a socket for the process.
var errNotConnected = errors.New("process is not connected")

// Push sends p to the process's socket and waits until it is written.
func (r *Router) Push(ctx context.Context, to fleet.ProcessRef, p fleet.Push) error {
	data, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode push: %w", err)
	}
	msg := nats.NewMsg(subject(to))
	msg.Header.Set(hdrKind, kindPush)
	msg.Data = data
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	resp, err := r.nc.RequestMsgWithContext(ctx, msg)
	if errors.Is(err, nats.ErrNoResponders) {
		return errNotConnected
	}
	if err != nil {
		return fmt.Errorf("push %s to %s: %w", p.Kind, to, err)
	}
	if len(resp.Data) > 0 {
		return fmt.Errorf("push %s to %s: %s", p.Kind, to, resp.Data)
	}
	return nil
}
