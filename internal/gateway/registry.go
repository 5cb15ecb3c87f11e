package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// The connection registry: rp_connections maps a connection id to its
// record, rp_player_connections maps a player to the ids of its
// connections. Every node reads both to reach a player or a connection
// wherever its socket is; only the node holding a socket writes its
// records, except the sweeper, which removes the records of dead nodes.

// record is a connection's entry in rp_connections.
type record struct {
	ConnectionID string    `json:"connectionId"`
	PlayerID     string    `json:"playerId"`
	IdentityID   string    `json:"identityId"`
	Node         string    `json:"node"`
	ConnectedAt  time.Time `json:"connectedAt"`
	SourceIP     string    `json:"sourceIp"`
	UserAgent    string    `json:"userAgent"`
}

// playerConnections is a player's entry in rp_player_connections.
type playerConnections struct {
	Connections []string `json:"connections"`
}

// newConnectionID returns a random id of 16 URL-safe characters (about 95
// bits), valid as a KV key and in a URL path without escaping. It never
// starts with '-' or '_', which command lines take for an option
// ("aws ... --connection-id -x" fails).
func newConnectionID() string {
	var b [12]byte
	for {
		_, _ = rand.Read(b[:])
		id := base64.RawURLEncoding.EncodeToString(b[:])
		if id[0] != '-' && id[0] != '_' {
			return id
		}
	}
}

// validConnectionID reports whether id could be a connection id. Anything
// else is answered as gone without touching the bucket.
func validConnectionID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// playerKey is a player's key in rp_player_connections: identity ids hold
// ':' and may hold anything else a KV key cannot.
func playerKey(playerID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(playerID))
}

// register writes a connection's record, then adds it to its player's
// list.
func (g *Gateway) register(ctx context.Context, rec record) error {
	if _, err := engine.Create(ctx, g.cfg.Connections, rec.ConnectionID, rec); err != nil {
		return fmt.Errorf("record connection %s: %w", rec.ConnectionID, err)
	}
	if err := g.addToPlayer(ctx, rec.PlayerID, rec.ConnectionID); err != nil {
		g.removeRecord(context.WithoutCancel(ctx), rec.ConnectionID)
		return err
	}
	return nil
}

// addToPlayer adds id to the player's list with compare-and-set.
func (g *Gateway) addToPlayer(ctx context.Context, playerID, id string) error {
	key := playerKey(playerID)
	for range 16 {
		_, err := engine.Mutate(ctx, g.cfg.PlayerConnections, key, func(p *playerConnections) error {
			if !slices.Contains(p.Connections, id) {
				p.Connections = append(p.Connections, id)
			}
			return nil
		})
		if !errors.Is(err, engine.ErrNotFound) {
			if err != nil {
				return fmt.Errorf("add connection %s to player %s: %w", id, playerID, err)
			}
			return nil
		}
		_, err = engine.Create(ctx, g.cfg.PlayerConnections, key, playerConnections{Connections: []string{id}})
		if !errors.Is(err, engine.ErrExists) {
			if err != nil {
				return fmt.Errorf("add connection %s to player %s: %w", id, playerID, err)
			}
			return nil
		}
	}
	return fmt.Errorf("add connection %s to player %s: %w", id, playerID, engine.ErrStale)
}

// removeFromPlayer takes ids out of the player's list, deleting the list
// when it empties, with compare-and-set.
func (g *Gateway) removeFromPlayer(ctx context.Context, playerID string, ids ...string) error {
	key := playerKey(playerID)
	for range 16 {
		p, rev, err := engine.Get[playerConnections](ctx, g.cfg.PlayerConnections, key)
		if errors.Is(err, engine.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("remove connections of player %s: %w", playerID, err)
		}
		kept := slices.DeleteFunc(slices.Clone(p.Connections), func(id string) bool { return slices.Contains(ids, id) })
		switch {
		case len(kept) == len(p.Connections):
			return nil
		case len(kept) == 0:
			err = engine.Delete(ctx, g.cfg.PlayerConnections, key, rev)
		default:
			_, err = engine.Update(ctx, g.cfg.PlayerConnections, key, playerConnections{Connections: kept}, rev)
		}
		if errors.Is(err, engine.ErrStale) {
			continue
		}
		if err != nil {
			return fmt.Errorf("remove connections of player %s: %w", playerID, err)
		}
		return nil
	}
	return fmt.Errorf("remove connections of player %s: %w", playerID, engine.ErrStale)
}

