package api

import (
	"context"

	"github.com/rallypoint/rallypoint/internal/matchmaking"
)

// dropMatchmakingOps removes the matchmaking operations from a server that
// has no matchmaking service: a caller then gets
// UnknownOperationException, as from a server that never had them.
func dropMatchmakingOps(ops map[string]operation) {
	for _, name := range matchmakingOps {
		delete(ops, name)
	}
}

// matchmakingOps are the operations served by the matchmaking service.
var matchmakingOps = []string{
	"CreateMatchmakingRuleSet", "ValidateMatchmakingRuleSet", "DescribeMatchmakingRuleSets", "DeleteMatchmakingRuleSet",
	"CreateMatchmakingConfiguration", "DescribeMatchmakingConfigurations", "UpdateMatchmakingConfiguration", "DeleteMatchmakingConfiguration",
	"StartMatchmaking", "DescribeMatchmaking", "StopMatchmaking", "AcceptMatch", "StartMatchBackfill",
}

// Patterns of matchmaking members, as GameLift's model states them.
var (
	patMatchmakingID        = mustPattern(`[a-zA-Z0-9-\.]*`)
	patRuleSetNameOrARN     = mustPattern(`[a-zA-Z0-9-\.]*|^arn:.*:matchmakingruleset\/[a-zA-Z0-9-\.]*`)
	patMatchmakingConfigRef = mustPattern(`[a-zA-Z0-9-\.]*|^arn:.*:matchmakingconfiguration\/[a-zA-Z0-9-\.]*`)
)

// Bounds of rule set and configuration names. The model gives a name no
// minimum length, but an empty name names nothing.
const (
	maxMatchmakingName      = 128
	maxMatchmakingNameOrARN = 256
	maxRuleSetsPage         = 10
)

type MatchmakingRuleSet struct {
	RuleSetName  *string    `json:"RuleSetName,omitempty"`
	RuleSetArn   *string    `json:"RuleSetArn,omitempty"`
	RuleSetBody  *string    `json:"RuleSetBody,omitempty"`
	CreationTime *Timestamp `json:"CreationTime,omitempty"`
}

func ruleSetOut(rs matchmaking.RuleSet) MatchmakingRuleSet {
	return MatchmakingRuleSet{
		RuleSetName:  ptr(rs.Name),
		RuleSetArn:   ptr(rs.ARN),
		RuleSetBody:  ptr(rs.Body),
		CreationTime: NewTimestamp(rs.CreatedAt),
	}
}

type CreateMatchmakingRuleSetInput struct {
	Name        *string `json:"Name,omitempty"`
	RuleSetBody *string `json:"RuleSetBody,omitempty"`
	Tags        []Tag   `json:"Tags,omitempty"`
}

func (in *CreateMatchmakingRuleSetInput) validate(c *checker) {
	c.requiredStr("Name", in.Name, 1, maxMatchmakingName, patMatchmakingID)
	c.requiredStr("RuleSetBody", in.RuleSetBody, 1, matchmaking.MaxRuleSetBodyBytes, nil)
	c.tags(in.Tags)
}

type CreateMatchmakingRuleSetOutput struct {
	RuleSet *MatchmakingRuleSet `json:"RuleSet,omitempty"`
}

func (s *Server) createMatchmakingRuleSet(ctx context.Context, in *CreateMatchmakingRuleSetInput) (*CreateMatchmakingRuleSetOutput, error) {
	rs, err := s.cfg.Matchmaking.CreateRuleSet(ctx, *in.Name, *in.RuleSetBody, tagsIn(in.Tags))
	if err != nil {
		return nil, err
	}
	out := ruleSetOut(rs)
	return &CreateMatchmakingRuleSetOutput{RuleSet: &out}, nil
}

type ValidateMatchmakingRuleSetInput struct {
	RuleSetBody *string `json:"RuleSetBody,omitempty"`
}

func (in *ValidateMatchmakingRuleSetInput) validate(c *checker) {
	c.requiredStr("RuleSetBody", in.RuleSetBody, 1, matchmaking.MaxRuleSetBodyBytes, nil)
}

type ValidateMatchmakingRuleSetOutput struct {
	Valid *bool `json:"Valid,omitempty"`
}

// validateMatchmakingRuleSet answers Valid: true for a valid body. For an
// invalid one it answers InvalidRequestException listing the problems, as
// GameLift does, rather than Valid: false: a bare false would tell the
// caller nothing about what to fix.
func (s *Server) validateMatchmakingRuleSet(_ context.Context, in *ValidateMatchmakingRuleSetInput) (*ValidateMatchmakingRuleSetOutput, error) {
	if err := s.cfg.Matchmaking.ValidateRuleSet(*in.RuleSetBody); err != nil {
		return nil, err
	}
	return &ValidateMatchmakingRuleSetOutput{Valid: ptr(true)}, nil
}

type DescribeMatchmakingRuleSetsInput struct {
	Names     []string `json:"Names,omitempty"`
	Limit     *int32   `json:"Limit,omitempty"`
	NextToken *string  `json:"NextToken,omitempty"`
}

func (in *DescribeMatchmakingRuleSetsInput) validate(c *checker) {
	c.listLen("Names", len(in.Names), in.Names != nil, 1, 10)
	for i, n := range in.Names {
		c.str(fmtMember("Names", i, ""), &n, 1, maxMatchmakingNameOrARN, patRuleSetNameOrARN)
	}
	c.page(in.Limit, maxRuleSetsPage, in.NextToken)
}

type DescribeMatchmakingRuleSetsOutput struct {
	RuleSets  []MatchmakingRuleSet `json:"RuleSets"`
	NextToken *string              `json:"NextToken,omitempty"`
}

// describeMatchmakingRuleSets lists the named rule sets, or all of them. A
// name that matches no rule set is a NotFoundException, as in GameLift
// (whose DescribeMatchmakingRuleSets, unlike the configurations' listing,
// declares that error).
func (s *Server) describeMatchmakingRuleSets(ctx context.Context, in *DescribeMatchmakingRuleSetsInput) (*DescribeMatchmakingRuleSetsOutput, error) {
	all, err := s.cfg.Matchmaking.RuleSets(ctx, in.Names)
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(all, func(rs matchmaking.RuleSet) string { return rs.Name }, in.Limit, maxRuleSetsPage, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeMatchmakingRuleSetsOutput{RuleSets: make([]MatchmakingRuleSet, 0, len(page)), NextToken: next}
	for _, rs := range page {
		out.RuleSets = append(out.RuleSets, ruleSetOut(rs))
	}
	return out, nil
}

type DeleteMatchmakingRuleSetInput struct {
	Name *string `json:"Name,omitempty"`
}

func (in *DeleteMatchmakingRuleSetInput) validate(c *checker) {
	c.requiredStr("Name", in.Name, 1, maxMatchmakingNameOrARN, patRuleSetNameOrARN)
}

func (s *Server) deleteMatchmakingRuleSet(ctx context.Context, in *DeleteMatchmakingRuleSetInput) (*struct{}, error) {
	return nil, s.cfg.Matchmaking.DeleteRuleSet(ctx, *in.Name)
}
