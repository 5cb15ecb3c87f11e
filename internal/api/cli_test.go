package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/sigv4"
)

// awsCLI runs the aws CLI against a node, with nothing from the machine's
// own AWS setup: credentials come from the environment only, and the
// config and credentials files are empty.
type awsCLI struct {
	t        *testing.T
	path     string
	endpoint string
	env      []string
}

func newAWSCLI(t *testing.T, n *testNode) *awsCLI {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not on PATH, so the GameLift CLI compatibility test cannot run; install it with `apt-get install -y awscli` (or `pip install awscli`)")
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		// A developer's AWS_PROFILE, AWS_ENDPOINT_URL or session token
		// must not leak into the test.
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"AWS_ACCESS_KEY_ID="+testKey.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+testKey.SecretAccessKey,
		"AWS_DEFAULT_REGION="+testRegion,
		"AWS_CONFIG_FILE="+empty,
		"AWS_SHARED_CREDENTIALS_FILE="+empty,
		"AWS_EC2_METADATA_DISABLED=true",
		// aws-cli 2 pages output through less unless told not to.
		"AWS_PAGER=",
		// Refusals are asserted, not retried.
		"AWS_MAX_ATTEMPTS=1",
	)
	return &awsCLI{t: t, path: path, endpoint: n.adminURL(), env: env}
}

// run runs one gamelift command and returns its standard output, standard
// error and exit code. extraEnv overrides the environment.
func (c *awsCLI) run(extraEnv []string, args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	// The deadline only keeps a stuck CLI (a prompt, a pager) from hanging
	// the suite; nothing is asserted about time.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	full := append([]string{"gamelift"}, args...)
	full = append(full, "--endpoint-url", c.endpoint, "--output", "json")
	cmd := exec.CommandContext(ctx, c.path, full...)
	cmd.Env = append(append([]string{}, c.env...), extraEnv...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		c.t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), code
}

// ok runs a command that must succeed and decodes the JSON it prints.
func (c *awsCLI) ok(args ...string) map[string]any {
	c.t.Helper()
	stdout, stderr, code := c.run(nil, args...)
	if code != 0 {
		c.t.Fatalf("aws gamelift %s exited %d: %s", strings.Join(args, " "), code, stderr)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(stdout), &v); err != nil {
		c.t.Fatalf("aws gamelift %s printed no JSON object (%v): %q", args[0], err, stdout)
	}
	return v
}

// str reads a string at a dotted path, failing the test when absent.
func str(t *testing.T, v map[string]any, path string) string {
	t.Helper()
	x, ok := lookup(v, path)
	s, isStr := x.(string)
	if !ok || !isStr {
		t.Fatalf("%s is %v in %v", path, x, v)
	}
	return s
}

// cliTime reads a timestamp as either CLI prints it: aws-cli 1 shows the
// wire value (epoch seconds), aws-cli 2 an ISO 8601 string.
func cliTime(t *testing.T, v any) time.Time {
	t.Helper()
	switch v := v.(type) {
	case float64:
		return time.UnixMilli(int64(v * 1000))
	case string:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return time.UnixMilli(int64(f * 1000))
		}
		tm, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			t.Fatalf("timestamp %q: %v", v, err)
		}
		return tm
	}
	t.Fatalf("timestamp is %T %v", v, v)
	return time.Time{}
}

