package api

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/placement"
)

type PlayerLatency struct {
	PlayerId         *string `json:"PlayerId,omitempty"`
	RegionIdentifier *string `json:"RegionIdentifier,omitempty"`
	// LatencyInMilliseconds is a float (CBOR single precision): the SDKs
	// read this member as a float32 and refuse a double.
	LatencyInMilliseconds *float32 `json:"LatencyInMilliseconds,omitempty"`
}

type DesiredPlayerSession struct {
	PlayerId   *string `json:"PlayerId,omitempty"`
	PlayerData *string `json:"PlayerData,omitempty"`
}

type PlacedPlayerSession struct {
	PlayerId        *string `json:"PlayerId,omitempty"`
	PlayerSessionId *string `json:"PlayerSessionId,omitempty"`
}

type PriorityConfigurationOverride struct {
	LocationOrder             []string `json:"LocationOrder,omitempty"`
	PlacementFallbackStrategy string   `json:"PlacementFallbackStrategy,omitempty"`
}

type GameSessionPlacement struct {
	PlacementId                   *string                        `json:"PlacementId,omitempty"`
	GameSessionQueueName          *string                        `json:"GameSessionQueueName,omitempty"`
	Status                        string                         `json:"Status,omitempty"`
	GameProperties                []GameProperty                 `json:"GameProperties,omitempty"`
	MaximumPlayerSessionCount     *int32                         `json:"MaximumPlayerSessionCount,omitempty"`
	GameSessionName               *string                        `json:"GameSessionName,omitempty"`
	GameSessionId                 *string                        `json:"GameSessionId,omitempty"`
	GameSessionArn                *string                        `json:"GameSessionArn,omitempty"`
	GameSessionRegion             *string                        `json:"GameSessionRegion,omitempty"`
	PlayerLatencies               []PlayerLatency                `json:"PlayerLatencies,omitempty"`
	StartTime                     *Timestamp                     `json:"StartTime,omitempty"`
	EndTime                       *Timestamp                     `json:"EndTime,omitempty"`
	IpAddress                     *string                        `json:"IpAddress,omitempty"`
	DnsName                       *string                        `json:"DnsName,omitempty"`
	Port                          *int32                         `json:"Port,omitempty"`
	PlacedPlayerSessions          []PlacedPlayerSession          `json:"PlacedPlayerSessions,omitempty"`
	GameSessionData               *string                        `json:"GameSessionData,omitempty"`
	MatchmakerData                *string                        `json:"MatchmakerData,omitempty"`
	PriorityConfigurationOverride *PriorityConfigurationOverride `json:"PriorityConfigurationOverride,omitempty"`
}

func placementOut(p placement.Placement) GameSessionPlacement {
	out := GameSessionPlacement{
		PlacementId:               ptr(p.ID),
		GameSessionQueueName:      ptr(queueNameOf(p.Queue)),
		Status:                    p.Status,
		MaximumPlayerSessionCount: ptr(int32(p.MaximumPlayerSessionCount)),
		GameSessionName:           optString(p.GameSessionName),
		// GameLift gives the game session's ARN under both names.
		GameSessionId:     optString(p.GameSessionARN),
		GameSessionArn:    optString(p.GameSessionARN),
		GameSessionRegion: optString(p.Location),
		StartTime:         NewTimestamp(p.StartTime),
		EndTime:           NewTimestamp(p.EndTime),
		IpAddress:         optString(p.IPAddress),
		DnsName:           optString(p.DNSName),
		GameSessionData:   optString(p.GameSessionData),
		MatchmakerData:    optString(p.MatchmakerData),
	}
	if p.Port > 0 {
		out.Port = ptr(int32(p.Port))
	}
	for _, gp := range p.GameProperties {
		out.GameProperties = append(out.GameProperties, GameProperty{Key: ptr(gp.Key), Value: ptr(gp.Value)})
	}
	for _, l := range p.PlayerLatencies {
		out.PlayerLatencies = append(out.PlayerLatencies, PlayerLatency{PlayerId: ptr(l.PlayerID), RegionIdentifier: ptr(l.Location), LatencyInMilliseconds: ptr(l.LatencyMs)})
	}
	for _, pp := range p.PlacedPlayers {
		out.PlacedPlayerSessions = append(out.PlacedPlayerSessions, PlacedPlayerSession{PlayerId: ptr(pp.PlayerID), PlayerSessionId: ptr(pp.PlayerSessionID)})
	}
	if o := p.Override; o != nil {
		out.PriorityConfigurationOverride = &PriorityConfigurationOverride{LocationOrder: o.LocationOrder, PlacementFallbackStrategy: o.Fallback}
	}
	return out
}

