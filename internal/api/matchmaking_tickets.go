package api

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/rallypoint/rallypoint/internal/matchmaking"
)

// AttributeValue is a player attribute: exactly one member is set.
type AttributeValue struct {
	S   *string            `json:"S,omitempty"`
	N   *float64           `json:"N,omitempty"`
	SL  []string           `json:"SL,omitempty"`
	SDM map[string]float64 `json:"SDM,omitempty"`
}

type Player struct {
	PlayerId         *string                   `json:"PlayerId,omitempty"`
	PlayerAttributes map[string]AttributeValue `json:"PlayerAttributes,omitempty"`
	Team             *string                   `json:"Team,omitempty"`
	LatencyInMs      map[string]int32          `json:"LatencyInMs,omitempty"`
}

type MatchedPlayerSession struct {
	PlayerId        *string `json:"PlayerId,omitempty"`
	PlayerSessionId *string `json:"PlayerSessionId,omitempty"`
}

type GameSessionConnectionInfo struct {
	GameSessionArn        *string                `json:"GameSessionArn,omitempty"`
	IpAddress             *string                `json:"IpAddress,omitempty"`
	DnsName               *string                `json:"DnsName,omitempty"`
	Port                  *int32                 `json:"Port,omitempty"`
	MatchedPlayerSessions []MatchedPlayerSession `json:"MatchedPlayerSessions,omitempty"`
}

type MatchmakingTicket struct {
	TicketId                  *string                    `json:"TicketId,omitempty"`
	ConfigurationName         *string                    `json:"ConfigurationName,omitempty"`
	ConfigurationArn          *string                    `json:"ConfigurationArn,omitempty"`
	Status                    string                     `json:"Status,omitempty"`
	StatusReason              *string                    `json:"StatusReason,omitempty"`
	StatusMessage             *string                    `json:"StatusMessage,omitempty"`
	StartTime                 *Timestamp                 `json:"StartTime,omitempty"`
	EndTime                   *Timestamp                 `json:"EndTime,omitempty"`
	Players                   []Player                   `json:"Players,omitempty"`
	GameSessionConnectionInfo *GameSessionConnectionInfo `json:"GameSessionConnectionInfo,omitempty"`
	EstimatedWaitTime         *int32                     `json:"EstimatedWaitTime,omitempty"`
}

func ticketOut(t matchmaking.Ticket) MatchmakingTicket {
	out := MatchmakingTicket{
		TicketId:          ptr(t.ID),
		ConfigurationName: ptr(t.Configuration),
		ConfigurationArn:  optString(t.ConfigARN),
		Status:            t.Status,
		StatusReason:      optString(t.StatusReason),
		StatusMessage:     optString(t.StatusMessage),
		StartTime:         NewTimestamp(t.StartTime),
		EndTime:           NewTimestamp(t.EndTime),
	}
	if t.EstimatedWaitSeconds != nil {
		out.EstimatedWaitTime = ptr(int32(*t.EstimatedWaitSeconds))
	}
	for _, p := range t.Players {
		out.Players = append(out.Players, playerOut(p))
	}
	if ci := t.ConnectionInfo; ci != nil {
		w := &GameSessionConnectionInfo{
			GameSessionArn: optString(ci.GameSessionARN),
			IpAddress:      optString(ci.IPAddress),
			DnsName:        optString(ci.DNSName),
		}
		if ci.Port > 0 {
			w.Port = ptr(int32(ci.Port))
		}
		for _, mp := range ci.Players {
			w.MatchedPlayerSessions = append(w.MatchedPlayerSessions, MatchedPlayerSession{PlayerId: ptr(mp.PlayerID), PlayerSessionId: optString(mp.PlayerSessionID)})
		}
		out.GameSessionConnectionInfo = w
	}
	return out
}

func playerOut(p matchmaking.Player) Player {
	out := Player{PlayerId: ptr(p.PlayerID), Team: optString(p.Team)}
	if len(p.Attributes) > 0 {
		out.PlayerAttributes = make(map[string]AttributeValue, len(p.Attributes))
		for k, v := range p.Attributes {
			out.PlayerAttributes[k] = AttributeValue{S: v.S, N: v.N, SL: v.SL, SDM: v.SDM}
		}
	}
	if len(p.LatencyInMs) > 0 {
		out.LatencyInMs = make(map[string]int32, len(p.LatencyInMs))
		for k, v := range p.LatencyInMs {
			out.LatencyInMs[k] = int32(v)
		}
	}
	return out
}

