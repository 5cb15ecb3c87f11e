package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/fleet/query"
)

type GameProperty struct {
	Key   *string `json:"Key,omitempty"`
	Value *string `json:"Value,omitempty"`
}

type GameSession struct {
	GameSessionId               *string        `json:"GameSessionId,omitempty"`
	Name                        *string        `json:"Name,omitempty"`
	FleetId                     *string        `json:"FleetId,omitempty"`
	FleetArn                    *string        `json:"FleetArn,omitempty"`
	CreationTime                *Timestamp     `json:"CreationTime,omitempty"`
	TerminationTime             *Timestamp     `json:"TerminationTime,omitempty"`
	CurrentPlayerSessionCount   *int32         `json:"CurrentPlayerSessionCount,omitempty"`
	MaximumPlayerSessionCount   *int32         `json:"MaximumPlayerSessionCount,omitempty"`
	Status                      string         `json:"Status,omitempty"`
	StatusReason                string         `json:"StatusReason,omitempty"`
	GameProperties              []GameProperty `json:"GameProperties,omitempty"`
	IpAddress                   *string        `json:"IpAddress,omitempty"`
	DnsName                     *string        `json:"DnsName,omitempty"`
	Port                        *int32         `json:"Port,omitempty"`
	PlayerSessionCreationPolicy string         `json:"PlayerSessionCreationPolicy,omitempty"`
	CreatorId                   *string        `json:"CreatorId,omitempty"`
	GameSessionData             *string        `json:"GameSessionData,omitempty"`
	MatchmakerData              *string        `json:"MatchmakerData,omitempty"`
	Location                    *string        `json:"Location,omitempty"`
	ComputeName                 *string        `json:"ComputeName,omitempty"`
}

func gameSessionOut(gs fleet.GameSession) GameSession {
	out := GameSession{
		GameSessionId:               ptr(gs.ID),
		Name:                        optString(gs.Name),
		FleetId:                     ptr(gs.FleetID),
		FleetArn:                    ptr(gs.FleetARN),
		CreationTime:                NewTimestamp(gs.CreatedAt),
		TerminationTime:             NewTimestamp(gs.EndedAt),
		CurrentPlayerSessionCount:   ptr(int32(gs.CurrentPlayerSessionCount())),
		MaximumPlayerSessionCount:   ptr(int32(gs.MaximumPlayerSessionCount)),
		Status:                      gs.Status,
		StatusReason:                gs.StatusReason,
		IpAddress:                   optString(gs.IPAddress),
		DnsName:                     optString(gs.DNSName),
		PlayerSessionCreationPolicy: gs.PlayerSessionCreationPolicy,
		CreatorId:                   optString(gs.CreatorID),
		GameSessionData:             optString(gs.GameSessionData),
		MatchmakerData:              optString(gs.MatchmakerData),
		Location:                    optString(gs.Location),
		ComputeName:                 optString(gs.Compute),
	}
	if gs.Port > 0 {
		out.Port = ptr(int32(gs.Port))
	}
	if len(gs.GameProperties) > 0 {
		out.GameProperties = make([]GameProperty, len(gs.GameProperties))
		for i, p := range gs.GameProperties {
			out.GameProperties[i] = GameProperty{Key: ptr(p.Key), Value: ptr(p.Value)}
		}
	}
	return out
}

func gamePropertiesIn(props []GameProperty) []fleet.Property {
	if len(props) == 0 {
		return nil
	}
	out := make([]fleet.Property, len(props))
	for i, p := range props {
		out[i] = fleet.Property{Key: deref(p.Key), Value: deref(p.Value)}
	}
	return out
}

// creationKey orders records by creation time, then id: the order the
// fleet service lists game and player sessions in, written so that
// comparing keys as strings agrees with it (fixed-width nanoseconds), as
// paginate needs.
func creationKey(at int64, id string) string {
	return fmt.Sprintf("%020d/%s", at, id)
}

func gameSessionKey(gs fleet.GameSession) string {
	return creationKey(gs.CreatedAt.UnixNano(), gs.ID)
}

// pageGameSessions puts game sessions in creation order and returns one
// page of them.
func pageGameSessions(all []fleet.GameSession, limit *int32, defaultLimit int, nextToken *string) ([]fleet.GameSession, *string, error) {
	keyed := make([]keyedGameSession, len(all))
	for i, gs := range all {
		keyed[i] = keyedGameSession{key: gameSessionKey(gs), gs: gs}
	}
	slices.SortStableFunc(keyed, func(a, b keyedGameSession) int { return cmp.Compare(a.key, b.key) })
	page, next, err := paginate(keyed, func(k keyedGameSession) string { return k.key }, limit, defaultLimit, nextToken)
	if err != nil {
		return nil, nil, err
	}
	out := make([]fleet.GameSession, len(page))
	for i, k := range page {
		out[i] = k.gs
	}
	return out, next, nil
}

