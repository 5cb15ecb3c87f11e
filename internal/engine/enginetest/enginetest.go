// Package enginetest starts a real embedded engine for tests of the packages
// that keep their state in it. NATS starts in milliseconds, so every test
// gets its own server and its own data directory.
package enginetest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// Open starts an embedded engine in a fresh temporary directory and closes
// it when the test ends.
func Open(t testing.TB) *engine.Engine {
	t.Helper()
	return OpenDir(t, t.TempDir())
}

// OpenDir starts an embedded engine on dir, which may hold data from an
// earlier engine (to test restarts). The caller may Close it early; the
// cleanup tolerates that.
func OpenDir(t testing.TB, dir string) *engine.Engine {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	e, err := engine.Open(ctx, engine.Config{DataDir: dir, NodeID: "test-node", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("open engine: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}