// TestAWSCLI drives a node with the aws CLI, a client nobody on this
// project wrote, over AWS JSON 1.1: the five-minute tour of the README
// (a location, an Anywhere fleet, a compute), reading them back, a
// refusal the CLI must recognise, and a wrong secret.
func TestAWSCLI(t *testing.T) {
	t.Parallel() // the CLI is slow to start; let the other tests run meanwhile
	n := startNode(t, "")
	cli := newAWSCLI(t, n)
	start := time.Now().Add(-time.Second)

	loc := cli.ok("create-location", "--location-name", "custom-home-lab")
	if got := str(t, loc, "Location.LocationArn"); got != "arn:rallypoint:gamelift:local::location/custom-home-lab" {
		t.Errorf("LocationArn = %s", got)
	}

	f := cli.ok("create-fleet", "--name", "arena", "--description", "arena servers", "--compute-type", "ANYWHERE",
		"--locations", "Location=custom-home-lab", "--anywhere-configuration", "Cost=0.5",
		"--resource-creation-limit-policy", "NewGameSessionsPerCreator=2,PolicyPeriodInMinutes=10")
	fleetID := str(t, f, "FleetAttributes.FleetId")
	if !strings.HasPrefix(fleetID, "fleet-") || str(t, f, "FleetAttributes.ComputeType") != "ANYWHERE" || str(t, f, "FleetAttributes.Status") != "NEW" {
		t.Errorf("create-fleet printed %v", f)
	}
	states, _ := f["LocationStates"].([]any)
	if len(states) != 2 {
		t.Errorf("LocationStates = %v, want the home region and custom-home-lab", states)
	}

	c := cli.ok("register-compute", "--fleet-id", fleetID, "--compute-name", "lab-host-1", "--ip-address", "192.168.1.20", "--location", "custom-home-lab")
	if got, want := str(t, c, "Compute.GameLiftServiceSdkEndpoint"), "ws://"+n.PublicAddr()+"/serversdk"; got != want {
		t.Errorf("GameLiftServiceSdkEndpoint = %s, want %s", got, want)
	}
	if str(t, c, "Compute.ComputeStatus") != "ACTIVE" || str(t, c, "Compute.FleetId") != fleetID {
		t.Errorf("register-compute printed %v", c)
	}

	d := cli.ok("describe-fleet-attributes", "--fleet-ids", fleetID)
	attrs, _ := d["FleetAttributes"].([]any)
	if len(attrs) != 1 {
		t.Fatalf("describe-fleet-attributes printed %v", d)
	}
	a := attrs[0].(map[string]any)
	if str(t, a, "Name") != "arena" || str(t, a, "Description") != "arena servers" || str(t, a, "Status") != "ACTIVE" ||
		str(t, a, "AnywhereConfiguration.Cost") != "0.5" || str(t, a, "FleetArn") != "arn:rallypoint:gamelift:local::fleet/"+fleetID {
		t.Errorf("fleet attributes = %v", a)
	}
	if p, _ := lookup(a, "ResourceCreationLimitPolicy.PolicyPeriodInMinutes"); p != float64(10) {
		t.Errorf("ResourceCreationLimitPolicy = %v", a["ResourceCreationLimitPolicy"])
	}
	if ct := cliTime(t, a["CreationTime"]); ct.Before(start) || ct.After(time.Now().Add(time.Second)) {
		t.Errorf("CreationTime = %v, want between %v and now", ct, start)
	}

	l := cli.ok("list-compute", "--fleet-id", fleetID, "--location", "custom-home-lab")
	computes, _ := l["ComputeList"].([]any)
	if len(computes) != 1 || str(t, computes[0].(map[string]any), "ComputeName") != "lab-host-1" || str(t, computes[0].(map[string]any), "IpAddress") != "192.168.1.20" {
		t.Errorf("list-compute printed %v", l)
	}

	tok := cli.ok("get-compute-auth-token", "--fleet-id", fleetID, "--compute-name", "lab-host-1")
	if str(t, tok, "AuthToken") == "" || str(t, tok, "ComputeName") != "lab-host-1" {
		t.Errorf("get-compute-auth-token printed %v", tok)
	}
	if exp := cliTime(t, tok["ExpirationTimestamp"]); !exp.After(time.Now()) {
		t.Errorf("token expires at %v, in the past", exp)
	}

	// GameLift refuses to delete a fleet with registered computes; the CLI
	// must recognise the error type and fail.
	_, stderr, code := cli.run(nil, "delete-fleet", "--fleet-id", fleetID)
	if code == 0 || !strings.Contains(stderr, "InvalidFleetStatusException") || !strings.Contains(stderr, "lab-host-1") {
		t.Errorf("delete-fleet with a compute: exit %d, stderr %q; want a failure naming InvalidFleetStatusException and the compute", code, stderr)
	}

	// A wrong secret is refused before anything happens.
	_, stderr, code = cli.run([]string{"AWS_SECRET_ACCESS_KEY=not-the-secret"}, "create-location", "--location-name", "custom-intruder")
	if code == 0 || !strings.Contains(stderr, sigv4.CodeInvalidSignature) {
		t.Errorf("wrong secret: exit %d, stderr %q; want a failure naming %s", code, stderr, sigv4.CodeInvalidSignature)
	}

	// What the CLI did is what the SDK sees over the other protocol, and
	// the refused calls changed nothing.
	ctx := context.Background()
	sdk := n.sdk()
	locs, err := sdk.ListLocations(ctx, &gamelift.ListLocationsInput{Filters: []types.LocationFilter{types.LocationFilterCustom}})
	if err != nil || len(locs.Locations) != 1 || aws.ToString(locs.Locations[0].LocationName) != "custom-home-lab" {
		t.Errorf("custom locations = %+v, %v; want custom-home-lab only", locs, err)
	}
	fa, err := sdk.DescribeFleetAttributes(ctx, &gamelift.DescribeFleetAttributesInput{FleetIds: []string{fleetID}})
	if err != nil || len(fa.FleetAttributes) != 1 || fa.FleetAttributes[0].Status != types.FleetStatusActive {
		t.Errorf("after the refused delete: %+v, %v", fa, err)
	}
}

