package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
)

// BenchmarkRecordGet and BenchmarkRecordUpdate measure the round trips
// every state change is made of: a read, and a compare-and-set write of a
// small JSON record, on the embedded engine.
func BenchmarkRecordGet(b *testing.B) {
	ctx := context.Background()
	kv := enginetest.Open(b).Bucket(engine.BucketSessions)
	if _, err := engine.Create(ctx, kv, "bench", map[string]string{"status": "ACTIVE"}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := engine.Get[map[string]string](ctx, kv, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRecordUpdate(b *testing.B) {
	ctx := context.Background()
	kv := enginetest.Open(b).Bucket(engine.BucketSessions)
	rev, err := engine.Create(ctx, kv, "bench", map[string]string{"status": "ACTIVE"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		if rev, err = engine.Update(ctx, kv, "bench", map[string]string{"status": fmt.Sprint(i)}, rev); err != nil {
			b.Fatal(err)
		}
	}
}
