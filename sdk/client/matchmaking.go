package client

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// AttributeValue is a player attribute in GameLift's typed form: set
// exactly one member. String, Number, StringList and StringDoubleMap make
// one.
type AttributeValue struct {
	S   *string            `json:"S,omitempty"`
	N   *float64           `json:"N,omitempty"`
	SL  []string           `json:"SL,omitzero"`
	SDM map[string]float64 `json:"SDM,omitzero"`
}

// String is a string attribute.
func String(s string) AttributeValue { return AttributeValue{S: &s} }

// Number is a number attribute.
func Number(n float64) AttributeValue { return AttributeValue{N: &n} }

// StringList is a list-of-strings attribute.
func StringList(s ...string) AttributeValue { return AttributeValue{SL: s} }

// StringDoubleMap is a string-to-number map attribute.
func StringDoubleMap(m map[string]float64) AttributeValue { return AttributeValue{SDM: m} }

// Ticket statuses.
const (
	StatusQueued             = "QUEUED"
	StatusSearching          = "SEARCHING"
	StatusRequiresAcceptance = "REQUIRES_ACCEPTANCE"
	StatusPlacing            = "PLACING"
	StatusCompleted          = "COMPLETED"
	StatusFailed             = "FAILED"
	StatusCancelled          = "CANCELLED"
	StatusTimedOut           = "TIMED_OUT"
)

// Ticket is a matchmaking ticket as DescribeMatchmaking returns it.
type Ticket struct {
	TicketID          string    `json:"ticketId"`
	ConfigurationName string    `json:"configurationName"`
	ConfigurationArn  string    `json:"configurationArn"`
	Status            string    `json:"status"`
	StatusReason      string    `json:"statusReason"`
	StatusMessage     string    `json:"statusMessage"`
	StartTime         time.Time `json:"startTime"`
	// EndTime is zero while the ticket is live.
	EndTime time.Time `json:"endTime"`
	// EstimatedWaitTime is in seconds, when the matchmaker has an estimate.
	EstimatedWaitTime *int           `json:"estimatedWaitTime"`
	Players           []TicketPlayer `json:"players"`
	// GameSessionConnectionInfo is where the match was placed, once the
	// ticket is COMPLETED.
	GameSessionConnectionInfo *ConnectionInfo `json:"gameSessionConnectionInfo"`
}

// TicketPlayer is a player of a ticket.
type TicketPlayer struct {
	PlayerID         string                    `json:"playerId"`
	PlayerAttributes map[string]AttributeValue `json:"playerAttributes"`
	Team             string                    `json:"team"`
	LatencyInMs      map[string]int            `json:"latencyInMs"`
}

// ConnectionInfo is the game session a completed ticket was placed in.
type ConnectionInfo struct {
	GameSessionArn        string          `json:"gameSessionArn"`
	IPAddress             string          `json:"ipAddress"`
	DNSName               string          `json:"dnsName"`
	Port                  int             `json:"port"`
	MatchedPlayerSessions []PlayerSession `json:"matchedPlayerSessions"`
}

// PlayerSession is a player's reserved place in a game session.
type PlayerSession struct {
	PlayerID        string `json:"playerId"`
	PlayerSessionID string `json:"playerSessionId"`
}

// Ended reports whether the ticket is in a final status.
func (t Ticket) Ended() bool {
	switch t.Status {
	case StatusCompleted, StatusFailed, StatusCancelled, StatusTimedOut:
		return true
	}
	return false
}

type ticketReply struct {
	Ticket *Ticket `json:"ticket"`
}

// StartMatchmaking asks for a match for the player in the matchmaking
// configuration configurationName, with its attributes (as the rule set
// names them) and its latency in milliseconds to each location (from
// MeasureLatencies). Either may be nil.
//
// The ticket's events then arrive on Events. If the socket drops while
// the request is on its way, StartMatchmaking finds out, once
// reconnected, whether the ticket was made, and makes it if not: the
// player gets one ticket.
func (c *Conn) StartMatchmaking(ctx context.Context, configurationName string, attrs map[string]AttributeValue, latencies map[string]int) (Ticket, error) {
	// The ticket id is chosen here so that a request whose reply was lost
	// can be looked up.
	id := uuid.NewString()
	req := map[string]any{"ticketId": id, "configurationName": configurationName}
	if len(attrs) > 0 {
		req["playerAttributes"] = attrs
	}
	if len(latencies) > 0 {
		req["latencyInMs"] = latencies
	}
	for {
		var out ticketReply
		err := c.request(ctx, "startMatchmaking", req, &out)
		if err == nil {
			if out.Ticket == nil {
				return Ticket{}, errors.New("client: startMatchmaking answered without a ticket")
			}
			return *out.Ticket, nil
		}
		if !errors.Is(err, ErrConnectionLost) {
			return Ticket{}, fmt.Errorf("client: start matchmaking in %s: %w", configurationName, err)
		}
		// Was the ticket made before the socket dropped?
		t, err := c.DescribeMatchmaking(ctx, id)
		for errors.Is(err, ErrConnectionLost) {
			t, err = c.DescribeMatchmaking(ctx, id)
		}
		var e *Error
		switch {
		case err == nil:
			return t, nil
		case !errors.As(err, &e) || e.Code != CodeNotFound:
			return Ticket{}, fmt.Errorf("client: start matchmaking in %s: %w", configurationName, err)
		}
		// It was not: ask again.
	}
}

// DescribeMatchmaking returns the player's ticket. A ticket that is not
// the player's is answered as one that does not exist: an *Error with
// Code NotFoundException.
func (c *Conn) DescribeMatchmaking(ctx context.Context, ticketID string) (Ticket, error) {
	var out ticketReply
	if err := c.request(ctx, "describeMatchmaking", map[string]any{"ticketId": ticketID}, &out); err != nil {
		return Ticket{}, fmt.Errorf("client: describe ticket %s: %w", ticketID, err)
	}
	if out.Ticket == nil {
		return Ticket{}, errors.New("client: describeMatchmaking answered without a ticket")
	}
	return *out.Ticket, nil
}

// StopMatchmaking cancels the player's ticket.
func (c *Conn) StopMatchmaking(ctx context.Context, ticketID string) error {
	if err := c.request(ctx, "stopMatchmaking", map[string]any{"ticketId": ticketID}, nil); err != nil {
		return fmt.Errorf("client: stop ticket %s: %w", ticketID, err)
	}
	return nil
}

// AcceptMatch accepts (or, with accept false, rejects) the match proposed
// for the player's ticket, while the ticket is REQUIRES_ACCEPTANCE (after
// a PotentialMatchCreated event with AcceptanceRequired).
func (c *Conn) AcceptMatch(ctx context.Context, ticketID string, accept bool) error {
	typ := "ACCEPT"
	if !accept {
		typ = "REJECT"
	}
	if err := c.request(ctx, "acceptMatch", map[string]any{"ticketId": ticketID, "acceptanceType": typ}, nil); err != nil {
		return fmt.Errorf("client: %s match of ticket %s: %w", typ, ticketID, err)
	}
	return nil
}

// Ping asks the server for an answer: a round trip, and activity that
// keeps a quiet socket open (Conn already sends WebSocket pings for that).
func (c *Conn) Ping(ctx context.Context) error {
	if err := c.request(ctx, "ping", nil, nil); err != nil {
		return fmt.Errorf("client: ping: %w", err)
	}
	return nil
}
