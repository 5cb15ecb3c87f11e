package fleet

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// load reads one record; a missing one is a NotFound error naming it
// ("Fleet fleet-1 not found.", or with where: "Compute h not found in
// fleet f.").
func load[T any](ctx context.Context, kv jetstream.KeyValue, key, kind, name, where string) (T, uint64, error) {
	v, rev, err := engine.Get[T](ctx, kv, key)
	if errors.Is(err, engine.ErrNotFound) {
		return v, 0, newError(ErrNotFound, "%s %s not found%s.", kind, name, where)
	}
	if err != nil {
		return v, 0, fmt.Errorf("read %s %s: %w", kind, name, err)
	}
	return v, rev, nil
}

// remove deletes a record read at rev; a concurrent change is a Conflict.
func remove(ctx context.Context, kv jetstream.KeyValue, key string, rev uint64, kind, name string) error {
	err := engine.Delete(ctx, kv, key, rev)
	if errors.Is(err, engine.ErrStale) {
		return newError(ErrConflict, "%s %s changed while it was being deleted; retry.", kind, name)
	}
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", kind, name, err)
	}
	return nil
}

// listSorted reads every record under filter, ordered by sortKey.
func listSorted[T any](ctx context.Context, kv jetstream.KeyValue, filter string, sortKey func(T) string) ([]T, error) {
	all, err := engine.List[T](ctx, kv, filter)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b T) int { return cmp.Compare(sortKey(a), sortKey(b)) })
	return all, nil
}
