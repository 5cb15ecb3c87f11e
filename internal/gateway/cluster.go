package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// Reaching sockets held by other nodes: each node subscribes to
// rp.gw.<node>; a message names its operation and connection in headers
// and carries the frame as its body. Pushes are published (fire and
// forget); send, describe and close are requests whose reply says what
// happened. No responders means the node is gone.

const (
	hdrOp         = "Rp-Op"
	hdrConnection = "Rp-Connection"
	hdrStatus     = "Rp-Status"
	hdrLastActive = "Rp-Last-Active"

	opPush     = "push"
	opSend     = "send"
	opDescribe = "describe"
	opClose    = "close"

	statusOK    = "ok"
	statusGone  = "gone"
	statusLimit = "limit"
)

// Connection is what GetConnection reports about a connection.
type Connection struct {
	ConnectionID string
	PlayerID     string
	IdentityID   string
	Node         string
	ConnectedAt  time.Time
	LastActiveAt time.Time
	SourceIP     string
	UserAgent    string
}

// onNodeMessage serves rp.gw.<node>.
func (g *Gateway) onNodeMessage(m *nats.Msg) {
	id := m.Header.Get(hdrConnection)
	c, ok := g.local(id)
	status := statusOK
	resp := nats.NewMsg(m.Reply)
	switch op := m.Header.Get(hdrOp); {
	case !ok || (op != opPush && op != opSend && c.isClosing()):
		status = statusGone
	case op == opPush:
		if c.send(m.Data) == nil {
			g.metrics.pushes.WithLabelValues("remote").Inc()
		}
	case op == opSend:
		status = sendStatus(c.send(m.Data))
	case op == opDescribe:
		resp.Header.Set(hdrLastActive, c.lastActiveAt().UTC().Format(time.RFC3339Nano))
	case op == opClose:
		c.close(closeNormal, reasonDeleted)
	default:
		status = "unknown operation"
	}
	if m.Reply == "" {
		return
	}
	resp.Header.Set(hdrStatus, status)
	_ = m.RespondMsg(resp)
}

func sendStatus(err error) string {
	switch {
	case err == nil:
		return statusOK
	case errors.Is(err, ErrLimitExceeded):
		return statusLimit
	}
	return statusGone
}

// request asks the node holding rec's socket to act on it. A node that
// does not answer at all (no responders) is gone: its record is removed
// and ErrGone returned.
func (g *Gateway) request(ctx context.Context, rec record, op string, data []byte) (*nats.Msg, error) {
	m := nats.NewMsg(nodeSubject(rec.Node))
	m.Header.Set(hdrOp, op)
	m.Header.Set(hdrConnection, rec.ConnectionID)
	m.Data = data
	ctx, cancel := context.WithTimeout(ctx, g.cfg.RequestTimeout)
	defer cancel()
	resp, err := g.cfg.Conn.RequestMsgWithContext(ctx, m)
	if errors.Is(err, nats.ErrNoResponders) {
		g.forgetStale(ctx, rec)
		return nil, ErrGone
	}
	if err != nil {
		return nil, fmt.Errorf("%s on node %s: %w", op, rec.Node, err)
	}
	switch resp.Header.Get(hdrStatus) {
	case statusOK:
		return resp, nil
	case statusLimit:
		return nil, ErrLimitExceeded
	case statusGone:
		// The node is there but the socket is not: its record is stale
		// (or about to be removed by the node itself).
		return nil, ErrGone
	}
	return nil, fmt.Errorf("%s on node %s: %s", op, rec.Node, resp.Header.Get(hdrStatus))
}

// locate returns the local socket of id, or the record of the node
// holding it. A record naming this node without a socket here is stale.
func (g *Gateway) locate(ctx context.Context, id string) (*conn, record, error) {
	if c, ok := g.local(id); ok {
		return c, c.rec, nil
	}
	rec, err := g.lookup(ctx, id)
	if err != nil {
		return nil, record{}, err
	}
	if rec.Node == g.cfg.NodeID {
		if c, ok := g.local(id); ok {
			return c, c.rec, nil
		}
		if g.cfg.Now().Sub(rec.ConnectedAt) > g.cfg.RequestTimeout {
			g.forgetStale(ctx, rec)
		}
		return nil, record{}, ErrGone
	}
	return nil, rec, nil
}

