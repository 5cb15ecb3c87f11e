package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
)

func TestLeaseTwoContenders(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Open(t)
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	a := engine.NewLeases(e.Bucket(engine.BucketLeases), "node-a", clock.now)
	b := engine.NewLeases(e.Bucket(engine.BucketLeases), "node-b", clock.now)
	const ttl = 10 * time.Second

	la, err := a.Acquire(ctx, "queue.main", ttl)
	if err != nil {
		t.Fatalf("a acquires a free lease: %v", err)
	}
	if _, err := b.Acquire(ctx, "queue.main", ttl); !errors.Is(err, engine.ErrLeaseHeld) {
		t.Fatalf("b acquires a held lease: err = %v, want ErrLeaseHeld", err)
	}

	clock.advance(5 * time.Second)
	la, err = a.Renew(ctx, la, ttl)
	if err != nil {
		t.Fatalf("a renews: %v", err)
	}
	clock.advance(9 * time.Second) // 14 s after acquire, 9 s after renew: still held
	if _, err := b.Acquire(ctx, "queue.main", ttl); !errors.Is(err, engine.ErrLeaseHeld) {
		t.Fatalf("b acquires a renewed lease: err = %v, want ErrLeaseHeld", err)
	}

	clock.advance(2 * time.Second) // past the renewed expiry
	lb, err := b.Acquire(ctx, "queue.main", ttl)
	if err != nil {
		t.Fatalf("b takes over an expired lease: %v", err)
	}
	if lb.Revision == la.Revision {
		t.Fatalf("takeover kept revision %d", lb.Revision)
	}

	// a wakes up late: its renewal and release must both fail, and b keeps
	// the lease.
	if _, err := a.Renew(ctx, la, ttl); !errors.Is(err, engine.ErrLeaseLost) {
		t.Fatalf("stale renew: err = %v, want ErrLeaseLost", err)
	}
	if err := a.Release(ctx, la); !errors.Is(err, engine.ErrLeaseLost) {
		t.Fatalf("stale release: err = %v, want ErrLeaseLost", err)
	}
	h, err := a.Holder(ctx, "queue.main")
	if err != nil || h.Holder != "node-b" {
		t.Fatalf("holder = %+v, %v; want node-b", h, err)
	}

	if err := b.Release(ctx, lb); err != nil {
		t.Fatalf("b releases: %v", err)
	}
	if _, err := a.Holder(ctx, "queue.main"); !errors.Is(err, engine.ErrNoHolder) {
		t.Fatalf("holder after release: err = %v, want ErrNoHolder", err)
	}
	if _, err := a.Acquire(ctx, "queue.main", ttl); err != nil {
		t.Fatalf("a acquires a released lease: %v", err)
	}
}

func TestLeaseExpiresEvenIfNobodyTookIt(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Open(t)
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	a := engine.NewLeases(e.Bucket(engine.BucketLeases), "node-a", clock.now)

	l, err := a.Acquire(ctx, "config.ranked", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Second)
	if _, err := a.Renew(ctx, l, time.Second); !errors.Is(err, engine.ErrLeaseLost) {
		t.Fatalf("renew after expiry: err = %v, want ErrLeaseLost", err)
	}
	// Reacquiring gives a new revision: the owner knows to rebuild.
	l2, err := a.Acquire(ctx, "config.ranked", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if l2.Revision <= l.Revision {
		t.Fatalf("reacquired revision %d, not after %d", l2.Revision, l.Revision)
	}
}

func TestLeaseRenewIsCompareAndSet(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Open(t)
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	a := engine.NewLeases(e.Bucket(engine.BucketLeases), "node-a", clock.now)

	l1, err := a.Acquire(ctx, "fleet.f1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := a.Renew(ctx, l1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// A second goroutine of the same node holding the older copy must not
	// be able to renew over the newer one.
	if _, err := a.Renew(ctx, l1, time.Minute); !errors.Is(err, engine.ErrLeaseLost) {
		t.Fatalf("renew with a stale revision: err = %v, want ErrLeaseLost", err)
	}
	if _, err := a.Renew(ctx, l2, time.Minute); err != nil {
		t.Fatalf("renew with the current revision: %v", err)
	}
}

func TestLeaseRaceHasOneWinner(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Open(t)
	const contenders = 8
	var wg sync.WaitGroup
	wins := make(chan string, contenders)
	for i := range contenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			node := fmt.Sprintf("node-%d", i)
			l := engine.NewLeases(e.Bucket(engine.BucketLeases), node, time.Now)
			if _, err := l.Acquire(ctx, "queue.race", time.Minute); err == nil {
				wins <- node
			} else if !errors.Is(err, engine.ErrLeaseHeld) {
				t.Errorf("%s: %v", node, err)
			}
		}()
	}
	wg.Wait()
	close(wins)
	var winners []string
	for w := range wins {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Fatalf("winners = %v, want exactly one", winners)
	}
}

