package matchmaking

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rallypoint/rallypoint/flexmatch"
	"github.com/rallypoint/rallypoint/internal/events"
)

// DetailType is the detail-type of every matchmaking event.
const DetailType = "GameLift Matchmaking Event"

// Matchmaking event types, detail.type.
const (
	EventSearching             = "MatchmakingSearching"
	EventPotentialMatchCreated = "PotentialMatchCreated"
	EventAcceptMatch           = "AcceptMatch"
	EventAcceptMatchCompleted  = "AcceptMatchCompleted"
	EventSucceeded             = "MatchmakingSucceeded"
	EventTimedOut              = "MatchmakingTimedOut"
	EventCancelled             = "MatchmakingCancelled"
	EventFailed                = "MatchmakingFailed"
)

// Acceptance outcomes of AcceptMatchCompleted.
const (
	AcceptanceAccepted = "Accepted"
	AcceptanceRejected = "Rejected"
	AcceptanceTimedOut = "TimedOut"
)

// Detail is the detail member of a matchmaking event, as FlexMatch writes
// it. Members that an event type does not carry are left out.
type Detail struct {
	Type    string      `json:"type"`
	Tickets []TicketDoc `json:"tickets"`
	// EstimatedWaitMillis is a number or the string "NOT_AVAILABLE"
	// (MatchmakingSearching only).
	EstimatedWaitMillis   any                `json:"estimatedWaitMillis,omitempty"`
	AcceptanceRequired    *bool              `json:"acceptanceRequired,omitempty"`
	AcceptanceTimeout     *int               `json:"acceptanceTimeout,omitempty"`
	Acceptance            string             `json:"acceptance,omitempty"`
	Reason                string             `json:"reason,omitempty"`
	Message               string             `json:"message,omitempty"`
	RuleEvaluationMetrics []RuleMetricDoc    `json:"ruleEvaluationMetrics,omitempty"`
	CustomEventData       string             `json:"customEventData,omitempty"`
	MatchID               string             `json:"matchId,omitempty"`
	GameSessionInfo       GameSessionInfoDoc `json:"gameSessionInfo"`

	// key names what the event reports (a ticket's nth search, a match's
	// creation, ...): the event's id derives from it, so that the same
	// event published twice is stored once.
	key string
}

// TicketDoc is one ticket in an event.
type TicketDoc struct {
	TicketID  string      `json:"ticketId"`
	StartTime string      `json:"startTime"`
	Players   []PlayerDoc `json:"players"`
}

// PlayerDoc is one player in an event.
type PlayerDoc struct {
	PlayerID        string `json:"playerId"`
	Team            string `json:"team,omitempty"`
	Accepted        *bool  `json:"accepted,omitempty"`
	PlayerSessionID string `json:"playerSessionId,omitempty"`
}

// GameSessionInfoDoc is an event's gameSessionInfo: the match's players,
// and once placed, where its game session is.
type GameSessionInfoDoc struct {
	GameSessionARN string      `json:"gameSessionArn,omitempty"`
	IPAddress      string      `json:"ipAddress,omitempty"`
	DNSName        string      `json:"dnsName,omitempty"`
	Port           int         `json:"port,omitempty"`
	Players        []PlayerDoc `json:"players"`
}

// RuleMetricDoc counts one rule's evaluations.
type RuleMetricDoc struct {
	RuleName    string `json:"ruleName"`
	PassedCount int    `json:"passedCount"`
	FailedCount int    `json:"failedCount"`
}

// isoMillis is the time format of FlexMatch's event members.
func isoMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// newDetail describes tickets for an event of type typ; conn, when set,
// is the placed game session.
func newDetail(typ string, tickets []*Ticket, conn *ConnectionInfo) Detail {
	d := Detail{Type: typ, Tickets: make([]TicketDoc, 0, len(tickets)), GameSessionInfo: GameSessionInfoDoc{Players: []PlayerDoc{}}}
	for _, t := range tickets {
		td := TicketDoc{TicketID: t.ID, StartTime: isoMillis(t.StartTime), Players: make([]PlayerDoc, 0, len(t.Players))}
		for _, p := range t.Players {
			pd := PlayerDoc{PlayerID: p.PlayerID, Team: p.Team, Accepted: p.Accepted, PlayerSessionID: p.PlayerSessionID}
			td.Players = append(td.Players, pd)
			d.GameSessionInfo.Players = append(d.GameSessionInfo.Players, pd)
		}
		d.Tickets = append(d.Tickets, td)
	}
	if conn != nil {
		d.GameSessionInfo.GameSessionARN = conn.GameSessionARN
		d.GameSessionInfo.IPAddress = conn.IPAddress
		d.GameSessionInfo.DNSName = conn.DNSName
		d.GameSessionInfo.Port = conn.Port
	}
	return d
}

