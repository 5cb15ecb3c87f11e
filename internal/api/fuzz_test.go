package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
	"github.com/rallypoint/rallypoint/internal/events"
	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/matchmaking"
	"github.com/rallypoint/rallypoint/internal/placement"
)

// The fuzz targets feed arbitrary bytes to the request decoding of both
// codecs and to the whole handler. Whatever comes in, nothing panics and
// every refusal is a well-formed error in the request's encoding.

// decodeOnly is an operation that stops after decoding and validating its
// input: what a handler may rely on when it runs.
func decodeOnly[In any]() operation {
	return op(func(context.Context, *In) (*struct{}, error) { return nil, nil })
}

// fuzzInput is an operation's input type and its decoding.
type fuzzInput struct {
	name   string
	decode operation
	typ    reflect.Type
}

// fuzzInputs are the operation inputs the decoding targets exercise, by
// index (a fuzz argument picks one; append only, so that stored corpus
// entries keep their meaning).
var fuzzInputs = []fuzzInput{
	{"CreateFleet", decodeOnly[CreateFleetInput](), reflect.TypeFor[CreateFleetInput]()},
	{"RegisterCompute", decodeOnly[RegisterComputeInput](), reflect.TypeFor[RegisterComputeInput]()},
	{"ListLocations", decodeOnly[ListLocationsInput](), reflect.TypeFor[ListLocationsInput]()},
	{"CreateAlias", decodeOnly[CreateAliasInput](), reflect.TypeFor[CreateAliasInput]()},
	{"UpdateFleetAttributes", decodeOnly[UpdateFleetAttributesInput](), reflect.TypeFor[UpdateFleetAttributesInput]()},
	{"CreateFleetLocations", decodeOnly[CreateFleetLocationsInput](), reflect.TypeFor[CreateFleetLocationsInput]()},
	{"DescribeFleetAttributes", decodeOnly[DescribeFleetAttributesInput](), reflect.TypeFor[DescribeFleetAttributesInput]()},
	{"ListCompute", decodeOnly[ListComputeInput](), reflect.TypeFor[ListComputeInput]()},
	{"UpdateAlias", decodeOnly[UpdateAliasInput](), reflect.TypeFor[UpdateAliasInput]()},
	{"CreateLocation", decodeOnly[CreateLocationInput](), reflect.TypeFor[CreateLocationInput]()},
	{"DeleteFleetLocations", decodeOnly[DeleteFleetLocationsInput](), reflect.TypeFor[DeleteFleetLocationsInput]()},
	{"ListAliases", decodeOnly[ListAliasesInput](), reflect.TypeFor[ListAliasesInput]()},
	{"CreateGameSession", decodeOnly[CreateGameSessionInput](), reflect.TypeFor[CreateGameSessionInput]()},
	{"DescribeGameSessions", decodeOnly[DescribeGameSessionsInput](), reflect.TypeFor[DescribeGameSessionsInput]()},
	{"UpdateGameSession", decodeOnly[UpdateGameSessionInput](), reflect.TypeFor[UpdateGameSessionInput]()},
	{"TerminateGameSession", decodeOnly[TerminateGameSessionInput](), reflect.TypeFor[TerminateGameSessionInput]()},
	{"SearchGameSessions", decodeOnly[SearchGameSessionsInput](), reflect.TypeFor[SearchGameSessionsInput]()},
	{"CreatePlayerSession", decodeOnly[CreatePlayerSessionInput](), reflect.TypeFor[CreatePlayerSessionInput]()},
	{"CreatePlayerSessions", decodeOnly[CreatePlayerSessionsInput](), reflect.TypeFor[CreatePlayerSessionsInput]()},
	{"DescribePlayerSessions", decodeOnly[DescribePlayerSessionsInput](), reflect.TypeFor[DescribePlayerSessionsInput]()},
	{"DescribeFleetUtilization", decodeOnly[DescribeFleetUtilizationInput](), reflect.TypeFor[DescribeFleetUtilizationInput]()},
	{"CreateGameSessionQueue", decodeOnly[CreateGameSessionQueueInput](), reflect.TypeFor[CreateGameSessionQueueInput]()},
	{"UpdateGameSessionQueue", decodeOnly[UpdateGameSessionQueueInput](), reflect.TypeFor[UpdateGameSessionQueueInput]()},
	{"StartGameSessionPlacement", decodeOnly[StartGameSessionPlacementInput](), reflect.TypeFor[StartGameSessionPlacementInput]()},
	{"CreateNotificationTarget", decodeOnly[CreateNotificationTargetInput](), reflect.TypeFor[CreateNotificationTargetInput]()},
	{"CreateMatchmakingRuleSet", decodeOnly[CreateMatchmakingRuleSetInput](), reflect.TypeFor[CreateMatchmakingRuleSetInput]()},
	{"DescribeMatchmakingRuleSets", decodeOnly[DescribeMatchmakingRuleSetsInput](), reflect.TypeFor[DescribeMatchmakingRuleSetsInput]()},
	{"CreateMatchmakingConfiguration", decodeOnly[CreateMatchmakingConfigurationInput](), reflect.TypeFor[CreateMatchmakingConfigurationInput]()},
	{"UpdateMatchmakingConfiguration", decodeOnly[UpdateMatchmakingConfigurationInput](), reflect.TypeFor[UpdateMatchmakingConfigurationInput]()},
	{"DescribeMatchmakingConfigurations", decodeOnly[DescribeMatchmakingConfigurationsInput](), reflect.TypeFor[DescribeMatchmakingConfigurationsInput]()},
	{"StartMatchmaking", decodeOnly[StartMatchmakingInput](), reflect.TypeFor[StartMatchmakingInput]()},
	{"StartMatchBackfill", decodeOnly[StartMatchBackfillInput](), reflect.TypeFor[StartMatchBackfillInput]()},
	{"DescribeMatchmaking", decodeOnly[DescribeMatchmakingInput](), reflect.TypeFor[DescribeMatchmakingInput]()},
	{"AcceptMatch", decodeOnly[AcceptMatchInput](), reflect.TypeFor[AcceptMatchInput]()},
}

