package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/testworld"
)

// lockedBuffer collects what run prints, for the test to read meanwhile.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestSocketSendsLinesAndPrintsFrames(t *testing.T) {
	w := testworld.New(t, nil)
	ctx := context.Background()
	pool := w.GuestPool("players")
	id, err := w.N.Identities().GetID(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	token, err := w.N.Identities().OpenIDToken(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	url := "ws://" + w.N.PublicAddr() + node.GatewayPath

	out := &lockedBuffer{}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	in := strings.NewReader("{\"action\":\"ping\",\"requestId\":\"r1\"}\n\n{\"action\":\"describeMatchmaking\",\"requestId\":\"r2\",\"ticketId\":\"nope\"}\n")
	go func() { done <- run(runCtx, url, token, in, out) }()
	testworld.Eventually(t, "both replies", func() bool { return strings.Count(out.String(), "\n") >= 2 })
	stop()
	if err := <-done; err != nil {
		t.Fatalf("run after interrupt: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if lines[0] != `{"requestId":"r1","ok":true}` || !strings.Contains(lines[1], `"code":"NotFoundException"`) {
		t.Fatalf("printed %q", lines)
	}

	// A refused token is a clear error, not a hang.
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err = run(ctx2, url, "not-a-token", strings.NewReader(""), &lockedBuffer{})
	if err == nil || !strings.Contains(err.Error(), "HTTP 403") {
		t.Fatalf("run with a bad token: %v, want HTTP 403", err)
	}
}
