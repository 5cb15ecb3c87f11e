package server

import (
	"time"
)

// This file holds the protocol's JSON shapes, member for member as GameLift's
// server SDK 5.x sends and receives them, and their conversion to the
// package's types. Nothing else in the package knows a member name.

// Actions of messages the SDK sends. Each gets a reply with the same Action
// and RequestId.
const (
	actionActivateServerProcess             = "ActivateServerProcess"
	actionHeartbeatServerProcess            = "HeartbeatServerProcess"
	actionActivateGameSession               = "ActivateGameSession"
	actionUpdatePlayerSessionCreationPolicy = "UpdatePlayerSessionCreationPolicy"
	actionAcceptPlayerSession               = "AcceptPlayerSession"
	actionRemovePlayerSession               = "RemovePlayerSession"
	actionDescribePlayerSessions            = "DescribePlayerSessions"
	actionStartMatchBackfill                = "StartMatchBackfill"
	actionStopMatchBackfill                 = "StopMatchBackfill"
	actionTerminateServerProcess            = "TerminateServerProcess"
	actionGetComputeCertificate             = "GetComputeCertificate"
	actionGetFleetRoleCredentials           = "GetFleetRoleCredentials"
)

// Actions of messages the service pushes.
const (
	pushCreateGameSession = "CreateGameSession"
	pushUpdateGameSession = "UpdateGameSession"
	pushTerminateProcess  = "TerminateProcess"
	pushRefreshConnection = "RefreshConnection"
)

func isPush(action string) bool {
	switch action {
	case pushCreateGameSession, pushUpdateGameSession, pushTerminateProcess, pushRefreshConnection:
		return true
	}
	return false
}

// envelope starts every message the SDK sends.
type envelope struct {
	Action    string `json:"Action"`
	RequestID string `json:"RequestId"`
}

func (e *envelope) head() *envelope { return e }

// outgoing is any request message; do fills in its RequestId.
type outgoing interface{ head() *envelope }

// inbound is what every frame from the service is read as first: enough to
// route it. StatusCode is a pointer because a missing one is an error in a
// reply but normal in a push.
type inbound struct {
	Action       string `json:"Action"`
	RequestID    string `json:"RequestId"`
	StatusCode   *int   `json:"StatusCode"`
	ErrorMessage string `json:"ErrorMessage"`
}

type activateServerProcessRequest struct {
	envelope
	SdkVersion     string   `json:"SdkVersion"`
	SdkLanguage    string   `json:"SdkLanguage"`
	SdkToolName    string   `json:"SdkToolName,omitempty"`
	SdkToolVersion string   `json:"SdkToolVersion,omitempty"`
	Port           int      `json:"Port"`
	LogPaths       []string `json:"LogPaths"`
}

type heartbeatServerProcessRequest struct {
	envelope
	HealthStatus bool `json:"HealthStatus"`
}

type activateGameSessionRequest struct {
	envelope
	GameSessionID string `json:"GameSessionId"`
}

type updatePlayerSessionCreationPolicyRequest struct {
	envelope
	GameSessionID       string `json:"GameSessionId"`
	PlayerSessionPolicy string `json:"PlayerSessionPolicy"`
}

// playerSessionRequest is AcceptPlayerSession and RemovePlayerSession.
type playerSessionRequest struct {
	envelope
	GameSessionID   string `json:"GameSessionId"`
	PlayerSessionID string `json:"PlayerSessionId"`
}

type describePlayerSessionsRequest struct {
	envelope
	GameSessionID             string `json:"GameSessionId,omitempty"`
	PlayerID                  string `json:"PlayerId,omitempty"`
	PlayerSessionID           string `json:"PlayerSessionId,omitempty"`
	PlayerSessionStatusFilter string `json:"PlayerSessionStatusFilter,omitempty"`
	NextToken                 string `json:"NextToken,omitempty"`
	Limit                     int    `json:"Limit,omitempty"`
}

