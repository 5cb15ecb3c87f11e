package api

import (
	"context"

	"github.com/rallypoint/rallypoint/internal/fleet"
)

type RoutingStrategy struct {
	Type    string  `json:"Type,omitempty"`
	FleetId *string `json:"FleetId,omitempty"`
	Message *string `json:"Message,omitempty"`
}

type Alias struct {
	AliasId         *string          `json:"AliasId,omitempty"`
	AliasArn        *string          `json:"AliasArn,omitempty"`
	Name            *string          `json:"Name,omitempty"`
	Description     *string          `json:"Description,omitempty"`
	RoutingStrategy *RoutingStrategy `json:"RoutingStrategy,omitempty"`
	CreationTime    *Timestamp       `json:"CreationTime,omitempty"`
	LastUpdatedTime *Timestamp       `json:"LastUpdatedTime,omitempty"`
}

func aliasOut(a fleet.Alias) Alias {
	return Alias{
		AliasId:     ptr(a.ID),
		AliasArn:    ptr(a.ARN),
		Name:        ptr(a.Name),
		Description: optString(a.Description),
		RoutingStrategy: &RoutingStrategy{
			Type:    a.Routing.Type,
			FleetId: optString(a.Routing.FleetID),
			Message: optString(a.Routing.Message),
		},
		CreationTime:    NewTimestamp(a.CreatedAt),
		LastUpdatedTime: NewTimestamp(a.UpdatedAt),
	}
}

func checkRouting(c *checker, r *RoutingStrategy) {
	if r == nil {
		return
	}
	c.enum("RoutingStrategy.Type", r.Type, fleet.RoutingSimple, fleet.RoutingTerminal)
	c.str("RoutingStrategy.FleetId", r.FleetId, 1, 128, patFleetID)
}

func routingIn(r *RoutingStrategy) fleet.RoutingStrategy {
	return fleet.RoutingStrategy{Type: r.Type, FleetID: deref(r.FleetId), Message: deref(r.Message)}
}

type CreateAliasInput struct {
	Name            *string          `json:"Name,omitempty"`
	Description     *string          `json:"Description,omitempty"`
	RoutingStrategy *RoutingStrategy `json:"RoutingStrategy,omitempty"`
	Tags            []Tag            `json:"Tags,omitempty"`
}

func (in *CreateAliasInput) validate(c *checker) {
	c.requiredStr("Name", in.Name, 1, 1024, patNonBlank)
	c.str("Description", in.Description, 1, 1024, nil)
	if c.required("RoutingStrategy", in.RoutingStrategy != nil) {
		checkRouting(c, in.RoutingStrategy)
	}
	c.tags(in.Tags)
}

type AliasOutput struct {
	Alias *Alias `json:"Alias,omitempty"`
}

func (s *Server) createAlias(ctx context.Context, in *CreateAliasInput) (*AliasOutput, error) {
	a, err := s.cfg.Fleets.CreateAlias(ctx, *in.Name, deref(in.Description), routingIn(in.RoutingStrategy), tagsIn(in.Tags))
	if err != nil {
		return nil, err
	}
	out := aliasOut(a)
	return &AliasOutput{Alias: &out}, nil
}

type AliasIdInput struct {
	AliasId *string `json:"AliasId,omitempty"`
}

func (in *AliasIdInput) validate(c *checker) {
	c.requiredStr("AliasId", in.AliasId, 0, 0, patAliasIDOrARN)
}

func (s *Server) describeAlias(ctx context.Context, in *AliasIdInput) (*AliasOutput, error) {
	a, err := s.cfg.Fleets.Alias(ctx, *in.AliasId)
	if err != nil {
		return nil, err
	}
	out := aliasOut(a)
	return &AliasOutput{Alias: &out}, nil
}

type ListAliasesInput struct {
	RoutingStrategyType string  `json:"RoutingStrategyType,omitempty"`
	Name                *string `json:"Name,omitempty"`
	Limit               *int32  `json:"Limit,omitempty"`
	NextToken           *string `json:"NextToken,omitempty"`
}

func (in *ListAliasesInput) validate(c *checker) {
	c.enum("RoutingStrategyType", in.RoutingStrategyType, fleet.RoutingSimple, fleet.RoutingTerminal)
	c.str("Name", in.Name, 1, 0, nil)
	c.intRange("Limit", in.Limit, 1, -1)
	c.str("NextToken", in.NextToken, 1, 0, nil)
}

type ListAliasesOutput struct {
	Aliases   []Alias `json:"Aliases"`
	NextToken *string `json:"NextToken,omitempty"`
}

func (s *Server) listAliases(ctx context.Context, in *ListAliasesInput) (*ListAliasesOutput, error) {
	all, err := s.cfg.Fleets.Aliases(ctx, deref(in.Name), in.RoutingStrategyType)
	if err != nil {
		return nil, err
	}
	page, next, err := paginate(all, func(a fleet.Alias) string { return a.ID }, in.Limit, 100, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &ListAliasesOutput{Aliases: make([]Alias, 0, len(page)), NextToken: next}
	for _, a := range page {
		out.Aliases = append(out.Aliases, aliasOut(a))
	}
	return out, nil
}

type UpdateAliasInput struct {
	AliasId         *string          `json:"AliasId,omitempty"`
	Name            *string          `json:"Name,omitempty"`
	Description     *string          `json:"Description,omitempty"`
	RoutingStrategy *RoutingStrategy `json:"RoutingStrategy,omitempty"`
}

func (in *UpdateAliasInput) validate(c *checker) {
	c.requiredStr("AliasId", in.AliasId, 0, 0, patAliasIDOrARN)
	c.str("Name", in.Name, 1, 1024, patNonBlank)
	c.str("Description", in.Description, 1, 1024, nil)
	checkRouting(c, in.RoutingStrategy)
}

func (s *Server) updateAlias(ctx context.Context, in *UpdateAliasInput) (*AliasOutput, error) {
	var routing *fleet.RoutingStrategy
	if in.RoutingStrategy != nil {
		r := routingIn(in.RoutingStrategy)
		routing = &r
	}
	a, err := s.cfg.Fleets.UpdateAlias(ctx, *in.AliasId, in.Name, in.Description, routing)
	if err != nil {
		return nil, err
	}
	out := aliasOut(a)
	return &AliasOutput{Alias: &out}, nil
}

type ResolveAliasOutput struct {
	FleetId  *string `json:"FleetId,omitempty"`
	FleetArn *string `json:"FleetArn,omitempty"`
}

func (s *Server) resolveAlias(ctx context.Context, in *AliasIdInput) (*ResolveAliasOutput, error) {
	f, err := s.cfg.Fleets.ResolveAlias(ctx, *in.AliasId)
	if err != nil {
		return nil, err
	}
	return &ResolveAliasOutput{FleetId: ptr(f.ID), FleetArn: ptr(f.ARN)}, nil
}

func (s *Server) deleteAlias(ctx context.Context, in *AliasIdInput) (*struct{}, error) {
	return nil, s.cfg.Fleets.DeleteAlias(ctx, *in.AliasId)
}