// Send sends data to one connection, on whichever node holds it, as one
// frame (text when data is UTF-8, else binary). It returns ErrGone when
// the connection is not there, ErrLimitExceeded when the client is not
// reading.
func (g *Gateway) Send(ctx context.Context, connectionID string, data []byte) error {
	c, rec, err := g.locate(ctx, connectionID)
	if err != nil {
		return err
	}
	if c != nil {
		if err := c.send(data); err != nil {
			return err
		}
		g.metrics.pushes.WithLabelValues("local").Inc()
		return nil
	}
	_, err = g.request(ctx, rec, opSend, data)
	return err
}

// PushToPlayer sends frame to every connection of the player, on any
// node: queued on local sockets, published to the holding node for the
// others (fire and forget). It returns ErrGone when the player has no
// connection.
func (g *Gateway) PushToPlayer(ctx context.Context, playerID string, frame []byte) error {
	list, _, err := engine.Get[playerConnections](ctx, g.cfg.PlayerConnections, playerKey(playerID))
	if errors.Is(err, engine.ErrNotFound) || (err == nil && len(list.Connections) == 0) {
		return ErrGone
	}
	if err != nil {
		return fmt.Errorf("push to player %s: %w", playerID, err)
	}
	reached := 0
	for _, id := range list.Connections {
		c, rec, err := g.locate(ctx, id)
		if errors.Is(err, ErrGone) {
			continue
		}
		if err != nil {
			return fmt.Errorf("push to player %s: %w", playerID, err)
		}
		if c != nil {
			if c.send(frame) == nil {
				g.metrics.pushes.WithLabelValues("local").Inc()
				reached++
			}
			continue
		}
		m := nats.NewMsg(nodeSubject(rec.Node))
		m.Header.Set(hdrOp, opPush)
		m.Header.Set(hdrConnection, id)
		m.Data = frame
		if err := g.cfg.Conn.PublishMsg(m); err != nil {
			return fmt.Errorf("push to player %s via node %s: %w", playerID, rec.Node, err)
		}
		reached++
	}
	if reached == 0 {
		return ErrGone
	}
	return nil
}

// Describe reports a connection, with its last activity as the holding
// node knows it.
func (g *Gateway) Describe(ctx context.Context, connectionID string) (Connection, error) {
	c, rec, err := g.locate(ctx, connectionID)
	if err != nil {
		return Connection{}, err
	}
	out := Connection{
		ConnectionID: rec.ConnectionID, PlayerID: rec.PlayerID, IdentityID: rec.IdentityID, Node: rec.Node,
		ConnectedAt: rec.ConnectedAt, SourceIP: rec.SourceIP, UserAgent: rec.UserAgent,
	}
	if c != nil {
		if c.isClosing() {
			return Connection{}, ErrGone
		}
		out.LastActiveAt = c.lastActiveAt()
		return out, nil
	}
	resp, err := g.request(ctx, rec, opDescribe, nil)
	if err != nil {
		return Connection{}, err
	}
	out.LastActiveAt, _ = time.Parse(time.RFC3339Nano, resp.Header.Get(hdrLastActive))
	return out, nil
}

// Disconnect closes a connection (1000 "connection deleted"), on whichever
// node holds it.
func (g *Gateway) Disconnect(ctx context.Context, connectionID string) error {
	c, rec, err := g.locate(ctx, connectionID)
	if err != nil {
		return err
	}
	if c != nil {
		if c.isClosing() {
			return ErrGone
		}
		c.close(closeNormal, reasonDeleted)
		return nil
	}
	_, err = g.request(ctx, rec, opClose, nil)
	return err
}
