package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/testworld"
)

// Four bots play through a real node and a real arena server process:
// guests, sockets, latencies to the location's beacon, a 2v2 match placed
// on the arena, UDP joins with the player sessions, chat, and leaving,
// after which the arena's game ends.
func TestBotsPlayOnARealArena(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the arena server")
	}
	ctx := context.Background()
	arenaBin := filepath.Join(t.TempDir(), "arena")
	build := exec.Command("go", "build", "-o", arenaBin, "./examples/arena")
	build.Dir = "../../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build arena: %v\n%s", err, out)
	}

	w := testworld.New(t, func(c *node.Config) {
		c.MatchmakingInterval = 100 * time.Millisecond
		c.PingBeacon = "127.0.0.1:0"
	})
	if _, err := w.C.CreateLocation(ctx, &gamelift.CreateLocationInput{
		LocationName: aws.String("custom-bots"),
		Tags:         []types.Tag{{Key: aws.String("rallypoint:ping-beacon"), Value: aws.String(w.N.PingBeaconAddr())}},
	}); err != nil {
		t.Fatal(err)
	}
	fleet := w.Fleet("bots", "custom-bots")
	compute, err := w.C.RegisterCompute(ctx, &gamelift.RegisterComputeInput{FleetId: aws.String(fleet), ComputeName: aws.String("bots-1"),
		IpAddress: aws.String("127.0.0.1"), Location: aws.String("custom-bots")})
	if err != nil {
		t.Fatal(err)
	}
	token, err := w.C.GetComputeAuthToken(ctx, &gamelift.GetComputeAuthTokenInput{FleetId: aws.String(fleet), ComputeName: aws.String("bots-1")})
	if err != nil {
		t.Fatal(err)
	}
	arena := startArena(t, arenaBin, "--endpoint", aws.ToString(compute.Compute.GameLiftServiceSdkEndpoint), "--fleet", fleet,
		"--compute", "bots-1", "--token", aws.ToString(token.AuthToken), "--listen", "127.0.0.1:0")
	arena.await(t, regexp.MustCompile(`ready on port`))

	q, err := w.C.CreateGameSessionQueue(ctx, &gamelift.CreateGameSessionQueueInput{Name: aws.String("bots"),
		Destinations: []types.GameSessionQueueDestination{{DestinationArn: aws.String(fleet)}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.C.CreateMatchmakingRuleSet(ctx, &gamelift.CreateMatchmakingRuleSetInput{Name: aws.String("2v2"), RuleSetBody: aws.String(`{
		"ruleLanguageVersion": "1.0",
		"playerAttributes": [{"name": "skill", "type": "number", "default": 10}],
		"teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2}, {"name": "blue", "minPlayers": 2, "maxPlayers": 2}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.C.CreateMatchmakingConfiguration(ctx, &gamelift.CreateMatchmakingConfigurationInput{
		Name: aws.String("2v2"), RuleSetName: aws.String("2v2"), RequestTimeoutSeconds: aws.Int32(60),
		AcceptanceRequired: aws.Bool(false), GameSessionQueueArns: []string{aws.ToString(q.GameSessionQueue.GameSessionQueueArn)},
	}); err != nil {
		t.Fatal(err)
	}
	pool := w.GuestPool("bots")

	var stdout, stderr bytes.Buffer
	code := run([]string{"--endpoint", "http://" + w.N.PublicAddr(), "--pool", pool, "--configuration", "2v2",
		"--bots", "4", "--sigv4", "--timeout", "60s"}, &stdout, &stderr)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("bots exited %d:\n%s%s\narena:\n%s", code, out, stderr.String(), arena.output())
	}
	for _, step := range []string{"signed in as guest local:", "connected (SigV4-presigned URL)", "latencies: custom-bots=",
		"event MatchmakingSucceeded", "matched: game server 127.0.0.1:", "joined the game as local:", "heard local:", "left the game"} {
		if n := strings.Count(out, step); n < 4 {
			t.Errorf("%d bots printed %q, want 4:\n%s", n, step, out)
		}
	}
	if !strings.Contains(out, "summary: 4 of 4 bots played and left, 0 failed") {
		t.Errorf("no summary of four bots:\n%s", out)
	}
	// Every player left, so the arena's game ended and its process with it.
	arena.await(t, regexp.MustCompile(`game over: every player has left`))
	if n := strings.Count(arena.output(), "joined from"); n != 4 {
		t.Errorf("the arena saw %d players join, want 4:\n%s", n, arena.output())
	}
}

func TestFlags(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stderr.String(), "Usage: bot") {
		t.Fatalf("--help: exit %d, output %q", code, stderr.String())
	}
	stderr.Reset()
	if code := run([]string{"--configuration", "x"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "--pool") {
		t.Fatalf("without --pool: exit %d, output %q", code, stderr.String())
	}
	// A node that is not there: every bot fails, and the exit status says so.
	stdout.Reset()
	if code := run([]string{"--endpoint", "http://127.0.0.1:1", "--pool", "p", "--configuration", "x", "--bots", "2", "--timeout", "5s"}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stdout.String(), "summary: 0 of 2 bots played and left, 2 failed") {
		t.Fatalf("against nothing: exit %d, output %q", code, stdout.String())
	}
}

// arenaProc is an arena server process whose output is kept.
type arenaProc struct {
	mu  sync.Mutex
	out bytes.Buffer
}

func (p *arenaProc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *arenaProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func startArena(t *testing.T, bin string, args ...string) *arenaProc {
	t.Helper()
	p := &arenaProc{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = p, p
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	return p
}

// await waits for a line of the arena's output matching re.
func (p *arenaProc) await(t *testing.T, re *regexp.Regexp) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !re.MatchString(p.output()) {
		if time.Now().After(deadline) {
			t.Fatalf("the arena printed no line matching %s:\n%s", re, p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