type startMatchBackfillRequest struct {
	envelope
	GameSessionArn              string       `json:"GameSessionArn"`
	MatchmakingConfigurationArn string       `json:"MatchmakingConfigurationArn"`
	TicketID                    string       `json:"TicketId"`
	Players                     []wirePlayer `json:"Players"`
}

type stopMatchBackfillRequest struct {
	envelope
	GameSessionArn              string `json:"GameSessionArn"`
	MatchmakingConfigurationArn string `json:"MatchmakingConfigurationArn"`
	TicketID                    string `json:"TicketId"`
}

// bareRequest is TerminateServerProcess and GetComputeCertificate, which
// carry nothing but the envelope.
type bareRequest struct {
	envelope
}

type getFleetRoleCredentialsRequest struct {
	envelope
	RoleArn         string `json:"RoleArn"`
	RoleSessionName string `json:"RoleSessionName"`
}

type wirePlayer struct {
	PlayerID         string                    `json:"PlayerId"`
	Team             string                    `json:"Team,omitempty"`
	LatencyInMS      map[string]int            `json:"LatencyInMs,omitempty"`
	PlayerAttributes map[string]AttributeValue `json:"PlayerAttributes,omitempty"`
}

func toWirePlayers(ps []Player) []wirePlayer {
	out := make([]wirePlayer, len(ps))
	for i, p := range ps {
		out[i] = wirePlayer(p)
	}
	return out
}

// Reply payloads.

type describePlayerSessionsReply struct {
	NextToken      string              `json:"NextToken"`
	PlayerSessions []wirePlayerSession `json:"PlayerSessions"`
}

type wirePlayerSession struct {
	PlayerSessionID string `json:"PlayerSessionId"`
	PlayerID        string `json:"PlayerId"`
	GameSessionID   string `json:"GameSessionId"`
	FleetID         string `json:"FleetId"`
	IPAddress       string `json:"IpAddress"`
	DNSName         string `json:"DnsName"`
	Port            int    `json:"Port"`
	PlayerData      string `json:"PlayerData"`
	Status          string `json:"Status"`
	CreationTime    int64  `json:"CreationTime"`
	TerminationTime int64  `json:"TerminationTime"`
}

func (w describePlayerSessionsReply) result() DescribePlayerSessionsResult {
	r := DescribePlayerSessionsResult{NextToken: w.NextToken, PlayerSessions: make([]PlayerSession, len(w.PlayerSessions))}
	for i, s := range w.PlayerSessions {
		r.PlayerSessions[i] = PlayerSession{
			PlayerSessionID: s.PlayerSessionID,
			PlayerID:        s.PlayerID,
			GameSessionID:   s.GameSessionID,
			FleetID:         s.FleetID,
			IPAddress:       s.IPAddress,
			DNSName:         s.DNSName,
			Port:            s.Port,
			PlayerData:      s.PlayerData,
			Status:          PlayerSessionStatus(s.Status),
			CreationTime:    fromMillis(s.CreationTime),
			TerminationTime: fromMillis(s.TerminationTime),
		}
	}
	return r
}

type startMatchBackfillReply struct {
	TicketID string `json:"TicketId"`
}

type getComputeCertificateReply struct {
	CertificatePath string `json:"CertificatePath"`
	ComputeName     string `json:"ComputeName"`
}

type getFleetRoleCredentialsReply struct {
	AssumedRoleUserArn string `json:"AssumedRoleUserArn"`
	AssumedRoleID      string `json:"AssumedRoleId"`
	AccessKeyID        string `json:"AccessKeyId"`
	SecretAccessKey    string `json:"SecretAccessKey"`
	SessionToken       string `json:"SessionToken"`
	Expiration         int64  `json:"Expiration"`
}