// queueNameOf is the name in a queue name or ARN: GameSessionQueueName is a
// name in GameLift's output shape, whichever form the request used.
func queueNameOf(nameOrARN string) string {
	const marker = ":gamesessionqueue/"
	if i := strings.LastIndex(nameOrARN, marker); strings.HasPrefix(nameOrARN, "arn:") && i >= 0 {
		return nameOrARN[i+len(marker):]
	}
	return nameOrARN
}

type StartGameSessionPlacementInput struct {
	PlacementId                   *string                        `json:"PlacementId,omitempty"`
	GameSessionQueueName          *string                        `json:"GameSessionQueueName,omitempty"`
	GameProperties                []GameProperty                 `json:"GameProperties,omitempty"`
	MaximumPlayerSessionCount     *int32                         `json:"MaximumPlayerSessionCount,omitempty"`
	GameSessionName               *string                        `json:"GameSessionName,omitempty"`
	PlayerLatencies               []PlayerLatency                `json:"PlayerLatencies,omitempty"`
	DesiredPlayerSessions         []DesiredPlayerSession         `json:"DesiredPlayerSessions,omitempty"`
	GameSessionData               *string                        `json:"GameSessionData,omitempty"`
	PriorityConfigurationOverride *PriorityConfigurationOverride `json:"PriorityConfigurationOverride,omitempty"`
}

// fallbackStrategies are the values of PlacementFallbackStrategy.
var fallbackStrategies = []string{placement.FallbackDefaultAfterSinglePass, placement.FallbackNone}

func (in *StartGameSessionPlacementInput) validate(c *checker) {
	c.requiredStr("PlacementId", in.PlacementId, 1, 48, patIDString)
	c.requiredStr("GameSessionQueueName", in.GameSessionQueueName, 1, 256, patQueueNameOrARN)
	c.gameProperties(in.GameProperties)
	if c.required("MaximumPlayerSessionCount", in.MaximumPlayerSessionCount != nil) {
		c.intRange("MaximumPlayerSessionCount", in.MaximumPlayerSessionCount, 0, fleet.MaxPlayersPerGameSession)
	}
	c.str("GameSessionName", in.GameSessionName, 1, 1024, nil)
	c.str("GameSessionData", in.GameSessionData, 1, 262144, nil)
	// The model leaves a latency's and a desired player's members
	// optional, but a figure without its player or location, or a player
	// session without a player, means nothing to place by.
	for i, l := range in.PlayerLatencies {
		c.requiredStr(fmtMember("PlayerLatencies", i, "PlayerId"), l.PlayerId, 1, 1024, nil)
		c.requiredStr(fmtMember("PlayerLatencies", i, "RegionIdentifier"), l.RegionIdentifier, 1, 1024, nil)
		member := fmtMember("PlayerLatencies", i, "LatencyInMilliseconds")
		if c.required(member, l.LatencyInMilliseconds != nil) {
			c.latency(member, *l.LatencyInMilliseconds)
		}
	}
	seen := make(map[string]int, len(in.DesiredPlayerSessions))
	for i, d := range in.DesiredPlayerSessions {
		member := fmtMember("DesiredPlayerSessions", i, "PlayerId")
		c.requiredStr(member, d.PlayerId, 1, 1024, nil)
		c.str(fmtMember("DesiredPlayerSessions", i, "PlayerData"), d.PlayerData, 1, 2048, nil)
		if d.PlayerId == nil {
			continue
		}
		// One player session per player: a repeated player would hold two
		// of the game session's slots.
		if first, ok := seen[*d.PlayerId]; ok {
			c.failures = append(c.failures, fmt.Sprintf("'%s' repeats the player %s of '%s'",
				wirePath(member), quote(*d.PlayerId), wirePath(fmtMember("DesiredPlayerSessions", first, "PlayerId"))))
		} else {
			seen[*d.PlayerId] = i
		}
	}
	if n := in.MaximumPlayerSessionCount; n != nil && *n >= 0 && len(in.DesiredPlayerSessions) > int(*n) {
		c.failures = append(c.failures, fmt.Sprintf("'desiredPlayerSessions' lists %d players, more than the %d of 'maximumPlayerSessionCount'",
			len(in.DesiredPlayerSessions), *n))
	}
	if o := in.PriorityConfigurationOverride; o != nil {
		if c.required("PriorityConfigurationOverride.LocationOrder", o.LocationOrder != nil) {
			c.locationList("PriorityConfigurationOverride.LocationOrder", o.LocationOrder, 10)
			c.distinct("PriorityConfigurationOverride.LocationOrder", o.LocationOrder)
		}
		c.enum("PriorityConfigurationOverride.PlacementFallbackStrategy", o.PlacementFallbackStrategy, fallbackStrategies...)
		// GameLift's StartGameSessionPlacement: an override is for
		// requests that carry no latency data.
		if len(in.PlayerLatencies) > 0 {
			c.failures = append(c.failures, "'priorityConfigurationOverride' cannot be combined with 'playerLatencies': a location order override is for placements without latency data")
		}
	}
}

