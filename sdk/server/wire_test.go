package server

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/requests")

const goldenRequestID = "0b5e1a2c-1d7e-4c5a-9f0e-3c2b1a000001"

// TestRequestGolden checks the exact JSON of every request the SDK sends
// against testdata/requests/<name>.json: member names, order, which members
// are omitted when empty, and integers as integers.
func TestRequestGolden(t *testing.T) {
	env := func(action string) envelope { return envelope{Action: action, RequestID: goldenRequestID} }
	for _, tc := range []struct {
		name string
		req  outgoing
	}{
		{"ActivateServerProcess", &activateServerProcessRequest{env(actionActivateServerProcess), SDKVersion, "Go", "", "", 7777, []string{"/local/game/logs"}}},
		{"ActivateServerProcess_noLogPaths", &activateServerProcessRequest{env(actionActivateServerProcess), SDKVersion, "Go", "", "", 1, []string{}}},
		{"HeartbeatServerProcess_healthy", &heartbeatServerProcessRequest{env(actionHeartbeatServerProcess), true}},
		{"HeartbeatServerProcess_unhealthy", &heartbeatServerProcessRequest{env(actionHeartbeatServerProcess), false}},
		{"ActivateGameSession", &activateGameSessionRequest{env(actionActivateGameSession), "arn:aws:gamelift:local::gamesession/fleet-1/gs-1"}},
		{"UpdatePlayerSessionCreationPolicy", &updatePlayerSessionCreationPolicyRequest{env(actionUpdatePlayerSessionCreationPolicy), "gs-1", string(DenyAll)}},
		{"AcceptPlayerSession", &playerSessionRequest{env(actionAcceptPlayerSession), "gs-1", "psess-1"}},
		{"RemovePlayerSession", &playerSessionRequest{env(actionRemovePlayerSession), "gs-1", "psess-1"}},
		{"DescribePlayerSessions_gameSession", &describePlayerSessionsRequest{envelope: env(actionDescribePlayerSessions), GameSessionID: "gs-1"}},
		{"DescribePlayerSessions_all", &describePlayerSessionsRequest{env(actionDescribePlayerSessions), "", "player-1", "", "ACTIVE", "token", 10}},
		{"StartMatchBackfill", &startMatchBackfillRequest{env(actionStartMatchBackfill), "gs-1", "arn:aws:gamelift:local::matchmakingconfiguration/cfg", "", toWirePlayers([]Player{
			{PlayerID: "player-1", Team: "red", LatencyInMS: map[string]int{"local": 20}, PlayerAttributes: map[string]AttributeValue{
				"skill": NumberAttribute(23), "zero": NumberAttribute(0), "mode": StringAttribute("ctf"),
				"maps": StringListAttribute("a", "b"), "prefs": StringDoubleMapAttribute(map[string]float64{"x": 1.5}),
			}},
			{PlayerID: "player-2"},
		})}},
		{"StopMatchBackfill", &stopMatchBackfillRequest{env(actionStopMatchBackfill), "gs-1", "arn:aws:gamelift:local::matchmakingconfiguration/cfg", "ticket-1"}},
		{"TerminateServerProcess", &bareRequest{env(actionTerminateServerProcess)}},
		{"GetComputeCertificate", &bareRequest{env(actionGetComputeCertificate)}},
		{"GetFleetRoleCredentials", &getFleetRoleCredentialsRequest{env(actionGetFleetRoleCredentials), "arn:aws:iam::123456789012:role/game", "fleet-1-compute-1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.Marshal(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "requests", tc.name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s:\n got %s\nwant %s", tc.name, got, want)
			}
		})
	}
}

