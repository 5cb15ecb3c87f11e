package fleet

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// processCache is this node's read model of every server process, kept
// current by watching the bucket, so that finding an idle process does not
// read every process record of the fleet. It is only a hint: a claim is
// still a compare-and-set on the stored record, so a stale entry costs a
// retry, never a double booking.
type processCache struct {
	mu    sync.RWMutex // guards the fields below
	ready bool         // the initial values have all arrived
	procs map[string]Process
}

// watch follows the bucket until ctx ends. Until the first full read has
// arrived, and after the watch fails, the cache is not ready and callers
// read the bucket instead.
func (c *processCache) watch(ctx context.Context, kv jetstream.KeyValue, log func(string, ...any)) {
	defer func() {
		c.mu.Lock()
		c.ready = false
		c.mu.Unlock()
	}()
	w, err := kv.WatchFiltered(ctx, []string{"proc.>"})
	if err != nil {
		log("cannot watch server processes; reading them from storage instead", "error", err)
		return
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				log("the server process watch ended; reading them from storage instead")
				return
			}
			c.apply(e)
		}
	}
}

func (c *processCache) apply(e jetstream.KeyValueEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e == nil { // the initial values are all in
		c.ready = true
		return
	}
	if c.procs == nil {
		c.procs = make(map[string]Process)
	}
	if e.Operation() != jetstream.KeyValuePut {
		delete(c.procs, e.Key())
		return
	}
	var p Process
	if err := json.Unmarshal(e.Value(), &p); err != nil {
		delete(c.procs, e.Key())
		return
	}
	c.procs[e.Key()] = p
}

// maxCandidates bounds how many idle processes one claim tries from the
// cache; if they have all been taken meanwhile, the claim reads storage.
const maxCandidates = 16

// idle returns up to maxCandidates processes of the fleet location that
// looked idle, in random order (map order), and whether the cache could
// answer.
func (c *processCache) idle(fleetID, location string) ([]Process, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.ready {
		return nil, false
	}
	var out []Process
	for _, p := range c.procs {
		if p.FleetID == fleetID && p.Location == location && p.idle() {
			out = append(out, p)
			if len(out) == maxCandidates {
				break
			}
		}
	}
	return out, true
}