// Placeholders of the same length as the ids a node generates: the
// whole-handler target swaps them for the ids of the resources it made, so
// that seeds (and their mutations) reach existing resources. Equal lengths
// keep CBOR length prefixes right.
const (
	seedFleetID         = "fleet-00000000-0000-4000-8000-000000000000"
	seedAliasID         = "alias-00000000-0000-4000-8000-000000000000"
	seedGameSessionPart = "gsess-00000000-0000-4000-8000-000000000000"
	seedGameSessionID   = "arn:rallypoint:gamelift:local::gamesession/" + seedFleetID + "/" + seedGameSessionPart
	seedPlayerSessionID = "psess-" + seedFleetID + "." + seedGameSessionPart + ".0000000000000000"
)

// fuzzSeeds are valid inputs, by operation name.
var fuzzSeeds = []struct {
	op string
	in map[string]any
}{
	{"CreateFleet", map[string]any{
		"Name": "arena", "Description": "d", "ComputeType": "ANYWHERE",
		"Locations":                      []any{map[string]any{"Location": "custom-eu-west"}},
		"AnywhereConfiguration":          map[string]any{"Cost": "0.25"},
		"ResourceCreationLimitPolicy":    map[string]any{"NewGameSessionsPerCreator": 3, "PolicyPeriodInMinutes": 15},
		"NewGameSessionProtectionPolicy": "FullProtection",
		"MetricGroups":                   []any{"g"},
		"Tags":                           []any{map[string]any{"Key": "k", "Value": "v"}},
	}},
	{"RegisterCompute", map[string]any{"FleetId": seedFleetID, "ComputeName": "host-2", "IpAddress": "10.0.0.2", "DnsName": "h.example.com", "Location": "custom-eu-west"}},
	{"ListLocations", map[string]any{"Filters": []any{"CUSTOM", "AWS"}, "Limit": 2, "NextToken": "Y3VzdG9tLWV1LXdlc3Q"}},
	{"CreateAlias", map[string]any{"Name": "live", "Description": "d", "RoutingStrategy": map[string]any{"Type": "SIMPLE", "FleetId": seedFleetID}}},
	{"CreateAlias", map[string]any{"Name": "down", "RoutingStrategy": map[string]any{"Type": "TERMINAL", "Message": "m"}}},
	{"UpdateFleetAttributes", map[string]any{"FleetId": seedFleetID, "Name": "n", "AnywhereConfiguration": map[string]any{"Cost": "1"}}},
	{"CreateFleetLocations", map[string]any{"FleetId": seedFleetID, "Locations": []any{map[string]any{"Location": "custom-us-east"}}}},
	{"DescribeFleetAttributes", map[string]any{"FleetIds": []any{seedFleetID, "arn:rallypoint:gamelift:local::fleet/" + seedFleetID}}},
	{"ListCompute", map[string]any{"FleetId": seedFleetID, "Location": "custom-eu-west", "ComputeStatus": "ACTIVE", "Limit": 1}},
	{"UpdateAlias", map[string]any{"AliasId": seedAliasID, "RoutingStrategy": map[string]any{"Type": "TERMINAL", "Message": "m"}}},
	{"CreateLocation", map[string]any{"LocationName": "custom-ap-south", "Tags": []any{map[string]any{"Key": "k", "Value": ""}}}},
	{"DeleteFleetLocations", map[string]any{"FleetId": seedFleetID, "Locations": []any{"custom-us-east"}}},
	{"ListAliases", map[string]any{"RoutingStrategyType": "SIMPLE", "Name": "live", "Limit": 5}},
	{"DescribeAlias", map[string]any{"AliasId": seedAliasID}},
	{"ResolveAlias", map[string]any{"AliasId": "arn:rallypoint:gamelift:local::alias/" + seedAliasID}},
	{"DescribeCompute", map[string]any{"FleetId": seedFleetID, "ComputeName": "host-1"}},
	{"GetComputeAuthToken", map[string]any{"FleetId": seedFleetID, "ComputeName": "host-1"}},
	// Game and player sessions, before the seeds that delete what they use.
	{"CreateGameSession", map[string]any{
		"FleetId": seedFleetID, "Location": "custom-eu-west", "MaximumPlayerSessionCount": 4, "Name": "dusk",
		"GameProperties":  []any{map[string]any{"Key": "mode", "Value": "ffa"}},
		"GameSessionData": "d", "CreatorId": "c", "IdempotencyToken": "match-1",
	}},
	{"CreateGameSession", map[string]any{"AliasId": seedAliasID, "Location": "custom-us-east", "MaximumPlayerSessionCount": 2, "GameSessionId": "old-1"}},
	{"DescribeGameSessions", map[string]any{"FleetId": seedFleetID, "Location": "custom-eu-west", "StatusFilter": "ACTIVE", "Limit": 2}},
	{"DescribeGameSessionDetails", map[string]any{"GameSessionId": seedGameSessionID}},
	{"UpdateGameSession", map[string]any{"GameSessionId": seedGameSessionID, "Name": "n", "MaximumPlayerSessionCount": 8,
		"PlayerSessionCreationPolicy": "ACCEPT_ALL", "ProtectionPolicy": "FullProtection", "GameProperties": []any{map[string]any{"Key": "rank", "Value": "gold"}}}},
	{"SearchGameSessions", map[string]any{"FleetId": seedFleetID, "FilterExpression": "hasAvailablePlayerSessions=true AND gameSessionProperties.mode = 'ffa'",
		"SortExpression": "creationTimeMillis DESC", "Limit": 5}},
	{"SearchGameSessions", map[string]any{"AliasId": seedAliasID, "Location": "custom-eu-west", "FilterExpression": "NOT (maximumSessions > 4 OR playerSessionCount = 0)"}},
	{"CreatePlayerSession", map[string]any{"GameSessionId": seedGameSessionID, "PlayerId": "p1", "PlayerData": "d"}},
	{"CreatePlayerSessions", map[string]any{"GameSessionId": seedGameSessionID, "PlayerIds": []any{"p2", "p3"}, "PlayerDataMap": map[string]any{"p2": "d"}}},
	{"DescribePlayerSessions", map[string]any{"PlayerSessionId": seedPlayerSessionID}},
	{"DescribePlayerSessions", map[string]any{"GameSessionId": seedGameSessionID, "PlayerSessionStatusFilter": "RESERVED", "Limit": 1}},
	{"DescribePlayerSessions", map[string]any{"PlayerId": "p1"}},
	{"DescribeFleetUtilization", map[string]any{"FleetIds": []any{seedFleetID}, "Limit": 1}},
	{"TerminateGameSession", map[string]any{"GameSessionId": seedGameSessionID, "TerminationMode": "TRIGGER_ON_PROCESS_TERMINATE"}},
	{"DeregisterCompute", map[string]any{"FleetId": seedFleetID, "ComputeName": "arn:rallypoint:gamelift:local::compute/host-1"}},
	{"DescribeFleetCapacity", map[string]any{"FleetIds": []any{seedFleetID}}},
	{"DescribeFleetLocationAttributes", map[string]any{"FleetId": seedFleetID, "Locations": []any{"custom-eu-west"}, "Limit": 1}},
	{"DeleteFleet", map[string]any{"FleetId": seedFleetID}},
	{"DeleteAlias", map[string]any{"AliasId": seedAliasID}},
	{"DeleteLocation", map[string]any{"LocationName": "arn:rallypoint:gamelift:local::location/custom-us-east"}},
	{"ListFleets", map[string]any{"Limit": 3}},
	{"CreateGameSessionQueue", map[string]any{"Name": "main", "TimeoutInSeconds": 60, "Destinations": []any{map[string]any{"DestinationArn": seedFleetID}},
		"PlayerLatencyPolicies": []any{map[string]any{"MaximumIndividualPlayerLatencyMilliseconds": 50, "PolicyDurationSeconds": 10}, map[string]any{"MaximumIndividualPlayerLatencyMilliseconds": 150}},
		"PriorityConfiguration": map[string]any{"PriorityOrder": []any{"LOCATION", "LATENCY"}, "LocationOrder": []any{"custom-us-east", "custom-eu-west"}},
		"FilterConfiguration":   map[string]any{"AllowedLocations": []any{"custom-eu-west", "custom-us-east"}}, "CustomEventData": "c"}},
	{"UpdateGameSessionQueue", map[string]any{"Name": "main", "Destinations": []any{}, "FilterConfiguration": map[string]any{}}},
	{"StartGameSessionPlacement", map[string]any{"PlacementId": "p-1", "GameSessionQueueName": "main", "MaximumPlayerSessionCount": 4,
		"PlayerLatencies":       []any{map[string]any{"PlayerId": "a", "RegionIdentifier": "custom-eu-west", "LatencyInMilliseconds": 12.5}},
		"DesiredPlayerSessions": []any{map[string]any{"PlayerId": "a", "PlayerData": "d"}}}},
	{"StartGameSessionPlacement", map[string]any{"PlacementId": "p-2", "GameSessionQueueName": "main", "MaximumPlayerSessionCount": 2,
		"PriorityConfigurationOverride": map[string]any{"LocationOrder": []any{"custom-us-east"}, "PlacementFallbackStrategy": "NONE"}}},
	{"DescribeGameSessionPlacement", map[string]any{"PlacementId": "p-1"}},
	{"StopGameSessionPlacement", map[string]any{"PlacementId": "p-1"}},
	{"DescribeGameSessionQueues", map[string]any{"Names": []any{"main", "arn:rallypoint:gamelift:local::gamesessionqueue/main"}, "Limit": 1}},
	{"CreateNotificationTarget", map[string]any{"Name": "hook", "Endpoint": "http://127.0.0.1:1/events", "Secret": "0123456789abcdef"}},
	{"DescribeNotificationTargets", map[string]any{}},
	// Matchmaking, while the queue "main" exists.
	{"ValidateMatchmakingRuleSet", map[string]any{"RuleSetBody": fuzzRuleSet}},
	{"CreateMatchmakingRuleSet", map[string]any{"Name": "duel", "RuleSetBody": fuzzRuleSet, "Tags": []any{map[string]any{"Key": "k", "Value": "v"}}}},
	{"DescribeMatchmakingRuleSets", map[string]any{"Names": []any{"duel", "arn:rallypoint:gamelift:local::matchmakingruleset/duel"}, "Limit": 1}},
	{"CreateMatchmakingConfiguration", map[string]any{"Name": "duel-ranked", "RuleSetName": "duel", "RequestTimeoutSeconds": 60, "AcceptanceRequired": true,
		"AcceptanceTimeoutSeconds": 20, "GameSessionQueueArns": []any{"main"}, "AdditionalPlayerCount": 1, "BackfillMode": "AUTOMATIC", "FlexMatchMode": "WITH_QUEUE",
		"GameProperties": []any{map[string]any{"Key": "mode", "Value": "duel"}}, "GameSessionData": "d", "CustomEventData": "c", "Description": "d"}},
	{"StartMatchmaking", map[string]any{"TicketId": "t-1", "ConfigurationName": "duel-ranked", "Players": []any{map[string]any{
		"PlayerId": "ana", "LatencyInMs": map[string]any{"custom-eu-west": 40, "custom-us-east": 95},
		"PlayerAttributes": map[string]any{"skill": map[string]any{"N": 12.5}, "maps": map[string]any{"SL": []any{"ruins", "swamp"}},
			"role": map[string]any{"S": "tank"}, "weights": map[string]any{"SDM": map[string]any{"ruins": 0.5}}}}}}},
	{"DescribeMatchmaking", map[string]any{"TicketIds": []any{"t-1", "t-2"}}},
	{"AcceptMatch", map[string]any{"TicketId": "t-1", "PlayerIds": []any{"ana"}, "AcceptanceType": "ACCEPT"}},
	{"StartMatchBackfill", map[string]any{"TicketId": "b-1", "ConfigurationName": "duel-ranked", "GameSessionArn": seedGameSessionID,
		"Players": []any{map[string]any{"PlayerId": "p0", "Team": "red", "LatencyInMs": map[string]any{"custom-eu-west": 30}}}}},
	{"StopMatchmaking", map[string]any{"TicketId": "t-1"}},
	{"UpdateMatchmakingConfiguration", map[string]any{"Name": "duel-ranked", "FlexMatchMode": "STANDALONE", "GameSessionQueueArns": []any{}, "BackfillMode": "MANUAL", "GameProperties": []any{}}},
	{"DescribeMatchmakingConfigurations", map[string]any{"Names": []any{"duel-ranked"}, "RuleSetName": "duel", "Limit": 5}},
	{"DeleteMatchmakingConfiguration", map[string]any{"Name": "arn:rallypoint:gamelift:local::matchmakingconfiguration/duel-ranked"}},
	{"DeleteMatchmakingRuleSet", map[string]any{"Name": "duel"}},
	{"DeleteGameSessionQueue", map[string]any{"Name": "main"}},
}

