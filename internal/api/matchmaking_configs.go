package api

import (
	"context"

	"github.com/rallypoint/rallypoint/internal/matchmaking"
)

type MatchmakingConfiguration struct {
	Name                     *string        `json:"Name,omitempty"`
	ConfigurationArn         *string        `json:"ConfigurationArn,omitempty"`
	Description              *string        `json:"Description,omitempty"`
	GameSessionQueueArns     []string       `json:"GameSessionQueueArns,omitempty"`
	RequestTimeoutSeconds    *int32         `json:"RequestTimeoutSeconds,omitempty"`
	AcceptanceTimeoutSeconds *int32         `json:"AcceptanceTimeoutSeconds,omitempty"`
	AcceptanceRequired       *bool          `json:"AcceptanceRequired,omitempty"`
	RuleSetName              *string        `json:"RuleSetName,omitempty"`
	RuleSetArn               *string        `json:"RuleSetArn,omitempty"`
	NotificationTarget       *string        `json:"NotificationTarget,omitempty"`
	AdditionalPlayerCount    *int32         `json:"AdditionalPlayerCount,omitempty"`
	CustomEventData          *string        `json:"CustomEventData,omitempty"`
	CreationTime             *Timestamp     `json:"CreationTime,omitempty"`
	GameProperties           []GameProperty `json:"GameProperties,omitempty"`
	GameSessionData          *string        `json:"GameSessionData,omitempty"`
	BackfillMode             string         `json:"BackfillMode,omitempty"`
	FlexMatchMode            string         `json:"FlexMatchMode,omitempty"`
}

func configurationOut(c matchmaking.Configuration) MatchmakingConfiguration {
	out := MatchmakingConfiguration{
		Name:                  ptr(c.Name),
		ConfigurationArn:      ptr(c.ARN),
		Description:           optString(c.Description),
		GameSessionQueueArns:  c.GameSessionQueueARNs,
		RequestTimeoutSeconds: ptr(int32(c.RequestTimeoutSeconds)),
		AcceptanceRequired:    ptr(c.AcceptanceRequired),
		RuleSetName:           ptr(c.RuleSetName),
		RuleSetArn:            ptr(c.RuleSetARN),
		NotificationTarget:    optString(c.NotificationTarget),
		AdditionalPlayerCount: ptr(int32(c.AdditionalPlayerCount)),
		CustomEventData:       optString(c.CustomEventData),
		CreationTime:          NewTimestamp(c.CreatedAt),
		GameSessionData:       optString(c.GameSessionData),
		BackfillMode:          c.BackfillMode,
		FlexMatchMode:         c.FlexMatchMode,
	}
	if c.AcceptanceTimeoutSeconds > 0 {
		out.AcceptanceTimeoutSeconds = ptr(int32(c.AcceptanceTimeoutSeconds))
	}
	for _, p := range c.GameProperties {
		out.GameProperties = append(out.GameProperties, GameProperty{Key: ptr(p.Key), Value: ptr(p.Value)})
	}
	return out
}

var (
	backfillModes  = []string{matchmaking.BackfillAutomatic, matchmaking.BackfillManual}
	flexMatchModes = []string{matchmaking.ModeStandalone, matchmaking.ModeWithQueue}
)

// Bounds of a configuration's members, as GameLift's model states them.
const (
	maxMatchmakingDescription = 1024
	maxMatchmakingSessionData = 4096
	maxConfigurationsPage     = 10
)

// configMembers are the members CreateMatchmakingConfiguration and
// UpdateMatchmakingConfiguration share. (The inputs spell them out rather
// than embed this struct: the JSON codec matches member names against a
// structure's own fields.)
type configMembers struct {
	Description              *string
	GameSessionQueueArns     []string
	RequestTimeoutSeconds    *int32
	AcceptanceTimeoutSeconds *int32
	AcceptanceRequired       *bool
	RuleSetName              *string
	NotificationTarget       *string
	AdditionalPlayerCount    *int32
	CustomEventData          *string
	GameProperties           []GameProperty
	GameSessionData          *string
	BackfillMode             string
	FlexMatchMode            string
}