type keyedGameSession struct {
	key string
	gs  fleet.GameSession
}

// Game session statuses a StatusFilter may name.
var gameSessionStatuses = []string{
	fleet.GameSessionActivating, fleet.GameSessionActive, fleet.GameSessionTerminating,
	fleet.GameSessionTerminated, fleet.GameSessionError,
}

type CreateGameSessionInput struct {
	FleetId                   *string        `json:"FleetId,omitempty"`
	AliasId                   *string        `json:"AliasId,omitempty"`
	MaximumPlayerSessionCount *int32         `json:"MaximumPlayerSessionCount,omitempty"`
	Name                      *string        `json:"Name,omitempty"`
	GameProperties            []GameProperty `json:"GameProperties,omitempty"`
	CreatorId                 *string        `json:"CreatorId,omitempty"`
	// GameSessionId is the deprecated name of IdempotencyToken.
	GameSessionId    *string `json:"GameSessionId,omitempty"`
	IdempotencyToken *string `json:"IdempotencyToken,omitempty"`
	GameSessionData  *string `json:"GameSessionData,omitempty"`
	Location         *string `json:"Location,omitempty"`
}

func (in *CreateGameSessionInput) validate(c *checker) {
	c.str("FleetId", in.FleetId, 1, 512, patFleetIDOrARN)
	c.str("AliasId", in.AliasId, 0, 0, patAliasIDOrARN)
	c.exactlyOne([]string{"FleetId", "AliasId"}, in.FleetId != nil, in.AliasId != nil)
	if c.required("MaximumPlayerSessionCount", in.MaximumPlayerSessionCount != nil) {
		c.intRange("MaximumPlayerSessionCount", in.MaximumPlayerSessionCount, 0, -1)
	}
	c.str("Name", in.Name, 1, 1024, nil)
	c.gameProperties(in.GameProperties)
	c.str("CreatorId", in.CreatorId, 1, 1024, nil)
	c.str("GameSessionId", in.GameSessionId, 1, 48, patIDString)
	c.str("IdempotencyToken", in.IdempotencyToken, 1, 48, patIDString)
	c.str("GameSessionData", in.GameSessionData, 1, 262144, nil)
	c.str("Location", in.Location, 1, 64, patLocation)
}

type GameSessionOutput struct {
	GameSession *GameSession `json:"GameSession,omitempty"`
}

func (s *Server) createGameSession(ctx context.Context, in *CreateGameSessionInput) (*GameSessionOutput, error) {
	token := in.IdempotencyToken
	if token == nil {
		token = in.GameSessionId
	} else if in.GameSessionId != nil && *in.GameSessionId != *token {
		return nil, invalidRequest("GameSessionId is the deprecated name of IdempotencyToken; give one of them, or the same value in both")
	}
	gs, err := s.cfg.Fleets.CreateGameSession(ctx, fleet.CreateGameSessionInput{
		FleetID:                   deref(in.FleetId),
		AliasID:                   deref(in.AliasId),
		Location:                  deref(in.Location),
		Name:                      deref(in.Name),
		MaximumPlayerSessionCount: int(*in.MaximumPlayerSessionCount),
		GameProperties:            gamePropertiesIn(in.GameProperties),
		GameSessionData:           deref(in.GameSessionData),
		IdempotencyToken:          deref(token),
		CreatorID:                 deref(in.CreatorId),
	})
	if err != nil {
		return nil, err
	}
	out := gameSessionOut(gs)
	return &GameSessionOutput{GameSession: &out}, nil
}

// DescribeGameSessionsInput is the input of DescribeGameSessions and
// DescribeGameSessionDetails, which GameLift models alike.
type DescribeGameSessionsInput struct {
	FleetId       *string `json:"FleetId,omitempty"`
	GameSessionId *string `json:"GameSessionId,omitempty"`
	AliasId       *string `json:"AliasId,omitempty"`
	Location      *string `json:"Location,omitempty"`
	StatusFilter  *string `json:"StatusFilter,omitempty"`
	Limit         *int32  `json:"Limit,omitempty"`
	NextToken     *string `json:"NextToken,omitempty"`
}

func (in *DescribeGameSessionsInput) validate(c *checker) {
	c.str("FleetId", in.FleetId, 1, 512, patFleetIDOrARN)
	c.str("GameSessionId", in.GameSessionId, 1, 512, patARN)
	c.str("AliasId", in.AliasId, 0, 0, patAliasIDOrARN)
	c.exactlyOne([]string{"FleetId", "AliasId", "GameSessionId"}, in.FleetId != nil, in.AliasId != nil, in.GameSessionId != nil)
	c.str("Location", in.Location, 1, 64, patLocation)
	c.str("StatusFilter", in.StatusFilter, 1, 1024, nil)
	if in.StatusFilter != nil {
		c.enum("StatusFilter", *in.StatusFilter, gameSessionStatuses...)
	}
	c.page(in.Limit, -1, in.NextToken)
}

