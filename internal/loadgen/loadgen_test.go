package loadgen_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/internal/loadgen"
	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/testworld"
)

// A short run against a real node completes, every player is matched and
// joins its game server, and the report's numbers hang together (their
// size is not judged here: that is what the command is for).
func TestShortRun(t *testing.T) {
	w := testworld.New(t, func(c *node.Config) { c.MatchmakingInterval = 100 * time.Millisecond })
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := loadgen.Run(ctx, loadgen.Options{
		Endpoint:  "http://" + w.N.PublicAddr(),
		Admin:     "http://" + w.N.AdminAddr(),
		AccessKey: testworld.Key,
		Players:   40,
		Rate:      20,
		TeamSize:  2,
		Locations: 2,
		Servers:   4,
		Wait:      time.Minute,
		Out:       &out,
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if r.Players != 40 || r.Matched != 40 || r.Joined != 40 || len(r.Errors) != 0 {
		t.Fatalf("report: players %d matched %d joined %d errors %v\nprogress:\n%s", r.Players, r.Matched, r.Joined, r.Errors, out.String())
	}
	d := r.Duration
	if d.P50 <= 0 || d.P50 > d.P90 || d.P90 > d.P99 || d.P99 > d.Max || d.Max > time.Minute {
		t.Errorf("request-to-push times out of order: %+v", d)
	}
	if r.MatchedPerSecond() <= 0 || r.ServerCPU <= 0 || r.ServerRSS <= 0 {
		t.Errorf("rate %.1f/s, server CPU %.2f, RSS %d", r.MatchedPerSecond(), r.ServerCPU, r.ServerRSS)
	}
	if !strings.Contains(out.String(), "matched") {
		t.Errorf("no progress line: %q", out.String())
	}
	var table bytes.Buffer
	r.Print(&table)
	for _, want := range []string{"matched", "request to push", "p99", "errors", "server"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, table.String())
		}
	}

	// A second run finds what the first created.
	r, err = loadgen.Run(ctx, loadgen.Options{
		Endpoint: "http://" + w.N.PublicAddr(), Admin: "http://" + w.N.AdminAddr(), AccessKey: testworld.Key,
		Players: 8, Rate: 20, TeamSize: 2, Locations: 2, Servers: 2, Wait: time.Minute,
	})
	if err != nil || r.Matched != 8 || r.Joined != 8 {
		t.Fatalf("second run: %+v, %v", r, err)
	}
}
