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
	// idle indexes the idle processes by fleet location (fleetID + "/" +
	// location), so that a claim, or a queue counting capacity, looks only
	// at the location it wants.
	idle map[string]map[string]struct{}
	// freed is closed, and replaced, whenever a process becomes idle.
	freed chan struct{}
}

// watch follows the bucket until ctx ends. Until the first full read has
// arrived, and after the watch fails, the cache is not ready and callers
// read the bucket instead.
func (c *processCache) watch(ctx context.Context, kv jetstream.KeyValue, log func(string, ...any)) {
	defer func() {
		c.mu.Lock()
		c.ready = false
		c.signalLocked()
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

func fleetLocationKey(fleetID, location string) string { return fleetID + "/" + location }

func (c *processCache) apply(e jetstream.KeyValueEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e == nil { // the initial values are all in
		c.ready = true
		c.signalLocked()
		return
	}
	if c.procs == nil {
		c.procs = make(map[string]Process)
		c.idle = make(map[string]map[string]struct{})
	}
	key := e.Key()
	old, known := c.procs[key]
	wasIdle := known && old.idle()
	if wasIdle {
		set := c.idle[fleetLocationKey(old.FleetID, old.Location)]
		delete(set, key)
		if len(set) == 0 {
			delete(c.idle, fleetLocationKey(old.FleetID, old.Location))
		}
	}
	delete(c.procs, key)
	if e.Operation() != jetstream.KeyValuePut {
		return
	}
	var p Process
	if err := json.Unmarshal(e.Value(), &p); err != nil {
		return
	}
	c.procs[key] = p
	if p.idle() {
		lk := fleetLocationKey(p.FleetID, p.Location)
		set := c.idle[lk]
		if set == nil {
			set = make(map[string]struct{})
			c.idle[lk] = set
		}
		set[key] = struct{}{}
		// Only a process that has just become idle is news: an idle
		// one's heartbeats rewrite its record every minute.
		if !wasIdle {
			c.signalLocked()
		}
	}
}

// signalLocked wakes everyone waiting for capacity. c.mu must be held.
func (c *processCache) signalLocked() {
	if c.freed != nil {
		close(c.freed)
		c.freed = nil
	}
}

// freedChan returns a channel closed when a process next becomes idle (or
// the cache changes readiness).
func (c *processCache) freedChan() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.freed == nil {
		c.freed = make(chan struct{})
	}
	return c.freed
}

// maxCandidates bounds how many idle processes one claim tries from the
// cache; if they have all been taken meanwhile, the claim reads storage.
const maxCandidates = 16

// idleIn returns up to maxCandidates processes of the fleet location that
// looked idle, in random order (map order), and whether the cache could
// answer.
func (c *processCache) idleIn(fleetID, location string) ([]Process, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.ready {
		return nil, false
	}
	var out []Process
	for key := range c.idle[fleetLocationKey(fleetID, location)] {
		out = append(out, c.procs[key])
		if len(out) == maxCandidates {
			break
		}
	}
	return out, true
}

// idleCount says how many processes of the fleet location looked idle, and
// whether the cache could answer.
func (c *processCache) idleCount(fleetID, location string) (int, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.ready {
		return 0, false
	}
	return len(c.idle[fleetLocationKey(fleetID, location)]), true
}

// IdleProcesses says how many server processes in the fleet location are
// idle as far as this node has seen, and whether it knows (it does not
// while it is still reading the processes after a start). It is a hint
// for choosing where to try CreateGameSession, which decides.
func (s *Service) IdleProcesses(fleetID, location string) (int, bool) {
	return s.procs.idleCount(fleetID, location)
}

// CapacityFreed returns a channel that is closed when a server process
// next becomes idle anywhere: a new process is ready, or one's game
// session has ended.
func (s *Service) CapacityFreed() <-chan struct{} { return s.procs.freedChan() }
