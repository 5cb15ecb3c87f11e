package api

import (
	"cmp"
	"context"
	"slices"

	"github.com/rallypoint/rallypoint/internal/fleet"
)

type PlayerSession struct {
	PlayerSessionId *string    `json:"PlayerSessionId,omitempty"`
	PlayerId        *string    `json:"PlayerId,omitempty"`
	GameSessionId   *string    `json:"GameSessionId,omitempty"`
	FleetId         *string    `json:"FleetId,omitempty"`
	FleetArn        *string    `json:"FleetArn,omitempty"`
	CreationTime    *Timestamp `json:"CreationTime,omitempty"`
	TerminationTime *Timestamp `json:"TerminationTime,omitempty"`
	Status          string     `json:"Status,omitempty"`
	IpAddress       *string    `json:"IpAddress,omitempty"`
	DnsName         *string    `json:"DnsName,omitempty"`
	Port            *int32     `json:"Port,omitempty"`
	PlayerData      *string    `json:"PlayerData,omitempty"`
}

func playerSessionOut(v fleet.PlayerSessionView) PlayerSession {
	out := PlayerSession{
		PlayerSessionId: ptr(v.ID),
		PlayerId:        ptr(v.PlayerID),
		GameSessionId:   ptr(v.GameSessionID),
		FleetId:         ptr(v.FleetID),
		FleetArn:        ptr(v.FleetARN),
		CreationTime:    NewTimestamp(v.CreatedAt),
		TerminationTime: NewTimestamp(v.EndedAt),
		Status:          v.Status,
		IpAddress:       optString(v.IPAddress),
		DnsName:         optString(v.DNSName),
		PlayerData:      optString(v.PlayerData),
	}
	if v.Port > 0 {
		out.Port = ptr(int32(v.Port))
	}
	return out
}

// Player session statuses a PlayerSessionStatusFilter may name.
var playerSessionStatuses = []string{
	fleet.PlayerSessionReserved, fleet.PlayerSessionActive, fleet.PlayerSessionCompleted, fleet.PlayerSessionTimedOut,
}

type CreatePlayerSessionInput struct {
	GameSessionId *string `json:"GameSessionId,omitempty"`
	PlayerId      *string `json:"PlayerId,omitempty"`
	PlayerData    *string `json:"PlayerData,omitempty"`
}

func (in *CreatePlayerSessionInput) validate(c *checker) {
	c.requiredStr("GameSessionId", in.GameSessionId, 1, 512, patARN)
	c.requiredStr("PlayerId", in.PlayerId, 1, 1024, nil)
	c.str("PlayerData", in.PlayerData, 1, 2048, nil)
}

type CreatePlayerSessionOutput struct {
	PlayerSession *PlayerSession `json:"PlayerSession,omitempty"`
}

func (s *Server) createPlayerSession(ctx context.Context, in *CreatePlayerSessionInput) (*CreatePlayerSessionOutput, error) {
	created, err := s.cfg.Fleets.CreatePlayerSessions(ctx, *in.GameSessionId, []fleet.NewPlayer{{PlayerID: *in.PlayerId, PlayerData: deref(in.PlayerData)}})
	if err != nil {
		return nil, err
	}
	out := playerSessionOut(created[0])
	return &CreatePlayerSessionOutput{PlayerSession: &out}, nil
}

type CreatePlayerSessionsInput struct {
	GameSessionId *string           `json:"GameSessionId,omitempty"`
	PlayerIds     []string          `json:"PlayerIds,omitempty"`
	PlayerDataMap map[string]string `json:"PlayerDataMap,omitempty"`
}

func (in *CreatePlayerSessionsInput) validate(c *checker) {
	c.requiredStr("GameSessionId", in.GameSessionId, 1, 512, patARN)
	if c.required("PlayerIds", in.PlayerIds != nil) {
		c.listLen("PlayerIds", len(in.PlayerIds), true, 1, 25)
	}
	for i, id := range in.PlayerIds {
		c.str(fmtMember("PlayerIds", i, ""), &id, 1, 1024, nil)
	}
	// Keys in order, so that the failures read the same on every call.
	keys := make([]string, 0, len(in.PlayerDataMap))
	for k := range in.PlayerDataMap {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := in.PlayerDataMap[k]
		c.str("PlayerDataMap", &k, 1, 1024, nil)
		c.str("PlayerDataMap", &v, 1, 2048, nil)
	}
}

type CreatePlayerSessionsOutput struct {
	PlayerSessions []PlayerSession `json:"PlayerSessions"`
}

