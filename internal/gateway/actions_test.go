package gateway_test

import (
	"strings"
	"testing"
)

func TestBuiltinActions(t *testing.T) {
	w := newWorld(t)
	n := w.node("a", nil)
	p := w.player()
	c := n.connect(t, p)

	// ping
	if r := c.call(`{"action":"ping","requestId":7}`); !r.OK || string(r.RequestID) != "7" || r.Error != nil {
		t.Fatalf("ping: %+v", r)
	}

	// startMatchmaking: the ticket's player is the identity.
	r := c.call(map[string]any{
		"action": "startMatchmaking", "requestId": "r1", "configurationName": "duel",
		"playerAttributes": map[string]any{"skill": map[string]any{"N": 23}},
		"latencyInMs":      map[string]int{"custom-eu": 40},
	})
	if !r.OK || string(r.RequestID) != `"r1"` {
		t.Fatalf("startMatchmaking: %+v", r)
	}
	id, _ := r.Ticket["ticketId"].(string)
	if id == "" || r.Ticket["status"] != "QUEUED" || r.Ticket["configurationName"] != "duel" {
		t.Fatalf("ticket %v", r.Ticket)
	}
	players := r.Ticket["players"].([]any)
	if len(players) != 1 || players[0].(map[string]any)["playerId"] != p.id {
		t.Fatalf("players %v, want just %s", players, p.id)
	}
	if attrs := players[0].(map[string]any)["playerAttributes"].(map[string]any); attrs["skill"].(map[string]any)["N"] != 23.0 {
		t.Errorf("attributes %v", attrs)
	}

	// describeMatchmaking
	r = c.call(map[string]any{"action": "describeMatchmaking", "requestId": "r2", "ticketId": id})
	if !r.OK || r.Ticket["ticketId"] != id || r.Ticket["configurationArn"] == nil || !strings.HasSuffix(r.Ticket["startTime"].(string), "Z") {
		t.Fatalf("describeMatchmaking: %+v", r)
	}

	// acceptMatch on a ticket that is not awaiting acceptance
	r = c.call(map[string]any{"action": "acceptMatch", "requestId": "r3", "ticketId": id, "acceptanceType": "ACCEPT"})
	if r.OK || r.Error.Code != "InvalidRequestException" || !strings.Contains(r.Error.Message, "REQUIRES_ACCEPTANCE") {
		t.Fatalf("acceptMatch on a queued ticket: %+v", r)
	}

	// stopMatchmaking, then the ticket ends CANCELLED.
	if r = c.call(map[string]any{"action": "stopMatchmaking", "requestId": "r4", "ticketId": id}); !r.OK {
		t.Fatalf("stopMatchmaking: %+v", r)
	}
	eventually(t, "the ticket to be cancelled", func() bool {
		r := c.call(map[string]any{"action": "describeMatchmaking", "ticketId": id})
		return r.OK && r.Ticket["status"] == "CANCELLED" && r.Ticket["endTime"] != nil
	})

	errorCases := []struct {
		name  string
		frame string
		code  string
		says  string // the message names the member and the reason
	}{
		{"not JSON", `hello`, "InvalidRequestException", "JSON object"},
		{"broken JSON", `{"action":`, "InvalidRequestException", "not valid JSON"},
		{"no action", `{"requestId":"x"}`, "InvalidRequestException", "action is required"},
		{"action not a string", `{"action":5}`, "InvalidRequestException", "action must be a string"},
		{"unknown action", `{"action":"dance","requestId":"x"}`, "UnknownAction", `"dance"`},
		{"no configuration", `{"action":"startMatchmaking"}`, "InvalidRequestException", "configurationName is required"},
		{"configuration of the wrong type", `{"action":"startMatchmaking","configurationName":5}`, "InvalidRequestException", "configurationName must be a string"},
		{"unknown configuration", `{"action":"startMatchmaking","configurationName":"nope"}`, "NotFoundException", "nope"},
		{"another player's id", `{"action":"startMatchmaking","configurationName":"duel","playerId":"someone-else"}`, "InvalidRequestException", "playerId"},
		{"players list", `{"action":"startMatchmaking","configurationName":"duel","players":[{"playerId":"x"}]}`, "InvalidRequestException", "players"},
		{"attribute with two types", `{"action":"startMatchmaking","configurationName":"duel","playerAttributes":{"skill":{"N":1,"S":"a"}}}`, "InvalidRequestException", "playerAttributes.skill"},
		{"attribute value of the wrong type", `{"action":"startMatchmaking","configurationName":"duel","playerAttributes":{"skill":{"N":"high"}}}`, "InvalidRequestException", "playerAttributes.N must be a number"},
		{"no ticket id", `{"action":"describeMatchmaking"}`, "InvalidRequestException", "ticketId is required"},
		{"unknown ticket", `{"action":"stopMatchmaking","ticketId":"no-such-ticket"}`, "NotFoundException", "no-such-ticket"},
		{"no acceptance type", `{"action":"acceptMatch","ticketId":"` + id + `"}`, "InvalidRequestException", "acceptanceType"},
		{"bad acceptance type", `{"action":"acceptMatch","ticketId":"` + id + `","acceptanceType":"MAYBE"}`, "InvalidRequestException", "AcceptanceType"},
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.call(tc.frame)
			if r.OK || r.Error == nil || r.Error.Code != tc.code || !strings.Contains(r.Error.Message, tc.says) {
				t.Fatalf("reply %+v, want %s naming %q", r, tc.code, tc.says)
			}
		})
	}
	c.ping() // errors are replies, not closes
}

