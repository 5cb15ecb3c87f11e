package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Helpers for packages that keep JSON records in a bucket they own. Every
// write is a compare-and-set against the revision read, so concurrent
// writers (two API calls, two nodes) never overwrite each other silently.

var (
	// ErrNotFound means the key has no value.
	ErrNotFound = errors.New("record not found")
	// ErrExists means Create found a value already there.
	ErrExists = errors.New("record already exists")
	// ErrStale means the record changed since it was read.
	ErrStale = errors.New("record changed since it was read")
)

// maxMutateAttempts bounds Mutate's retries under contention; beyond it the
// caller gets ErrStale and can report a conflict.
const maxMutateAttempts = 16

// Get reads the record at key into a new T and returns its revision.
func Get[T any](ctx context.Context, kv jetstream.KeyValue, key string) (T, uint64, error) {
	var v T
	entry, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrInvalidKey) {
		// A key the bucket cannot hold has never had a value.
		return v, 0, ErrNotFound
	}
	if err != nil {
		return v, 0, fmt.Errorf("read %s: %w", key, err)
	}
	if err := json.Unmarshal(entry.Value(), &v); err != nil {
		return v, 0, fmt.Errorf("decode %s: %w", key, err)
	}
	return v, entry.Revision(), nil
}

// Create writes v at key if the key has no value (or was deleted).
func Create(ctx context.Context, kv jetstream.KeyValue, key string, v any) (uint64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("encode %s: %w", key, err)
	}
	rev, err := kv.Create(ctx, key, b)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, ErrExists
	}
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", key, err)
	}
	return rev, nil
}

// Update writes v at key if its revision is still rev.
func Update(ctx context.Context, kv jetstream.KeyValue, key string, v any, rev uint64) (uint64, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("encode %s: %w", key, err)
	}
	next, err := kv.Update(ctx, key, b, rev)
	if isRevisionMismatch(err) {
		return 0, ErrStale
	}
	if err != nil {
		return 0, fmt.Errorf("update %s: %w", key, err)
	}
	return next, nil
}

// Delete removes key if its revision is still rev.
func Delete(ctx context.Context, kv jetstream.KeyValue, key string, rev uint64) error {
	err := kv.Delete(ctx, key, jetstream.LastRevision(rev))
	if isRevisionMismatch(err) {
		return ErrStale
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// Mutate applies fn to the record at key and writes the result with
// compare-and-set, rereading and reapplying fn when another writer got
// there first. fn may return an error to abort without writing; that error
// is returned as is. ErrNotFound is returned when the key has no value.
func Mutate[T any](ctx context.Context, kv jetstream.KeyValue, key string, fn func(*T) error) (T, error) {
	for range maxMutateAttempts {
		v, rev, err := Get[T](ctx, kv, key)
		if err != nil {
			return v, err
		}
		if err := fn(&v); err != nil {
			return v, err
		}
		_, err = Update(ctx, kv, key, v, rev)
		if errors.Is(err, ErrStale) {
			continue
		}
		return v, err
	}
	var zero T
	return zero, fmt.Errorf("mutate %s: %w (too much contention)", key, ErrStale)
}

// List reads every record whose key matches the subject-style filter (for
// example "fleet.>"), in key order as the bucket returns them.
func List[T any](ctx context.Context, kv jetstream.KeyValue, filter string) ([]T, error) {
	w, err := kv.WatchFiltered(ctx, []string{filter}, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", filter, err)
	}
	defer w.Stop()
	var out []T
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("list %s: %w", filter, ctx.Err())
		case entry := <-w.Updates():
			if entry == nil {
				return out, nil
			}
			var v T
			if err := json.Unmarshal(entry.Value(), &v); err != nil {
				return nil, fmt.Errorf("decode %s: %w", entry.Key(), err)
			}
			out = append(out, v)
		}
	}
}
