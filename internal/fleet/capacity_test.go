package fleet_test

import (
	"context"
	"testing"
	"time"
)

// The idle count and the freed-capacity signal that queues wait on: a
// process that becomes ready is news, its heartbeats while idle are not,
// and a claimed process is no longer counted.
func TestIdleProcessesAndCapacityFreed(t *testing.T) {
	env := newSessionEnv(t, nil)
	ctx := context.Background()
	eventually(t, "the process view to be read", func() bool {
		_, known := env.s.IdleProcesses(env.fleetID, "custom-lab")
		return known
	})
	freed := env.s.CapacityFreed()
	ref := env.ready(t, "p1", 7000)
	select {
	case <-freed:
	case <-time.After(10 * time.Second):
		t.Fatal("a ready process did not signal freed capacity")
	}
	eventually(t, "the idle count to show the process", func() bool {
		n, _ := env.s.IdleProcesses(env.fleetID, "custom-lab")
		return n == 1
	})
	if n, known := env.s.IdleProcesses(env.fleetID, "custom-other"); n != 0 || !known {
		t.Fatalf("another location counts %d idle (%v)", n, known)
	}

	// A heartbeat of the idle process, then its claim: once the claim is
	// seen (the watch is ordered), the heartbeat was too, and neither may
	// have signalled.
	freed = env.s.CapacityFreed()
	if err := env.s.Heartbeat(ctx, ref, true); err != nil {
		t.Fatal(err)
	}
	env.create(t, 2)
	eventually(t, "the claimed process to leave the idle count", func() bool {
		n, _ := env.s.IdleProcesses(env.fleetID, "custom-lab")
		return n == 0
	})
	select {
	case <-freed:
		t.Fatal("a heartbeat or a claim signalled freed capacity")
	default:
	}
	env.ready(t, "p2", 7001)
	select {
	case <-freed:
	case <-time.After(10 * time.Second):
		t.Fatal("a second ready process did not signal freed capacity")
	}
}
