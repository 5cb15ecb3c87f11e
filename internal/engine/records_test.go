package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
)

type counter struct {
	N int `json:"n"`
}

func TestRecordsCompareAndSet(t *testing.T) {
	ctx := context.Background()
	kv := enginetest.Open(t).Bucket(engine.BucketConfig)

	if _, _, err := engine.Get[counter](ctx, kv, "c.1"); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("get missing: %v", err)
	}
	for _, bad := range []string{"alias-!", "a*b", "x>", "a b"} {
		if _, _, err := engine.Get[counter](ctx, kv, bad); !errors.Is(err, engine.ErrNotFound) {
			t.Errorf("get %q, a key no bucket can hold: %v, want ErrNotFound", bad, err)
		}
	}
	rev, err := engine.Create(ctx, kv, "c.1", counter{N: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Create(ctx, kv, "c.1", counter{N: 9}); !errors.Is(err, engine.ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	rev2, err := engine.Update(ctx, kv, "c.1", counter{N: 2}, rev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Update(ctx, kv, "c.1", counter{N: 3}, rev); !errors.Is(err, engine.ErrStale) {
		t.Fatalf("update with a stale revision: %v", err)
	}
	if err := engine.Delete(ctx, kv, "c.1", rev); !errors.Is(err, engine.ErrStale) {
		t.Fatalf("delete with a stale revision: %v", err)
	}
	if err := engine.Delete(ctx, kv, "c.1", rev2); err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Create(ctx, kv, "c.1", counter{N: 1}); err != nil {
		t.Fatalf("create after delete: %v", err)
	}
	if _, err := engine.Mutate(ctx, kv, "c.404", func(*counter) error { return nil }); !errors.Is(err, engine.ErrNotFound) {
		t.Fatalf("mutate missing: %v", err)
	}
	abort := errors.New("no")
	if _, err := engine.Mutate(ctx, kv, "c.1", func(*counter) error { return abort }); !errors.Is(err, abort) {
		t.Fatalf("mutate abort: %v", err)
	}
}

// TestMutateUnderContention increments one record from many goroutines:
// every increment lands exactly once.
func TestMutateUnderContention(t *testing.T) {
	ctx := context.Background()
	kv := enginetest.Open(t).Bucket(engine.BucketConfig)
	if _, err := engine.Create(ctx, kv, "counter", counter{}); err != nil {
		t.Fatal(err)
	}
	const workers, each = 4, 10
	var wg sync.WaitGroup
	var mu sync.Mutex
	stale := 0
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				_, err := engine.Mutate(ctx, kv, "counter", func(c *counter) error { c.N++; return nil })
				if errors.Is(err, engine.ErrStale) {
					mu.Lock()
					stale++
					mu.Unlock()
				} else if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	c, _, err := engine.Get[counter](ctx, kv, "counter")
	if err != nil {
		t.Fatal(err)
	}
	if c.N+stale != workers*each {
		t.Fatalf("counter = %d with %d refused, want %d in all", c.N, stale, workers*each)
	}
	if stale != 0 {
		t.Logf("%d increments gave up under contention", stale)
	}
}

func TestListReadsEveryRecordUnderAPrefix(t *testing.T) {
	ctx := context.Background()
	kv := enginetest.Open(t).Bucket(engine.BucketConfig)
	if got, err := engine.List[counter](ctx, kv, "fleet.>"); err != nil || len(got) != 0 {
		t.Fatalf("empty list = %v, %v", got, err)
	}
	for i, k := range []string{"fleet.a", "fleet.b", "alias.a", "fleet.c"} {
		if _, err := engine.Create(ctx, kv, k, counter{N: i}); err != nil {
			t.Fatal(err)
		}
	}
	if err := kv.Delete(ctx, "fleet.b"); err != nil {
		t.Fatal(err)
	}
	got, err := engine.List[counter](ctx, kv, "fleet.>")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("list = %v, want the two live fleet records", got)
	}
}

// TestLargeRecord: a record above NATS's default 1 MB payload (a game
// session at GameLift's limits) can be written and read back.
func TestLargeRecord(t *testing.T) {
	ctx := context.Background()
	kv := enginetest.Open(t).Bucket(engine.BucketSessions)
	big := map[string]string{"data": strings.Repeat("x", 1_500_000)}
	if _, err := engine.Create(ctx, kv, "big", big); err != nil {
		t.Fatalf("write a 1.5 MB record: %v", err)
	}
	got, _, err := engine.Get[map[string]string](ctx, kv, "big")
	if err != nil || len(got["data"]) != 1_500_000 {
		t.Fatalf("read it back: %d bytes, %v", len(got["data"]), err)
	}
}
