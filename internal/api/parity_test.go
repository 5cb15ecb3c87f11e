package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/rallypoint/rallypoint/internal/fleet"
)

// A parity step is one call of a scripted session. Strings in the input of
// the form "$name" are replaced by a value saved from an earlier response,
// so that the script can use the ids the node generated.
type parityStep struct {
	op    string
	in    map[string]any
	code  string            // the expected error type; "" for success
	save  map[string]string // name -> dotted path in the response
	label string            // to tell repeated operations apart
	// local, when set, runs instead of a call: what a game server process
	// does over the server SDK endpoint, played on the node's fleet
	// service (which has no control-plane operation to do it with).
	local func(t *testing.T, n *testNode, saved map[string]any)
}

// startProcess plays a game server process on a compute calling
// ProcessReady.
func startProcess(compute, processID string, port int) func(*testing.T, *testNode, map[string]any) {
	return func(t *testing.T, n *testNode, saved map[string]any) {
		t.Helper()
		ref := fleet.ProcessRef{FleetID: saved["fleet"].(string), Compute: compute, ProcessID: processID}
		if _, err := n.Fleets().ProcessReady(context.Background(), ref, fleet.ReadyInput{Port: port}); err != nil {
			t.Fatalf("ProcessReady %s: %v", ref, err)
		}
	}
}