func (w getFleetRoleCredentialsReply) result() GetFleetRoleCredentialsResult {
	return GetFleetRoleCredentialsResult{
		AssumedRoleUserArn: w.AssumedRoleUserArn,
		AssumedRoleID:      w.AssumedRoleID,
		AccessKeyID:        w.AccessKeyID,
		SecretAccessKey:    w.SecretAccessKey,
		SessionToken:       w.SessionToken,
		Expiration:         fromMillis(w.Expiration),
	}
}

// Pushes.

// createGameSessionPush is flat, and calls the name GameSessionName where the
// nested game session object says Name.
type createGameSessionPush struct {
	GameSessionID             string            `json:"GameSessionId"`
	GameSessionName           string            `json:"GameSessionName"`
	GameSessionData           string            `json:"GameSessionData"`
	MatchmakerData            string            `json:"MatchmakerData"`
	DNSName                   string            `json:"DnsName"`
	IPAddress                 string            `json:"IpAddress"`
	Port                      int               `json:"Port"`
	MaximumPlayerSessionCount int               `json:"MaximumPlayerSessionCount"`
	GameProperties            map[string]string `json:"GameProperties"`
	// Location is not in GameLift's message; it is read if a service sends it.
	Location string `json:"Location"`
}

func (w createGameSessionPush) gameSession() GameSession {
	return GameSession{
		GameSessionID:             w.GameSessionID,
		Name:                      w.GameSessionName,
		Location:                  w.Location,
		GameSessionData:           w.GameSessionData,
		MatchmakerData:            w.MatchmakerData,
		DNSName:                   w.DNSName,
		IPAddress:                 w.IPAddress,
		Port:                      w.Port,
		MaximumPlayerSessionCount: w.MaximumPlayerSessionCount,
		GameProperties:            w.GameProperties,
	}
}

type wireGameSession struct {
	GameSessionID             string            `json:"GameSessionId"`
	Name                      string            `json:"Name"`
	FleetID                   string            `json:"FleetId"`
	Location                  string            `json:"Location"`
	GameSessionData           string            `json:"GameSessionData"`
	MatchmakerData            string            `json:"MatchmakerData"`
	DNSName                   string            `json:"DnsName"`
	IPAddress                 string            `json:"IpAddress"`
	Port                      int               `json:"Port"`
	MaximumPlayerSessionCount int               `json:"MaximumPlayerSessionCount"`
	GameProperties            map[string]string `json:"GameProperties"`
	Status                    string            `json:"Status"`
	StatusReason              string            `json:"StatusReason"`
}

type updateGameSessionPush struct {
	GameSession      wireGameSession `json:"GameSession"`
	UpdateReason     string          `json:"UpdateReason"`
	BackfillTicketID string          `json:"BackfillTicketId"`
}

func (w updateGameSessionPush) update() UpdateGameSession {
	g := w.GameSession
	return UpdateGameSession{
		GameSession: GameSession{
			GameSessionID:             g.GameSessionID,
			Name:                      g.Name,
			FleetID:                   g.FleetID,
			Location:                  g.Location,
			GameSessionData:           g.GameSessionData,
			MatchmakerData:            g.MatchmakerData,
			DNSName:                   g.DNSName,
			IPAddress:                 g.IPAddress,
			Port:                      g.Port,
			MaximumPlayerSessionCount: g.MaximumPlayerSessionCount,
			GameProperties:            g.GameProperties,
			Status:                    GameSessionStatus(g.Status),
			StatusReason:              g.StatusReason,
		},
		UpdateReason:     UpdateReason(w.UpdateReason),
		BackfillTicketID: w.BackfillTicketID,
	}
}

type terminateProcessPush struct {
	// TerminationTime is in epoch milliseconds.
	TerminationTime int64 `json:"TerminationTime"`
}

type refreshConnectionPush struct {
	RefreshConnectionEndpoint string `json:"RefreshConnectionEndpoint"`
	AuthToken                 string `json:"AuthToken"`
}

// fromMillis reads an epoch-milliseconds time; 0 means none.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