// fuzzRuleSet is a small valid rule set: two teams of one to three, with
// an expansion.
const fuzzRuleSet = `{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"skill","type":"number","default":10}],` +
	`"teams":[{"name":"red","minPlayers":2,"maxPlayers":3},{"name":"blue","minPlayers":2,"maxPlayers":3}],` +
	`"rules":[{"name":"Close","type":"distance","measurements":["avg(teams[*].players.attributes[skill])"],` +
	`"referenceValue":"avg(flatten(teams[*].players.attributes[skill]))","maxDistance":10}],` +
	`"expansions":[{"target":"rules[Close].maxDistance","steps":[{"waitTimeSeconds":10,"value":20}]}]}`

// codecFor is the codec a fuzz argument picks.
func codecFor(useCBOR bool) codec {
	if useCBOR {
		return cborCodec{}
	}
	return jsonCodec{}
}

func encodeSeed(f *testing.F, c codec, in any) []byte {
	f.Helper()
	var b []byte
	var err error
	if _, ok := c.(cborCodec); ok {
		b, err = cbor.Marshal(in)
	} else {
		b, err = json.Marshal(in)
	}
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// addDecodeSeeds seeds a decoding target with valid bodies of c's encoding
// and a few broken ones.
func addDecodeSeeds(f *testing.F, c codec) {
	for _, s := range fuzzSeeds {
		i := slices.IndexFunc(fuzzInputs, func(x fuzzInput) bool { return x.name == s.op })
		if i < 0 {
			continue
		}
		b := encodeSeed(f, c, s.in)
		f.Add(uint8(i), b)
		f.Add(uint8(i), b[:len(b)/2])
	}
	f.Add(uint8(0), []byte{})
	f.Add(uint8(0), encodeSeed(f, c, []any{1, "x", nil}))
	f.Add(uint8(0), encodeSeed(f, c, map[string]any{"Name": 5, "Locations": "x", "Tags": map[string]any{"a": 1}}))
}

// wantDecodeResult checks what decoding and validation may return: nothing,
// or an InvalidRequestException whose message shows no Go internals.
func wantDecodeResult(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error is not an *Error: %v", err)
	}
	if e.Status != http.StatusBadRequest || e.Type != CodeInvalidRequest || e.Message == "" {
		t.Fatalf("refusal is %d %s %q, want 400 %s with a message", e.Status, e.Type, e.Message, CodeInvalidRequest)
	}
	for _, leak := range []string{"api.", "Go struct", "Go value", "interface {}", "reflect"} {
		if strings.Contains(e.Message, leak) {
			t.Fatalf("message %q shows the implementation (%q)", e.Message, leak)
		}
	}
}