// activateSaved plays the game server hosting the saved game session
// activating it.
func activateSaved(name string) func(*testing.T, *testNode, map[string]any) {
	return func(t *testing.T, n *testNode, saved map[string]any) {
		t.Helper()
		ctx := context.Background()
		id := saved[name].(string)
		gs, err := n.Fleets().GameSession(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Fleets().ActivateGameSession(ctx, gs.Process(), id); err != nil {
			t.Fatalf("ActivateGameSession %s: %v", id, err)
		}
	}
}

// parityScript walks every operation over a fleet's life: locations, an
// Anywhere fleet with its optional structures, its locations, computes
// with pagination, auth tokens, aliases through SIMPLE and TERMINAL
// routing, and the refusals a user meets on the way.
var parityScript = []parityStep{
	{op: "CreateLocation", in: map[string]any{"LocationName": "custom-eu-west", "Tags": []any{map[string]any{"Key": "team", "Value": "ops"}}}},
	{op: "CreateLocation", in: map[string]any{"LocationName": "custom-us-east"}},
	{op: "CreateLocation", in: map[string]any{"LocationName": "custom-eu-west"}, code: "ConflictException", label: "again"},
	{op: "ListLocations", in: map[string]any{"Filters": []any{"CUSTOM"}, "Limit": 1}, save: map[string]string{"locPage": "NextToken"}},
	{op: "ListLocations", in: map[string]any{"Filters": []any{"CUSTOM"}, "Limit": 1, "NextToken": "$locPage"}, label: "page 2"},
	{op: "ListLocations", in: map[string]any{}, label: "all"},

	{op: "CreateFleet", in: map[string]any{
		"Name": "arena", "Description": "arena servers", "ComputeType": "ANYWHERE",
		"Locations":                      []any{map[string]any{"Location": "custom-eu-west"}},
		"AnywhereConfiguration":          map[string]any{"Cost": "0.25"},
		"ResourceCreationLimitPolicy":    map[string]any{"NewGameSessionsPerCreator": 3, "PolicyPeriodInMinutes": 15},
		"NewGameSessionProtectionPolicy": "FullProtection",
		"MetricGroups":                   []any{"arena-prod"},
		"Tags":                           []any{map[string]any{"Key": "game", "Value": "arena"}},
	}, save: map[string]string{"fleet": "FleetAttributes.FleetId", "fleetArn": "FleetAttributes.FleetArn"}},
	{op: "CreateFleet", in: map[string]any{"Name": "lost", "ComputeType": "ANYWHERE", "Locations": []any{map[string]any{"Location": "custom-mars"}}}, code: "NotFoundException", label: "unknown location"},
	{op: "CreateFleet", in: map[string]any{"Name": "ec2", "ComputeType": "EC2", "Locations": []any{map[string]any{"Location": "custom-eu-west"}}}, code: "InvalidRequestException", label: "EC2"},
	{op: "DescribeFleetAttributes", in: map[string]any{"FleetIds": []any{"$fleet"}}},
	{op: "DescribeFleetAttributes", in: map[string]any{"FleetIds": []any{"$fleetArn"}}, label: "by ARN"},
	{op: "UpdateFleetAttributes", in: map[string]any{"FleetId": "$fleet", "Name": "arena-v2", "AnywhereConfiguration": map[string]any{"Cost": "1.5"},
		"ResourceCreationLimitPolicy": map[string]any{"NewGameSessionsPerCreator": 5, "PolicyPeriodInMinutes": 30}, "NewGameSessionProtectionPolicy": "NoProtection"}},
	{op: "DescribeFleetAttributes", in: map[string]any{}, label: "all after update"},
	{op: "ListFleets", in: map[string]any{"Limit": 10}},
	{op: "CreateFleetLocations", in: map[string]any{"FleetId": "$fleet", "Locations": []any{map[string]any{"Location": "custom-us-east"}}}},
	{op: "DescribeFleetLocationAttributes", in: map[string]any{"FleetId": "$fleet", "Limit": 2}, save: map[string]string{"fleetLocPage": "NextToken"}},
	{op: "DescribeFleetLocationAttributes", in: map[string]any{"FleetId": "$fleet", "Limit": 2, "NextToken": "$fleetLocPage"}, label: "page 2"},

	{op: "RegisterCompute", in: map[string]any{"FleetId": "$fleet", "ComputeName": "eu-host-1", "IpAddress": "10.0.0.5", "DnsName": "eu-host-1.example.com", "Location": "custom-eu-west"}},
	{op: "RegisterCompute", in: map[string]any{"FleetId": "$fleet", "ComputeName": "us-host-1", "IpAddress": "10.1.0.1", "Location": "custom-us-east"}},
	{op: "RegisterCompute", in: map[string]any{"FleetId": "$fleetArn", "ComputeName": "us-host-2", "IpAddress": "10.1.0.2", "Location": "custom-us-east"}, label: "by fleet ARN"},
	{op: "RegisterCompute", in: map[string]any{"FleetId": "$fleet", "ComputeName": "eu-host-1", "IpAddress": "10.0.0.6", "Location": "custom-eu-west"}, code: "ConflictException", label: "another address"},
	{op: "RegisterCompute", in: map[string]any{"FleetId": "$fleet", "ComputeName": "h", "IpAddress": "10.0.0.7", "Location": "local"}, code: "InvalidRequestException", label: "home region"},
	{op: "ListCompute", in: map[string]any{"FleetId": "$fleet", "Limit": 2}, save: map[string]string{"computePage": "NextToken"}},
	{op: "ListCompute", in: map[string]any{"FleetId": "$fleet", "Limit": 2, "NextToken": "$computePage"}, label: "page 2"},
	{op: "ListCompute", in: map[string]any{"FleetId": "$fleet", "Location": "custom-us-east"}, label: "in us-east"},
	{op: "DescribeCompute", in: map[string]any{"FleetId": "$fleet", "ComputeName": "arn:rallypoint:gamelift:local::compute/us-host-1"}},
	{op: "DescribeCompute", in: map[string]any{"FleetId": "$fleet", "ComputeName": "nope"}, code: "NotFoundException", label: "unknown"},
	{op: "DescribeFleetCapacity", in: map[string]any{"FleetIds": []any{"$fleet"}}},
	{op: "GetComputeAuthToken", in: map[string]any{"FleetId": "$fleet", "ComputeName": "eu-host-1"}},

	// Game and player sessions, on one game server process per location.
	{op: "ProcessReady", label: "eu-host-1", local: startProcess("eu-host-1", "pid-eu", 7777)},
	{op: "ProcessReady", label: "us-host-1", local: startProcess("us-host-1", "pid-us", 7778)},
	{op: "CreateGameSession", in: map[string]any{"FleetId": "$fleet", "Location": "custom-eu-west", "MaximumPlayerSessionCount": 3, "Name": "dusk",
		"GameProperties":  []any{map[string]any{"Key": "mode", "Value": "ffa"}, map[string]any{"Key": "map", "Value": "harbor"}},
		"GameSessionData": "seed=7", "CreatorId": "player-1", "IdempotencyToken": "parity-1"}, save: map[string]string{"gs1": "GameSession.GameSessionId"}},
	{op: "CreateGameSession", in: map[string]any{"FleetId": "$fleet", "Location": "custom-eu-west", "MaximumPlayerSessionCount": 3, "Name": "dusk",
		"GameProperties":  []any{map[string]any{"Key": "mode", "Value": "ffa"}, map[string]any{"Key": "map", "Value": "harbor"}},
		"GameSessionData": "seed=7", "CreatorId": "player-1", "GameSessionId": "parity-1"}, label: "repeat"},
	{op: "CreateGameSession", in: map[string]any{"FleetId": "$fleet", "Location": "custom-eu-west", "MaximumPlayerSessionCount": 4, "IdempotencyToken": "parity-1"}, code: "IdempotentParameterMismatchException", label: "token reused"},
	{op: "CreateGameSession", in: map[string]any{"FleetId": "$fleet", "MaximumPlayerSessionCount": 4}, code: "InvalidRequestException", label: "no location"},
	{op: "CreateGameSession", in: map[string]any{"FleetId": "$fleetArn", "Location": "custom-eu-west", "MaximumPlayerSessionCount": 4}, code: "FleetCapacityExceededException", label: "no idle process"},
	{op: "CreatePlayerSession", in: map[string]any{"GameSessionId": "$gs1", "PlayerId": "alice"}, code: "InvalidGameSessionStatusException", label: "activating"},
	{op: "ActivateGameSession", local: activateSaved("gs1")},
	{op: "CreatePlayerSession", in: map[string]any{"GameSessionId": "$gs1", "PlayerId": "alice", "PlayerData": "tank"}, save: map[string]string{"ps1": "PlayerSession.PlayerSessionId"}},
	{op: "CreatePlayerSessions", in: map[string]any{"GameSessionId": "$gs1", "PlayerIds": []any{"bob", "cho"}, "PlayerDataMap": map[string]any{"cho": "healer", "zed": "ignored"}}},
	{op: "CreatePlayerSession", in: map[string]any{"GameSessionId": "$gs1", "PlayerId": "dan"}, code: "GameSessionFullException", label: "full"},
	{op: "UpdateGameSession", in: map[string]any{"GameSessionId": "$gs1", "Name": "dusk-2", "MaximumPlayerSessionCount": 4, "ProtectionPolicy": "FullProtection",
		"PlayerSessionCreationPolicy": "DENY_ALL", "GameProperties": []any{map[string]any{"Key": "mode", "Value": "tdm"}, map[string]any{"Key": "rank", "Value": "gold"}}}},
	{op: "CreatePlayerSession", in: map[string]any{"GameSessionId": "$gs1", "PlayerId": "dan"}, code: "InvalidGameSessionStatusException", label: "DENY_ALL"},
	{op: "DescribeGameSessionDetails", in: map[string]any{"GameSessionId": "$gs1"}},
	{op: "CreateGameSession", in: map[string]any{"FleetId": "$fleet", "Location": "custom-us-east", "MaximumPlayerSessionCount": 2, "Name": "dawn"}, save: map[string]string{"gs2": "GameSession.GameSessionId"}, label: "us-east"},
	{op: "ActivateGameSession", local: activateSaved("gs2"), label: "us-east"},
	{op: "CreatePlayerSession", in: map[string]any{"GameSessionId": "$gs2", "PlayerId": "alice"}, label: "us-east"},
	{op: "DescribeGameSessions", in: map[string]any{"FleetId": "$fleet", "Limit": 1}, save: map[string]string{"gsPage": "NextToken"}},
	{op: "DescribeGameSessions", in: map[string]any{"FleetId": "$fleet", "Limit": 1, "NextToken": "$gsPage"}, label: "page 2"},
	{op: "DescribeGameSessions", in: map[string]any{"FleetId": "$fleet", "StatusFilter": "ACTIVE", "Location": "custom-us-east"}, label: "ACTIVE in us-east"},
	{op: "SearchGameSessions", in: map[string]any{"FleetId": "$fleet", "FilterExpression": "gameSessionProperties.mode = 'tdm' OR maximumSessions = 2", "SortExpression": "gameSessionName DESC"}},
	{op: "SearchGameSessions", in: map[string]any{"FleetId": "$fleet", "FilterExpression": "hasAvailablePlayerSessions=true", "Limit": 50}, label: "open"},
	{op: "SearchGameSessions", in: map[string]any{"FleetId": "$fleet", "FilterExpression": "maximumSessions >= 'ten'"}, code: "InvalidRequestException", label: "bad filter"},
	{op: "DescribePlayerSessions", in: map[string]any{"PlayerSessionId": "$ps1"}},
	{op: "DescribePlayerSessions", in: map[string]any{"PlayerId": "alice", "Limit": 1}, save: map[string]string{"psPage": "NextToken"}, label: "by player"},
	{op: "DescribePlayerSessions", in: map[string]any{"PlayerId": "alice", "Limit": 1, "NextToken": "$psPage"}, label: "by player, page 2"},
	{op: "DescribePlayerSessions", in: map[string]any{"GameSessionId": "$gs2", "PlayerSessionStatusFilter": "RESERVED"}, label: "by game session"},
	{op: "DescribeFleetUtilization", in: map[string]any{"FleetIds": []any{"$fleet"}}},
	{op: "TerminateGameSession", in: map[string]any{"GameSessionId": "$gs1", "TerminationMode": "FORCE_TERMINATE"}, code: "InvalidRequestException", label: "force"},
	{op: "TerminateGameSession", in: map[string]any{"GameSessionId": "$gs1", "TerminationMode": "TRIGGER_ON_PROCESS_TERMINATE"}},
	{op: "UpdateGameSession", in: map[string]any{"GameSessionId": "$gs1", "Name": "late"}, code: "InvalidGameSessionStatusException", label: "terminating"},

	{op: "CreateAlias", in: map[string]any{"Name": "live", "Description": "players land here", "RoutingStrategy": map[string]any{"Type": "SIMPLE", "FleetId": "$fleet"}}, save: map[string]string{"alias": "Alias.AliasId", "aliasArn": "Alias.AliasArn"}},
	{op: "ResolveAlias", in: map[string]any{"AliasId": "$alias"}},
	{op: "ResolveAlias", in: map[string]any{"AliasId": "$aliasArn"}, label: "by ARN"},
	{op: "UpdateAlias", in: map[string]any{"AliasId": "$alias", "Name": "maintenance", "RoutingStrategy": map[string]any{"Type": "TERMINAL", "Message": "down for maintenance"}}},
	{op: "ResolveAlias", in: map[string]any{"AliasId": "$alias"}, code: "TerminalRoutingStrategyException", label: "terminal"},
	{op: "DescribeAlias", in: map[string]any{"AliasId": "$alias"}},
	{op: "CreateAlias", in: map[string]any{"Name": "canary", "RoutingStrategy": map[string]any{"Type": "SIMPLE", "FleetId": "$fleet"}}, save: map[string]string{"alias2": "Alias.AliasId"}, label: "second"},
	// Filters keep the lists to one alias each: aliases are listed in id
	// order, and ids are random.
	{op: "ListAliases", in: map[string]any{"RoutingStrategyType": "TERMINAL"}},
	{op: "ListAliases", in: map[string]any{"Name": "canary"}, label: "by name"},

	{op: "DeleteFleet", in: map[string]any{"FleetId": "$fleet"}, code: "InvalidFleetStatusException", label: "with computes"},
	{op: "DeleteFleetLocations", in: map[string]any{"FleetId": "$fleet", "Locations": []any{"custom-us-east"}}, code: "InvalidRequestException", label: "with computes"},
	{op: "DeleteLocation", in: map[string]any{"LocationName": "custom-eu-west"}, code: "InvalidRequestException", label: "in use"},
	{op: "DeregisterCompute", in: map[string]any{"FleetId": "$fleet", "ComputeName": "us-host-1"}},
	{op: "DeregisterCompute", in: map[string]any{"FleetId": "$fleet", "ComputeName": "us-host-2"}, label: "second"},
	{op: "DeregisterCompute", in: map[string]any{"FleetId": "$fleet", "ComputeName": "us-host-2"}, code: "NotFoundException", label: "twice"},
	// The game session on a deregistered compute ended with it.
	{op: "DescribeGameSessions", in: map[string]any{"GameSessionId": "$gs2"}, label: "interrupted"},
	{op: "DescribePlayerSessions", in: map[string]any{"GameSessionId": "$gs2"}, label: "interrupted"},
	{op: "DeleteFleetLocations", in: map[string]any{"FleetId": "$fleet", "Locations": []any{"custom-us-east"}}},
	{op: "DeregisterCompute", in: map[string]any{"FleetId": "$fleet", "ComputeName": "eu-host-1"}, label: "last"},
	{op: "DeleteFleet", in: map[string]any{"FleetId": "$fleet"}},
	{op: "DescribeFleetAttributes", in: map[string]any{"FleetIds": []any{"$fleet"}}, code: "NotFoundException", label: "deleted"},
	{op: "ResolveAlias", in: map[string]any{"AliasId": "$alias2"}, code: "NotFoundException", label: "to a deleted fleet"},
	{op: "DeleteAlias", in: map[string]any{"AliasId": "$alias"}},
	{op: "DescribeAlias", in: map[string]any{"AliasId": "$alias"}, code: "NotFoundException", label: "deleted"},
	{op: "DeleteLocation", in: map[string]any{"LocationName": "arn:rallypoint:gamelift:local::location/custom-us-east"}},
	{op: "ListLocations", in: map[string]any{"Filters": []any{"CUSTOM"}}, label: "at the end"},

	// Errors that never reach the domain.
	{op: "ListLocations", in: map[string]any{"Limit": 0}, code: "InvalidRequestException", label: "limit 0"},
	{op: "CreateFleet", in: map[string]any{"ComputeType": "ANYWHERE"}, code: "InvalidRequestException", label: "no name"},
	{op: "ListAliases", in: map[string]any{"NextToken": "@@"}, code: "InvalidRequestException", label: "bad token"},
	{op: "ListCompute", in: map[string]any{"FleetId": "fleet-00000000-0000-0000-0000-000000000000"}, code: "NotFoundException", label: "unknown fleet"},
	{op: "FlyToTheMoon", in: map[string]any{}, code: "UnknownOperationException"},
}

// parityResult is what a step returned, with generated values replaced.
type parityResult struct {
	Status int
	Body   any
}

// runParityScript runs a script on a fresh node over p.
func runParityScript(t *testing.T, p protocol, script []parityStep) []parityResult {
	t.Helper()
	n := startNode(t, "")
	saved := map[string]any{}
	ids := generatedValues{publicAddr: n.PublicAddr()}
	out := make([]parityResult, 0, len(script))
	for i, s := range script {
		if s.local != nil {
			s.local(t, n, saved)
			out = append(out, parityResult{})
			continue
		}
		resp := n.call(t, p, s.op, substitute(t, s.in, saved))
		wantEncoding(t, p, resp)
		what := fmt.Sprintf("%s step %d (%s %s)", p, i, s.op, s.label)
		if got := resp.ErrorType(); got != s.code || (s.code == "" && resp.Status != http.StatusOK) {
			t.Fatalf("%s: got %d %q %s, want %q", what, resp.Status, got, resp.Raw, s.code)
		}
		if s.code != "" && resp.Header.Get("x-amzn-ErrorType") != s.code {
			t.Errorf("%s: x-amzn-ErrorType = %q", what, resp.Header.Get("x-amzn-ErrorType"))
		}
		for name, path := range s.save {
			v, ok := lookup(resp.Body, path)
			if !ok {
				t.Fatalf("%s: no %s in %s", what, path, resp.Raw)
			}
			saved[name] = v
		}
		out = append(out, parityResult{Status: resp.Status, Body: ids.replace(t, what, "", resp.Body)})
	}
	return out
}

// TestCodecParity runs one scripted session over AWS JSON 1.1 and again
// over RPC v2 CBOR, each on a fresh node, and requires the same results:
// same statuses, same error types and messages, same members with the same
// values, once the values the node generates (ids, ARNs holding them,
// timestamps, tokens) are replaced by placeholders numbered in order of
// appearance.
func TestCodecParity(t *testing.T) {
	checkCodecParity(t, parityScript)
}

// checkCodecParity runs a script over each protocol and compares the
// results.
func checkCodecParity(t *testing.T, script []parityStep) {
	t.Helper()
	results := map[protocol][]parityResult{}
	for _, p := range protocols {
		results[p] = runParityScript(t, p, script)
	}
	j, c := results[protoJSON], results[protoCBOR]
	for i, s := range script {
		if !reflect.DeepEqual(j[i], c[i]) {
			jb, _ := json.MarshalIndent(j[i], "", "  ")
			cb, _ := json.MarshalIndent(c[i], "", "  ")
			t.Errorf("step %d (%s %s) differs:\nJSON:\n%s\nCBOR:\n%s", i, s.op, s.label, jb, cb)
		}
	}
}

// substitute replaces "$name" strings in v by saved values.
func substitute(t *testing.T, v any, saved map[string]any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = substitute(t, e, saved)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = substitute(t, e, saved)
		}
		return l
	case string:
		if name, ok := strings.CutPrefix(v, "$"); ok {
			s, ok := saved[name]
			if !ok {
				t.Fatalf("script uses $%s before saving it", name)
			}
			return s
		}
	}
	return v
}