func TestDecodePushes(t *testing.T) {
	t.Run("CreateGameSession", func(t *testing.T) {
		var m createGameSessionPush
		mustUnmarshal(t, `{"Action":"CreateGameSession","GameSessionId":"gs-1","GameSessionName":"match","GameSessionData":"data",
			"MatchmakerData":"{\"matchId\":\"m\"}","DnsName":"host.example","IpAddress":"10.0.0.1","Port":7777,
			"MaximumPlayerSessionCount":8,"GameProperties":{"mode":"ctf"}}`, &m)
		want := GameSession{GameSessionID: "gs-1", Name: "match", GameSessionData: "data", MatchmakerData: `{"matchId":"m"}`,
			DNSName: "host.example", IPAddress: "10.0.0.1", Port: 7777, MaximumPlayerSessionCount: 8, GameProperties: map[string]string{"mode": "ctf"}}
		if got := m.gameSession(); !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
	})
	t.Run("UpdateGameSession", func(t *testing.T) {
		var m updateGameSessionPush
		mustUnmarshal(t, `{"Action":"UpdateGameSession","UpdateReason":"BACKFILL_FAILED","BackfillTicketId":"t-1",
			"GameSession":{"GameSessionId":"gs-1","Name":"match","FleetId":"fleet-1","Location":"custom-home","GameSessionData":"d",
			"MatchmakerData":"{}","DnsName":"h","IpAddress":"10.0.0.1","Port":7777,"MaximumPlayerSessionCount":8,
			"GameProperties":{"k":"v"},"Status":"ACTIVE","StatusReason":"INTERRUPTED"}}`, &m)
		want := UpdateGameSession{
			GameSession: GameSession{GameSessionID: "gs-1", Name: "match", FleetID: "fleet-1", Location: "custom-home", GameSessionData: "d",
				MatchmakerData: "{}", DNSName: "h", IPAddress: "10.0.0.1", Port: 7777, MaximumPlayerSessionCount: 8,
				GameProperties: map[string]string{"k": "v"}, Status: GameSessionActive, StatusReason: "INTERRUPTED"},
			UpdateReason:     UpdateBackfillFailed,
			BackfillTicketID: "t-1",
		}
		if got := m.update(); !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
	})
	t.Run("TerminateProcess", func(t *testing.T) {
		var m terminateProcessPush
		mustUnmarshal(t, `{"Action":"TerminateProcess","TerminationTime":1700000060123}`, &m)
		if m.TerminationTime != 1700000060123 {
			t.Errorf("TerminationTime = %d", m.TerminationTime)
		}
	})
	t.Run("RefreshConnection", func(t *testing.T) {
		var m refreshConnectionPush
		mustUnmarshal(t, `{"Action":"RefreshConnection","RefreshConnectionEndpoint":"wss://new.example/sdk","AuthToken":"t2"}`, &m)
		if m.RefreshConnectionEndpoint != "wss://new.example/sdk" || m.AuthToken != "t2" {
			t.Errorf("got %+v", m)
		}
	})
}

func TestDecodeReplies(t *testing.T) {
	t.Run("envelope", func(t *testing.T) {
		var in inbound
		mustUnmarshal(t, `{"Action":"AcceptPlayerSession","RequestId":"r-1","StatusCode":404,"ErrorMessage":"gone"}`, &in)
		if in.Action != "AcceptPlayerSession" || in.RequestID != "r-1" || in.StatusCode == nil || *in.StatusCode != 404 || in.ErrorMessage != "gone" {
			t.Errorf("got %+v", in)
		}
		var push inbound
		mustUnmarshal(t, `{"Action":"TerminateProcess","TerminationTime":1}`, &push)
		if push.StatusCode != nil || push.RequestID != "" {
			t.Errorf("push read as %+v", push)
		}
	})
	t.Run("DescribePlayerSessions", func(t *testing.T) {
		var r describePlayerSessionsReply
		mustUnmarshal(t, `{"Action":"DescribePlayerSessions","RequestId":"r","StatusCode":200,"NextToken":"n","PlayerSessions":[
			{"PlayerSessionId":"psess-1","PlayerId":"p-1","GameSessionId":"gs-1","FleetId":"fleet-1","IpAddress":"10.0.0.1",
			"DnsName":"h","Port":7777,"PlayerData":"pd","Status":"COMPLETED","CreationTime":1700000000000,"TerminationTime":1700000100000}]}`, &r)
		want := DescribePlayerSessionsResult{NextToken: "n", PlayerSessions: []PlayerSession{{
			PlayerSessionID: "psess-1", PlayerID: "p-1", GameSessionID: "gs-1", FleetID: "fleet-1", IPAddress: "10.0.0.1",
			DNSName: "h", Port: 7777, PlayerData: "pd", Status: PlayerSessionCompleted,
			CreationTime: time.UnixMilli(1700000000000), TerminationTime: time.UnixMilli(1700000100000),
		}}}
		if got := r.result(); !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
	})
	t.Run("StartMatchBackfill", func(t *testing.T) {
		var r startMatchBackfillReply
		mustUnmarshal(t, `{"Action":"StartMatchBackfill","RequestId":"r","StatusCode":200,"TicketId":"t-1"}`, &r)
		if StartMatchBackfillResult(r).TicketID != "t-1" {
			t.Errorf("got %+v", r)
		}
	})
	t.Run("GetComputeCertificate", func(t *testing.T) {
		var r getComputeCertificateReply
		mustUnmarshal(t, `{"Action":"GetComputeCertificate","RequestId":"r","StatusCode":200,"CertificatePath":"/c.pem","ComputeName":"c-1"}`, &r)
		if got := GetComputeCertificateResult(r); got != (GetComputeCertificateResult{CertificatePath: "/c.pem", ComputeName: "c-1"}) {
			t.Errorf("got %+v", got)
		}
	})
	t.Run("GetFleetRoleCredentials", func(t *testing.T) {
		var r getFleetRoleCredentialsReply
		mustUnmarshal(t, `{"Action":"GetFleetRoleCredentials","RequestId":"r","StatusCode":200,"AssumedRoleUserArn":"arn:u",
			"AssumedRoleId":"id","AccessKeyId":"AK","SecretAccessKey":"SK","SessionToken":"ST","Expiration":1700003600000}`, &r)
		want := GetFleetRoleCredentialsResult{AssumedRoleUserArn: "arn:u", AssumedRoleID: "id", AccessKeyID: "AK",
			SecretAccessKey: "SK", SessionToken: "ST", Expiration: time.UnixMilli(1700003600000)}
		if got := r.result(); got != want {
			t.Errorf("got %+v\nwant %+v", got, want)
		}
	})
}

func TestAttributeValueJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    AttributeValue
		json string
	}{
		{"string", StringAttribute("ctf"), `{"AttrType":"STRING","S":"ctf"}`},
		{"empty string", StringAttribute(""), `{"AttrType":"STRING","S":""}`},
		{"number", NumberAttribute(23.5), `{"AttrType":"DOUBLE","N":23.5}`},
		{"zero", NumberAttribute(0), `{"AttrType":"DOUBLE","N":0}`},
		{"list", StringListAttribute("a", "b"), `{"AttrType":"STRING_LIST","SL":["a","b"]}`},
		{"map", StringDoubleMapAttribute(map[string]float64{"x": 1}), `{"AttrType":"STRING_DOUBLE_MAP","SDM":{"x":1}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.json {
				t.Errorf("marshal = %s, want %s", got, tc.json)
			}
			var back AttributeValue
			mustUnmarshal(t, tc.json, &back)
			if !reflect.DeepEqual(back, tc.v) {
				t.Errorf("unmarshal = %+v, want %+v", back, tc.v)
			}
		})
	}
	if _, err := json.Marshal(AttributeValue{}); err == nil {
		t.Error("an attribute without a type was encoded")
	}
	var inferred AttributeValue
	mustUnmarshal(t, `{"N":3}`, &inferred)
	if inferred.Type != AttributeDouble || inferred.N != 3 {
		t.Errorf("without AttrType: %+v", inferred)
	}
}

func TestParseMatchmakerData(t *testing.T) {
	md, err := ParseMatchmakerData(`{"matchId":"m-1","matchmakingConfigurationArn":"arn:aws:gamelift:local::matchmakingconfiguration/cfg",
		"autoBackfillTicketId":"t-1","autoBackfillMode":"AUTOMATIC","teams":[
		{"name":"red","players":[{"playerId":"p-1","attributes":{"skill":{"attributeType":"DOUBLE","valueAttribute":23},
			"mode":{"attributeType":"STRING","valueAttribute":"ctf"},"maps":{"attributeType":"STRING_LIST","valueAttribute":["a"]},
			"prefs":{"attributeType":"STRING_DOUBLE_MAP","valueAttribute":{"x":1}}}}]},
		{"name":"blue","players":[{"playerId":"p-2"}]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if md.MatchID != "m-1" || md.AutoBackfillMode != "AUTOMATIC" || md.AutoBackfillTicketID != "t-1" || len(md.Teams) != 2 {
		t.Fatalf("got %+v", md)
	}
	want := []Player{
		{PlayerID: "p-1", Team: "red", PlayerAttributes: map[string]AttributeValue{
			"skill": NumberAttribute(23), "mode": StringAttribute("ctf"), "maps": StringListAttribute("a"),
			"prefs": StringDoubleMapAttribute(map[string]float64{"x": 1}),
		}},
		{PlayerID: "p-2", Team: "blue"},
	}
	if got := md.Players(); !reflect.DeepEqual(got, want) {
		t.Errorf("Players = %+v\nwant %+v", got, want)
	}
	if _, err := ParseMatchmakerData(`{"teams":[{"players":[{"playerId":"p","attributes":{"a":{"attributeType":"BOOL","valueAttribute":true}}}]}]}`); err == nil {
		t.Error("unknown attribute type accepted")
	}
}

func mustUnmarshal(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("unmarshal %s: %v", s, err)
	}
}

// TestDialURL checks the connection parameters: the URL's own query is
// replaced, and the token is escaped.
func TestDialURL(t *testing.T) {
	p := &Process{processID: "proc-1", hostID: "compute-1", fleetID: "fleet-1234"}
	raw, err := p.dialURL("ws://127.0.0.1:7400/serversdk?stale=1&pID=other", "tok/en+1", "idem-1")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"pID": {"proc-1"}, "sdkVersion": {SDKVersion}, "sdkLanguage": {"Go"}, "ComputeId": {"compute-1"},
		"FleetId": {"fleet-1234"}, "IdempotencyToken": {"idem-1"}, "Authorization": {"tok/en+1"},
	}
	if u.Path != "/serversdk" || !reflect.DeepEqual(u.Query(), want) {
		t.Errorf("dial URL = %s", raw)
	}
}
