package engine

import "context"

// PurgeMarkerForTest runs the purge of one marker, as CompactDeletes does
// after its scan.
func PurgeMarkerForTest(ctx context.Context, e *Engine, bucket, key string, rev uint64) error {
	stream, err := e.js.Stream(ctx, "KV_"+bucket)
	if err != nil {
		return err
	}
	return purgeMarker(ctx, stream, bucket, key, rev)
}
