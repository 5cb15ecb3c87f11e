package placement

import (
	"errors"
	"fmt"
	"time"

	"github.com/rallypoint/rallypoint/internal/fleet"
)

// Error kinds. Every error the Service returns for a caller's mistake wraps
// one of them, with a message that names the resource and the reason.
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

// Priority criteria of a queue's PriorityOrder.
const (
	PriorityLatency     = "LATENCY"
	PriorityCost        = "COST"
	PriorityDestination = "DESTINATION"
	PriorityLocation    = "LOCATION"
)

// DefaultPriorityOrder is GameLift's order; criteria a queue leaves out are
// appended in this order.
var DefaultPriorityOrder = []string{PriorityLatency, PriorityCost, PriorityDestination, PriorityLocation}

// Placement statuses.
const (
	StatusPending   = "PENDING"
	StatusFulfilled = "FULFILLED"
	StatusCancelled = "CANCELLED"
	StatusTimedOut  = "TIMED_OUT"
	StatusFailed    = "FAILED"
)

// Fallback strategies of a PriorityConfigurationOverride.
const (
	FallbackDefaultAfterSinglePass = "DEFAULT_AFTER_SINGLE_PASS"
	FallbackNone                   = "NONE"
)

// DefaultTimeout is a queue's TimeoutInSeconds when none is given.
const DefaultTimeout = 600 * time.Second

// Queue is a game session queue: where placements may go and in which
// order they are tried.
type Queue struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
	// Destinations are fleet or alias ARNs (or ids), in preference order.
	Destinations          []string              `json:"destinations,omitempty"`
	PlayerLatencyPolicies []PlayerLatencyPolicy `json:"playerLatencyPolicies,omitempty"`
	// PriorityOrder is nil when the queue has no PriorityConfiguration.
	PriorityOrder []string `json:"priorityOrder,omitempty"`
	LocationOrder []string `json:"locationOrder,omitempty"`
	// AllowedLocations is nil when the queue has no FilterConfiguration.
	AllowedLocations   []string  `json:"allowedLocations,omitempty"`
	TimeoutSeconds     int       `json:"timeoutSeconds"`
	NotificationTarget string    `json:"notificationTarget,omitempty"`
	CustomEventData    string    `json:"customEventData,omitempty"`
	Tags               []Tag     `json:"tags,omitempty"`
	CreatedAt          time.Time `json:"createdAt"`
}

// HasPriorityConfiguration reports whether the queue was given a
// PriorityConfiguration (GameLift echoes it only then).
func (q *Queue) HasPriorityConfiguration() bool {
	return len(q.PriorityOrder) > 0 || len(q.LocationOrder) > 0
}

// PlayerLatencyPolicy caps every player's latency to the chosen location
// for a while. A nil DurationSeconds lasts until the placement times out.
type PlayerLatencyPolicy struct {
	MaximumIndividualPlayerLatencyMilliseconds int  `json:"maxLatencyMs"`
	PolicyDurationSeconds                      *int `json:"durationSeconds,omitempty"`
}

// Tag is a resource tag, as the fleet service has it.
type Tag = fleet.Tag

// QueueInput holds what CreateGameSessionQueue and UpdateGameSessionQueue
// take. On update, nil members are left as they are; a non-nil empty
// slice clears the member.
type QueueInput struct {
	Name                  string
	Destinations          []string
	PlayerLatencyPolicies []PlayerLatencyPolicy
	// Priority is nil when not given; on update, a non-nil value with both
	// lists empty removes the queue's priority configuration.
	Priority           *PriorityConfiguration
	AllowedLocations   []string // nil: not given
	FilterGiven        bool     // a FilterConfiguration was given (possibly empty)
	TimeoutSeconds     *int
	NotificationTarget *string
	CustomEventData    *string
	Tags               []Tag
}

// PriorityConfiguration is a queue's custom placement order.
type PriorityConfiguration struct {
	PriorityOrder []string
	LocationOrder []string
}

// Property is a game property of a placement's game session, which goes
// to the fleet service as it is.
type Property = fleet.Property

// PlayerLatency is one player's latency to one location.
type PlayerLatency struct {
	PlayerID  string  `json:"playerId"`
	Location  string  `json:"location"` // GameLift's RegionIdentifier
	LatencyMs float32 `json:"latencyMs"`
}

// DesiredPlayer asks for a player session in the placed game session.
type DesiredPlayer struct {
	PlayerID   string `json:"playerId"`
	PlayerData string `json:"playerData,omitempty"`
}

// PlacedPlayer is a player session made by a fulfilled placement.
type PlacedPlayer struct {
	PlayerID        string `json:"playerId"`
	PlayerSessionID string `json:"playerSessionId"`
}

// Override is a placement's PriorityConfigurationOverride.
type Override struct {
	LocationOrder []string `json:"locationOrder"`
	Fallback      string   `json:"fallback"`
}

// StartInput holds what StartGameSessionPlacement takes.
type StartInput struct {
	PlacementID               string
	Queue                     string // name or ARN
	MaximumPlayerSessionCount int
	GameSessionName           string
	GameProperties            []Property
	GameSessionData           string
	MatchmakerData            string
	PlayerLatencies           []PlayerLatency
	DesiredPlayers            []DesiredPlayer
	Override                  *Override
}

// Placement is a request for a new game session through a queue, and its
// outcome.
type Placement struct {
	ID                        string          `json:"id"`
	Queue                     string          `json:"queue"`
	Status                    string          `json:"status"`
	MaximumPlayerSessionCount int             `json:"maxPlayers"`
	GameSessionName           string          `json:"gameSessionName,omitempty"`
	GameProperties            []Property      `json:"gameProperties,omitempty"`
	GameSessionData           string          `json:"gameSessionData,omitempty"`
	MatchmakerData            string          `json:"matchmakerData,omitempty"`
	PlayerLatencies           []PlayerLatency `json:"playerLatencies,omitempty"`
	DesiredPlayers            []DesiredPlayer `json:"desiredPlayers,omitempty"`
	Override                  *Override       `json:"override,omitempty"`
	StartTime                 time.Time       `json:"startTime"`
	EndTime                   time.Time       `json:"endTime,omitzero"`
	// Deadline is StartTime plus the queue's timeout when the placement
	// started; later changes to the queue do not move it.
	Deadline time.Time `json:"deadline"`

	// The game session of the current attempt (PENDING) or of the outcome
	// (FULFILLED). Empty until an attempt has made one.
	GameSessionARN string         `json:"gameSessionArn,omitempty"`
	FleetID        string         `json:"fleetId,omitempty"`
	Location       string         `json:"location,omitempty"`
	IPAddress      string         `json:"ipAddress,omitempty"`
	DNSName        string         `json:"dnsName,omitempty"`
	Port           int            `json:"port,omitempty"`
	PlacedPlayers  []PlacedPlayer `json:"placedPlayers,omitempty"`
	// Attempts counts game sessions made for this placement that did not
	// lead to fulfilment; it names the next attempt's game session.
	Attempts int `json:"attempts,omitempty"`
}

// Ended reports whether the placement has reached a final status.
func (p *Placement) Ended() bool { return p.Status != StatusPending }