// lookup follows a dotted path of members.
func lookup(v any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// generatedIDs are the ids a node makes up: fleet-<uuid>, alias-<uuid>,
// gsess-<uuid> (in game session ARNs), and player session ids, which hold
// their fleet and game session and a random part.
var generatedIDs = regexp.MustCompile(`\b(fleet|alias|gsess)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\bpsess-[A-Za-z0-9.-]+`)

// generatedValues numbers generated ids in order of first appearance, so
// that two sessions compare equal when they refer to the same things in
// the same places.
type generatedValues struct {
	publicAddr string // the node's listener, in GameLiftServiceSdkEndpoint
	seen       map[string]string
	count      map[string]int // per kind
}

// Members whose values are generated whatever the ids: times, and opaque
// tokens.
var (
	timeMembers  = map[string]bool{"CreationTime": true, "LastUpdatedTime": true, "ExpirationTimestamp": true, "TerminationTime": true, "StartTime": true, "EndTime": true}
	tokenMembers = map[string]bool{"AuthToken": true, "NextToken": true}
)

func (g *generatedValues) replace(t *testing.T, what, member string, v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = g.replace(t, what, k, e)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = g.replace(t, what, member, e)
		}
		return l
	case float64:
		if timeMembers[member] {
			// Timestamps are epoch seconds in both encodings; a value
			// that is not one is left as is, for the diff to show.
			if v > 1e9 && v < 1e11 {
				return "{time}"
			}
		}
	case string:
		if tokenMembers[member] && v != "" {
			return "{" + member + "}"
		}
		if timeMembers[member] {
			t.Errorf("%s: %s is the string %q, want epoch seconds", what, member, v)
		}
		v = strings.ReplaceAll(v, g.publicAddr, "{public}")
		return generatedIDs.ReplaceAllStringFunc(v, func(id string) string {
			if g.seen == nil {
				g.seen, g.count = map[string]string{}, map[string]int{}
			}
			p, ok := g.seen[id]
			if !ok {
				kind, _, _ := strings.Cut(id, "-")
				g.count[kind]++
				p = fmt.Sprintf("{%s-%d}", kind, g.count[kind])
				g.seen[id] = p
			}
			return p
		})
	}
	return v
}
