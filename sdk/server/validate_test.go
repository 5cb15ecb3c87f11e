package server

import (
	"errors"
	"strings"
	"testing"
)

func TestValidation(t *testing.T) {
	good := ServerParameters{WebSocketURL: "wss://example.com/sdk", ProcessID: "p", HostID: "compute-1", FleetID: "fleet-1", AuthToken: "t"}
	withServer := func(f func(*ServerParameters)) error { p := good; f(&p); return validateServerParameters(p) }
	okPlayers := []Player{{PlayerID: "p-1"}}
	const cfg = "arn:aws:gamelift:local::matchmakingconfiguration/cfg"
	for _, tc := range []struct {
		name string
		err  error
		want string // in the message; "" means valid
	}{
		{"server ok", validateServerParameters(good), ""},
		{"server compute with prefix", withServer(func(p *ServerParameters) { p.HostID = "loc/compute-1" }), ""},
		{"server http scheme", withServer(func(p *ServerParameters) { p.WebSocketURL = "https://example.com" }), ""},
		{"no url", withServer(func(p *ServerParameters) { p.WebSocketURL = "" }), "WebSocketURL is required"},
		{"bad scheme", withServer(func(p *ServerParameters) { p.WebSocketURL = "ftp://example.com" }), "scheme must be ws or wss"},
		{"no host", withServer(func(p *ServerParameters) { p.WebSocketURL = "ws:///sdk" }), "has no host"},
		{"no process", withServer(func(p *ServerParameters) { p.ProcessID = "" }), "ProcessID is required"},
		{"fleet arn", withServer(func(p *ServerParameters) { p.FleetID = "arn:aws:gamelift:x::fleet/fleet-1" }), "FleetID"},
		{"compute underscore", withServer(func(p *ServerParameters) { p.HostID = "my_compute" }), "HostID"},
		{"compute too long", withServer(func(p *ServerParameters) { p.HostID = strings.Repeat("c", 257) }), "more than 256"},
		{"no token", withServer(func(p *ServerParameters) { p.AuthToken = "" }), "AuthToken is required"},

		{"port 0", validateProcessParameters(ProcessParameters{Port: 0}), "Port 0 is not between 1 and 60000"},
		{"port 60001", validateProcessParameters(ProcessParameters{Port: 60001}), "Port 60001"},
		{"port 60000", validateProcessParameters(ProcessParameters{Port: 60000}), ""},

		{"player session ok", validatePlayerSessionID("psess-1.a"), ""},
		{"player session empty", validatePlayerSessionID(""), "PlayerSessionID is required"},
		{"player session slash", validatePlayerSessionID("a/b"), "does not match"},

		{"policy ok", validatePolicy(AcceptAll), ""},
		{"policy bad", validatePolicy("ALLOW"), "not ACCEPT_ALL or DENY_ALL"},

		{"describe none", validateDescribePlayerSessions(DescribePlayerSessionsRequest{}), "exactly one"},
		{"describe two", validateDescribePlayerSessions(DescribePlayerSessionsRequest{GameSessionID: "g", PlayerID: "p"}), "exactly one"},
		{"describe arn", validateDescribePlayerSessions(DescribePlayerSessionsRequest{GameSessionID: "arn:aws:gamelift:local::gamesession/f/g"}), ""},
		{"describe bad game session", validateDescribePlayerSessions(DescribePlayerSessionsRequest{GameSessionID: "gs_1"}), "GameSessionID"},
		{"describe filter", validateDescribePlayerSessions(DescribePlayerSessionsRequest{PlayerID: "p", PlayerSessionStatusFilter: "GONE"}), "PlayerSessionStatusFilter"},
		{"describe limit", validateDescribePlayerSessions(DescribePlayerSessionsRequest{PlayerID: "p", Limit: -1}), "Limit -1"},

		{"backfill ok", validateStartMatchBackfill(StartMatchBackfillRequest{GameSessionArn: "gs-1", MatchmakingConfigurationArn: cfg, Players: okPlayers}), ""},
		{"backfill no players", validateStartMatchBackfill(StartMatchBackfillRequest{GameSessionArn: "gs-1", MatchmakingConfigurationArn: cfg}), "Players is empty"},
		{"backfill no config", validateStartMatchBackfill(StartMatchBackfillRequest{GameSessionArn: "gs-1", Players: okPlayers}), "MatchmakingConfigurationArn is required"},
		{"backfill bad ticket", validateStartMatchBackfill(StartMatchBackfillRequest{GameSessionArn: "gs-1", MatchmakingConfigurationArn: cfg, TicketID: "t 1", Players: okPlayers}), "TicketID"},
		{"backfill untyped attribute", validateStartMatchBackfill(StartMatchBackfillRequest{GameSessionArn: "gs-1", MatchmakingConfigurationArn: cfg,
			Players: []Player{{PlayerID: "p", PlayerAttributes: map[string]AttributeValue{"a": {S: "x"}}}}}), "type"},
		{"stop ok", validateStopMatchBackfill(StopMatchBackfillRequest{GameSessionArn: "gs-1", MatchmakingConfigurationArn: cfg, TicketID: "t-1"}), ""},
		{"stop no ticket", validateStopMatchBackfill(StopMatchBackfillRequest{GameSessionArn: "gs-1", MatchmakingConfigurationArn: cfg}), "TicketID is required"},

		{"role ok", validateGetFleetRoleCredentials(GetFleetRoleCredentialsRequest{RoleArn: "arn:aws:iam::1:role/r", RoleSessionName: "fleet-1-c"}), ""},
		{"role short name", validateGetFleetRoleCredentials(GetFleetRoleCredentialsRequest{RoleArn: "arn:aws:iam::1:role/r", RoleSessionName: "x"}), "shorter than 2"},
		{"role no arn", validateGetFleetRoleCredentials(GetFleetRoleCredentialsRequest{RoleSessionName: "xx"}), "RoleArn is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == "" {
				if tc.err != nil {
					t.Fatalf("refused: %v", tc.err)
				}
				return
			}
			if !errors.Is(tc.err, ErrInvalidParameter) || !strings.Contains(tc.err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrInvalidParameter saying %q", tc.err, tc.want)
			}
		})
	}
}