func (m *configMembers) validate(c *checker) {
	c.str("Description", m.Description, 1, maxMatchmakingDescription, nil)
	for i, q := range m.GameSessionQueueArns {
		c.str(fmtMember("GameSessionQueueArns", i, ""), &q, 1, 512, patARN)
	}
	c.intRange("RequestTimeoutSeconds", m.RequestTimeoutSeconds, 1, matchmaking.MaxRequestTimeoutSeconds)
	c.intRange("AcceptanceTimeoutSeconds", m.AcceptanceTimeoutSeconds, 1, matchmaking.MaxAcceptanceTimeoutSeconds)
	c.str("RuleSetName", m.RuleSetName, 1, maxMatchmakingNameOrARN, patRuleSetNameOrARN)
	c.str("NotificationTarget", m.NotificationTarget, 0, 300, patConfigNotificationTarget)
	c.intRange("AdditionalPlayerCount", m.AdditionalPlayerCount, 0, -1)
	c.str("CustomEventData", m.CustomEventData, 0, 256, nil)
	c.gameProperties(m.GameProperties)
	c.str("GameSessionData", m.GameSessionData, 1, maxMatchmakingSessionData, nil)
	c.enum("BackfillMode", m.BackfillMode, backfillModes...)
	c.enum("FlexMatchMode", m.FlexMatchMode, flexMatchModes...)
}

// patConfigNotificationTarget is the model's SnsArnStringModel as a
// configuration states it: unlike a queue's, it allows '/'.
var patConfigNotificationTarget = mustPattern(`[a-zA-Z0-9:_/-]*(.fifo)?`)

// configurationInput translates the members into the service's input: nil
// lists are members that were not given.
func (m *configMembers) configurationInput(name string) matchmaking.ConfigurationInput {
	in := matchmaking.ConfigurationInput{
		Name:                 name,
		Description:          m.Description,
		RuleSet:              m.RuleSetName,
		GameSessionQueueARNs: m.GameSessionQueueArns,
		AcceptanceRequired:   m.AcceptanceRequired,
		GameSessionData:      m.GameSessionData,
		CustomEventData:      m.CustomEventData,
		NotificationTarget:   m.NotificationTarget,
	}
	intIn := func(v *int32) *int {
		if v == nil {
			return nil
		}
		return ptr(int(*v))
	}
	in.RequestTimeoutSeconds = intIn(m.RequestTimeoutSeconds)
	in.AcceptanceTimeoutSeconds = intIn(m.AcceptanceTimeoutSeconds)
	in.AdditionalPlayerCount = intIn(m.AdditionalPlayerCount)
	if m.BackfillMode != "" {
		in.BackfillMode = ptr(m.BackfillMode)
	}
	if m.FlexMatchMode != "" {
		in.FlexMatchMode = ptr(m.FlexMatchMode)
	}
	if m.GameProperties != nil {
		// An empty list is given (it clears them on update), so it must
		// not become nil.
		in.GameProperties = make([]matchmaking.Property, 0, len(m.GameProperties))
		in.GameProperties = append(in.GameProperties, gamePropertiesIn(m.GameProperties)...)
	}
	return in
}

type CreateMatchmakingConfigurationInput struct {
	Name                     *string        `json:"Name,omitempty"`
	Description              *string        `json:"Description,omitempty"`
	GameSessionQueueArns     []string       `json:"GameSessionQueueArns,omitempty"`
	RequestTimeoutSeconds    *int32         `json:"RequestTimeoutSeconds,omitempty"`
	AcceptanceTimeoutSeconds *int32         `json:"AcceptanceTimeoutSeconds,omitempty"`
	AcceptanceRequired       *bool          `json:"AcceptanceRequired,omitempty"`
	RuleSetName              *string        `json:"RuleSetName,omitempty"`
	NotificationTarget       *string        `json:"NotificationTarget,omitempty"`
	AdditionalPlayerCount    *int32         `json:"AdditionalPlayerCount,omitempty"`
	CustomEventData          *string        `json:"CustomEventData,omitempty"`
	GameProperties           []GameProperty `json:"GameProperties,omitempty"`
	GameSessionData          *string        `json:"GameSessionData,omitempty"`
	BackfillMode             string         `json:"BackfillMode,omitempty"`
	FlexMatchMode            string         `json:"FlexMatchMode,omitempty"`
	Tags                     []Tag          `json:"Tags,omitempty"`
}

