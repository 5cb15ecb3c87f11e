package engine_test

import (
	"context"
	"testing"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// A lane is a connection of its own over the same storage: what one writes
// the other reads, the engine's close ends it, and a closed engine gives
// no new lane. Both the embedded server and an external URL are covered.
func TestLanesShareTheStorageOnTheirOwnConnections(t *testing.T) {
	ctx := context.Background()
	host, err := engine.Open(ctx, engine.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", NodeID: "host"})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	joined, err := engine.Open(ctx, engine.Config{URL: host.ClientURL(), NodeID: "joiner"})
	if err != nil {
		t.Fatal(err)
	}
	defer joined.Close()

	for _, e := range []*engine.Engine{host, joined} {
		lane, err := e.Lane(ctx, "tickets")
		if err != nil {
			t.Fatalf("%s: open lane: %v", e.NodeID(), err)
		}
		if lane.Conn() == e.Conn() {
			t.Fatalf("%s: the lane shares the engine's connection", e.NodeID())
		}
		key := "written-by-" + e.NodeID()
		if _, err := lane.Bucket(engine.BucketTickets).Put(ctx, key, []byte("x")); err != nil {
			t.Fatalf("%s: lane write: %v", e.NodeID(), err)
		}
		if _, err := e.Bucket(engine.BucketTickets).Get(ctx, key); err != nil {
			t.Fatalf("%s: the engine does not read the lane's write: %v", e.NodeID(), err)
		}
		if _, err := lane.JetStream().Publish(ctx, engine.EventsSubjectPrefix+"test.lane."+e.NodeID(), []byte(`{}`)); err != nil {
			t.Fatalf("%s: lane publish: %v", e.NodeID(), err)
		}
		if _, err := lane.Events().GetLastMsgForSubject(ctx, engine.EventsSubjectPrefix+"test.lane."+e.NodeID()); err != nil {
			t.Fatalf("%s: the lane's event stream handle does not read its event: %v", e.NodeID(), err)
		}
	}

	lane, err := joined.Lane(ctx, "gateway")
	if err != nil {
		t.Fatal(err)
	}
	if err := joined.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if !lane.Conn().IsClosed() {
		t.Fatal("closing the engine left its lane's connection open")
	}
	if _, err := joined.Lane(ctx, "late"); err == nil {
		t.Fatal("a closed engine opened a lane")
	}
}
