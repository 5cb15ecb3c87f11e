package client

import (
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"time"
)

// The matchmaking event types, in the order a ticket can go through them.
const (
	EventMatchmakingSearching  = "MatchmakingSearching"
	EventPotentialMatchCreated = "PotentialMatchCreated"
	EventAcceptMatch           = "AcceptMatch"
	EventAcceptMatchCompleted  = "AcceptMatchCompleted"
	EventMatchmakingSucceeded  = "MatchmakingSucceeded"
	EventMatchmakingTimedOut   = "MatchmakingTimedOut"
	EventMatchmakingCancelled  = "MatchmakingCancelled"
	EventMatchmakingFailed     = "MatchmakingFailed"
)

// Event is a FlexMatch matchmaking event pushed down the socket: the
// document of the event stream, with the members of its detail a client
// acts on. Raw is the whole document as it came.
//
// Events name every ticket of the match and every player of those
// tickets. A player also receives events of tickets that are not its own
// (a backfill ticket naming the players already in the game): act on
// those for which ForTicket(yourTicketID) holds.
type Event struct {
	// ID is the event's id; the same event sent twice (pushed, then again
	// on reconnecting) has the same id, and Conn delivers it once.
	ID string
	// Type is detail.type: MatchmakingSearching, MatchmakingSucceeded, ...
	Type string
	Time time.Time
	// Resources are the ARNs the event is about (the configuration).
	Resources []string
	Tickets   []EventTicket
	MatchID   string
	// GameSessionInfo names the match's players and, in
	// MatchmakingSucceeded, where the game session is.
	GameSessionInfo GameSessionInfo
	// AcceptanceRequired is set in PotentialMatchCreated when the players
	// must accept the match (AcceptMatch); AcceptanceTimeout is how many
	// seconds they have.
	AcceptanceRequired bool
	AcceptanceTimeout  int
	// Acceptance is AcceptMatchCompleted's outcome: Accepted, Rejected or
	// TimedOut.
	Acceptance string
	// Reason and Message explain MatchmakingFailed, MatchmakingTimedOut
	// and MatchmakingCancelled.
	Reason  string
	Message string
	// CustomEventData is the configuration's custom event data.
	CustomEventData string
	Raw             json.RawMessage
}

// EventTicket is one ticket named in an event.
type EventTicket struct {
	TicketID  string        `json:"ticketId"`
	StartTime time.Time     `json:"startTime"`
	Players   []EventPlayer `json:"players"`
}

// EventPlayer is one player named in an event.
type EventPlayer struct {
	PlayerID string `json:"playerId"`
	Team     string `json:"team,omitempty"`
	// Accepted is the player's answer in AcceptMatch events; nil when it
	// has not answered.
	Accepted *bool `json:"accepted,omitempty"`
	// PlayerSessionID is what the player presents to the game server
	// (MatchmakingSucceeded).
	PlayerSessionID string `json:"playerSessionId,omitempty"`
}

// GameSessionInfo is an event's gameSessionInfo.
type GameSessionInfo struct {
	GameSessionArn string        `json:"gameSessionArn,omitempty"`
	IPAddress      string        `json:"ipAddress,omitempty"`
	DNSName        string        `json:"dnsName,omitempty"`
	Port           int           `json:"port,omitempty"`
	Players        []EventPlayer `json:"players"`
}

// Address is the game server's host:port, by DNS name when it has one,
// or "" before the match is placed.
func (g GameSessionInfo) Address() string {
	host := g.DNSName
	if host == "" {
		host = g.IPAddress
	}
	if host == "" || g.Port == 0 {
		return ""
	}
	return net.JoinHostPort(host, strconv.Itoa(g.Port))
}

// ForTicket reports whether the event names the ticket ticketID.
func (e Event) ForTicket(ticketID string) bool {
	for _, t := range e.Tickets {
		if t.TicketID == ticketID {
			return true
		}
	}
	return false
}

// Player finds a player's entry in GameSessionInfo (in
// MatchmakingSucceeded, its team and player session id).
func (e Event) Player(playerID string) (EventPlayer, bool) {
	for _, p := range e.GameSessionInfo.Players {
		if p.PlayerID == playerID {
			return p, true
		}
	}
	return EventPlayer{}, false
}

// Ended reports whether the event is the last of its tickets: succeeded,
// timed out, cancelled or failed.
func (e Event) Ended() bool {
	switch e.Type {
	case EventMatchmakingSucceeded, EventMatchmakingTimedOut, EventMatchmakingCancelled, EventMatchmakingFailed:
		return true
	}
	return false
}

// wireEvent is the event document's shape.
type wireEvent struct {
	ID        string   `json:"id"`
	Time      string   `json:"time"`
	Resources []string `json:"resources"`
	Detail    struct {
		Type               string          `json:"type"`
		Tickets            []EventTicket   `json:"tickets"`
		MatchID            string          `json:"matchId"`
		GameSessionInfo    GameSessionInfo `json:"gameSessionInfo"`
		AcceptanceRequired bool            `json:"acceptanceRequired"`
		AcceptanceTimeout  int             `json:"acceptanceTimeout"`
		Acceptance         string          `json:"acceptance"`
		Reason             string          `json:"reason"`
		Message            string          `json:"message"`
		CustomEventData    string          `json:"customEventData"`
	} `json:"detail"`
}

// ParseEvent reads an event document, as the socket's event frames carry
// it (the value of their "event" member) and as notification targets
// receive it.
func ParseEvent(doc []byte) (Event, error) {
	var w wireEvent
	if err := json.Unmarshal(doc, &w); err != nil {
		return Event{}, fmt.Errorf("client: event document: %w", err)
	}
	d := w.Detail
	e := Event{
		ID: w.ID, Type: d.Type, Resources: w.Resources, Tickets: d.Tickets, MatchID: d.MatchID,
		GameSessionInfo: d.GameSessionInfo, AcceptanceRequired: d.AcceptanceRequired, AcceptanceTimeout: d.AcceptanceTimeout,
		Acceptance: d.Acceptance, Reason: d.Reason, Message: d.Message, CustomEventData: d.CustomEventData,
		Raw: append(json.RawMessage(nil), doc...),
	}
	if w.Time != "" {
		t, err := time.Parse(time.RFC3339, w.Time)
		if err != nil {
			return Event{}, fmt.Errorf("client: event %s: time: %w", w.ID, err)
		}
		e.Time = t
	}
	return e, nil
}

// seenEvents remembers the ids of the last events delivered, to drop
// repeats. A repeat comes right after a reconnect (the ticket's latest
// event), so a short memory is enough.
type seenEvents struct {
	ids  map[string]struct{}
	ring []string
	next int
}

const seenEventsKept = 256

// add reports whether id is new, and remembers it.
func (s *seenEvents) add(id string) bool {
	if s.ids == nil {
		s.ids = make(map[string]struct{}, seenEventsKept)
		s.ring = make([]string, seenEventsKept)
	}
	if _, ok := s.ids[id]; ok {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.ids, old)
	}
	s.ring[s.next] = id
	s.next = (s.next + 1) % len(s.ring)
	s.ids[id] = struct{}{}
	return true
}
