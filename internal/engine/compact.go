package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A deleted key leaves a delete marker in its bucket, and nothing removes
// it: with game sessions, placements and tickets deleted by the million,
// the markers would grow the store without bound. Compaction removes old
// ones.

// CompactDeletes removes the delete markers in bucket that are older than
// olderThan and returns how many it removed. Each removal is bounded by
// the marker's own sequence, so a key written again meanwhile keeps its
// new value (nats.go's PurgeDeletes purges the whole subject, which could
// take a value written between its scan and its purge).
func (e *Engine) CompactDeletes(ctx context.Context, bucket string, olderThan time.Duration) (int, error) {
	kv := e.Bucket(bucket)
	w, err := kv.WatchAll(ctx, jetstream.MetaOnly())
	if err != nil {
		return 0, fmt.Errorf("scan %s for delete markers: %w", bucket, err)
	}
	cutoff := time.Now().Add(-olderThan)
	var markers []jetstream.KeyValueEntry
	for entry := range w.Updates() {
		if entry == nil {
			break
		}
		if op := entry.Operation(); (op == jetstream.KeyValueDelete || op == jetstream.KeyValuePurge) && entry.Created().Before(cutoff) {
			markers = append(markers, entry)
		}
	}
	w.Stop()
	if len(markers) == 0 {
		return 0, ctx.Err()
	}
	stream, err := e.js.Stream(ctx, "KV_"+bucket)
	if err != nil {
		return 0, fmt.Errorf("open the stream of %s: %w", bucket, err)
	}
	n := 0
	for _, m := range markers {
		if err := purgeMarker(ctx, stream, bucket, m.Key(), m.Revision()); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// purgeMarker removes the key's messages up to and including the marker
// at rev.
func purgeMarker(ctx context.Context, stream jetstream.Stream, bucket, key string, rev uint64) error {
	err := stream.Purge(ctx, jetstream.WithPurgeSubject("$KV."+bucket+"."+key), jetstream.WithPurgeSequence(rev+1))
	if err != nil {
		return fmt.Errorf("remove the delete marker of %s in %s: %w", key, bucket, err)
	}
	return nil
}

// Compaction timing: markers are kept for a while so that watchers that
// were briefly disconnected still see the deletion.
const (
	compactionInterval = 10 * time.Minute
	compactionAge      = 30 * time.Minute
	compactionLease    = "engine.compaction"
)

// RunCompaction compacts every bucket's delete markers every ten minutes
// until ctx ends, on whichever node holds the compaction lease.
func (e *Engine) RunCompaction(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(compactionInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := e.Leases().Acquire(ctx, compactionLease, 2*compactionInterval); err != nil {
			if !errors.Is(err, ErrLeaseHeld) && ctx.Err() == nil {
				log.Warn("cannot take the compaction lease", "error", err)
			}
			continue
		}
		for _, spec := range bucketSpecs {
			n, err := e.CompactDeletes(ctx, spec.Bucket, compactionAge)
			if err != nil && ctx.Err() == nil {
				log.Warn("compaction of delete markers failed", "bucket", spec.Bucket, "error", err)
			}
			if n > 0 {
				log.Info("removed old delete markers", "bucket", spec.Bucket, "count", n)
			}
		}
	}
}