// gameSessionsPage is the page of game sessions a DescribeGameSessions or
// DescribeGameSessionDetails call asks for.
func (s *Server) gameSessionsPage(ctx context.Context, in *DescribeGameSessionsInput) ([]fleet.GameSession, *string, error) {
	all, err := s.cfg.Fleets.GameSessions(ctx, fleet.GameSessionFilter{
		FleetID:       deref(in.FleetId),
		AliasID:       deref(in.AliasId),
		GameSessionID: deref(in.GameSessionId),
		Location:      deref(in.Location),
		Status:        deref(in.StatusFilter),
	})
	if err != nil {
		return nil, nil, err
	}
	return pageGameSessions(all, in.Limit, 100, in.NextToken)
}

type DescribeGameSessionsOutput struct {
	GameSessions []GameSession `json:"GameSessions"`
	NextToken    *string       `json:"NextToken,omitempty"`
}

func (s *Server) describeGameSessions(ctx context.Context, in *DescribeGameSessionsInput) (*DescribeGameSessionsOutput, error) {
	page, next, err := s.gameSessionsPage(ctx, in)
	if err != nil {
		return nil, err
	}
	out := &DescribeGameSessionsOutput{GameSessions: make([]GameSession, 0, len(page)), NextToken: next}
	for _, gs := range page {
		out.GameSessions = append(out.GameSessions, gameSessionOut(gs))
	}
	return out, nil
}

type GameSessionDetail struct {
	GameSession      *GameSession `json:"GameSession,omitempty"`
	ProtectionPolicy string       `json:"ProtectionPolicy,omitempty"`
}

type DescribeGameSessionDetailsOutput struct {
	GameSessionDetails []GameSessionDetail `json:"GameSessionDetails"`
	NextToken          *string             `json:"NextToken,omitempty"`
}

func (s *Server) describeGameSessionDetails(ctx context.Context, in *DescribeGameSessionsInput) (*DescribeGameSessionDetailsOutput, error) {
	page, next, err := s.gameSessionsPage(ctx, in)
	if err != nil {
		return nil, err
	}
	out := &DescribeGameSessionDetailsOutput{GameSessionDetails: make([]GameSessionDetail, 0, len(page)), NextToken: next}
	for _, gs := range page {
		g := gameSessionOut(gs)
		out.GameSessionDetails = append(out.GameSessionDetails, GameSessionDetail{GameSession: &g, ProtectionPolicy: gs.ProtectionPolicy})
	}
	return out, nil
}

type UpdateGameSessionInput struct {
	GameSessionId               *string        `json:"GameSessionId,omitempty"`
	MaximumPlayerSessionCount   *int32         `json:"MaximumPlayerSessionCount,omitempty"`
	Name                        *string        `json:"Name,omitempty"`
	PlayerSessionCreationPolicy string         `json:"PlayerSessionCreationPolicy,omitempty"`
	ProtectionPolicy            string         `json:"ProtectionPolicy,omitempty"`
	GameProperties              []GameProperty `json:"GameProperties,omitempty"`
}

func (in *UpdateGameSessionInput) validate(c *checker) {
	c.requiredStr("GameSessionId", in.GameSessionId, 1, 512, patARN)
	c.intRange("MaximumPlayerSessionCount", in.MaximumPlayerSessionCount, 0, -1)
	c.str("Name", in.Name, 1, 1024, nil)
	c.enum("PlayerSessionCreationPolicy", in.PlayerSessionCreationPolicy, fleet.AcceptAll, fleet.DenyAll)
	c.enum("ProtectionPolicy", in.ProtectionPolicy, fleet.ProtectionNone, fleet.ProtectionFull)
	c.gameProperties(in.GameProperties)
}

func (s *Server) updateGameSession(ctx context.Context, in *UpdateGameSessionInput) (*GameSessionOutput, error) {
	u := fleet.UpdateGameSessionInput{
		ID:             *in.GameSessionId,
		Name:           in.Name,
		GameProperties: gamePropertiesIn(in.GameProperties),
	}
	if in.MaximumPlayerSessionCount != nil {
		u.MaximumPlayerSessionCount = ptr(int(*in.MaximumPlayerSessionCount))
	}
	if in.PlayerSessionCreationPolicy != "" {
		u.PlayerSessionCreationPolicy = &in.PlayerSessionCreationPolicy
	}
	if in.ProtectionPolicy != "" {
		u.ProtectionPolicy = &in.ProtectionPolicy
	}
	gs, err := s.cfg.Fleets.UpdateGameSession(ctx, u)
	if err != nil {
		return nil, err
	}
	out := gameSessionOut(gs)
	return &GameSessionOutput{GameSession: &out}, nil
}