// fuzzDecode decodes body with c as input i. When that succeeds, the same
// document written in the other encoding (as a client of the other
// protocol would write it) must decode to the same value and get the same
// verdict, since both protocols serve one operation table.
func fuzzDecode(t *testing.T, c codec, i uint8, body []byte) {
	in := fuzzInputs[int(i)%len(fuzzInputs)]
	ctx := context.Background()
	_, err := in.decode.call(ctx, c, body)
	wantDecodeResult(t, err)

	v := reflect.New(in.typ)
	if c.decode(body, v.Interface()) != nil {
		return
	}
	var (
		other codec
		again []byte
		ok    bool
	)
	if _, isCBOR := c.(cborCodec); isCBOR {
		other = jsonCodec{}
		again, ok = cborToJSON(body)
	} else {
		other = cborCodec{}
		again, ok = jsonToCBOR(body)
	}
	if !ok {
		return // the document holds what the other encoding cannot say
	}
	w := reflect.New(in.typ)
	if err := other.decode(again, w.Interface()); err != nil {
		t.Fatalf("%s takes %q, but %s refuses the same document %q: %v", c.name(), body, other.name(), again, err)
	}
	clearFreeForm(v.Elem())
	clearFreeForm(w.Elem())
	if !reflect.DeepEqual(v.Interface(), w.Interface()) {
		t.Fatalf("%s and %s decode the same document differently:\n%+v\n%+v", c.name(), other.name(), v.Elem().Interface(), w.Elem().Interface())
	}
	_, err2 := in.decode.call(ctx, other, again)
	if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
		t.Fatalf("verdicts differ on the same document: %s %v, %s %v", c.name(), err, other.name(), err2)
	}
}