// TestValidationBeforeSending checks that refused arguments never reach the
// wire, and that calls needing a ready process or a game session say so.
func TestValidationBeforeSending(t *testing.T) {
	p := newPeer(t)
	proc, pc := connect(t, p)
	if err := proc.ProcessReady(ProcessParameters{Port: 0}); !errors.Is(err, ErrInvalidParameter) || !strings.HasPrefix(err.Error(), "ProcessReady: ") {
		t.Errorf("ProcessReady port 0 = %v", err)
	}
	if err := proc.AcceptPlayerSession("psess-1"); !errors.Is(err, ErrProcessNotReady) {
		t.Errorf("AcceptPlayerSession before ready = %v", err)
	}
	ready(t, proc, pc, ProcessParameters{})
	if err := proc.AcceptPlayerSession("psess-1"); !errors.Is(err, ErrNoGameSession) {
		t.Errorf("AcceptPlayerSession without a game session = %v", err)
	}
	startGameSession(t, proc, pc, "gs-1")
	if err := proc.AcceptPlayerSession("bad id"); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("AcceptPlayerSession bad id = %v", err)
	}
	if err := proc.UpdatePlayerSessionCreationPolicy("NOPE"); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("UpdatePlayerSessionCreationPolicy = %v", err)
	}
	if _, err := proc.DescribePlayerSessions(DescribePlayerSessionsRequest{}); !errors.Is(err, ErrInvalidParameter) {
		t.Errorf("DescribePlayerSessions = %v", err)
	}
	// Nothing of that was sent: the next frame is this call.
	errc := async(func() error { return proc.UpdatePlayerSessionCreationPolicy(AcceptAll) })
	m := pc.next(actionUpdatePlayerSessionCreationPolicy)
	if m.str("PlayerSessionPolicy") != "ACCEPT_ALL" || m.str("GameSessionId") != "gs-1" {
		t.Errorf("sent %s", m)
	}
	pc.ok(m, nil)
	if err := waitErr(t, errc); err != nil {
		t.Fatal(err)
	}
}
