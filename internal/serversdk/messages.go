package serversdk

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/rallypoint/rallypoint/internal/fleet"
)

// The wire shapes of the GameLift server SDK 5.x protocol, member for
// member as the SDKs write and read them (see docs/compatibility.md).
// Numbers are JSON integers; empty optional members are omitted.

// envelope is what every frame carries.
type envelope struct {
	Action    string `json:"Action"`
	RequestID string `json:"RequestId,omitempty"`
}

// reply answers a request: the request's Action and RequestId, a status
// code, and on failure a message. Results add their own members.
type reply struct {
	Action       string `json:"Action"`
	RequestID    string `json:"RequestId"`
	StatusCode   int    `json:"StatusCode"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

type activateServerProcessRequest struct {
	SdkVersion     string   `json:"SdkVersion"`
	SdkLanguage    string   `json:"SdkLanguage"`
	SdkToolName    string   `json:"SdkToolName"`
	SdkToolVersion string   `json:"SdkToolVersion"`
	Port           int      `json:"Port"`
	LogPaths       []string `json:"LogPaths"`
}

type heartbeatRequest struct {
	HealthStatus bool `json:"HealthStatus"`
}

type gameSessionRequest struct {
	GameSessionID string `json:"GameSessionId"`
}

type playerSessionRequest struct {
	GameSessionID   string `json:"GameSessionId"`
	PlayerSessionID string `json:"PlayerSessionId"`
}

type policyRequest struct {
	GameSessionID       string `json:"GameSessionId"`
	PlayerSessionPolicy string `json:"PlayerSessionPolicy"`
}

type describePlayerSessionsRequest struct {
	GameSessionID             string `json:"GameSessionId"`
	PlayerID                  string `json:"PlayerId"`
	PlayerSessionID           string `json:"PlayerSessionId"`
	PlayerSessionStatusFilter string `json:"PlayerSessionStatusFilter"`
	NextToken                 string `json:"NextToken"`
	Limit                     int    `json:"Limit"`
}

type describePlayerSessionsReply struct {
	reply
	NextToken      string          `json:"NextToken"`
	PlayerSessions []playerSession `json:"PlayerSessions"`
}

type playerSession struct {
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

func playerSessionOut(v fleet.PlayerSessionView) playerSession {
	return playerSession{
		PlayerSessionID: v.ID,
		PlayerID:        v.PlayerID,
		GameSessionID:   v.GameSessionID,
		FleetID:         v.FleetID,
		IPAddress:       v.IPAddress,
		DNSName:         v.DNSName,
		Port:            v.Port,
		PlayerData:      v.PlayerData,
		Status:          v.Status,
		CreationTime:    millis(v.CreatedAt),
		TerminationTime: millis(v.EndedAt),
	}
}

type backfillRequest struct {
	GameSessionArn              string            `json:"GameSessionArn"`
	MatchmakingConfigurationArn string            `json:"MatchmakingConfigurationArn"`
	TicketID                    string            `json:"TicketId"`
	Players                     []json.RawMessage `json:"Players"`
}

type computeCertificateReply struct {
	reply
	CertificatePath string `json:"CertificatePath"`
	ComputeName     string `json:"ComputeName"`
}

// Pushes: no RequestId (the SDKs would take a frame with one for a
// failed reply), StatusCode 200 for SDKs that check it on every frame.
// Pushes and the player sessions in replies carry every member, empty or
// not, as the SDKs' own message types declare them: a parser that expects
// a member finds it.

type createGameSessionPush struct {
	Action                    string            `json:"Action"`
	StatusCode                int               `json:"StatusCode"`
	GameSessionID             string            `json:"GameSessionId"`
	GameSessionName           string            `json:"GameSessionName"`
	GameSessionData           string            `json:"GameSessionData"`
	MatchmakerData            string            `json:"MatchmakerData"`
	DNSName                   string            `json:"DnsName"`
	IPAddress                 string            `json:"IpAddress"`
	Port                      int               `json:"Port"`
	MaximumPlayerSessionCount int               `json:"MaximumPlayerSessionCount"`
	GameProperties            map[string]string `json:"GameProperties"`
}

type updateGameSessionPush struct {
	Action           string      `json:"Action"`
	StatusCode       int         `json:"StatusCode"`
	GameSession      gameSession `json:"GameSession"`
	UpdateReason     string      `json:"UpdateReason"`
	BackfillTicketID string      `json:"BackfillTicketId"`
}

type gameSession struct {
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

type terminateProcessPush struct {
	Action          string `json:"Action"`
	StatusCode      int    `json:"StatusCode"`
	TerminationTime int64  `json:"TerminationTime"`
}

type refreshConnectionPush struct {
	Action                    string `json:"Action"`
	StatusCode                int    `json:"StatusCode"`
	RefreshConnectionEndpoint string `json:"RefreshConnectionEndpoint"`
	AuthToken                 string `json:"AuthToken"`
}

func properties(ps []fleet.Property) map[string]string {
	m := make(map[string]string, len(ps))
	for _, p := range ps {
		m[p.Key] = p.Value
	}
	return m
}

// encodePush turns a fleet push into its frame.
func encodePush(p fleet.Push) ([]byte, error) {
	switch p.Kind {
	case fleet.PushCreateGameSession:
		gs := p.GameSession
		return json.Marshal(createGameSessionPush{
			Action:                    string(fleet.PushCreateGameSession),
			StatusCode:                200,
			GameSessionID:             gs.ID,
			GameSessionName:           gs.Name,
			GameSessionData:           gs.GameSessionData,
			MatchmakerData:            gs.MatchmakerData,
			DNSName:                   gs.DNSName,
			IPAddress:                 gs.IPAddress,
			Port:                      gs.Port,
			MaximumPlayerSessionCount: gs.MaximumPlayerSessionCount,
			GameProperties:            properties(gs.GameProperties),
		})
	case fleet.PushUpdateGameSession:
		gs := p.GameSession
		return json.Marshal(updateGameSessionPush{
			Action:     string(fleet.PushUpdateGameSession),
			StatusCode: 200,
			GameSession: gameSession{
				GameSessionID:             gs.ID,
				Name:                      gs.Name,
				FleetID:                   gs.FleetID,
				Location:                  gs.Location,
				GameSessionData:           gs.GameSessionData,
				MatchmakerData:            gs.MatchmakerData,
				DNSName:                   gs.DNSName,
				IPAddress:                 gs.IPAddress,
				Port:                      gs.Port,
				MaximumPlayerSessionCount: gs.MaximumPlayerSessionCount,
				GameProperties:            properties(gs.GameProperties),
				Status:                    gs.Status,
				StatusReason:              gs.StatusReason,
			},
			UpdateReason:     p.UpdateReason,
			BackfillTicketID: p.BackfillTicketID,
		})
	case fleet.PushTerminateProcess:
		return json.Marshal(terminateProcessPush{
			Action:          string(fleet.PushTerminateProcess),
			StatusCode:      200,
			TerminationTime: millis(p.TerminationTime),
		})
	}
	return nil, fmt.Errorf("no frame for push kind %q", p.Kind)
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