// jsonToCBOR writes a JSON document in CBOR as a client would: integer
// literals as CBOR integers, other numbers as floats.
func jsonToCBOR(body []byte) ([]byte, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil, false
	}
	var conv func(any) (any, bool)
	conv = func(v any) (any, bool) {
		switch v := v.(type) {
		case json.Number:
			if !strings.ContainsAny(string(v), ".eE") {
				if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
					return n, true
				}
				if n, err := strconv.ParseUint(string(v), 10, 64); err == nil {
					return n, true
				}
				return nil, false
			}
			f, err := strconv.ParseFloat(string(v), 64)
			return f, err == nil
		case []any:
			out := make([]any, len(v))
			for i, e := range v {
				var ok bool
				if out[i], ok = conv(e); !ok {
					return nil, false
				}
			}
			return out, true
		case map[string]any:
			out := make(map[string]any, len(v))
			for k, e := range v {
				var ok bool
				if out[k], ok = conv(e); !ok {
					return nil, false
				}
			}
			return out, true
		}
		return v, true
	}
	v, ok := conv(v)
	if !ok {
		return nil, false
	}
	b, err := cbor.Marshal(v)
	return b, err == nil
}

// cborToJSON writes a CBOR document in JSON, keeping floats recognisable
// as floats (100.0, not 100). Byte strings, tags, non-string keys and
// non-finite numbers have no JSON form.
func cborToJSON(body []byte) ([]byte, bool) {
	var v any
	if cborDec.Unmarshal(body, &v) != nil {
		return nil, false
	}
	var b []byte
	var write func(any) bool
	write = func(v any) bool {
		switch v := v.(type) {
		case nil:
			b = append(b, "null"...)
		case bool:
			b = strconv.AppendBool(b, v)
		case string:
			s, _ := json.Marshal(v)
			b = append(b, s...)
		case uint64:
			b = strconv.AppendUint(b, v, 10)
		case int64:
			b = strconv.AppendInt(b, v, 10)
		case float32:
			return write(float64(v))
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
			s := strconv.FormatFloat(v, 'g', -1, 64)
			if !strings.ContainsAny(s, ".e") {
				s += ".0"
			}
			b = append(b, s...)
		case []any:
			b = append(b, '[')
			for i, e := range v {
				if i > 0 {
					b = append(b, ',')
				}
				if !write(e) {
					return false
				}
			}
			b = append(b, ']')
		case map[any]any:
			b = append(b, '{')
			first := true
			for k, e := range v {
				ks, ok := k.(string)
				if !ok {
					return false
				}
				if !first {
					b = append(b, ',')
				}
				first = false
				if !write(ks) {
					return false
				}
				b = append(b, ':')
				if !write(e) {
					return false
				}
			}
			b = append(b, '}')
		default:
			return false
		}
		return true
	}
	return b, write(v)
}