// latency checks a latency figure: a non-negative, finite number.
func (c *checker) latency(member string, v float32) {
	f := float64(v)
	shown := "'" + strconv.FormatFloat(f, 'g', -1, 32) + "'"
	switch {
	case math.IsNaN(f) || math.IsInf(f, 0):
		c.fail(member, shown, "be a finite number")
	case f < 0:
		c.fail(member, shown, "have value greater than or equal to 0")
	}
}

func (in *StartGameSessionPlacementInput) startInput() placement.StartInput {
	si := placement.StartInput{
		PlacementID:               *in.PlacementId,
		Queue:                     *in.GameSessionQueueName,
		MaximumPlayerSessionCount: int(*in.MaximumPlayerSessionCount),
		GameSessionName:           deref(in.GameSessionName),
		GameSessionData:           deref(in.GameSessionData),
		GameProperties:            gamePropertiesIn(in.GameProperties),
	}
	for _, l := range in.PlayerLatencies {
		si.PlayerLatencies = append(si.PlayerLatencies, placement.PlayerLatency{PlayerID: *l.PlayerId, Location: *l.RegionIdentifier, LatencyMs: *l.LatencyInMilliseconds})
	}
	for _, d := range in.DesiredPlayerSessions {
		si.DesiredPlayers = append(si.DesiredPlayers, placement.DesiredPlayer{PlayerID: *d.PlayerId, PlayerData: deref(d.PlayerData)})
	}
	if o := in.PriorityConfigurationOverride; o != nil {
		si.Override = &placement.Override{LocationOrder: o.LocationOrder, Fallback: o.PlacementFallbackStrategy}
	}
	return si
}

type GameSessionPlacementOutput struct {
	GameSessionPlacement *GameSessionPlacement `json:"GameSessionPlacement,omitempty"`
}

func (s *Server) startGameSessionPlacement(ctx context.Context, in *StartGameSessionPlacementInput) (*GameSessionPlacementOutput, error) {
	p, err := s.cfg.Placements.StartPlacement(ctx, in.startInput())
	if err != nil {
		return nil, err
	}
	out := placementOut(p)
	return &GameSessionPlacementOutput{GameSessionPlacement: &out}, nil
}

// PlacementIdInput is the input of DescribeGameSessionPlacement and
// StopGameSessionPlacement, which GameLift models alike.
type PlacementIdInput struct {
	PlacementId *string `json:"PlacementId,omitempty"`
}

func (in *PlacementIdInput) validate(c *checker) {
	c.requiredStr("PlacementId", in.PlacementId, 1, 48, patIDString)
}

func (s *Server) describeGameSessionPlacement(ctx context.Context, in *PlacementIdInput) (*GameSessionPlacementOutput, error) {
	p, err := s.cfg.Placements.Placement(ctx, *in.PlacementId)
	if err != nil {
		return nil, err
	}
	out := placementOut(p)
	return &GameSessionPlacementOutput{GameSessionPlacement: &out}, nil
}

func (s *Server) stopGameSessionPlacement(ctx context.Context, in *PlacementIdInput) (*GameSessionPlacementOutput, error) {
	p, err := s.cfg.Placements.StopPlacement(ctx, *in.PlacementId)
	if err != nil {
		return nil, err
	}
	out := placementOut(p)
	return &GameSessionPlacementOutput{GameSessionPlacement: &out}, nil
}