func (in *CreateMatchmakingConfigurationInput) members() *configMembers {
	return &configMembers{
		Description:              in.Description,
		GameSessionQueueArns:     in.GameSessionQueueArns,
		RequestTimeoutSeconds:    in.RequestTimeoutSeconds,
		AcceptanceTimeoutSeconds: in.AcceptanceTimeoutSeconds,
		AcceptanceRequired:       in.AcceptanceRequired,
		RuleSetName:              in.RuleSetName,
		NotificationTarget:       in.NotificationTarget,
		AdditionalPlayerCount:    in.AdditionalPlayerCount,
		CustomEventData:          in.CustomEventData,
		GameProperties:           in.GameProperties,
		GameSessionData:          in.GameSessionData,
		BackfillMode:             in.BackfillMode,
		FlexMatchMode:            in.FlexMatchMode,
	}
}

func (in *CreateMatchmakingConfigurationInput) validate(c *checker) {
	c.requiredStr("Name", in.Name, 1, maxMatchmakingName, patMatchmakingID)
	c.required("RequestTimeoutSeconds", in.RequestTimeoutSeconds != nil)
	c.required("AcceptanceRequired", in.AcceptanceRequired != nil)
	c.required("RuleSetName", in.RuleSetName != nil)
	in.members().validate(c)
	c.tags(in.Tags)
}

type MatchmakingConfigurationOutput struct {
	Configuration *MatchmakingConfiguration `json:"Configuration,omitempty"`
}

func (s *Server) createMatchmakingConfiguration(ctx context.Context, in *CreateMatchmakingConfigurationInput) (*MatchmakingConfigurationOutput, error) {
	ci := in.members().configurationInput(*in.Name)
	ci.Tags = tagsIn(in.Tags)
	c, err := s.cfg.Matchmaking.CreateConfiguration(ctx, ci)
	if err != nil {
		return nil, err
	}
	out := configurationOut(c)
	return &MatchmakingConfigurationOutput{Configuration: &out}, nil
}

// UpdateMatchmakingConfigurationInput changes the members it holds. A list
// given empty ("GameProperties": []) clears it; both codecs decode an empty
// list to an empty, non-nil slice and an absent or null one to nil, so the
// difference reaches the service.
type UpdateMatchmakingConfigurationInput struct {
	Name                     *string        `json:"Name,omitempty"`
	Description              *string        `json:"Description,omitempty"`
	GameSessionQueueArns     []string       `json:"GameSessionQueueArns,omitempty"`
	RequestTimeoutSeconds    *int32         `json:"RequestTimeoutSeconds,omitempty"`
	AcceptanceTimeoutSeconds *int32         `json:"AcceptanceTimeoutSeconds,omitempty"`
	AcceptanceRequired       *bool          `json:"AcceptanceRequired,omitempty"`
	RuleSetName              *string        `json:"RuleSetName,omitempty"`
	NotificationTarget       *string        `json:"NotificationTarget,omitempty"`
	AdditionalPlayerCount    *int32         `json:"AdditionalPlayerCount,omitempty"`
	CustomEventData          *string        `json:"CustomEventData,omitempty"`
	GameProperties           []GameProperty `json:"GameProperties,omitempty"`
	GameSessionData          *string        `json:"GameSessionData,omitempty"`
	BackfillMode             string         `json:"BackfillMode,omitempty"`
	FlexMatchMode            string         `json:"FlexMatchMode,omitempty"`
}