// unregister removes a connection's record and its place in its player's
// list.
func (g *Gateway) unregister(ctx context.Context, rec record) {
	g.removeRecord(ctx, rec.ConnectionID)
	if err := g.removeFromPlayer(ctx, rec.PlayerID, rec.ConnectionID); err != nil {
		g.log.Warn("could not remove a connection from its player; the sweeper will", "connection", rec.ConnectionID, "player", rec.PlayerID, "error", err)
	}
}

func (g *Gateway) removeRecord(ctx context.Context, id string) {
	if err := g.cfg.Connections.Delete(ctx, id); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		g.log.Warn("could not remove a connection record; the sweeper will", "connection", id, "error", err)
	}
}

// lookup reads a connection's record.
func (g *Gateway) lookup(ctx context.Context, id string) (record, error) {
	if !validConnectionID(id) {
		return record{}, ErrGone
	}
	rec, _, err := engine.Get[record](ctx, g.cfg.Connections, id)
	if errors.Is(err, engine.ErrNotFound) {
		return record{}, ErrGone
	}
	if err != nil {
		return record{}, fmt.Errorf("read connection %s: %w", id, err)
	}
	return rec, nil
}

// forgetStale removes the record of a connection whose node no longer
// holds it (the node is gone, or it is this node and the socket is not
// here).
func (g *Gateway) forgetStale(ctx context.Context, rec record) {
	g.log.Info("removing the record of a connection whose node is gone", "connection", rec.ConnectionID, "holder", rec.Node)
	g.unregister(context.WithoutCancel(ctx), rec)
}

// sweep removes the records of nodes whose lease has expired (crashed
// nodes), of sockets this node no longer holds, and connection ids that
// players' lists still name without a record. One node sweeps at a time:
// the holder of the sweeper lease.
func (g *Gateway) sweep(ctx context.Context) {
	if _, err := g.cfg.Leases.Acquire(ctx, sweeperLease, 2*g.cfg.SweepInterval); err != nil {
		return
	}
	// Reading every record costs in proportion to the sockets open, so it
	// is done when a node has died (its lease expired), and otherwise only
	// now and then, for what a failed removal left behind.
	dead := g.deadNodes(ctx)
	if len(dead) == 0 && !g.lastFullSweep.IsZero() && time.Since(g.lastFullSweep) < fullSweepEvery*g.cfg.SweepInterval {
		return
	}
	if !g.sweepAll(ctx) {
		return
	}
	g.lastFullSweep = time.Now()
	// Their records are gone: forget the dead nodes' leases, so that they
	// do not send every later sweep through every record again. A node
	// that was only slow finds its lease gone and writes its records again.
	for _, l := range dead {
		if err := g.cfg.Leases.Release(ctx, l); err != nil && !errors.Is(err, engine.ErrLeaseLost) {
			g.log.Warn("sweep: could not remove a dead node's lease", "lease", l.Name, "error", err)
		}
	}
}

// fullSweepEvery is how many sweep intervals pass between two readings of
// every record when no node has died.
const fullSweepEvery = 20

// deadNodes are the gateway leases of other nodes that have expired.
func (g *Gateway) deadNodes(ctx context.Context) []engine.Lease {
	leases, err := g.cfg.Leases.List(ctx, "gateway.")
	if err != nil {
		g.log.Warn("sweep: could not list the gateway nodes' leases", "error", err)
		return nil
	}
	now := time.Now() // leases are judged on the wall clock they were written by
	var dead []engine.Lease
	for _, l := range leases {
		if l.Name == sweeperLease || l.Name == nodeLease(g.cfg.NodeID) || now.Before(l.Expires) {
			continue
		}
		dead = append(dead, l)
	}
	return dead
}

