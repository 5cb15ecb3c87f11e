package matchmaking

import (
	"errors"
	"fmt"
	"time"

	"github.com/rallypoint/rallypoint/internal/fleet"
)

// Error kinds. Every error the Service returns for a caller's mistake wraps
// one of them, with a message that names the member and the reason.
var (
	ErrNotFound       = errors.New("not found")
	ErrInvalidRequest = errors.New("invalid request")
	ErrConflict       = errors.New("conflict")
)

// Error is a caller-facing error: its message is meant for the user, its
// kind (one of the Err* values) for errors.Is.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }

func newError(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Ticket statuses, GameLift's MatchmakingConfigurationStatus.
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

// FlexMatch modes and backfill modes of a configuration.
const (
	ModeStandalone = "STANDALONE"
	ModeWithQueue  = "WITH_QUEUE"

	BackfillAutomatic = "AUTOMATIC"
	BackfillManual    = "MANUAL"
)

// Acceptance answers of AcceptMatch.
const (
	Accept = "ACCEPT"
	Reject = "REJECT"
)

// Limits GameLift sets on matchmaking requests.
const (
	MaxPlayersPerTicket         = 10
	MaxPlayersPerBackfill       = 199
	MaxAttributesPerPlayer      = 10
	MaxRequestTimeoutSeconds    = 43200
	MaxAcceptanceTimeoutSeconds = 600
	MaxRuleSetBodyBytes         = 65535
)

// Tag is a resource tag, as the fleet service has it.
type Tag = fleet.Tag

// Property is a game property, as the fleet service has it.
type Property = fleet.Property

// RuleSet is a stored matchmaking rule set.
type RuleSet struct {
	Name      string    `json:"name"`
	ARN       string    `json:"arn"`
	Body      string    `json:"body"`
	Tags      []Tag     `json:"tags,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
}

// Configuration is a matchmaking configuration.
type Configuration struct {
	Name                     string     `json:"name"`
	ARN                      string     `json:"arn"`
	Description              string     `json:"description,omitempty"`
	RuleSetName              string     `json:"ruleSetName"`
	RuleSetARN               string     `json:"ruleSetArn"`
	FlexMatchMode            string     `json:"flexMatchMode"`
	GameSessionQueueARNs     []string   `json:"gameSessionQueueArns,omitempty"`
	RequestTimeoutSeconds    int        `json:"requestTimeoutSeconds"`
	AcceptanceRequired       bool       `json:"acceptanceRequired"`
	AcceptanceTimeoutSeconds int        `json:"acceptanceTimeoutSeconds,omitempty"`
	AdditionalPlayerCount    int        `json:"additionalPlayerCount,omitempty"`
	BackfillMode             string     `json:"backfillMode,omitempty"`
	GameProperties           []Property `json:"gameProperties,omitempty"`
	GameSessionData          string     `json:"gameSessionData,omitempty"`
	CustomEventData          string     `json:"customEventData,omitempty"`
	NotificationTarget       string     `json:"notificationTarget,omitempty"`
	Tags                     []Tag      `json:"tags,omitempty"`
	CreatedAt                time.Time  `json:"createdAt"`
}

// ConfigurationInput holds what CreateMatchmakingConfiguration and
// UpdateMatchmakingConfiguration take. On update, nil members are left as
// they are.
type ConfigurationInput struct {
	Name                     string
	Description              *string
	RuleSet                  *string // name or ARN
	FlexMatchMode            *string
	GameSessionQueueARNs     []string // nil: not given
	RequestTimeoutSeconds    *int
	AcceptanceRequired       *bool
	AcceptanceTimeoutSeconds *int
	AdditionalPlayerCount    *int
	BackfillMode             *string
	GameProperties           []Property // nil: not given
	GameSessionData          *string
	CustomEventData          *string
	NotificationTarget       *string
	Tags                     []Tag
}

// AttributeValue is a player attribute in GameLift's typed form: exactly
// one member is set.
type AttributeValue struct {
	S   *string            `json:"S,omitempty"`
	N   *float64           `json:"N,omitempty"`
	SL  []string           `json:"SL,omitzero"`
	SDM map[string]float64 `json:"SDM,omitzero"`
}

// Player is one player of a ticket, as StartMatchmaking takes it.
type Player struct {
	PlayerID    string                    `json:"playerId"`
	Attributes  map[string]AttributeValue `json:"attributes,omitempty"`
	LatencyInMs map[string]int            `json:"latencyInMs,omitempty"`
	// Team is the player's team once matched (or, in a backfill request,
	// the team the player is on).
	Team string `json:"team,omitempty"`
	// Accepted records the player's answer while the ticket requires
	// acceptance: nil before it answered.
	Accepted *bool `json:"accepted,omitempty"`
	// PlayerSessionID is the player's session once placed.
	PlayerSessionID string `json:"playerSessionId,omitempty"`
}

// ConnectionInfo is a completed ticket's GameSessionConnectionInfo.
type ConnectionInfo struct {
	GameSessionARN string          `json:"gameSessionArn"`
	IPAddress      string          `json:"ipAddress,omitempty"`
	DNSName        string          `json:"dnsName,omitempty"`
	Port           int             `json:"port,omitempty"`
	Players        []MatchedPlayer `json:"players,omitempty"`
}

// MatchedPlayer is a MatchedPlayerSession.
type MatchedPlayer struct {
	PlayerID        string `json:"playerId"`
	PlayerSessionID string `json:"playerSessionId"`
}

// Ticket is a matchmaking or backfill request and its progress.
type Ticket struct {
	ID            string    `json:"id"`
	Configuration string    `json:"configuration"`
	ConfigARN     string    `json:"configurationArn"`
	Status        string    `json:"status"`
	StatusReason  string    `json:"statusReason,omitempty"`
	StatusMessage string    `json:"statusMessage,omitempty"`
	Players       []Player  `json:"players"`
	StartTime     time.Time `json:"startTime"`
	EndTime       time.Time `json:"endTime,omitzero"`
	// Deadline is StartTime plus the configuration's request timeout when
	// the ticket started.
	Deadline time.Time `json:"deadline"`
	// EstimatedWaitSeconds is nil until the configuration has matched
	// enough tickets to estimate.
	EstimatedWaitSeconds *int `json:"estimatedWaitSeconds,omitempty"`
	// MatchID is the match the ticket is in (REQUIRES_ACCEPTANCE, PLACING,
	// COMPLETED); empty while searching.
	MatchID        string          `json:"matchId,omitempty"`
	ConnectionInfo *ConnectionInfo `json:"connectionInfo,omitempty"`

	// Backfill marks a StartMatchBackfill ticket for GameSessionARN. Auto
	// marks one the service made for an AUTOMATIC configuration.
	Backfill       bool   `json:"backfill,omitempty"`
	Auto           bool   `json:"auto,omitempty"`
	GameSessionARN string `json:"gameSessionArn,omitempty"`

	// StopRequested is set by StopMatchmaking; the owner acts on it.
	StopRequested bool `json:"stopRequested,omitempty"`
	// Searches counts the times the ticket started searching (a dropped
	// match sends it back): it tells its MatchmakingSearching events apart.
	Searches int `json:"searches,omitempty"`
	// ChangedAt is when the ticket was last written: a new owner
	// republishes the events of recent changes, which its predecessor may
	// have stored without publishing.
	ChangedAt time.Time `json:"changedAt,omitzero"`
}

// additionalPlayers is the AdditionalPlayerCount the matchmaker keeps
// free: GameLift uses it only when it places the match itself.
func (c *Configuration) additionalPlayers() int {
	if c.FlexMatchMode == ModeStandalone {
		return 0
	}
	return c.AdditionalPlayerCount
}

// Ended reports whether the ticket has reached a final status.
func (t *Ticket) Ended() bool {
	switch t.Status {
	case StatusCompleted, StatusFailed, StatusCancelled, StatusTimedOut:
		return true
	}
	return false
}

// StartInput holds what StartMatchmaking takes.
type StartInput struct {
	TicketID      string // empty: the service makes one
	Configuration string // name or ARN
	Players       []Player
}

// BackfillInput holds what StartMatchBackfill takes.
type BackfillInput struct {
	TicketID       string
	Configuration  string // name or ARN
	GameSessionARN string
	Players        []Player // with Team
}
