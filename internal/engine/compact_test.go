package engine_test

import (
	"context"
	"testing"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
)

func TestCompactDeletesRemovesOldMarkersOnly(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Open(t)
	kv := e.Bucket(engine.BucketSessions)
	for _, k := range []string{"gone", "back", "kept"} {
		if _, err := kv.Put(ctx, k, []byte("v1")); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"gone", "back"} {
		if err := kv.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	// Written again after its deletion: the new value must survive.
	if _, err := kv.Create(ctx, "back", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	before := messages(t, e)
	n, err := e.CompactDeletes(ctx, engine.BucketSessions, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("removed %d markers, want 1 (the key written again has none)", n)
	}
	if after := messages(t, e); after != before-1 {
		t.Fatalf("the bucket holds %d messages, want %d", after, before-1)
	}
	if v, err := kv.Get(ctx, "back"); err != nil || string(v.Value()) != "v2" {
		t.Fatalf("the key written again: %v %v", v, err)
	}
	if v, err := kv.Get(ctx, "kept"); err != nil || string(v.Value()) != "v1" {
		t.Fatalf("the untouched key: %v %v", v, err)
	}
	if _, err := kv.Get(ctx, "gone"); err == nil {
		t.Fatal("the deleted key came back")
	}
	// A deleted key can be created again after its marker is gone.
	if _, err := kv.Create(ctx, "gone", []byte("v3")); err != nil {
		t.Fatalf("create a compacted key again: %v", err)
	}
	// Young markers stay.
	if err := kv.Delete(ctx, "kept"); err != nil {
		t.Fatal(err)
	}
	if n, err := e.CompactDeletes(ctx, engine.BucketSessions, 1<<40); err != nil || n != 0 {
		t.Fatalf("compacting young markers removed %d (%v), want none", n, err)
	}
}

// The purge of a marker found by a scan must not take a value written
// after the scan.
func TestCompactionSparesAValueWrittenAfterTheScan(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Open(t)
	kv := e.Bucket(engine.BucketSessions)
	if _, err := kv.Put(ctx, "k", []byte("v1")); err != nil {
		t.Fatal(err)
	}
	if err := kv.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	entries, err := kv.History(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	rev := entries[len(entries)-1].Revision()
	if _, err := kv.Create(ctx, "k", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if err := engine.PurgeMarkerForTest(ctx, e, engine.BucketSessions, "k", rev); err != nil {
		t.Fatal(err)
	}
	v, err := kv.Get(ctx, "k")
	if err != nil || string(v.Value()) != "v2" {
		t.Fatalf("value written after the scan: %v %v", v, err)
	}
}

func messages(t *testing.T, e *engine.Engine) uint64 {
	t.Helper()
	st, err := e.Bucket(engine.BucketSessions).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st.Values()
}
