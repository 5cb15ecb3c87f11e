package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// badRequest is one malformed control-plane call. body holds what to send
// for each protocol; a protocol missing from it does not apply to the case
// (a JSON syntax error has no CBOR counterpart).
type badRequest struct {
	name   string
	op     string
	body   map[protocol][]byte
	method string                              // default POST
	tweak  func(p protocol, req *http.Request) // run before signing
	status int
	code   string
	// mention are substrings the message must hold: the member at fault, or
	// what was wrong with a body that has no member to name.
	mention []string
}

// encodeFor encodes v the way a client of p would.
func encodeFor(t testing.TB, p protocol, v any) []byte {
	t.Helper()
	var b []byte
	var err error
	switch p {
	case protoJSON:
		b, err = json.Marshal(v)
	case protoCBOR:
		b, err = cbor.Marshal(v)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// both encodes v with each protocol's codec.
func both(t testing.TB, v any) map[protocol][]byte {
	return map[protocol][]byte{protoJSON: encodeFor(t, protoJSON, v), protoCBOR: encodeFor(t, protoCBOR, v)}
}

// padTo adds an unknown member to m so that its encoding with p is exactly
// size bytes. Unknown members are ignored (as AWS services do, so that old
// servers take new clients' calls), which makes the padding harmless.
func padTo(t testing.TB, p protocol, m map[string]any, size int) []byte {
	t.Helper()
	pad := 0
	for range 4 {
		m["Padding"] = strings.Repeat("x", pad)
		b := encodeFor(t, p, m)
		if len(b) == size {
			return b
		}
		// The string's length prefix grows in steps, so a few rounds settle it.
		pad += size - len(b)
	}
	t.Fatalf("cannot pad a %s body to %d bytes", p, size)
	return nil
}

// wantErrorResponse checks what every refused call must get: the status,
// the error type in the body and the x-amzn-ErrorType header, a message
// naming what was wrong, all in the encoding the request used.
func wantErrorResponse(t *testing.T, p protocol, resp rawResponse, status int, code string, mention ...string) {
	t.Helper()
	if resp.Status != status || resp.ErrorType() != code {
		t.Fatalf("got %d %s (%q), want %d %s", resp.Status, resp.ErrorType(), resp.Message(), status, code)
	}
	if h := resp.Header.Get("x-amzn-ErrorType"); h != code {
		t.Errorf("x-amzn-ErrorType = %q, body __type = %q", h, code)
	}
	wantEncoding(t, p, resp)
	msg := resp.Message()
	t.Logf("%d %s: %s", resp.Status, resp.ErrorType(), msg)
	if msg == "" {
		t.Errorf("no message")
	}
	if m, _ := resp.Body["Message"].(string); m != msg {
		t.Errorf("Message = %q, message = %q; the SDKs read one, the CLI the other", m, msg)
	}
	for _, s := range mention {
		if !strings.Contains(msg, s) {
			t.Errorf("message %q does not mention %q", msg, s)
		}
	}
	// Go's own names must not leak into what clients read.
	for _, leak := range []string{"api.", "Go ", "int32", "*string", "struct field", "primitives"} {
		if strings.Contains(msg, leak) {
			t.Errorf("message %q shows the implementation (%q)", msg, leak)
		}
	}
}

// wantEncoding checks that a response is in the request's encoding (doRaw
// has already decoded the body with it).
func wantEncoding(t *testing.T, p protocol, resp rawResponse) {
	t.Helper()
	ct := resp.Header.Get("Content-Type")
	switch p {
	case protoJSON:
		if ct != "application/x-amz-json-1.1" {
			t.Errorf("Content-Type = %q, want application/x-amz-json-1.1", ct)
		}
	case protoCBOR:
		if ct != "application/cbor" {
			t.Errorf("Content-Type = %q, want application/cbor", ct)
		}
		if sp := resp.Header.Get("smithy-protocol"); sp != "rpc-v2-cbor" {
			t.Errorf("smithy-protocol = %q, want rpc-v2-cbor", sp)
		}
	}
}

// stateOf reads everything a bad call could have changed, over JSON.
func stateOf(t *testing.T, n *testNode, fleetID string) string {
	t.Helper()
	var b strings.Builder
	for _, c := range []struct {
		op string
		in any
	}{
		{"ListLocations", map[string]any{}},
		{"ListFleets", map[string]any{}},
		{"DescribeFleetAttributes", map[string]any{}},
		{"DescribeFleetLocationAttributes", map[string]any{"FleetId": fleetID}},
		{"ListCompute", map[string]any{"FleetId": fleetID}},
		{"ListAliases", map[string]any{}},
		{"DescribeGameSessions", map[string]any{"FleetId": fleetID}},
		{"DescribeFleetUtilization", map[string]any{}},
	} {
		resp := n.call(t, protoJSON, c.op, c.in)
		if resp.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", c.op, resp.Status, resp.Raw)
		}
		b.WriteString(c.op + ": ")
		b.Write(resp.Raw)
		b.WriteString("\n")
	}
	return b.String()
}

// TestBadInput sends a table of malformed calls over both protocols. Each
// gets the right error, in the request's encoding, with a message naming
// the member at fault, and none changes anything.
func TestBadInput(t *testing.T) {
	n := startNode(t, "")
	// One resource of each kind, so that "changes nothing" covers updates
	// and deletes as well as creations.
	fleetID := seedResources(t, n)
	before := stateOf(t, n, fleetID)

	const limit = 1 << 20 // api.DefaultMaxBodyBytes
	truncated := func(v any) []byte {
		b := encodeFor(t, protoCBOR, v)
		return b[:len(b)/2]
	}
	validFleet := map[string]any{"Name": "arena", "ComputeType": "ANYWHERE", "Locations": []any{map[string]any{"Location": "custom-eu-west"}}}
	validGameSession := map[string]any{"FleetId": fleetID, "Location": "custom-eu-west", "MaximumPlayerSessionCount": 4}
	fakeGameSession := "arn:rallypoint:gamelift:local::gamesession/" + fleetID + "/gsess-1"
	with := func(base map[string]any, k string, v any) map[string]any {
		m := make(map[string]any, len(base)+1)
		for bk, bv := range base {
			m[bk] = bv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	// A CBOR map nested deeper than the decoder allows, under an unknown
	// member so that only the depth is at fault.
	deep := []byte{0xa1, 0x64, 'D', 'e', 'e', 'p'}
	for range 40 {
		deep = append(deep, 0x81) // an array of one element
	}
	deep = append(deep, 0x00)
	// encoding/json stops at 10000 levels.
	deepJSON := []byte(`{"Deep":` + strings.Repeat("[", 10001) + "0" + strings.Repeat("]", 10001) + "}")

	tests := []badRequest{
		// Bodies that are not a structure at all.
		{name: "JSON syntax error", op: "CreateFleet", body: map[protocol][]byte{protoJSON: []byte(`{"Name": "arena",}`)},
			status: 400, code: "InvalidRequestException", mention: []string{"malformed JSON"}},
		{name: "truncated JSON", op: "CreateFleet", body: map[protocol][]byte{protoJSON: []byte(`{"Name": "are`)},
			status: 400, code: "InvalidRequestException", mention: []string{"truncated"}},
		{name: "truncated CBOR", op: "CreateFleet", body: map[protocol][]byte{protoCBOR: truncated(validFleet)},
			status: 400, code: "InvalidRequestException", mention: []string{"truncated"}},
		{name: "not a map: list", op: "CreateFleet", body: both(t, []any{"arena"}),
			status: 400, code: "InvalidRequestException", mention: []string{"structure"}},
		{name: "not a map: string", op: "ListFleets", body: both(t, "arena"),
			status: 400, code: "InvalidRequestException", mention: []string{"structure"}},
		{name: "not a map: boolean", op: "ListFleets", body: both(t, true),
			status: 400, code: "InvalidRequestException", mention: []string{"structure"}},
		{name: "not a map: byte string", op: "ListFleets", body: map[protocol][]byte{protoCBOR: encodeFor(t, protoCBOR, []byte("{}"))},
			status: 400, code: "InvalidRequestException", mention: []string{"structure", "byte string"}},
		{name: "two JSON values", op: "CreateLocation", body: map[protocol][]byte{protoJSON: []byte(`{"LocationName":"custom-a1b2c3"} {}`)},
			status: 400, code: "InvalidRequestException", mention: []string{"more than one"}},
		{name: "CBOR trailing bytes", op: "CreateLocation", body: map[protocol][]byte{protoCBOR: append(encodeFor(t, protoCBOR, map[string]any{"LocationName": "custom-a1b2c3"}), 0x00)},
			status: 400, code: "InvalidRequestException", mention: []string{"malformed"}},
		{name: "JSON on the CBOR path", op: "CreateLocation", body: map[protocol][]byte{protoCBOR: []byte(`{"LocationName":"custom-a1b2c3"}`)},
			status: 400, code: "InvalidRequestException"},
		{name: "CBOR break byte alone", op: "ListFleets", body: map[protocol][]byte{protoCBOR: {0xff}},
			status: 400, code: "InvalidRequestException", mention: []string{"malformed"}},
		{name: "CBOR duplicate key", op: "CreateLocation",
			body:   map[protocol][]byte{protoCBOR: append(append([]byte{0xa2}, encodeFor(t, protoCBOR, "LocationName")...), append(encodeFor(t, protoCBOR, "custom-a1b2c3"), append(encodeFor(t, protoCBOR, "LocationName"), encodeFor(t, protoCBOR, "custom-d4e5f6")...)...)...)},
			status: 400, code: "InvalidRequestException", mention: []string{"LocationName"}},
		{name: "JSON duplicate key", op: "CreateLocation", body: map[protocol][]byte{protoJSON: []byte(`{"LocationName":"custom-a1b2c3","LocationName":"custom-d4e5f6"}`)},
			status: 400, code: "InvalidRequestException", mention: []string{"LocationName"}},
		{name: "JSON duplicate key in a nested structure", op: "CreateAlias", body: map[protocol][]byte{protoJSON: []byte(`{"Name":"x","RoutingStrategy":{"Type":"TERMINAL","Type":"SIMPLE","Message":"m"}}`)},
			status: 400, code: "InvalidRequestException", mention: []string{"Type"}},
		// Member names are case-sensitive: a member spelt otherwise is an
		// unknown member, ignored, in both protocols.
		{name: "member name in lower case", op: "CreateLocation", body: both(t, map[string]any{"locationname": "custom-lower"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'locationName'", "not be null"}},
		{name: "optional member in lower case is ignored", op: "ListLocations", body: both(t, map[string]any{"limit": 0, "NextToken": nil}),
			status: 200},
		{name: "CBOR byte-string key", op: "CreateAlias",
			// {"Name": "a", "RoutingStrategy": {h'54797065': "TERMINAL"}}
			body:   map[protocol][]byte{protoCBOR: append(append([]byte{0xa2}, encodeFor(t, protoCBOR, "Name")...), append(encodeFor(t, protoCBOR, "a"), append(append(encodeFor(t, protoCBOR, "RoutingStrategy"), 0xa1), append(encodeFor(t, protoCBOR, []byte("Type")), encodeFor(t, protoCBOR, "TERMINAL")...)...)...)...)},
			status: 400, code: "InvalidRequestException", mention: []string{"RoutingStrategy", "member names", "byte string"}},
		{name: "CBOR invalid UTF-8", op: "CreateLocation", body: map[protocol][]byte{protoCBOR: append(append([]byte{0xa1}, encodeFor(t, protoCBOR, "LocationName")...), 0x68, 'c', 'u', 's', 't', 'o', 'm', '-', 0xff)},
			status: 400, code: "InvalidRequestException", mention: []string{"UTF-8"}},
		{name: "nested too deep", op: "ListFleets", body: map[protocol][]byte{protoCBOR: deep, protoJSON: deepJSON},
			status: 400, code: "InvalidRequestException", mention: []string{"exceeded max"}},

		// Members of the wrong type.
		{name: "Name a number", op: "CreateFleet", body: both(t, with(validFleet, "Name", 5)),
			status: 400, code: "InvalidRequestException", mention: []string{"Name", "string"}},
		{name: "Locations a string", op: "CreateFleet", body: both(t, with(validFleet, "Locations", "x")),
			status: 400, code: "InvalidRequestException", mention: []string{"Locations", "list"}},
		{name: "Location a number", op: "CreateFleet", body: both(t, with(validFleet, "Locations", []any{map[string]any{"Location": 5}})),
			status: 400, code: "InvalidRequestException", mention: []string{"Locations", "Location", "string"}},
		{name: "Limit a string", op: "ListLocations", body: both(t, map[string]any{"Limit": "ten"}),
			status: 400, code: "InvalidRequestException", mention: []string{"Limit", "integer"}},
		{name: "Limit a fraction", op: "ListLocations", body: both(t, map[string]any{"Limit": 1.5}),
			status: 400, code: "InvalidRequestException", mention: []string{"Limit"}},
		{name: "Limit beyond int32", op: "ListFleets", body: both(t, map[string]any{"Limit": int64(1) << 31}),
			status: 400, code: "InvalidRequestException", mention: []string{"Limit"}},
		{name: "policy a list", op: "CreateFleet", body: both(t, with(validFleet, "ResourceCreationLimitPolicy", []any{1})),
			status: 400, code: "InvalidRequestException", mention: []string{"ResourceCreationLimitPolicy", "structure"}},
		{name: "policy member a string", op: "UpdateFleetAttributes", body: both(t, map[string]any{"FleetId": fleetID, "ResourceCreationLimitPolicy": map[string]any{"PolicyPeriodInMinutes": "x"}}),
			status: 400, code: "InvalidRequestException", mention: []string{"PolicyPeriodInMinutes", "integer"}},
		{name: "Tags a map", op: "CreateAlias", body: both(t, map[string]any{"Name": "a", "RoutingStrategy": map[string]any{"Type": "TERMINAL", "Message": "m"}, "Tags": map[string]any{"k": "v"}}),
			status: 400, code: "InvalidRequestException", mention: []string{"Tags", "list"}},

		// Size, routing and method.
		{name: "body over 1 MiB", op: "CreateLocation",
			body:   map[protocol][]byte{protoJSON: padTo(t, protoJSON, map[string]any{"LocationName": "custom-big"}, limit+1), protoCBOR: padTo(t, protoCBOR, map[string]any{"LocationName": "custom-big"}, limit+1)},
			status: 413, code: "RequestEntityTooLargeException", mention: []string{"1048576"}},
		{name: "unknown operation", op: "LaunchRockets", body: both(t, map[string]any{}),
			status: 400, code: "UnknownOperationException", mention: []string{"LaunchRockets"}},
		{name: "no operation", op: "", body: map[protocol][]byte{protoJSON: []byte(`{}`)},
			status: 400, code: "UnknownOperationException", mention: []string{"X-Amz-Target"}},
		{name: "no operation in the path", op: "", body: map[protocol][]byte{protoCBOR: encodeFor(t, protoCBOR, map[string]any{})},
			status: 400, code: "UnknownOperationException", mention: []string{"/service/GameLift/operation/<Operation>"}},
		{name: "operation path with a suffix", op: "ListFleets/extra", body: map[protocol][]byte{protoCBOR: encodeFor(t, protoCBOR, map[string]any{})},
			status: 400, code: "UnknownOperationException", mention: []string{"ListFleets/extra"}},
		{name: "no X-Amz-Target", op: "ListFleets", body: map[protocol][]byte{protoJSON: []byte(`{}`)},
			tweak:  func(_ protocol, r *http.Request) { r.Header.Del("X-Amz-Target") },
			status: 400, code: "UnknownOperationException", mention: []string{"X-Amz-Target"}},
		{name: "another service's target", op: "ListFleets", body: map[protocol][]byte{protoJSON: []byte(`{}`)},
			tweak:  func(_ protocol, r *http.Request) { r.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables") },
			status: 400, code: "UnknownOperationException", mention: []string{"X-Amz-Target"}},
		{name: "GET", op: "ListFleets", body: both(t, map[string]any{}), method: http.MethodGet,
			status: 405, code: "MethodNotAllowedException", mention: []string{"POST"}},

		// Lengths.
		{name: "LocationName 65 characters", op: "CreateLocation", body: both(t, map[string]any{"LocationName": "custom-" + strings.Repeat("a", 58)}),
			status: 400, code: "InvalidRequestException", mention: []string{"'locationName'", "less than or equal to 64"}},
		{name: "fleet Name 1025 characters", op: "CreateFleet", body: both(t, with(validFleet, "Name", strings.Repeat("n", 1025))),
			status: 400, code: "InvalidRequestException", mention: []string{"'name'", "less than or equal to 1024"}},
		{name: "fleet Name empty", op: "CreateFleet", body: both(t, with(validFleet, "Name", "")),
			status: 400, code: "InvalidRequestException", mention: []string{"'name'", "greater than or equal to 1"}},
		{name: "NextToken 1025 characters", op: "ListLocations", body: both(t, map[string]any{"NextToken": strings.Repeat("A", 1025)}),
			status: 400, code: "InvalidRequestException", mention: []string{"'nextToken'"}},
		{name: "tag key too long", op: "CreateLocation", body: both(t, map[string]any{"LocationName": "custom-tagged", "Tags": []any{map[string]any{"Key": strings.Repeat("k", 129), "Value": "v"}}}),
			status: 400, code: "InvalidRequestException", mention: []string{"'tags.1.member.key'"}},

		// Missing members.
		{name: "CreateFleet without Name", op: "CreateFleet", body: both(t, with(validFleet, "Name", nil)),
			status: 400, code: "InvalidRequestException", mention: []string{"'name'", "not be null"}},
		{name: "CreateFleet empty body", op: "CreateFleet", body: map[protocol][]byte{protoJSON: nil, protoCBOR: nil},
			status: 400, code: "InvalidRequestException", mention: []string{"'name'", "not be null"}},
		{name: "RegisterCompute without ComputeName", op: "RegisterCompute", body: both(t, map[string]any{"FleetId": fleetID, "IpAddress": "10.0.0.9", "Location": "custom-eu-west"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'computeName'", "not be null"}},
		{name: "CreateFleetLocations without Locations", op: "CreateFleetLocations", body: both(t, map[string]any{"FleetId": fleetID}),
			status: 400, code: "InvalidRequestException", mention: []string{"'locations'", "not be null"}},
		{name: "CreateAlias without RoutingStrategy", op: "CreateAlias", body: both(t, map[string]any{"Name": "live-2"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'routingStrategy'"}},
		{name: "DeleteFleet without FleetId", op: "DeleteFleet", body: both(t, map[string]any{}),
			status: 400, code: "InvalidRequestException", mention: []string{"'fleetId'"}},
		{name: "tag without Key", op: "CreateLocation", body: both(t, map[string]any{"LocationName": "custom-tagged", "Tags": []any{map[string]any{"Value": "v"}}}),
			status: 400, code: "InvalidRequestException", mention: []string{"'tags.1.member.key'", "not be null"}},
		{name: "several failures", op: "RegisterCompute", body: both(t, map[string]any{}),
			status: 400, code: "InvalidRequestException", mention: []string{"2 validation errors", "'fleetId'", "'computeName'"}},

		// Values out of range, enums and patterns.
		{name: "Limit 0", op: "ListLocations", body: both(t, map[string]any{"Limit": 0}),
			status: 400, code: "InvalidRequestException", mention: []string{"'limit'", "greater than or equal to 1"}},
		{name: "Limit 201", op: "ListLocations", body: both(t, map[string]any{"Limit": 201}),
			status: 400, code: "InvalidRequestException", mention: []string{"'limit'", "less than or equal to 200"}},
		{name: "Limit negative", op: "ListAliases", body: both(t, map[string]any{"Limit": -1}),
			status: 400, code: "InvalidRequestException", mention: []string{"'limit'"}},
		{name: "policy period negative", op: "CreateFleet", body: both(t, with(validFleet, "ResourceCreationLimitPolicy", map[string]any{"PolicyPeriodInMinutes": -5})),
			status: 400, code: "InvalidRequestException", mention: []string{"'resourceCreationLimitPolicy.policyPeriodInMinutes'"}},
		{name: "ComputeType GPU", op: "CreateFleet", body: both(t, with(validFleet, "ComputeType", "GPU")),
			status: 400, code: "InvalidRequestException", mention: []string{"'computeType'", "ANYWHERE"}},
		{name: "routing type unknown", op: "CreateAlias", body: both(t, map[string]any{"Name": "live-2", "RoutingStrategy": map[string]any{"Type": "ROUND_ROBIN"}}),
			status: 400, code: "InvalidRequestException", mention: []string{"'routingStrategy.type'"}},
		{name: "location filter unknown", op: "ListLocations", body: both(t, map[string]any{"Filters": []any{"MARS"}}),
			status: 400, code: "InvalidRequestException", mention: []string{"'filters.member'"}},
		{name: "LocationName eu-west", op: "CreateLocation", body: both(t, map[string]any{"LocationName": "eu-west"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'locationName'", "greater than or equal to 8"}},
		{name: "LocationName without custom-", op: "CreateLocation", body: both(t, map[string]any{"LocationName": "eu-west-1x"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'locationName'", "pattern"}},
		{name: "LocationName with a space", op: "CreateLocation", body: both(t, map[string]any{"LocationName": "custom-eu west"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'locationName'", "pattern"}},
		{name: "LocationName with a dot", op: "CreateLocation", body: both(t, map[string]any{"LocationName": "custom-eu.west"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'locationName'", "pattern"}},
		{name: "ComputeName with a wildcard", op: "RegisterCompute", body: both(t, map[string]any{"FleetId": fleetID, "ComputeName": "host*", "IpAddress": "10.0.0.9", "Location": "custom-eu-west"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'computeName'", "pattern"}},
		{name: "ComputeName with a dot", op: "RegisterCompute", body: both(t, map[string]any{"FleetId": fleetID, "ComputeName": "host.1", "IpAddress": "10.0.0.9", "Location": "custom-eu-west"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'computeName'", "pattern"}},
		{name: "IpAddress with a suffix", op: "RegisterCompute", body: both(t, map[string]any{"FleetId": fleetID, "ComputeName": "host-2", "IpAddress": "10.0.0.9; x", "Location": "custom-eu-west"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'ipAddress'", "pattern"}},
		{name: "FleetId abc", op: "DeleteFleet", body: both(t, map[string]any{"FleetId": "abc"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'fleetId'", "pattern"}},
		{name: "FleetIds element abc", op: "DescribeFleetAttributes", body: both(t, map[string]any{"FleetIds": []any{"abc"}}),
			status: 400, code: "InvalidRequestException", mention: []string{"'fleetIds.1.member'", "pattern"}},
		{name: "AliasId not an alias", op: "DeleteAlias", body: both(t, map[string]any{"AliasId": fleetID}),
			status: 400, code: "InvalidRequestException", mention: []string{"'aliasId'"}},
		{name: "cost not a number", op: "UpdateFleetAttributes", body: both(t, map[string]any{"FleetId": fleetID, "AnywhereConfiguration": map[string]any{"Cost": "free"}}),
			status: 400, code: "InvalidRequestException", mention: []string{"'anywhereConfiguration.cost'"}},
		{name: "IpAddress not an address", op: "RegisterCompute", body: both(t, map[string]any{"FleetId": fleetID, "ComputeName": "host-2", "IpAddress": "ten.zero", "Location": "custom-eu-west"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'ipAddress'"}},
		{name: "NextToken not ours", op: "ListLocations", body: both(t, map[string]any{"NextToken": "!!not-a-token!!"}),
			status: 400, code: "InvalidRequestException", mention: []string{"NextToken"}},
		{name: "ListCompute NextToken not ours", op: "ListCompute", body: both(t, map[string]any{"FleetId": fleetID, "NextToken": "%%%"}),
			status: 400, code: "InvalidRequestException", mention: []string{"NextToken"}},

		// Game sessions.
		{name: "CreateGameSession without MaximumPlayerSessionCount", op: "CreateGameSession", body: both(t, with(validGameSession, "MaximumPlayerSessionCount", nil)),
			status: 400, code: "InvalidRequestException", mention: []string{"'maximumPlayerSessionCount'", "not be null"}},
		{name: "CreateGameSession MaximumPlayerSessionCount negative", op: "CreateGameSession", body: both(t, with(validGameSession, "MaximumPlayerSessionCount", -1)),
			status: 400, code: "InvalidRequestException", mention: []string{"'maximumPlayerSessionCount'", "greater than or equal to 0"}},
		{name: "CreateGameSession MaximumPlayerSessionCount a string", op: "CreateGameSession", body: both(t, with(validGameSession, "MaximumPlayerSessionCount", "4")),
			status: 400, code: "InvalidRequestException", mention: []string{"MaximumPlayerSessionCount", "integer"}},
		{name: "CreateGameSession with neither fleet nor alias", op: "CreateGameSession", body: both(t, with(validGameSession, "FleetId", nil)),
			status: 400, code: "InvalidRequestException", mention: []string{"exactly one", "'fleetId'", "'aliasId'"}},
		{name: "CreateGameSession with fleet and alias", op: "CreateGameSession", body: both(t, with(validGameSession, "AliasId", "alias-00000000-0000-0000-0000-000000000000")),
			status: 400, code: "InvalidRequestException", mention: []string{"exactly one", "'fleetId'", "'aliasId'", "got 2"}},
		{name: "CreateGameSession 17 properties", op: "CreateGameSession", body: both(t, with(validGameSession, "GameProperties", manyProperties(17))),
			status: 400, code: "InvalidRequestException", mention: []string{"'gameProperties'", "less than or equal to 16"}},
		{name: "game property key 33 characters", op: "CreateGameSession", body: both(t, with(validGameSession, "GameProperties", []any{map[string]any{"Key": strings.Repeat("k", 33), "Value": "v"}})),
			status: 400, code: "InvalidRequestException", mention: []string{"'gameProperties.1.member.key'", "less than or equal to 32"}},
		{name: "game property value 97 characters", op: "CreateGameSession", body: both(t, with(validGameSession, "GameProperties", []any{map[string]any{"Key": "k", "Value": strings.Repeat("v", 97)}})),
			status: 400, code: "InvalidRequestException", mention: []string{"'gameProperties.1.member.value'", "less than or equal to 96"}},
		{name: "game property without a value", op: "CreateGameSession", body: both(t, with(validGameSession, "GameProperties", []any{map[string]any{"Key": "k"}})),
			status: 400, code: "InvalidRequestException", mention: []string{"'gameProperties.1.member.value'", "not be null"}},
		{name: "GameProperties a map", op: "CreateGameSession", body: both(t, with(validGameSession, "GameProperties", map[string]any{"mode": "ffa"})),
			status: 400, code: "InvalidRequestException", mention: []string{"GameProperties", "list"}},
		{name: "GameSessionData over 262144 characters", op: "CreateGameSession", body: both(t, with(validGameSession, "GameSessionData", strings.Repeat("d", 262145))),
			status: 400, code: "InvalidRequestException", mention: []string{"'gameSessionData'", "less than or equal to 262144"}},
		{name: "IdempotencyToken with an underscore", op: "CreateGameSession", body: both(t, with(validGameSession, "IdempotencyToken", "match_42")),
			status: 400, code: "InvalidRequestException", mention: []string{"'idempotencyToken'", "pattern"}},
		{name: "IdempotencyToken 49 characters", op: "CreateGameSession", body: both(t, with(validGameSession, "IdempotencyToken", strings.Repeat("t", 49))),
			status: 400, code: "InvalidRequestException", mention: []string{"'idempotencyToken'", "less than or equal to 48"}},
		{name: "GameSessionId token with a slash", op: "CreateGameSession", body: both(t, with(validGameSession, "GameSessionId", "a/b")),
			status: 400, code: "InvalidRequestException", mention: []string{"'gameSessionId'", "pattern"}},
		{name: "CreatorId empty", op: "CreateGameSession", body: both(t, with(validGameSession, "CreatorId", "")),
			status: 400, code: "InvalidRequestException", mention: []string{"'creatorId'"}},
		{name: "game session Location with a space", op: "CreateGameSession", body: both(t, with(validGameSession, "Location", "custom-eu west")),
			status: 400, code: "InvalidRequestException", mention: []string{"'location'", "pattern"}},
		{name: "DescribeGameSessions without a scope", op: "DescribeGameSessions", body: both(t, map[string]any{"StatusFilter": "ACTIVE"}),
			status: 400, code: "InvalidRequestException", mention: []string{"exactly one", "'gameSessionId'"}},
		{name: "StatusFilter unknown", op: "DescribeGameSessions", body: both(t, map[string]any{"FleetId": fleetID, "StatusFilter": "RUNNING"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'statusFilter'", "ACTIVE"}},
		{name: "DescribeGameSessionDetails GameSessionId with a space", op: "DescribeGameSessionDetails", body: both(t, map[string]any{"GameSessionId": "arn:x y"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'gameSessionId'", "pattern"}},
		{name: "DescribeGameSessions Limit 0", op: "DescribeGameSessions", body: both(t, map[string]any{"FleetId": fleetID, "Limit": 0}),
			status: 400, code: "InvalidRequestException", mention: []string{"'limit'"}},
		{name: "DescribeGameSessions NextToken not ours", op: "DescribeGameSessions", body: both(t, map[string]any{"FleetId": fleetID, "NextToken": "~~"}),
			status: 400, code: "InvalidRequestException", mention: []string{"NextToken"}},
		{name: "UpdateGameSession without GameSessionId", op: "UpdateGameSession", body: both(t, map[string]any{"Name": "x"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'gameSessionId'", "not be null"}},
		{name: "PlayerSessionCreationPolicy unknown", op: "UpdateGameSession", body: both(t, map[string]any{"GameSessionId": fakeGameSession, "PlayerSessionCreationPolicy": "SOME"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'playerSessionCreationPolicy'", "DENY_ALL"}},
		{name: "game session ProtectionPolicy unknown", op: "UpdateGameSession", body: both(t, map[string]any{"GameSessionId": fakeGameSession, "ProtectionPolicy": "Partial"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'protectionPolicy'"}},
		{name: "TerminateGameSession without TerminationMode", op: "TerminateGameSession", body: both(t, map[string]any{"GameSessionId": fakeGameSession}),
			status: 400, code: "InvalidRequestException", mention: []string{"'terminationMode'", "not be null"}},
		{name: "TerminationMode unknown", op: "TerminateGameSession", body: both(t, map[string]any{"GameSessionId": fakeGameSession, "TerminationMode": "NOW"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'terminationMode'", "FORCE_TERMINATE"}},
		{name: "SearchGameSessions without a scope", op: "SearchGameSessions", body: both(t, map[string]any{}),
			status: 400, code: "InvalidRequestException", mention: []string{"exactly one", "'fleetId'", "'aliasId'"}},
		{name: "FilterExpression empty", op: "SearchGameSessions", body: both(t, map[string]any{"FleetId": fleetID, "FilterExpression": ""}),
			status: 400, code: "InvalidRequestException", mention: []string{"'filterExpression'", "greater than or equal to 1"}},
		{name: "SortExpression 1025 characters", op: "SearchGameSessions", body: both(t, map[string]any{"FleetId": fleetID, "SortExpression": strings.Repeat("s", 1025)}),
			status: 400, code: "InvalidRequestException", mention: []string{"'sortExpression'", "less than or equal to 1024"}},
		{name: "FilterExpression malformed", op: "SearchGameSessions", body: both(t, map[string]any{"FleetId": fleetID, "FilterExpression": "maximumSessions >= 'ten'"}),
			status: 400, code: "InvalidRequestException", mention: []string{"FilterExpression: at position 19"}},
		{name: "SortExpression malformed", op: "SearchGameSessions", body: both(t, map[string]any{"FleetId": fleetID, "SortExpression": "maximumSessions"}),
			status: 400, code: "InvalidRequestException", mention: []string{"SortExpression: at position"}},
		{name: "SearchGameSessions Limit 0", op: "SearchGameSessions", body: both(t, map[string]any{"FleetId": fleetID, "Limit": 0}),
			status: 400, code: "InvalidRequestException", mention: []string{"'limit'"}},

		// Player sessions.
		{name: "CreatePlayerSession without PlayerId", op: "CreatePlayerSession", body: both(t, map[string]any{"GameSessionId": fakeGameSession}),
			status: 400, code: "InvalidRequestException", mention: []string{"'playerId'", "not be null"}},
		{name: "CreatePlayerSession without GameSessionId", op: "CreatePlayerSession", body: both(t, map[string]any{"PlayerId": "p1"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'gameSessionId'", "not be null"}},
		{name: "PlayerData 2049 characters", op: "CreatePlayerSession", body: both(t, map[string]any{"GameSessionId": fakeGameSession, "PlayerId": "p1", "PlayerData": strings.Repeat("d", 2049)}),
			status: 400, code: "InvalidRequestException", mention: []string{"'playerData'", "less than or equal to 2048"}},
		{name: "PlayerId empty", op: "CreatePlayerSession", body: both(t, map[string]any{"GameSessionId": fakeGameSession, "PlayerId": ""}),
			status: 400, code: "InvalidRequestException", mention: []string{"'playerId'", "greater than or equal to 1"}},
		{name: "CreatePlayerSessions without PlayerIds", op: "CreatePlayerSessions", body: both(t, map[string]any{"GameSessionId": fakeGameSession}),
			status: 400, code: "InvalidRequestException", mention: []string{"'playerIds'", "not be null"}},
		{name: "PlayerIds empty", op: "CreatePlayerSessions", body: both(t, map[string]any{"GameSessionId": fakeGameSession, "PlayerIds": []any{}}),
			status: 400, code: "InvalidRequestException", mention: []string{"'playerIds'", "greater than or equal to 1"}},
		{name: "PlayerIds 26", op: "CreatePlayerSessions", body: both(t, map[string]any{"GameSessionId": fakeGameSession, "PlayerIds": manyStrings(26)}),
			status: 400, code: "InvalidRequestException", mention: []string{"'playerIds'", "less than or equal to 25"}},
		{name: "PlayerIds element empty", op: "CreatePlayerSessions", body: both(t, map[string]any{"GameSessionId": fakeGameSession, "PlayerIds": []any{"p1", ""}}),
			status: 400, code: "InvalidRequestException", mention: []string{"'playerIds.2.member'"}},
		{name: "PlayerIds a string", op: "CreatePlayerSessions", body: both(t, map[string]any{"GameSessionId": fakeGameSession, "PlayerIds": "p1"}),
			status: 400, code: "InvalidRequestException", mention: []string{"PlayerIds", "list"}},
		{name: "PlayerDataMap value a number", op: "CreatePlayerSessions", body: both(t, map[string]any{"GameSessionId": fakeGameSession, "PlayerIds": []any{"p1"}, "PlayerDataMap": map[string]any{"p1": 5}}),
			status: 400, code: "InvalidRequestException", mention: []string{"PlayerDataMap", "string"}},
		{name: "PlayerDataMap value 2049 characters", op: "CreatePlayerSessions", body: both(t, map[string]any{"GameSessionId": fakeGameSession, "PlayerIds": []any{"p1"}, "PlayerDataMap": map[string]any{"p1": strings.Repeat("d", 2049)}}),
			status: 400, code: "InvalidRequestException", mention: []string{"'playerDataMap'", "less than or equal to 2048"}},
		{name: "DescribePlayerSessions without a key", op: "DescribePlayerSessions", body: both(t, map[string]any{"Limit": 5}),
			status: 400, code: "InvalidRequestException", mention: []string{"'playerSessionId'", "'gameSessionId'", "'playerId'"}},
		{name: "PlayerSessionId not a player session", op: "DescribePlayerSessions", body: both(t, map[string]any{"PlayerSessionId": "gsess-1"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'playerSessionId'", "pattern"}},
		{name: "PlayerSessionStatusFilter unknown", op: "DescribePlayerSessions", body: both(t, map[string]any{"GameSessionId": fakeGameSession, "PlayerSessionStatusFilter": "GONE"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'playerSessionStatusFilter'", "TIMEDOUT"}},

		// Utilization.
		{name: "DescribeFleetUtilization FleetIds empty", op: "DescribeFleetUtilization", body: both(t, map[string]any{"FleetIds": []any{}}),
			status: 400, code: "InvalidRequestException", mention: []string{"'fleetIds'", "greater than or equal to 1"}},
		{name: "DescribeFleetUtilization FleetIds element abc", op: "DescribeFleetUtilization", body: both(t, map[string]any{"FleetIds": []any{"abc"}}),
			status: 400, code: "InvalidRequestException", mention: []string{"'fleetIds.1.member'", "pattern"}},
		{name: "DescribeFleetUtilization NextToken not ours", op: "DescribeFleetUtilization", body: both(t, map[string]any{"NextToken": "%%%"}),
			status: 400, code: "InvalidRequestException", mention: []string{"NextToken"}},

		// Queues and placements: members the SDK requires, so that only a
		// raw call can leave them out, and members of the wrong type.
		{name: "CreateGameSessionQueue without Name", op: "CreateGameSessionQueue", body: both(t, map[string]any{"TimeoutInSeconds": 60}),
			status: 400, code: "InvalidRequestException", mention: []string{"'name'", "not be null"}},
		{name: "UpdateGameSessionQueue without Name", op: "UpdateGameSessionQueue", body: both(t, map[string]any{"TimeoutInSeconds": 60}),
			status: 400, code: "InvalidRequestException", mention: []string{"'name'", "not be null"}},
		{name: "DeleteGameSessionQueue without Name", op: "DeleteGameSessionQueue", body: both(t, map[string]any{}),
			status: 400, code: "InvalidRequestException", mention: []string{"'name'", "not be null"}},
		{name: "queue tag without a value", op: "CreateGameSessionQueue", body: both(t, map[string]any{"Name": "q", "Tags": []any{map[string]any{"Key": "k"}}}),
			status: 400, code: "InvalidRequestException", mention: []string{"'tags.1.member.value'", "not be null"}},
		{name: "TimeoutInSeconds a string", op: "CreateGameSessionQueue", body: both(t, map[string]any{"Name": "q", "TimeoutInSeconds": "60"}),
			status: 400, code: "InvalidRequestException", mention: []string{"TimeoutInSeconds", "integer"}},
		{name: "Destinations a string", op: "CreateGameSessionQueue", body: both(t, map[string]any{"Name": "q", "Destinations": "fleet-1"}),
			status: 400, code: "InvalidRequestException", mention: []string{"Destinations", "list"}},
		{name: "PriorityOrder a map", op: "UpdateGameSessionQueue", body: both(t, map[string]any{"Name": "q", "PriorityConfiguration": map[string]any{"PriorityOrder": map[string]any{"LATENCY": 1}}}),
			status: 400, code: "InvalidRequestException", mention: []string{"PriorityOrder", "list"}},
		{name: "FilterConfiguration a list", op: "UpdateGameSessionQueue", body: both(t, map[string]any{"Name": "q", "FilterConfiguration": []any{"custom-eu-west"}}),
			status: 400, code: "InvalidRequestException", mention: []string{"FilterConfiguration", "structure"}},
		{name: "StartGameSessionPlacement without PlacementId", op: "StartGameSessionPlacement", body: both(t, map[string]any{"GameSessionQueueName": "q", "MaximumPlayerSessionCount": 4}),
			status: 400, code: "InvalidRequestException", mention: []string{"'placementId'", "not be null"}},
		{name: "StartGameSessionPlacement without GameSessionQueueName", op: "StartGameSessionPlacement", body: both(t, map[string]any{"PlacementId": "p1", "MaximumPlayerSessionCount": 4}),
			status: 400, code: "InvalidRequestException", mention: []string{"'gameSessionQueueName'", "not be null"}},
		{name: "StartGameSessionPlacement without MaximumPlayerSessionCount", op: "StartGameSessionPlacement", body: both(t, map[string]any{"PlacementId": "p1", "GameSessionQueueName": "q"}),
			status: 400, code: "InvalidRequestException", mention: []string{"'maximumPlayerSessionCount'", "not be null"}},
		{name: "override without LocationOrder", op: "StartGameSessionPlacement", body: both(t, map[string]any{"PlacementId": "p1", "GameSessionQueueName": "q", "MaximumPlayerSessionCount": 4, "PriorityConfigurationOverride": map[string]any{"PlacementFallbackStrategy": "NONE"}}),
			status: 400, code: "InvalidRequestException", mention: []string{"'priorityConfigurationOverride.locationOrder'", "not be null"}},
		{name: "LatencyInMilliseconds a string", op: "StartGameSessionPlacement", body: both(t, map[string]any{"PlacementId": "p1", "GameSessionQueueName": "q", "MaximumPlayerSessionCount": 4, "PlayerLatencies": []any{map[string]any{"PlayerId": "a", "RegionIdentifier": "custom-eu-west", "LatencyInMilliseconds": "20"}}}),
			status: 400, code: "InvalidRequestException", mention: []string{"PlayerLatencies", "LatencyInMilliseconds", "number"}},
		{name: "DesiredPlayerSessions a map", op: "StartGameSessionPlacement", body: both(t, map[string]any{"PlacementId": "p1", "GameSessionQueueName": "q", "MaximumPlayerSessionCount": 4, "DesiredPlayerSessions": map[string]any{"a": "tank"}}),
			status: 400, code: "InvalidRequestException", mention: []string{"DesiredPlayerSessions", "list"}},
		{name: "DescribeGameSessionPlacement without PlacementId", op: "DescribeGameSessionPlacement", body: both(t, map[string]any{}),
			status: 400, code: "InvalidRequestException", mention: []string{"'placementId'", "not be null"}},
		{name: "StopGameSessionPlacement without PlacementId", op: "StopGameSessionPlacement", body: both(t, map[string]any{}),
			status: 400, code: "InvalidRequestException", mention: []string{"'placementId'", "not be null"}},
	}

	for _, tc := range tests {
		for _, p := range protocols {
			body, ok := tc.body[p]
			if !ok {
				continue
			}
			t.Run(tc.name+"/"+string(p), func(t *testing.T) {
				req := newProtocolRequest(t, n.adminURL(), p, tc.op, body)
				if tc.method != "" {
					req.Method = tc.method
				}
				if tc.tweak != nil {
					tc.tweak(p, req)
				}
				signRequest(t, req, body, testKey, time.Now())
				resp := doRaw(t, req, p)
				if tc.status == http.StatusOK {
					// Inputs the decoder must take although they look odd.
					if resp.Status != http.StatusOK {
						t.Fatalf("got %d %s %q, want 200", resp.Status, resp.ErrorType(), resp.Message())
					}
					wantEncoding(t, p, resp)
					return
				}
				wantErrorResponse(t, p, resp, tc.status, tc.code, tc.mention...)
			})
		}
	}

	if after := stateOf(t, n, fleetID); after != before {
		t.Errorf("bad calls changed the state:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// TestBodyAtTheLimit checks the boundary of the body size bound: exactly
// the limit is served, one byte more is refused (TestBadInput).
func TestBodyAtTheLimit(t *testing.T) {
	n := startNode(t, "")
	for _, p := range protocols {
		body := padTo(t, p, map[string]any{"Limit": 5}, 1<<20)
		resp := n.callRaw(t, p, "ListLocations", body, true)
		if resp.Status != http.StatusOK {
			t.Errorf("%s: a body of exactly 1 MiB got %d %s", p, resp.Status, resp.ErrorType())
		}
		if !bytes.Contains(resp.Raw, []byte("local")) {
			t.Errorf("%s: %s", p, resp.Raw)
		}
	}
}

// seedResources creates a location, an Anywhere fleet in it with a
// registered compute, and an alias to the fleet, and returns the fleet id.
func seedResources(t *testing.T, n *testNode) string {
	t.Helper()
	must := func(op string, in any) rawResponse {
		t.Helper()
		resp := n.call(t, protoJSON, op, in)
		if resp.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", op, resp.Status, resp.Raw)
		}
		return resp
	}
	must("CreateLocation", map[string]any{"LocationName": "custom-eu-west"})
	f := must("CreateFleet", map[string]any{"Name": "arena", "ComputeType": "ANYWHERE", "Locations": []any{map[string]any{"Location": "custom-eu-west"}}})
	fleetID, _ := f.Body["FleetAttributes"].(map[string]any)["FleetId"].(string)
	must("RegisterCompute", map[string]any{"FleetId": fleetID, "ComputeName": "host-1", "IpAddress": "10.0.0.5", "Location": "custom-eu-west"})
	must("CreateAlias", map[string]any{"Name": "live", "RoutingStrategy": map[string]any{"Type": "SIMPLE", "FleetId": fleetID}})
	return fleetID
}

// manyProperties is n distinct game properties.
func manyProperties(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"Key": fmt.Sprintf("k%d", i), "Value": "v"}
	}
	return out
}

// manyStrings is n distinct player ids.
func manyStrings(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = fmt.Sprintf("p%d", i)
	}
	return out
}
