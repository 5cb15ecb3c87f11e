package client_test

import (
	"net"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/sdk/client"
)

// A MatchmakingSucceeded document as docs/players.md shows it.
const succeeded = `{"version":"0","id":"235d590c-50d2-54b9-9488-04a3d690d48f",
 "detail-type":"GameLift Matchmaking Event","source":"aws.gamelift","account":"000000000000",
 "time":"2026-11-26T05:26:59Z","region":"local",
 "resources":["arn:rallypoint:gamelift:local::matchmakingconfiguration/duel"],
 "detail":{"type":"MatchmakingSucceeded",
  "tickets":[
   {"ticketId":"706cfa29","startTime":"2026-11-26T05:26:59.077Z",
    "players":[{"playerId":"local:a9facbf8","team":"red","playerSessionId":"psess-1"}]},
   {"ticketId":"ea768677","startTime":"2026-11-26T05:26:59.080Z",
    "players":[{"playerId":"local:c92b5b11","team":"blue","playerSessionId":"psess-2"}]}],
  "matchId":"079f73ba",
  "gameSessionInfo":{"gameSessionArn":"arn:rallypoint:gamelift:local::gamesession/fleet-1/079f73ba",
   "ipAddress":"127.0.0.1","port":7001,
   "players":[{"playerId":"local:a9facbf8","team":"red","playerSessionId":"psess-1"},
              {"playerId":"local:c92b5b11","team":"blue","playerSessionId":"psess-2"}]}}}`

func TestParseEvent(t *testing.T) {
	ev, err := client.ParseEvent([]byte(succeeded))
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "235d590c-50d2-54b9-9488-04a3d690d48f" || ev.Type != client.EventMatchmakingSucceeded || !ev.Ended() ||
		!ev.Time.Equal(time.Date(2026, 11, 26, 5, 26, 59, 0, time.UTC)) || ev.MatchID != "079f73ba" || len(ev.Resources) != 1 {
		t.Fatalf("parsed %+v", ev)
	}
	if len(ev.Tickets) != 2 || !ev.Tickets[1].StartTime.Equal(time.Date(2026, 11, 26, 5, 26, 59, 80e6, time.UTC)) {
		t.Fatalf("tickets %+v", ev.Tickets)
	}
	if !ev.ForTicket("706cfa29") || !ev.ForTicket("ea768677") || ev.ForTicket("backfill-1") {
		t.Fatal("ForTicket does not match the tickets the event names")
	}
	me, ok := ev.Player("local:c92b5b11")
	if !ok || me.Team != "blue" || me.PlayerSessionID != "psess-2" {
		t.Fatalf("Player: %+v %v", me, ok)
	}
	if _, ok := ev.Player("local:nobody"); ok {
		t.Fatal("Player found a player the event does not name")
	}
	if got := ev.GameSessionInfo.Address(); got != "127.0.0.1:7001" {
		t.Fatalf("Address %q", got)
	}
	if string(ev.Raw) != succeeded {
		t.Fatal("Raw is not the document as received")
	}
	if (client.GameSessionInfo{}).Address() != "" {
		t.Fatal("an unplaced match has an address")
	}
	if got := (client.GameSessionInfo{DNSName: "gs.example.com", IPAddress: "10.0.0.1", Port: 7777}).Address(); got != net.JoinHostPort("gs.example.com", "7777") {
		t.Fatalf("Address prefers the IP to the DNS name: %q", got)
	}
	for _, bad := range []string{`[]`, `{"id":"x","time":"yesterday"}`} {
		if _, err := client.ParseEvent([]byte(bad)); err == nil {
			t.Errorf("ParseEvent(%s) succeeded", bad)
		}
	}
}

// A beacon that does not answer leaves its location out; none answering
// is an error.
func TestMeasureBeaconsLeavesOutTheUnreachable(t *testing.T) {
	silent, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	addr := silent.LocalAddr().String()
	silent.Close() // nothing listens there now
	got, err := client.MeasureBeacons(t.Context(), map[string]string{"custom-gone": addr}, 2)
	if err == nil || len(got) != 0 {
		t.Fatalf("MeasureBeacons of a dead beacon: %v, %v; want an error and nothing", got, err)
	}
	if _, err := client.MeasureBeacons(t.Context(), nil, 0); err == nil {
		t.Fatal("MeasureBeacons with 0 probes succeeded")
	}
}