type TerminateGameSessionInput struct {
	GameSessionId   *string `json:"GameSessionId,omitempty"`
	TerminationMode string  `json:"TerminationMode,omitempty"`
}

func (in *TerminateGameSessionInput) validate(c *checker) {
	c.requiredStr("GameSessionId", in.GameSessionId, 1, 512, patARN)
	if c.required("TerminationMode", in.TerminationMode != "") {
		c.enum("TerminationMode", in.TerminationMode, fleet.TriggerOnProcessTerminate, fleet.ForceTerminate)
	}
}

func (s *Server) terminateGameSession(ctx context.Context, in *TerminateGameSessionInput) (*GameSessionOutput, error) {
	gs, err := s.cfg.Fleets.TerminateGameSession(ctx, *in.GameSessionId, in.TerminationMode)
	if err != nil {
		return nil, err
	}
	out := gameSessionOut(gs)
	return &GameSessionOutput{GameSession: &out}, nil
}

type SearchGameSessionsInput struct {
	FleetId          *string `json:"FleetId,omitempty"`
	AliasId          *string `json:"AliasId,omitempty"`
	Location         *string `json:"Location,omitempty"`
	FilterExpression *string `json:"FilterExpression,omitempty"`
	SortExpression   *string `json:"SortExpression,omitempty"`
	Limit            *int32  `json:"Limit,omitempty"`
	NextToken        *string `json:"NextToken,omitempty"`
}

func (in *SearchGameSessionsInput) validate(c *checker) {
	c.str("FleetId", in.FleetId, 1, 512, patFleetIDOrARN)
	c.str("AliasId", in.AliasId, 0, 0, patAliasIDOrARN)
	c.exactlyOne([]string{"FleetId", "AliasId"}, in.FleetId != nil, in.AliasId != nil)
	c.str("Location", in.Location, 1, 64, patLocation)
	c.str("FilterExpression", in.FilterExpression, 1, query.MaxLength, nil)
	c.str("SortExpression", in.SortExpression, 1, query.MaxLength, nil)
	c.page(in.Limit, -1, in.NextToken)
}

// maxSearchResults is the most game sessions one SearchGameSessions page
// holds: GameLift clamps Limit to 20 rather than refusing more.
const maxSearchResults = 20

type SearchGameSessionsOutput struct {
	GameSessions []GameSession `json:"GameSessions"`
	NextToken    *string       `json:"NextToken,omitempty"`
}

func (s *Server) searchGameSessions(ctx context.Context, in *SearchGameSessionsInput) (*SearchGameSessionsOutput, error) {
	var (
		filter *query.Filter
		order  *query.Sort
		err    error
	)
	if in.FilterExpression != nil {
		if filter, err = query.ParseFilter(*in.FilterExpression); err != nil {
			return nil, expressionError("FilterExpression", err)
		}
	}
	if in.SortExpression != nil {
		if order, err = query.ParseSort(*in.SortExpression); err != nil {
			return nil, expressionError("SortExpression", err)
		}
	}
	found, err := s.cfg.Fleets.SearchGameSessions(ctx, deref(in.FleetId), deref(in.AliasId), deref(in.Location), filter, order)
	if err != nil {
		return nil, err
	}
	limit := int32(maxSearchResults)
	if in.Limit != nil {
		limit = min(*in.Limit, maxSearchResults)
	}
	var (
		page []fleet.GameSession
		next *string
	)
	if order == nil {
		// Creation order: pages stay right while sessions start and end.
		page, next, err = pageGameSessions(found, &limit, maxSearchResults, in.NextToken)
	} else {
		// The sort's order, whose values (player counts, properties)
		// change between calls anyway: pages are positions in the result.
		type indexed struct {
			key string
			gs  fleet.GameSession
		}
		items := make([]indexed, len(found))
		for i, gs := range found {
			items[i] = indexed{key: indexKey(i), gs: gs}
		}
		var p []indexed
		p, next, err = paginate(items, func(x indexed) string { return x.key }, &limit, maxSearchResults, in.NextToken)
		for _, x := range p {
			page = append(page, x.gs)
		}
	}
	if err != nil {
		return nil, err
	}
	out := &SearchGameSessionsOutput{GameSessions: make([]GameSession, 0, len(page)), NextToken: next}
	for _, gs := range page {
		out.GameSessions = append(out.GameSessions, gameSessionOut(gs))
	}
	return out, nil
}

// expressionError turns a filter or sort expression's syntax error into
// the InvalidRequestException that names the member and the position.
func expressionError(member string, err error) error {
	var se *query.SyntaxError
	if errors.As(err, &se) {
		return invalidRequest("%s: %s", member, se.Error())
	}
	return fmt.Errorf("parse %s: %w", member, err)
}