// The events of each step. Each sets the key its id derives from.

func searchingEvent(t *Ticket, est *int) Detail {
	d := newDetail(EventSearching, []*Ticket{t}, nil)
	d.EstimatedWaitMillis = "NOT_AVAILABLE"
	if est != nil {
		d.EstimatedWaitMillis = *est * 1000
	}
	d.key = fmt.Sprintf("searching/%s/%d", t.ID, t.Searches)
	return d
}

// endEvent reports a ticket that ended other than COMPLETED.
func endEvent(t *Ticket) Detail {
	typ := EventFailed
	switch t.Status {
	case StatusCancelled:
		typ = EventCancelled
	case StatusTimedOut:
		typ = EventTimedOut
	}
	d := newDetail(typ, []*Ticket{t}, nil)
	d.Reason, d.Message, d.MatchID = t.StatusReason, t.StatusMessage, t.MatchID
	d.key = "ended/" + t.ID
	return d
}

func (o *owner) potentialMatchEvent(m *match, tickets []*Ticket) Detail {
	d := newDetail(EventPotentialMatchCreated, tickets, nil)
	d.MatchID = m.rec.ID
	d.AcceptanceRequired = &o.cfg.AcceptanceRequired
	if o.cfg.AcceptanceRequired {
		d.AcceptanceTimeout = &o.cfg.AcceptanceTimeoutSeconds
	}
	d.RuleEvaluationMetrics = ruleMetrics(m.rec.Metrics)
	d.key = "potential/" + m.rec.ID
	return d
}

func acceptMatchEvent(m *match, tickets []*Ticket) Detail {
	d := newDetail(EventAcceptMatch, tickets, nil)
	d.MatchID = m.rec.ID
	d.key = fmt.Sprintf("accept/%s/%d", m.rec.ID, len(m.rec.Announced))
	return d
}

func acceptMatchCompletedEvent(m *match, tickets []*Ticket, acceptance string) Detail {
	d := newDetail(EventAcceptMatchCompleted, tickets, nil)
	d.MatchID, d.Acceptance = m.rec.ID, acceptance
	d.key = "accepted/" + m.rec.ID
	return d
}

func succeededEvent(matchID string, tickets []*Ticket, conn *ConnectionInfo) Detail {
	d := newDetail(EventSucceeded, tickets, conn)
	d.MatchID = matchID
	d.key = "succeeded/" + matchID
	return d
}

// eventNamespace names the ids of matchmaking events (UUID version 5).
var eventNamespace = uuid.MustParse("8b7c1f0e-3d52-4a8e-9c61-2f4e5a7b9d13")

func ruleMetrics(ms []flexmatch.RuleMetric) []RuleMetricDoc {
	out := make([]RuleMetricDoc, 0, len(ms))
	for _, m := range ms {
		out = append(out, RuleMetricDoc{RuleName: m.Rule, PassedCount: m.Passed, FailedCount: m.Failed})
	}
	return out
}

// subjectName turns a configuration name into one subject token: names
// may hold '.', which separates tokens.
func subjectName(name string) string { return strings.ReplaceAll(name, ".", "_") }

// publish emits a matchmaking event about configuration c. A failure is
// logged, not returned: the tickets' states are stored either way, and
// DescribeMatchmaking shows them.
func (s *Service) publish(ctx context.Context, c *Configuration, d Detail, at time.Time) {
	if s.cfg.Events == nil {
		return
	}
	d.CustomEventData = c.CustomEventData
	ev := events.Event{
		Subject:            events.Subject("matchmaking", subjectName(c.Name), d.Type),
		NotificationTarget: c.NotificationTarget,
		Document:           events.NewDocument(DetailType, s.cfg.Region, []string{c.ARN}, at, d),
	}
	if d.key != "" {
		ev.Document.ID = uuid.NewSHA1(eventNamespace, []byte(c.Name+"/"+d.key)).String()
	}
	if s.out != nil {
		select {
		case s.out <- ev:
		case <-ctx.Done():
		}
		return
	}
	s.publishNow(ctx, ev)
}