// A player can never stop, accept or describe another player's ticket:
// the answer is exactly that for a ticket that does not exist.
func TestOtherPlayersTicketsAreInvisible(t *testing.T) {
	w := newWorld(t)
	n := w.node("a", nil)
	owner, other := n.connect(t, w.player()), n.connect(t, w.player())
	r := owner.call(map[string]any{"action": "startMatchmaking", "configurationName": "duel"})
	if !r.OK {
		t.Fatalf("startMatchmaking: %+v", r)
	}
	id := r.Ticket["ticketId"].(string)
	const unknown = "00000000-0000-0000-0000-000000000000"
	for _, action := range []string{"describeMatchmaking", "stopMatchmaking", "acceptMatch"} {
		theirs := other.call(map[string]any{"action": action, "ticketId": id, "acceptanceType": "REJECT"})
		none := other.call(map[string]any{"action": action, "ticketId": unknown, "acceptanceType": "REJECT"})
		if theirs.OK || none.OK || theirs.Error.Code != "NotFoundException" || none.Error.Code != theirs.Error.Code ||
			strings.ReplaceAll(theirs.Error.Message, id, "ID") != strings.ReplaceAll(none.Error.Message, unknown, "ID") || theirs.Ticket != nil {
			t.Errorf("%s on another's ticket: %+v; on an unknown one: %+v", action, theirs.Error, none.Error)
		}
	}
	if r := owner.call(map[string]any{"action": "describeMatchmaking", "ticketId": id}); !r.OK || r.Ticket["status"] == "CANCELLED" {
		t.Errorf("the owner's ticket changed: %+v", r)
	}
}

// Two players accept a proposed match over their sockets.
func TestAcceptMatch(t *testing.T) {
	w := newWorld(t)
	n := w.node("a", nil)
	a, b := n.connect(t, w.player()), n.connect(t, w.player())
	var ids []string
	for _, c := range []*client{a, b} {
		r := c.call(map[string]any{"action": "startMatchmaking", "configurationName": "duel-accept"})
		if !r.OK {
			t.Fatalf("startMatchmaking: %+v", r)
		}
		ids = append(ids, r.Ticket["ticketId"].(string))
	}
	describe := func(c *client, id string) map[string]any {
		r := c.call(map[string]any{"action": "describeMatchmaking", "ticketId": id})
		if !r.OK {
			t.Fatalf("describeMatchmaking: %+v", r)
		}
		return r.Ticket
	}
	for i, c := range []*client{a, b} {
		eventually(t, "the match to be proposed", func() bool { return describe(c, ids[i])["status"] == "REQUIRES_ACCEPTANCE" })
	}
	for i, c := range []*client{a, b} {
		if r := c.call(map[string]any{"action": "acceptMatch", "ticketId": ids[i], "acceptanceType": "ACCEPT"}); !r.OK {
			t.Fatalf("acceptMatch: %+v", r)
		}
	}
	for i, c := range []*client{a, b} {
		eventually(t, "the match to complete", func() bool { return describe(c, ids[i])["status"] == "COMPLETED" })
		players := describe(c, ids[i])["players"].([]any)
		if players[0].(map[string]any)["team"] == nil {
			t.Errorf("a matched player has no team: %v", players)
		}
	}
}