// sweepAll reads every record and every player's list, and removes what
// belongs to no live socket. It reports whether it could read them.
func (g *Gateway) sweepAll(ctx context.Context) bool {
	// Players' lists are read before the records: a connection is recorded
	// before its player's list names it, so an id listed here and without
	// a record below is stale.
	lists, err := listEntries[playerConnections](ctx, g.cfg.PlayerConnections)
	if err != nil {
		g.log.Warn("sweep: could not list players' connections", "error", err)
		return false
	}
	recs, err := listEntries[record](ctx, g.cfg.Connections)
	if err != nil {
		g.log.Warn("sweep: could not list connections", "error", err)
		return false
	}
	alive := map[string]bool{} // node -> lease unexpired
	now := g.cfg.Now()
	for id, rec := range recs {
		live, known := alive[rec.Node]
		if !known {
			// Leases are judged on the wall clock they were written by.
			live = g.nodeAlive(ctx, rec.Node, time.Now())
			alive[rec.Node] = live
		}
		if rec.Node == g.cfg.NodeID {
			if _, ok := g.local(id); ok {
				continue
			}
			// A socket of this node that is no longer here, unless it is
			// still being registered.
			if now.Sub(rec.ConnectedAt) < g.cfg.SweepInterval {
				continue
			}
		} else if live {
			continue
		}
		g.forgetStale(ctx, rec)
		delete(recs, id)
	}
	for key, list := range lists {
		var stale []string
		for _, id := range list.Connections {
			if _, ok := recs[id]; !ok {
				stale = append(stale, id)
			}
		}
		if len(stale) == 0 {
			continue
		}
		player, err := base64.RawURLEncoding.DecodeString(key)
		if err != nil {
			continue
		}
		if err := g.removeFromPlayer(ctx, string(player), stale...); err != nil {
			g.log.Warn("sweep: could not remove stale connection ids", "player", string(player), "error", err)
		}
	}
	return true
}

// nodeAlive reports whether node holds an unexpired gateway lease.
func (g *Gateway) nodeAlive(ctx context.Context, node string, now time.Time) bool {
	if node == g.cfg.NodeID {
		return true
	}
	l, err := g.cfg.Leases.Holder(ctx, nodeLease(node))
	if errors.Is(err, engine.ErrNoHolder) {
		return false
	}
	if err != nil {
		return true // unknown: leave its records alone this time
	}
	return l.Holder == node && now.Before(l.Expires)
}

// sweepNode removes every record of node that this node does not hold a
// socket for: at start, the records a previous run left.
func (g *Gateway) sweepNode(ctx context.Context, node string) error {
	recs, err := listEntries[record](ctx, g.cfg.Connections)
	if err != nil {
		return err
	}
	for id, rec := range recs {
		if rec.Node != node {
			continue
		}
		if _, ok := g.local(id); ok {
			continue
		}
		g.forgetStale(ctx, rec)
	}
	return nil
}

// reassert writes again the records of every socket this node holds,
// after its lease was lost and another node may have swept them.
func (g *Gateway) reassert(ctx context.Context) {
	g.mu.RLock()
	all := make([]*conn, 0, len(g.conns))
	for _, c := range g.conns {
		all = append(all, c)
	}
	g.mu.RUnlock()
	for _, c := range all {
		if _, err := engine.Create(ctx, g.cfg.Connections, c.rec.ConnectionID, c.rec); err != nil && !errors.Is(err, engine.ErrExists) {
			g.log.Warn("could not write a connection record again", "connection", c.rec.ConnectionID, "error", err)
			continue
		}
		if err := g.addToPlayer(ctx, c.rec.PlayerID, c.rec.ConnectionID); err != nil {
			g.log.Warn("could not add a connection to its player again", "connection", c.rec.ConnectionID, "error", err)
		}
	}
}

// listEntries reads every entry of a bucket by key.
func listEntries[T any](ctx context.Context, kv jetstream.KeyValue) (map[string]T, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kv.Bucket(), err)
	}
	defer func() { _ = w.Stop() }()
	out := map[string]T{}
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("list %s: %w", kv.Bucket(), ctx.Err())
		case entry := <-w.Updates():
			if entry == nil {
				return out, nil
			}
			var v T
			if err := decodeJSON(entry.Value(), &v); err != nil {
				continue // not ours to judge; leave it
			}
			out[entry.Key()] = v
		}
	}
}