// TestAWSCLIGameSessions starts a game session and seats players with the
// aws CLI, over AWS JSON 1.1, on a process played in-process (see
// gameHost).
func TestAWSCLIGameSessions(t *testing.T) {
	t.Parallel()
	n := startNode(t, "")
	cli := newAWSCLI(t, n)
	cli.ok("create-location", "--location-name", "custom-home-lab")
	fleetID := str(t, cli.ok("create-fleet", "--name", "arena", "--compute-type", "ANYWHERE", "--locations", "Location=custom-home-lab"), "FleetAttributes.FleetId")
	cli.ok("register-compute", "--fleet-id", fleetID, "--compute-name", "lab-host-1", "--ip-address", "192.168.1.20", "--location", "custom-home-lab")
	ref := fleet.ProcessRef{FleetID: fleetID, Compute: "lab-host-1", ProcessID: "pid-1"}
	if _, err := n.Fleets().ProcessReady(context.Background(), ref, fleet.ReadyInput{Port: 7777}); err != nil {
		t.Fatal(err)
	}

	gs := cli.ok("create-game-session", "--fleet-id", fleetID, "--location", "custom-home-lab", "--maximum-player-session-count", "2",
		"--name", "dusk", "--game-properties", "Key=mode,Value=ffa", "Key=map,Value=harbor", "--idempotency-token", "cli-1")
	id := str(t, gs, "GameSession.GameSessionId")
	if str(t, gs, "GameSession.Status") != "ACTIVATING" || str(t, gs, "GameSession.IpAddress") != "192.168.1.20" || str(t, gs, "GameSession.ComputeName") != "lab-host-1" {
		t.Errorf("create-game-session printed %v", gs)
	}
	if port, _ := lookup(gs, "GameSession.Port"); port != float64(7777) {
		t.Errorf("Port = %v", port)
	}
	if _, err := n.Fleets().ActivateGameSession(context.Background(), ref, id); err != nil {
		t.Fatal(err)
	}

	d := cli.ok("describe-game-sessions", "--fleet-id", fleetID, "--status-filter", "ACTIVE")
	sessions, _ := d["GameSessions"].([]any)
	if len(sessions) != 1 || str(t, sessions[0].(map[string]any), "GameSessionId") != id || str(t, sessions[0].(map[string]any), "Name") != "dusk" {
		t.Fatalf("describe-game-sessions printed %v", d)
	}
	found := cli.ok("search-game-sessions", "--fleet-id", fleetID, "--filter-expression", "gameSessionProperties.mode = 'ffa' AND hasAvailablePlayerSessions=true", "--sort-expression", "creationTimeMillis ASC")
	if l, _ := found["GameSessions"].([]any); len(l) != 1 {
		t.Errorf("search-game-sessions printed %v", found)
	}

	ps := cli.ok("create-player-sessions", "--game-session-id", id, "--player-ids", "ana", "ben", "--player-data-map", "ana=tank")
	players, _ := ps["PlayerSessions"].([]any)
	if len(players) != 2 || str(t, players[0].(map[string]any), "PlayerData") != "tank" || str(t, players[1].(map[string]any), "Status") != "RESERVED" {
		t.Errorf("create-player-sessions printed %v", ps)
	}
	_, stderr, code := cli.run(nil, "create-player-session", "--game-session-id", id, "--player-id", "cho")
	if code == 0 || !strings.Contains(stderr, "GameSessionFullException") {
		t.Errorf("a third player: exit %d, stderr %q; want GameSessionFullException", code, stderr)
	}
	_, stderr, code = cli.run(nil, "search-game-sessions", "--fleet-id", fleetID, "--filter-expression", "maximumSessions >= 'ten'")
	if code == 0 || !strings.Contains(stderr, "InvalidRequestException") || !strings.Contains(stderr, "FilterExpression: at position 19") {
		t.Errorf("bad filter: exit %d, stderr %q", code, stderr)
	}
}
