package engine_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
)

func TestProvisionIsIdempotentAndDataSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	e := enginetest.OpenDir(t, dir)
	if _, err := e.Bucket(engine.BucketConfig).Put(ctx, "fleet.f1", []byte(`{"name":"f1"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.JetStream().Publish(ctx, engine.EventsSubjectPrefix+"test.x.Created", []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	e2 := enginetest.OpenDir(t, dir)
	entry, err := e2.Bucket(engine.BucketConfig).Get(ctx, "fleet.f1")
	if err != nil {
		t.Fatalf("value written before the restart: %v", err)
	}
	if string(entry.Value()) != `{"name":"f1"}` {
		t.Fatalf("value after restart = %s", entry.Value())
	}
	info, err := e2.Events().Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 1 {
		t.Fatalf("events after restart = %d, want 1", info.State.Msgs)
	}
	for _, name := range []string{
		engine.BucketConnections, engine.BucketPlayerConnections, engine.BucketIdentities,
		engine.BucketConfig, engine.BucketTickets, engine.BucketSessions,
		engine.BucketComputes, engine.BucketLeases,
	} {
		st, err := e2.Bucket(name).Status(ctx)
		if err != nil {
			t.Fatalf("bucket %s: %v", name, err)
		}
		if st.History() != 1 {
			t.Errorf("bucket %s keeps %d revisions, want 1", name, st.History())
		}
	}
	if err := e2.Check(ctx); err != nil {
		t.Fatalf("check: %v", err)
	}
}

func TestEmbeddedServerHasNoPortUnlessAsked(t *testing.T) {
	e := enginetest.Open(t)
	if u := e.ClientURL(); u != "" {
		t.Fatalf("embedded engine without Listen advertises %q", u)
	}

	ctx := context.Background()
	e2, err := engine.Open(ctx, engine.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", NodeID: "n2"})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	// A second client over TCP sees the same buckets: this is how other
	// nodes and the nats CLI reach an embedded engine.
	nc, err := nats.Connect(e2.ClientURL())
	if err != nil {
		t.Fatalf("connect to %s: %v", e2.ClientURL(), err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	if _, err := js.KeyValue(ctx, engine.BucketTickets); err != nil {
		t.Fatalf("bucket over TCP: %v", err)
	}
}

func TestExternalURLJoinsAnotherServer(t *testing.T) {
	ctx := context.Background()
	host, err := engine.Open(ctx, engine.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", NodeID: "host"})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	if _, err := host.Bucket(engine.BucketConfig).Put(ctx, "location.custom-a", []byte("x")); err != nil {
		t.Fatal(err)
	}

	joined, err := engine.Open(ctx, engine.Config{URL: host.ClientURL(), NodeID: "joiner"})
	if err != nil {
		t.Fatalf("join %s: %v", host.ClientURL(), err)
	}
	defer joined.Close()
	if _, err := joined.Bucket(engine.BucketConfig).Get(ctx, "location.custom-a"); err != nil {
		t.Fatalf("joined node reads the shared bucket: %v", err)
	}
}

func TestOpenWithoutDataDirFails(t *testing.T) {
	_, err := engine.Open(context.Background(), engine.Config{})
	if err == nil {
		t.Fatal("Open without a data directory or URL succeeded")
	}
}

func TestNodeIDs(t *testing.T) {
	for id, want := range map[string]bool{"node-1": true, "a_b": true, "": false, "a.b": false, "a b": false, "a*": false} {
		if got := engine.ValidNodeID(id); got != want {
			t.Errorf("ValidNodeID(%q) = %v, want %v", id, got, want)
		}
	}
	if id := engine.DefaultNodeID(); !engine.ValidNodeID(id) {
		t.Errorf("DefaultNodeID() = %q is not valid", id)
	}
}

func TestCloseTwice(t *testing.T) {
	e := enginetest.Open(t)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		t.Fatalf("second close: %v", err)
	}
}

// fakeClock is a settable clock shared by lease contenders in one test.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }
