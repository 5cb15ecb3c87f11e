package server

import "time"

// SDKVersion is the GameLift server SDK version whose wire protocol this
// package speaks. It is sent as the sdkVersion connection parameter and as
// SdkVersion in ActivateServerProcess.
const SDKVersion = "5.6.0"

// sdkLanguage is sent as sdkLanguage and SdkLanguage; the service may use it
// to tell SDKs apart, and this package behaves as the Go SDK does.
const sdkLanguage = "Go"

// ServerParameters say where the service is and who this process is. They are
// what GameLift Anywhere hands a game server: the WebSocketURL of the fleet's
// location, the compute's name (HostID) and an auth token from
// GetComputeAuthToken.
type ServerParameters struct {
	// WebSocketURL is the service's server SDK endpoint, ws:// or wss://.
	// Any query in it is replaced by the connection parameters.
	WebSocketURL string
	// ProcessID identifies this run of the game server process. It must be
	// unique among the processes on the compute; a UUID is a good choice.
	ProcessID string
	// HostID is the compute name the process runs on.
	HostID string
	// FleetID is the fleet's id (not its ARN).
	FleetID string
	// AuthToken is the compute auth token. The service may replace it later
	// with a RefreshConnection push; this package then uses the new one.
	AuthToken string
}

// LogParameters name the files the service should keep after a game session.
type LogParameters struct {
	// LogPaths are absolute paths of log files or directories.
	LogPaths []string
}

// ProcessParameters describe a process that is ready to host game sessions:
// the callbacks the service drives and the port players connect to.
//
// Callbacks run in goroutines of their own, so they may call back into the
// Process (OnStartGameSession typically calls ActivateGameSession). A nil
// callback is skipped, except as documented on OnProcessTerminate and
// OnHealthCheck.
type ProcessParameters struct {
	// OnStartGameSession is called with a new game session placed on this
	// process, once per game session even if the service sends it again.
	// Call ActivateGameSession when the game is ready for players.
	OnStartGameSession func(GameSession)
	// OnUpdateGameSession is called when a game session's matchmaker data
	// changes or a match backfill ends.
	OnUpdateGameSession func(UpdateGameSession)
	// OnProcessTerminate is called when the service asks the process to shut
	// down; GetTerminationTime then says by when. If it is nil, the Process
	// calls ProcessEnding itself, as GameLift's SDKs do.
	OnProcessTerminate func()
	// OnHealthCheck reports whether the process is healthy, once per
	// heartbeat. An answer slower than the health check limit (50 s by
	// default) counts as unhealthy. If it is nil, the process reports healthy.
	OnHealthCheck func() bool
	// Port is the port players connect to, 1 to 60000.
	Port int
	// LogParameters name the log files to keep.
	LogParameters LogParameters
}

// GameSessionStatus is a game session's state: ACTIVE, ACTIVATING,
// TERMINATED or TERMINATING.
type GameSessionStatus string

// Game session states.
const (
	GameSessionActive      GameSessionStatus = "ACTIVE"
	GameSessionActivating  GameSessionStatus = "ACTIVATING"
	GameSessionTerminated  GameSessionStatus = "TERMINATED"
	GameSessionTerminating GameSessionStatus = "TERMINATING"
)

// GameSession is a game session placed on this process.
type GameSession struct {
	GameSessionID   string
	Name            string
	FleetID         string
	Location        string
	GameSessionData string
	// MatchmakerData is the FlexMatch matchmaker data, a JSON document in a
	// string; ParseMatchmakerData reads it.
	MatchmakerData            string
	DNSName                   string
	IPAddress                 string
	Port                      int
	MaximumPlayerSessionCount int
	GameProperties            map[string]string
	// Status and StatusReason are set in UpdateGameSession only; a new game
	// session is ACTIVATING.
	Status       GameSessionStatus
	StatusReason string
}

// UpdateReason says why an UpdateGameSession came.
type UpdateReason string

// Update reasons.
const (
	UpdateMatchmakingDataUpdated UpdateReason = "MATCHMAKING_DATA_UPDATED"
	UpdateBackfillFailed         UpdateReason = "BACKFILL_FAILED"
	UpdateBackfillTimedOut       UpdateReason = "BACKFILL_TIMED_OUT"
	UpdateBackfillCancelled      UpdateReason = "BACKFILL_CANCELLED"
	UpdateUnknown                UpdateReason = "UNKNOWN"
)

// UpdateGameSession is a changed game session and why it changed.
type UpdateGameSession struct {
	GameSession      GameSession
	UpdateReason     UpdateReason
	BackfillTicketID string
}

// PlayerSessionCreationPolicy says whether a game session takes new players.
type PlayerSessionCreationPolicy string

// Player session creation policies.
const (
	AcceptAll PlayerSessionCreationPolicy = "ACCEPT_ALL"
	DenyAll   PlayerSessionCreationPolicy = "DENY_ALL"
)

// PlayerSessionStatus is a player session's state.
type PlayerSessionStatus string

// Player session states.
const (
	PlayerSessionReserved  PlayerSessionStatus = "RESERVED"
	PlayerSessionActive    PlayerSessionStatus = "ACTIVE"
	PlayerSessionCompleted PlayerSessionStatus = "COMPLETED"
	PlayerSessionTimedOut  PlayerSessionStatus = "TIMEDOUT"
)

// PlayerSession is one player's place in a game session.
type PlayerSession struct {
	PlayerSessionID string
	PlayerID        string
	GameSessionID   string
	FleetID         string
	IPAddress       string
	DNSName         string
	Port            int
	PlayerData      string
	Status          PlayerSessionStatus
	// CreationTime and TerminationTime are zero when the service sent none.
	CreationTime    time.Time
	TerminationTime time.Time
}

// DescribePlayerSessionsRequest selects player sessions by exactly one of
// GameSessionID, PlayerID and PlayerSessionID.
type DescribePlayerSessionsRequest struct {
	GameSessionID   string
	PlayerID        string
	PlayerSessionID string
	// PlayerSessionStatusFilter, if set, keeps sessions in that state.
	PlayerSessionStatusFilter PlayerSessionStatus
	// NextToken continues a previous page.
	NextToken string
	// Limit caps the page size; 0 leaves it to the service.
	Limit int
}

// DescribePlayerSessionsResult is one page of player sessions.
type DescribePlayerSessionsResult struct {
	PlayerSessions []PlayerSession
	// NextToken is empty on the last page.
	NextToken string
}

// Player is a player's matchmaking data, for StartMatchBackfill.
type Player struct {
	PlayerID string
	Team     string
	// LatencyInMS maps a location to the player's latency there.
	LatencyInMS      map[string]int
	PlayerAttributes map[string]AttributeValue
}

// StartMatchBackfillRequest asks FlexMatch for players to fill a game session.
type StartMatchBackfillRequest struct {
	// TicketID is optional; the service makes one up when it is empty.
	TicketID string
	// GameSessionArn is the game session's ARN or id.
	GameSessionArn string
	// MatchmakingConfigurationArn is the matchmaking configuration, from the
	// game session's matchmaker data.
	MatchmakingConfigurationArn string
	// Players are the game session's current players.
	Players []Player
}

// StartMatchBackfillResult carries the backfill ticket's id.
type StartMatchBackfillResult struct {
	TicketID string
}

// StopMatchBackfillRequest cancels a backfill ticket.
type StopMatchBackfillRequest struct {
	TicketID                    string
	GameSessionArn              string
	MatchmakingConfigurationArn string
}

// GetComputeCertificateResult locates the compute's TLS certificate.
type GetComputeCertificateResult struct {
	CertificatePath string
	ComputeName     string
}

// GetFleetRoleCredentialsRequest names the fleet role to assume.
type GetFleetRoleCredentialsRequest struct {
	RoleArn string
	// RoleSessionName defaults to "<FleetID>-<HostID>", cut to 64 characters.
	RoleSessionName string
}

// GetFleetRoleCredentialsResult holds temporary AWS credentials for the
// fleet role.
type GetFleetRoleCredentialsResult struct {
	AssumedRoleUserArn string
	AssumedRoleID      string
	AccessKeyID        string
	SecretAccessKey    string
	SessionToken       string
	Expiration         time.Time
}