func (s *Server) createPlayerSessions(ctx context.Context, in *CreatePlayerSessionsInput) (*CreatePlayerSessionsOutput, error) {
	players := make([]fleet.NewPlayer, len(in.PlayerIds))
	for i, id := range in.PlayerIds {
		// Data for players not in PlayerIds is ignored, as on GameLift.
		players[i] = fleet.NewPlayer{PlayerID: id, PlayerData: in.PlayerDataMap[id]}
	}
	created, err := s.cfg.Fleets.CreatePlayerSessions(ctx, *in.GameSessionId, players)
	if err != nil {
		return nil, err
	}
	out := &CreatePlayerSessionsOutput{PlayerSessions: make([]PlayerSession, len(created))}
	for i, v := range created {
		out.PlayerSessions[i] = playerSessionOut(v)
	}
	return out, nil
}

type DescribePlayerSessionsInput struct {
	GameSessionId             *string `json:"GameSessionId,omitempty"`
	PlayerId                  *string `json:"PlayerId,omitempty"`
	PlayerSessionId           *string `json:"PlayerSessionId,omitempty"`
	PlayerSessionStatusFilter *string `json:"PlayerSessionStatusFilter,omitempty"`
	Limit                     *int32  `json:"Limit,omitempty"`
	NextToken                 *string `json:"NextToken,omitempty"`
}

func (in *DescribePlayerSessionsInput) validate(c *checker) {
	c.str("GameSessionId", in.GameSessionId, 1, 512, patARN)
	c.str("PlayerId", in.PlayerId, 1, 1024, nil)
	c.str("PlayerSessionId", in.PlayerSessionId, 0, 0, patPlayerSessionID)
	c.atLeastOne([]string{"PlayerSessionId", "GameSessionId", "PlayerId"}, in.PlayerSessionId != nil, in.GameSessionId != nil, in.PlayerId != nil)
	c.str("PlayerSessionStatusFilter", in.PlayerSessionStatusFilter, 1, 1024, nil)
	if in.PlayerSessionStatusFilter != nil {
		c.enum("PlayerSessionStatusFilter", *in.PlayerSessionStatusFilter, playerSessionStatuses...)
	}
	c.page(in.Limit, -1, in.NextToken)
}

type DescribePlayerSessionsOutput struct {
	PlayerSessions []PlayerSession `json:"PlayerSessions"`
	NextToken      *string         `json:"NextToken,omitempty"`
}

// describePlayerSessions looks player sessions up by the most specific key
// given. When several are given, a player session must match them all.
// As on GameLift, the status filter applies only to a game session's
// player sessions, and a lookup by player session id is never paged.
func (s *Server) describePlayerSessions(ctx context.Context, in *DescribePlayerSessionsInput) (*DescribePlayerSessionsOutput, error) {
	f := fleet.PlayerSessionFilter{
		PlayerSessionID: deref(in.PlayerSessionId),
		GameSessionID:   deref(in.GameSessionId),
		PlayerID:        deref(in.PlayerId),
	}
	if in.PlayerSessionId == nil && in.PlayerId == nil {
		f.Status = deref(in.PlayerSessionStatusFilter)
	}
	found, err := s.cfg.Fleets.PlayerSessions(ctx, f)
	if err != nil {
		return nil, err
	}
	found = slices.DeleteFunc(found, func(v fleet.PlayerSessionView) bool {
		return f.GameSessionID != "" && v.GameSessionID != f.GameSessionID ||
			f.PlayerID != "" && v.PlayerID != f.PlayerID
	})
	out := &DescribePlayerSessionsOutput{PlayerSessions: []PlayerSession{}}
	if in.PlayerSessionId == nil {
		type keyed struct {
			key string
			v   fleet.PlayerSessionView
		}
		items := make([]keyed, len(found))
		for i, v := range found {
			items[i] = keyed{key: creationKey(v.CreatedAt.UnixNano(), v.ID), v: v}
		}
		slices.SortStableFunc(items, func(a, b keyed) int { return cmp.Compare(a.key, b.key) })
		page, next, err := paginate(items, func(x keyed) string { return x.key }, in.Limit, 100, in.NextToken)
		if err != nil {
			return nil, err
		}
		found = found[:0]
		for _, x := range page {
			found = append(found, x.v)
		}
		out.NextToken = next
	}
	for _, v := range found {
		out.PlayerSessions = append(out.PlayerSessions, playerSessionOut(v))
	}
	return out, nil
}