// playersIn converts players that checkPlayers has accepted. keepTeam
// says whether the request may say which team a player is on: a backfill
// request does (the players already in the game session), a matchmaking
// request does not (the matchmaker decides).
func playersIn(players []Player, keepTeam bool) []matchmaking.Player {
	out := make([]matchmaking.Player, len(players))
	for i, p := range players {
		mp := matchmaking.Player{PlayerID: *p.PlayerId}
		if keepTeam {
			mp.Team = deref(p.Team)
		}
		if len(p.PlayerAttributes) > 0 {
			mp.Attributes = make(map[string]matchmaking.AttributeValue, len(p.PlayerAttributes))
			for k, v := range p.PlayerAttributes {
				mp.Attributes[k] = matchmaking.AttributeValue{S: v.S, N: v.N, SL: v.SL, SDM: v.SDM}
			}
		}
		if len(p.LatencyInMs) > 0 {
			mp.LatencyInMs = make(map[string]int, len(p.LatencyInMs))
			for k, v := range p.LatencyInMs {
				mp.LatencyInMs[k] = int(v)
			}
		}
		out[i] = mp
	}
	return out
}

// Bounds of a player's members: GameLift's model (ids and teams up to
// 1024 characters, attribute strings 1 to 100) and its documentation
// (attribute lists and maps).
const (
	maxPlayerIDLen       = 1024
	maxAttributeString   = 100
	maxAttributeList     = 100
	maxAttributeMapPairs = 10
	maxTicketIDLen       = 128
	maxTicketsDescribed  = 10
)

// checkPlayers checks the Players member of StartMatchmaking (at most
// maxPlayers, without teams) or StartMatchBackfill (with each player's
// team): the shape of every player, attribute and latency, so that the
// matchmaking service receives only well-formed players. Whether the
// attributes suit the configuration's rule set is the service's to say.
func checkPlayers(c *checker, players []Player, maxPlayers int, needTeam bool) {
	if !c.required("Players", players != nil) {
		return
	}
	c.listLen("Players", len(players), true, 1, maxPlayers)
	seen := make(map[string]int, len(players))
	for i, p := range players {
		idMember := fmtMember("Players", i, "PlayerId")
		c.requiredStr(idMember, p.PlayerId, 1, maxPlayerIDLen, nil)
		if p.PlayerId != nil {
			// One entry per player: a player twice would take two
			// places in a match.
			if first, ok := seen[*p.PlayerId]; ok {
				c.failures = append(c.failures, fmt.Sprintf("'%s' repeats the player %s of '%s'",
					wirePath(idMember), quote(*p.PlayerId), wirePath(fmtMember("Players", first, "PlayerId"))))
			} else {
				seen[*p.PlayerId] = i
			}
		}
		teamMember := fmtMember("Players", i, "Team")
		if needTeam {
			c.requiredStr(teamMember, p.Team, 1, 1024, nil)
		} else {
			c.str(teamMember, p.Team, 1, 1024, nil)
		}
		attrs := fmtMember("Players", i, "PlayerAttributes")
		if len(p.PlayerAttributes) > matchmaking.MaxAttributesPerPlayer {
			c.fail(attrs, fmt.Sprintf("'[%d entries]'", len(p.PlayerAttributes)), fmt.Sprintf("have length less than or equal to %d", matchmaking.MaxAttributesPerPlayer))
		}
		for _, name := range sortedKeys(p.PlayerAttributes) {
			checkAttribute(c, attrs+"["+name+"]", name, p.PlayerAttributes[name])
		}
		lat := fmtMember("Players", i, "LatencyInMs")
		for _, region := range sortedKeys(p.LatencyInMs) {
			if region == "" {
				c.fail(lat, "''", "have keys of length greater than or equal to 1")
			}
			if ms := p.LatencyInMs[region]; ms < 1 {
				c.fail(lat+"["+region+"]", "'"+strconv.Itoa(int(ms))+"'", "have value greater than or equal to 1")
			}
		}
	}
}