func TestHoldRenewsAndReportsLoss(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Open(t)
	a := engine.NewLeases(e.Bucket(engine.BucketLeases), "node-a", time.Now)
	const ttl = 300 * time.Millisecond

	h, err := a.Hold(ctx, "queue.held", ttl)
	if err != nil {
		t.Fatal(err)
	}
	first := h.Lease().Revision
	deadline := time.Now().Add(10 * time.Second)
	for h.Lease().Revision == first {
		if time.Now().After(deadline) {
			t.Fatal("Hold never renewed the lease")
		}
		time.Sleep(10 * time.Millisecond)
	}
	b := engine.NewLeases(e.Bucket(engine.BucketLeases), "node-b", time.Now)
	if _, err := b.Acquire(ctx, "queue.held", ttl); !errors.Is(err, engine.ErrLeaseHeld) {
		t.Fatalf("b acquires a held lease: %v", err)
	}

	// node-c's clock runs an hour ahead: to it the lease has expired, so it
	// takes over, and node-a's next renewal must report the loss.
	ahead := func() time.Time { return time.Now().Add(time.Hour) }
	c := engine.NewLeases(e.Bucket(engine.BucketLeases), "node-c", ahead)
	if _, err := c.Acquire(ctx, "queue.held", ttl); err != nil {
		t.Fatalf("c takes over: %v", err)
	}
	select {
	case <-h.Lost():
	case <-time.After(10 * time.Second):
		t.Fatal("Lost was not closed after a takeover")
	}
	if err := h.Release(ctx); !errors.Is(err, engine.ErrLeaseLost) {
		t.Fatalf("release after loss: err = %v, want ErrLeaseLost", err)
	}
}

func TestHoldReleaseFreesTheLease(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Open(t)
	a := engine.NewLeases(e.Bucket(engine.BucketLeases), "node-a", time.Now)
	h, err := a.Hold(ctx, "queue.x", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Release(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.Lost():
	default:
		t.Fatal("Lost is open after Release")
	}
	b := engine.NewLeases(e.Bucket(engine.BucketLeases), "node-b", time.Now)
	if _, err := b.Acquire(ctx, "queue.x", time.Minute); err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
}

func TestLeaseList(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Open(t)
	a := engine.NewLeases(e.Bucket(engine.BucketLeases), "node-a", nil)
	if got, err := a.List(ctx, "gateway."); err != nil || len(got) != 0 {
		t.Fatalf("List with no leases: %v, %v", got, err)
	}
	for _, name := range []string{"gateway.a", "gateway.b", "matchmaking.ranked"} {
		if _, err := a.Acquire(ctx, name, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	got, err := a.List(ctx, "gateway.")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range got {
		names = append(names, l.Name+"@"+l.Holder)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"gateway.a@node-a", "gateway.b@node-a"}) {
		t.Fatalf("List(gateway.) = %v", names)
	}
}