// clearFreeForm zeroes the members typed any, whose numbers each codec
// decodes in its own Go type.
func clearFreeForm(v reflect.Value) {
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Interface && f.CanSet() {
			f.Set(reflect.Zero(f.Type()))
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	addDecodeSeeds(f, jsonCodec{})
	f.Add(uint8(0), []byte(`{"Name":"a","name":"b"}`))
	f.Add(uint8(3), []byte(`{"Name":"a","RoutingStrategy":{"Type":"SIMPLE","type":"TERMINAL"}}`))
	f.Add(uint8(2), []byte(`{"Limit":1e2,"Filters":["CUSTOM"]} `))
	f.Fuzz(func(t *testing.T, i uint8, body []byte) {
		fuzzDecode(t, jsonCodec{}, i, body)
	})
}

func FuzzDecodeCBOR(f *testing.F) {
	addDecodeSeeds(f, cborCodec{})
	// Indefinite-length map and string, a tagged timestamp where a string
	// belongs, and a half-precision float.
	f.Add(uint8(9), []byte{0xbf, 0x6c, 'L', 'o', 'c', 'a', 't', 'i', 'o', 'n', 'N', 'a', 'm', 'e', 0x7f, 0x67, 'c', 'u', 's', 't', 'o', 'm', '-', 0x62, 'x', 'y', 0xff, 0xff})
	f.Add(uint8(0), []byte{0xa1, 0x64, 'N', 'a', 'm', 'e', 0xc1, 0x1a, 0x65, 0x00, 0x00, 0x00})
	f.Add(uint8(2), []byte{0xa1, 0x65, 'L', 'i', 'm', 'i', 't', 0xf9, 0x3c, 0x00})
	f.Fuzz(func(t *testing.T, i uint8, body []byte) {
		fuzzDecode(t, cborCodec{}, i, body)
	})
}

// fuzzServer is a control plane in Insecure mode over a real engine, with
// one resource of each kind, made once per fuzzing process.
type fuzzServer struct {
	*Server
	ops             []string
	fleetID         string
	aliasID         string
	gameSessionPart string // the game session id's last part
	playerSessionID string
}

func newFuzzServer(f testing.TB) *fuzzServer {
	f.Helper()
	ctx := context.Background()
	e := enginetest.Open(f)
	fleets, err := fleet.New(ctx, fleet.Config{
		Config:             e.Bucket(engine.BucketConfig),
		Computes:           e.Bucket(engine.BucketComputes),
		Sessions:           e.Bucket(engine.BucketSessions),
		ServiceSDKEndpoint: "ws://127.0.0.1:1/serversdk",
	})
	if err != nil {
		f.Fatal(err)
	}
	places, err := placement.New(placement.Config{
		Config:   e.Bucket(engine.BucketConfig),
		Sessions: e.Bucket(engine.BucketSessions),
		Fleets:   fleets,
	})
	if err != nil {
		f.Fatal(err)
	}
	targets, err := events.NewTargets(events.TargetsConfig{Config: e.Bucket(engine.BucketConfig), Region: fleets.Region()})
	if err != nil {
		f.Fatal(err)
	}
	mm, err := matchmaking.New(matchmaking.Config{
		Config:     e.Bucket(engine.BucketConfig),
		Tickets:    e.Bucket(engine.BucketTickets),
		Fleets:     fleets,
		Placements: places,
		Targets:    targets,
	})
	if err != nil {
		f.Fatal(err)
	}
	s, err := New(Config{Insecure: true, Fleets: fleets, Placements: places, Targets: targets, Matchmaking: mm})
	if err != nil {
		f.Fatal(err)
	}
	fs := &fuzzServer{Server: s, ops: s.Operations()}
	slices.Sort(fs.ops)
	for _, l := range []string{"custom-eu-west", "custom-us-east"} {
		if _, err := fleets.CreateLocation(ctx, l, nil); err != nil {
			f.Fatal(err)
		}
	}
	fl, err := fleets.CreateFleet(ctx, fleet.CreateFleetInput{Name: "arena", ComputeType: fleet.ComputeTypeAnywhere, Locations: []string{"custom-eu-west", "custom-us-east"}})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := fleets.RegisterCompute(ctx, fleet.RegisterComputeInput{FleetID: fl.ID, Name: "host-1", IPAddress: "10.0.0.1", Location: "custom-eu-west"}); err != nil {
		f.Fatal(err)
	}
	a, err := fleets.CreateAlias(ctx, "live", "", fleet.RoutingStrategy{Type: fleet.RoutingSimple, FleetID: fl.ID}, nil)
	if err != nil {
		f.Fatal(err)
	}
	// An ACTIVE game session with a player, on one of two idle processes.
	for i := range 2 {
		ref := fleet.ProcessRef{FleetID: fl.ID, Compute: "host-1", ProcessID: fmt.Sprintf("pid-%d", i)}
		if _, err := fleets.ProcessReady(ctx, ref, fleet.ReadyInput{Port: 7777 + i}); err != nil {
			f.Fatal(err)
		}
	}
	gs, err := fleets.CreateGameSession(ctx, fleet.CreateGameSessionInput{FleetID: fl.ID, Location: "custom-eu-west", MaximumPlayerSessionCount: 4})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := fleets.ActivateGameSession(ctx, gs.Process(), gs.ID); err != nil {
		f.Fatal(err)
	}
	ps, err := fleets.CreatePlayerSessions(ctx, gs.ID, []fleet.NewPlayer{{PlayerID: "p0"}})
	if err != nil {
		f.Fatal(err)
	}
	if len(fl.ID) != len(seedFleetID) || len(a.ID) != len(seedAliasID) || len(gs.ShortID) != len(seedGameSessionPart) || len(ps[0].ID) != len(seedPlayerSessionID) {
		f.Fatalf("generated ids %s, %s, %s, %s do not have the placeholders' lengths", fl.ID, a.ID, gs.ID, ps[0].ID)
	}
	fs.fleetID, fs.aliasID, fs.gameSessionPart, fs.playerSessionID = fl.ID, a.ID, gs.ShortID, ps[0].ID
	return fs
}

// serve sends one call the way a client of c would, without a signature.
func (s *fuzzServer) serve(c codec, op string, body []byte) *httptest.ResponseRecorder {
	body = bytes.ReplaceAll(body, []byte(seedPlayerSessionID), []byte(s.playerSessionID))
	body = bytes.ReplaceAll(body, []byte(seedFleetID), []byte(s.fleetID))
	body = bytes.ReplaceAll(body, []byte(seedAliasID), []byte(s.aliasID))
	body = bytes.ReplaceAll(body, []byte(seedGameSessionPart), []byte(s.gameSessionPart))
	var req *http.Request
	if _, ok := c.(cborCodec); ok {
		req = httptest.NewRequest(http.MethodPost, cborPathPrefix+op, bytes.NewReader(body))
		req.Header.Set("smithy-protocol", "rpc-v2-cbor")
	} else {
		req = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", "GameLift."+op)
	}
	req.Header.Set("Content-Type", c.contentType())
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	return rec
}

// FuzzServer sends arbitrary bodies to every operation of a real control
// plane (decoding, validation, the fleet service and its store) over
// either protocol. A panic fails the target (nothing recovers it here, as
// net/http would); every answer is a 200 or a well-formed 4xx error.
func FuzzServer(f *testing.F) {
	s := newFuzzServer(f)
	for _, useCBOR := range []bool{false, true} {
		c := codecFor(useCBOR)
		for _, seed := range fuzzSeeds {
			i := slices.Index(s.ops, seed.op)
			if i < 0 {
				f.Fatalf("seed for %s, which the server does not answer", seed.op)
			}
			f.Add(useCBOR, uint8(i), encodeSeed(f, c, seed.in))
		}
		f.Add(useCBOR, uint8(0), []byte{})
		f.Add(useCBOR, uint8(len(s.ops)), encodeSeed(f, c, map[string]any{})) // an unknown operation
	}
	f.Fuzz(func(t *testing.T, useCBOR bool, i uint8, body []byte) {
		c := codecFor(useCBOR)
		op := "NoSuchOperation"
		if int(i) < len(s.ops) {
			op = s.ops[i]
		}
		rec := s.serve(c, op, body)
		resp := rec.Result()
		if ct := resp.Header.Get("Content-Type"); ct != c.contentType() {
			t.Fatalf("%s %s: Content-Type %q", c.name(), op, ct)
		}
		if useCBOR && resp.Header.Get("smithy-protocol") != "rpc-v2-cbor" {
			t.Fatalf("%s: no smithy-protocol header", op)
		}
		var out map[string]any
		if err := c.decode(rec.Body.Bytes(), &out); err != nil || out == nil {
			t.Fatalf("%s %s: %d answer is not a %s map: %v: %q", c.name(), op, resp.StatusCode, c.name(), err, rec.Body.Bytes())
		}
		if resp.StatusCode == http.StatusOK {
			return
		}
		if resp.StatusCode < 400 || resp.StatusCode > 499 {
			t.Fatalf("%s %s %q: status %d %v", c.name(), op, body, resp.StatusCode, out)
		}
		typ, _ := out["__type"].(string)
		msg, _ := out["message"].(string)
		if typ == "" || msg == "" || resp.Header.Get("x-amzn-ErrorType") != typ {
			t.Fatalf("%s %s: malformed error %d %v (x-amzn-ErrorType %q)", c.name(), op, resp.StatusCode, out, resp.Header.Get("x-amzn-ErrorType"))
		}
	})
}