// sortedKeys lists a map's keys in order, so that a request's failures
// are listed the same way every time.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// checkAttribute checks one player attribute: a non-empty name and exactly
// one typed value within GameLift's bounds.
func checkAttribute(c *checker, member, name string, v AttributeValue) {
	if name == "" || len([]rune(name)) > 1024 {
		c.fail(member, quote(name), "have a name of length 1 to 1024")
	}
	set := 0
	for _, given := range []bool{v.S != nil, v.N != nil, v.SL != nil, v.SDM != nil} {
		if given {
			set++
		}
	}
	if set != 1 {
		c.failures = append(c.failures, fmt.Sprintf("'%s' must hold exactly one of S, N, SL and SDM, got %d", wirePath(member), set))
		return
	}
	switch {
	case v.S != nil:
		c.str(member+".S", v.S, 1, maxAttributeString, nil)
	case v.N != nil:
		if math.IsNaN(*v.N) || math.IsInf(*v.N, 0) {
			c.fail(member+".N", "'"+strconv.FormatFloat(*v.N, 'g', -1, 64)+"'", "be a finite number")
		}
	case v.SL != nil:
		c.listLen(member+".SL", len(v.SL), true, 0, maxAttributeList)
		for j, s := range v.SL {
			c.str(fmtMember(member+".SL", j, ""), &s, 1, maxAttributeString, nil)
		}
	case v.SDM != nil:
		if len(v.SDM) > maxAttributeMapPairs {
			c.fail(member+".SDM", fmt.Sprintf("'[%d entries]'", len(v.SDM)), fmt.Sprintf("have length less than or equal to %d", maxAttributeMapPairs))
		}
		for _, k := range sortedKeys(v.SDM) {
			if n := len([]rune(k)); n < 1 || n > maxAttributeString {
				c.fail(member+".SDM", quote(k), fmt.Sprintf("have keys of length 1 to %d", maxAttributeString))
			}
			if f := v.SDM[k]; math.IsNaN(f) || math.IsInf(f, 0) {
				c.fail(member+".SDM["+k+"]", "'"+strconv.FormatFloat(f, 'g', -1, 64)+"'", "be a finite number")
			}
		}
	}
}

// ticketID checks a ticket id member: the model's MatchmakingIdStringModel,
// with at least one character (an empty id names no ticket).
func (c *checker) ticketID(member string, id *string, required bool) {
	if required {
		c.requiredStr(member, id, 1, maxTicketIDLen, patMatchmakingID)
	} else {
		c.str(member, id, 1, maxTicketIDLen, patMatchmakingID)
	}
}

type StartMatchmakingInput struct {
	TicketId          *string  `json:"TicketId,omitempty"`
	ConfigurationName *string  `json:"ConfigurationName,omitempty"`
	Players           []Player `json:"Players,omitempty"`
}

func (in *StartMatchmakingInput) validate(c *checker) {
	c.ticketID("TicketId", in.TicketId, false)
	c.requiredStr("ConfigurationName", in.ConfigurationName, 1, maxMatchmakingNameOrARN, patMatchmakingConfigRef)
	checkPlayers(c, in.Players, matchmaking.MaxPlayersPerTicket, false)
}

type MatchmakingTicketOutput struct {
	MatchmakingTicket *MatchmakingTicket `json:"MatchmakingTicket,omitempty"`
}

func (s *Server) startMatchmaking(ctx context.Context, in *StartMatchmakingInput) (*MatchmakingTicketOutput, error) {
	t, err := s.cfg.Matchmaking.StartMatchmaking(ctx, matchmaking.StartInput{
		TicketID:      deref(in.TicketId),
		Configuration: *in.ConfigurationName,
		Players:       playersIn(in.Players, false),
	})
	if err != nil {
		return nil, err
	}
	out := ticketOut(t)
	return &MatchmakingTicketOutput{MatchmakingTicket: &out}, nil
}

type StartMatchBackfillInput struct {
	TicketId          *string  `json:"TicketId,omitempty"`
	ConfigurationName *string  `json:"ConfigurationName,omitempty"`
	GameSessionArn    *string  `json:"GameSessionArn,omitempty"`
	Players           []Player `json:"Players,omitempty"`
}