func (in *UpdateMatchmakingConfigurationInput) members() *configMembers {
	return &configMembers{
		Description:              in.Description,
		GameSessionQueueArns:     in.GameSessionQueueArns,
		RequestTimeoutSeconds:    in.RequestTimeoutSeconds,
		AcceptanceTimeoutSeconds: in.AcceptanceTimeoutSeconds,
		AcceptanceRequired:       in.AcceptanceRequired,
		RuleSetName:              in.RuleSetName,
		NotificationTarget:       in.NotificationTarget,
		AdditionalPlayerCount:    in.AdditionalPlayerCount,
		CustomEventData:          in.CustomEventData,
		GameProperties:           in.GameProperties,
		GameSessionData:          in.GameSessionData,
		BackfillMode:             in.BackfillMode,
		FlexMatchMode:            in.FlexMatchMode,
	}
}

func (in *UpdateMatchmakingConfigurationInput) validate(c *checker) {
	c.requiredStr("Name", in.Name, 1, maxMatchmakingNameOrARN, patMatchmakingConfigRef)
	in.members().validate(c)
}

func (s *Server) updateMatchmakingConfiguration(ctx context.Context, in *UpdateMatchmakingConfigurationInput) (*MatchmakingConfigurationOutput, error) {
	c, err := s.cfg.Matchmaking.UpdateConfiguration(ctx, in.members().configurationInput(*in.Name))
	if err != nil {
		return nil, err
	}
	out := configurationOut(c)
	return &MatchmakingConfigurationOutput{Configuration: &out}, nil
}

type DescribeMatchmakingConfigurationsInput struct {
	Names       []string `json:"Names,omitempty"`
	RuleSetName *string  `json:"RuleSetName,omitempty"`
	Limit       *int32   `json:"Limit,omitempty"`
	NextToken   *string  `json:"NextToken,omitempty"`
}

func (in *DescribeMatchmakingConfigurationsInput) validate(c *checker) {
	for i, n := range in.Names {
		c.str(fmtMember("Names", i, ""), &n, 1, maxMatchmakingNameOrARN, patMatchmakingConfigRef)
	}
	c.str("RuleSetName", in.RuleSetName, 1, maxMatchmakingNameOrARN, patRuleSetNameOrARN)
	c.page(in.Limit, -1, in.NextToken)
}

type DescribeMatchmakingConfigurationsOutput struct {
	Configurations []MatchmakingConfiguration `json:"Configurations"`
	NextToken      *string                    `json:"NextToken,omitempty"`
}

// describeMatchmakingConfigurations lists the named configurations, or
// all of them, of one rule set when RuleSetName is given. Names that match
// nothing are left out: GameLift's operation declares no
// NotFoundException. Limit "is limited to 10": a larger one is clamped, as
// DescribeGameSessionQueues clamps its own.
func (s *Server) describeMatchmakingConfigurations(ctx context.Context, in *DescribeMatchmakingConfigurationsInput) (*DescribeMatchmakingConfigurationsOutput, error) {
	all, err := s.cfg.Matchmaking.Configurations(ctx, in.Names, deref(in.RuleSetName))
	if err != nil {
		return nil, err
	}
	limit := in.Limit
	if limit != nil && *limit > maxConfigurationsPage {
		limit = ptr(int32(maxConfigurationsPage))
	}
	page, next, err := paginate(all, func(c matchmaking.Configuration) string { return c.Name }, limit, maxConfigurationsPage, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeMatchmakingConfigurationsOutput{Configurations: make([]MatchmakingConfiguration, 0, len(page)), NextToken: next}
	for _, c := range page {
		out.Configurations = append(out.Configurations, configurationOut(c))
	}
	return out, nil
}

type DeleteMatchmakingConfigurationInput struct {
	Name *string `json:"Name,omitempty"`
}

func (in *DeleteMatchmakingConfigurationInput) validate(c *checker) {
	c.requiredStr("Name", in.Name, 1, maxMatchmakingNameOrARN, patMatchmakingConfigRef)
}

func (s *Server) deleteMatchmakingConfiguration(ctx context.Context, in *DeleteMatchmakingConfigurationInput) (*struct{}, error) {
	return nil, s.cfg.Matchmaking.DeleteConfiguration(ctx, *in.Name)
}