func (in *StartMatchBackfillInput) validate(c *checker) {
	c.ticketID("TicketId", in.TicketId, false)
	c.requiredStr("ConfigurationName", in.ConfigurationName, 1, maxMatchmakingNameOrARN, patMatchmakingConfigRef)
	// The model makes GameSessionArn optional: a STANDALONE configuration
	// backfills matches that have no game session here.
	c.str("GameSessionArn", in.GameSessionArn, 1, 512, patARN)
	checkPlayers(c, in.Players, matchmaking.MaxPlayersPerBackfill, true)
}

func (s *Server) startMatchBackfill(ctx context.Context, in *StartMatchBackfillInput) (*MatchmakingTicketOutput, error) {
	t, err := s.cfg.Matchmaking.StartMatchBackfill(ctx, matchmaking.BackfillInput{
		TicketID:       deref(in.TicketId),
		Configuration:  *in.ConfigurationName,
		GameSessionARN: deref(in.GameSessionArn),
		Players:        playersIn(in.Players, true),
	})
	if err != nil {
		return nil, err
	}
	out := ticketOut(t)
	return &MatchmakingTicketOutput{MatchmakingTicket: &out}, nil
}

type DescribeMatchmakingInput struct {
	TicketIds []string `json:"TicketIds,omitempty"`
}

func (in *DescribeMatchmakingInput) validate(c *checker) {
	if c.required("TicketIds", in.TicketIds != nil) {
		c.listLen("TicketIds", len(in.TicketIds), true, 1, maxTicketsDescribed)
	}
	for i, id := range in.TicketIds {
		c.ticketID(fmtMember("TicketIds", i, ""), &id, true)
	}
}

type DescribeMatchmakingOutput struct {
	TicketList []MatchmakingTicket `json:"TicketList"`
}

func (s *Server) describeMatchmaking(ctx context.Context, in *DescribeMatchmakingInput) (*DescribeMatchmakingOutput, error) {
	tickets, err := s.cfg.Matchmaking.Tickets(ctx, in.TicketIds)
	if err != nil {
		return nil, err
	}
	out := &DescribeMatchmakingOutput{TicketList: make([]MatchmakingTicket, 0, len(tickets))}
	for _, t := range tickets {
		out.TicketList = append(out.TicketList, ticketOut(t))
	}
	return out, nil
}

type StopMatchmakingInput struct {
	TicketId *string `json:"TicketId,omitempty"`
}

func (in *StopMatchmakingInput) validate(c *checker) {
	c.ticketID("TicketId", in.TicketId, true)
}

// stopMatchmaking stops a matchmaking or a backfill ticket: GameLift has
// no StopMatchBackfill operation; its clients stop backfill requests with
// StopMatchmaking.
func (s *Server) stopMatchmaking(ctx context.Context, in *StopMatchmakingInput) (*struct{}, error) {
	return nil, s.cfg.Matchmaking.StopMatchmaking(ctx, *in.TicketId)
}

type AcceptMatchInput struct {
	TicketId       *string  `json:"TicketId,omitempty"`
	PlayerIds      []string `json:"PlayerIds,omitempty"`
	AcceptanceType string   `json:"AcceptanceType,omitempty"`
}

func (in *AcceptMatchInput) validate(c *checker) {
	c.ticketID("TicketId", in.TicketId, true)
	if c.required("PlayerIds", in.PlayerIds != nil) {
		c.listLen("PlayerIds", len(in.PlayerIds), true, 1, matchmaking.MaxPlayersPerTicket)
	}
	for i, id := range in.PlayerIds {
		c.str(fmtMember("PlayerIds", i, ""), &id, 1, maxPlayerIDLen, nil)
	}
	if c.required("AcceptanceType", in.AcceptanceType != "") {
		c.enum("AcceptanceType", in.AcceptanceType, matchmaking.Accept, matchmaking.Reject)
	}
}

func (s *Server) acceptMatch(ctx context.Context, in *AcceptMatchInput) (*struct{}, error) {
	return nil, s.cfg.Matchmaking.AcceptMatch(ctx, *in.TicketId, in.PlayerIds, in.AcceptanceType)
}
