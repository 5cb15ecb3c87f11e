package api

import (
	"context"

	"github.com/rallypoint/rallypoint/internal/fleet"
)

type AnywhereConfiguration struct {
	Cost *string `json:"Cost,omitempty"`
}

type ResourceCreationLimitPolicy struct {
	NewGameSessionsPerCreator *int32 `json:"NewGameSessionsPerCreator,omitempty"`
	PolicyPeriodInMinutes     *int32 `json:"PolicyPeriodInMinutes,omitempty"`
}

type LocationConfiguration struct {
	Location *string `json:"Location,omitempty"`
}

type LocationState struct {
	Location *string `json:"Location,omitempty"`
	Status   string  `json:"Status,omitempty"`
}

type FleetAttributes struct {
	FleetId                        *string                      `json:"FleetId,omitempty"`
	FleetArn                       *string                      `json:"FleetArn,omitempty"`
	Name                           *string                      `json:"Name,omitempty"`
	Description                    *string                      `json:"Description,omitempty"`
	ComputeType                    string                       `json:"ComputeType,omitempty"`
	Status                         string                       `json:"Status,omitempty"`
	CreationTime                   *Timestamp                   `json:"CreationTime,omitempty"`
	NewGameSessionProtectionPolicy string                       `json:"NewGameSessionProtectionPolicy,omitempty"`
	ResourceCreationLimitPolicy    *ResourceCreationLimitPolicy `json:"ResourceCreationLimitPolicy,omitempty"`
	MetricGroups                   []string                     `json:"MetricGroups,omitempty"`
	AnywhereConfiguration          *AnywhereConfiguration       `json:"AnywhereConfiguration,omitempty"`
	StoppedActions                 []string                     `json:"StoppedActions,omitempty"`
}

func fleetOut(f fleet.Fleet) FleetAttributes {
	a := FleetAttributes{
		FleetId:                        ptr(f.ID),
		FleetArn:                       ptr(f.ARN),
		Name:                           ptr(f.Name),
		Description:                    optString(f.Description),
		ComputeType:                    f.ComputeType,
		Status:                         f.Status,
		CreationTime:                   NewTimestamp(f.CreatedAt),
		NewGameSessionProtectionPolicy: f.ProtectionPolicy,
		MetricGroups:                   f.MetricGroups,
	}
	if f.CreationLimit != nil {
		a.ResourceCreationLimitPolicy = &ResourceCreationLimitPolicy{
			NewGameSessionsPerCreator: ptr(f.CreationLimit.NewGameSessionsPerCreator),
			PolicyPeriodInMinutes:     ptr(f.CreationLimit.PolicyPeriodInMinutes),
		}
	}
	if f.AnywhereCost != "" {
		a.AnywhereConfiguration = &AnywhereConfiguration{Cost: ptr(f.AnywhereCost)}
	}
	return a
}

func locationStatesOut(locs []fleet.FleetLocation) []LocationState {
	out := make([]LocationState, len(locs))
	for i, l := range locs {
		out[i] = LocationState{Location: ptr(l.Name), Status: l.Status}
	}
	return out
}

func creationLimitIn(p *ResourceCreationLimitPolicy) *fleet.CreationLimitPolicy {
	if p == nil {
		return nil
	}
	return &fleet.CreationLimitPolicy{NewGameSessionsPerCreator: deref(p.NewGameSessionsPerCreator), PolicyPeriodInMinutes: deref(p.PolicyPeriodInMinutes)}
}

// checkFleetCommon checks the members CreateFleet and UpdateFleetAttributes
// share.
func checkFleetCommon(c *checker, name, description *string, protection string, limit *ResourceCreationLimitPolicy, metricGroups []string, anywhere *AnywhereConfiguration) {
	c.str("Name", name, 1, 1024, nil)
	c.str("Description", description, 1, 1024, nil)
	c.enum("NewGameSessionProtectionPolicy", protection, fleet.ProtectionNone, fleet.ProtectionFull)
	if limit != nil {
		c.intRange("ResourceCreationLimitPolicy.NewGameSessionsPerCreator", limit.NewGameSessionsPerCreator, 0, -1)
		c.intRange("ResourceCreationLimitPolicy.PolicyPeriodInMinutes", limit.PolicyPeriodInMinutes, 0, -1)
	}
	c.listLen("MetricGroups", len(metricGroups), metricGroups != nil, 0, 1)
	for i, g := range metricGroups {
		c.str(fmtMember("MetricGroups", i, ""), &g, 1, 255, nil)
	}
	if anywhere != nil {
		c.requiredStr("AnywhereConfiguration.Cost", anywhere.Cost, 1, 11, patNonNegativeDouble)
	}
}

type CreateFleetInput struct {
	Name                           *string                      `json:"Name,omitempty"`
	Description                    *string                      `json:"Description,omitempty"`
	ComputeType                    string                       `json:"ComputeType,omitempty"`
	Locations                      []LocationConfiguration      `json:"Locations,omitempty"`
	AnywhereConfiguration          *AnywhereConfiguration       `json:"AnywhereConfiguration,omitempty"`
	NewGameSessionProtectionPolicy string                       `json:"NewGameSessionProtectionPolicy,omitempty"`
	ResourceCreationLimitPolicy    *ResourceCreationLimitPolicy `json:"ResourceCreationLimitPolicy,omitempty"`
	MetricGroups                   []string                     `json:"MetricGroups,omitempty"`
	Tags                           []Tag                        `json:"Tags,omitempty"`
	// Members of managed EC2 and container fleets. rallypoint has no
	// managed hosting, so a request that sets them is refused rather than
	// silently treated as an Anywhere fleet.
	BuildId              *string `json:"BuildId,omitempty"`
	ScriptId             *string `json:"ScriptId,omitempty"`
	EC2InstanceType      string  `json:"EC2InstanceType,omitempty"`
	ServerLaunchPath     *string `json:"ServerLaunchPath,omitempty"`
	RuntimeConfiguration any     `json:"RuntimeConfiguration,omitempty"`
}

func (in *CreateFleetInput) validate(c *checker) {
	c.required("Name", in.Name != nil)
	checkFleetCommon(c, in.Name, in.Description, in.NewGameSessionProtectionPolicy, in.ResourceCreationLimitPolicy, in.MetricGroups, in.AnywhereConfiguration)
	c.enum("ComputeType", in.ComputeType, "EC2", fleet.ComputeTypeAnywhere)
	c.listLen("Locations", len(in.Locations), in.Locations != nil, 1, 100)
	for i, l := range in.Locations {
		c.requiredStr(fmtMember("Locations", i, "Location"), l.Location, 1, 64, patLocation)
	}
	c.tags(in.Tags)
}

type CreateFleetOutput struct {
	FleetAttributes *FleetAttributes `json:"FleetAttributes,omitempty"`
	LocationStates  []LocationState  `json:"LocationStates,omitempty"`
}

func (s *Server) createFleet(ctx context.Context, in *CreateFleetInput) (*CreateFleetOutput, error) {
	if in.BuildId != nil || in.ScriptId != nil || in.EC2InstanceType != "" || in.ServerLaunchPath != nil || in.RuntimeConfiguration != nil {
		return nil, invalidRequest("BuildId, ScriptId, EC2InstanceType, ServerLaunchPath and RuntimeConfiguration describe managed EC2 fleets, which rallypoint does not run; create an ANYWHERE fleet and register your own computes")
	}
	var locs []string
	for _, l := range in.Locations {
		locs = append(locs, *l.Location)
	}
	var cost string
	if in.AnywhereConfiguration != nil {
		cost = *in.AnywhereConfiguration.Cost
	}
	f, err := s.cfg.Fleets.CreateFleet(ctx, fleet.CreateFleetInput{
		Name:             *in.Name,
		Description:      deref(in.Description),
		ComputeType:      in.ComputeType,
		Locations:        locs,
		AnywhereCost:     cost,
		ProtectionPolicy: in.NewGameSessionProtectionPolicy,
		CreationLimit:    creationLimitIn(in.ResourceCreationLimitPolicy),
		MetricGroups:     in.MetricGroups,
		Tags:             tagsIn(in.Tags),
	})
	if err != nil {
		return nil, err
	}
	attrs := fleetOut(f)
	return &CreateFleetOutput{FleetAttributes: &attrs, LocationStates: locationStatesOut(f.Locations)}, nil
}

type DescribeFleetAttributesInput struct {
	FleetIds  []string `json:"FleetIds,omitempty"`
	Limit     *int32   `json:"Limit,omitempty"`
	NextToken *string  `json:"NextToken,omitempty"`
}

func (in *DescribeFleetAttributesInput) validate(c *checker) {
	checkFleetIDs(c, in.FleetIds)
	c.page(in.Limit, -1, in.NextToken)
}

// maxFleetIDs bounds a FleetIds list. GameLift states no bound; each id
// costs a read, so rallypoint sets one far above what a console or script
// asks for.
const maxFleetIDs = 1000

// checkFleetIDs checks an optional FleetIds list.
func checkFleetIDs(c *checker, ids []string) {
	c.listLen("FleetIds", len(ids), ids != nil, 1, maxFleetIDs)
	for i, id := range ids {
		c.str(fmtMember("FleetIds", i, ""), &id, 1, 512, patFleetIDOrARN)
	}
}

type DescribeFleetAttributesOutput struct {
	FleetAttributes []FleetAttributes `json:"FleetAttributes"`
	NextToken       *string           `json:"NextToken,omitempty"`
}

// fleetsFor returns the fleets named by ids (all must exist), or one page
// of every fleet when ids is empty.
func (s *Server) fleetsFor(ctx context.Context, ids []string, limit *int32, nextToken *string) ([]fleet.Fleet, *string, error) {
	if len(ids) > 0 {
		out := make([]fleet.Fleet, 0, len(ids))
		for _, id := range ids {
			f, err := s.cfg.Fleets.Fleet(ctx, id)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, f)
		}
		return out, nil, nil
	}
	all, err := s.cfg.Fleets.Fleets(ctx)
	if err != nil {
		return nil, nil, err
	}
	return paginate(all, func(f fleet.Fleet) string { return f.ID }, limit, 50, nextToken)
}

func (s *Server) describeFleetAttributes(ctx context.Context, in *DescribeFleetAttributesInput) (*DescribeFleetAttributesOutput, error) {
	fleets, next, err := s.fleetsFor(ctx, in.FleetIds, in.Limit, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeFleetAttributesOutput{FleetAttributes: make([]FleetAttributes, 0, len(fleets)), NextToken: next}
	for _, f := range fleets {
		out.FleetAttributes = append(out.FleetAttributes, fleetOut(f))
	}
	return out, nil
}

type UpdateFleetAttributesInput struct {
	FleetId                        *string                      `json:"FleetId,omitempty"`
	Name                           *string                      `json:"Name,omitempty"`
	Description                    *string                      `json:"Description,omitempty"`
	NewGameSessionProtectionPolicy string                       `json:"NewGameSessionProtectionPolicy,omitempty"`
	ResourceCreationLimitPolicy    *ResourceCreationLimitPolicy `json:"ResourceCreationLimitPolicy,omitempty"`
	MetricGroups                   []string                     `json:"MetricGroups,omitempty"`
	AnywhereConfiguration          *AnywhereConfiguration       `json:"AnywhereConfiguration,omitempty"`
}

func (in *UpdateFleetAttributesInput) validate(c *checker) {
	c.requiredStr("FleetId", in.FleetId, 1, 512, patFleetIDOrARN)
	checkFleetCommon(c, in.Name, in.Description, in.NewGameSessionProtectionPolicy, in.ResourceCreationLimitPolicy, in.MetricGroups, in.AnywhereConfiguration)
}

type UpdateFleetAttributesOutput struct {
	FleetId  *string `json:"FleetId,omitempty"`
	FleetArn *string `json:"FleetArn,omitempty"`
}

func (s *Server) updateFleetAttributes(ctx context.Context, in *UpdateFleetAttributesInput) (*UpdateFleetAttributesOutput, error) {
	u := fleet.UpdateFleetInput{
		Name:          in.Name,
		Description:   in.Description,
		CreationLimit: creationLimitIn(in.ResourceCreationLimitPolicy),
		MetricGroups:  in.MetricGroups,
	}
	if in.NewGameSessionProtectionPolicy != "" {
		u.ProtectionPolicy = &in.NewGameSessionProtectionPolicy
	}
	if in.AnywhereConfiguration != nil {
		u.AnywhereCost = in.AnywhereConfiguration.Cost
	}
	f, err := s.cfg.Fleets.UpdateFleet(ctx, *in.FleetId, u)
	if err != nil {
		return nil, err
	}
	return &UpdateFleetAttributesOutput{FleetId: ptr(f.ID), FleetArn: ptr(f.ARN)}, nil
}

type FleetIdInput struct {
	FleetId *string `json:"FleetId,omitempty"`
}

func (in *FleetIdInput) validate(c *checker) {
	c.requiredStr("FleetId", in.FleetId, 1, 512, patFleetIDOrARN)
}

func (s *Server) deleteFleet(ctx context.Context, in *FleetIdInput) (*struct{}, error) {
	return nil, s.cfg.Fleets.DeleteFleet(ctx, *in.FleetId)
}

type ListFleetsInput struct {
	BuildId   *string `json:"BuildId,omitempty"`
	ScriptId  *string `json:"ScriptId,omitempty"`
	Limit     *int32  `json:"Limit,omitempty"`
	NextToken *string `json:"NextToken,omitempty"`
}

func (in *ListFleetsInput) validate(c *checker) {
	c.page(in.Limit, -1, in.NextToken)
}

type ListFleetsOutput struct {
	FleetIds  []string `json:"FleetIds"`
	NextToken *string  `json:"NextToken,omitempty"`
}

func (s *Server) listFleets(ctx context.Context, in *ListFleetsInput) (*ListFleetsOutput, error) {
	out := &ListFleetsOutput{FleetIds: []string{}}
	if in.BuildId != nil || in.ScriptId != nil {
		// No fleet runs a build or script here.
		return out, nil
	}
	fleets, next, err := s.fleetsFor(ctx, nil, in.Limit, in.NextToken)
	if err != nil {
		return nil, err
	}
	for _, f := range fleets {
		out.FleetIds = append(out.FleetIds, f.ID)
	}
	out.NextToken = next
	return out, nil
}

type CreateFleetLocationsInput struct {
	FleetId   *string                 `json:"FleetId,omitempty"`
	Locations []LocationConfiguration `json:"Locations,omitempty"`
}

func (in *CreateFleetLocationsInput) validate(c *checker) {
	c.requiredStr("FleetId", in.FleetId, 1, 512, patFleetIDOrARN)
	if c.required("Locations", in.Locations != nil) {
		c.listLen("Locations", len(in.Locations), true, 1, 100)
	}
	for i, l := range in.Locations {
		c.requiredStr(fmtMember("Locations", i, "Location"), l.Location, 1, 64, patLocation)
	}
}

type FleetLocationsOutput struct {
	FleetId        *string         `json:"FleetId,omitempty"`
	FleetArn       *string         `json:"FleetArn,omitempty"`
	LocationStates []LocationState `json:"LocationStates"`
}

func (s *Server) createFleetLocations(ctx context.Context, in *CreateFleetLocationsInput) (*FleetLocationsOutput, error) {
	names := make([]string, len(in.Locations))
	for i, l := range in.Locations {
		names[i] = *l.Location
	}
	f, added, err := s.cfg.Fleets.AddFleetLocations(ctx, *in.FleetId, names)
	if err != nil {
		return nil, err
	}
	return &FleetLocationsOutput{FleetId: ptr(f.ID), FleetArn: ptr(f.ARN), LocationStates: locationStatesOut(added)}, nil
}

type DeleteFleetLocationsInput struct {
	FleetId   *string  `json:"FleetId,omitempty"`
	Locations []string `json:"Locations,omitempty"`
}

func (in *DeleteFleetLocationsInput) validate(c *checker) {
	c.requiredStr("FleetId", in.FleetId, 1, 512, patFleetIDOrARN)
	if c.required("Locations", in.Locations != nil) {
		c.listLen("Locations", len(in.Locations), true, 1, 100)
	}
	for i, l := range in.Locations {
		c.str(fmtMember("Locations", i, ""), &l, 1, 64, patLocation)
	}
}

func (s *Server) deleteFleetLocations(ctx context.Context, in *DeleteFleetLocationsInput) (*FleetLocationsOutput, error) {
	f, removed, err := s.cfg.Fleets.RemoveFleetLocations(ctx, *in.FleetId, in.Locations)
	if err != nil {
		return nil, err
	}
	return &FleetLocationsOutput{FleetId: ptr(f.ID), FleetArn: ptr(f.ARN), LocationStates: locationStatesOut(removed)}, nil
}

type DescribeFleetLocationAttributesInput struct {
	FleetId   *string  `json:"FleetId,omitempty"`
	Locations []string `json:"Locations,omitempty"`
	Limit     *int32   `json:"Limit,omitempty"`
	NextToken *string  `json:"NextToken,omitempty"`
}

func (in *DescribeFleetLocationAttributesInput) validate(c *checker) {
	c.requiredStr("FleetId", in.FleetId, 1, 512, patFleetIDOrARN)
	c.listLen("Locations", len(in.Locations), in.Locations != nil, 1, 100)
	for i, l := range in.Locations {
		c.str(fmtMember("Locations", i, ""), &l, 1, 64, patLocation)
	}
	c.page(in.Limit, -1, in.NextToken)
}

type LocationAttributes struct {
	LocationState  *LocationState `json:"LocationState,omitempty"`
	StoppedActions []string       `json:"StoppedActions,omitempty"`
	UpdateStatus   string         `json:"UpdateStatus,omitempty"`
}

type DescribeFleetLocationAttributesOutput struct {
	FleetId            *string              `json:"FleetId,omitempty"`
	FleetArn           *string              `json:"FleetArn,omitempty"`
	LocationAttributes []LocationAttributes `json:"LocationAttributes"`
	NextToken          *string              `json:"NextToken,omitempty"`
}

func (s *Server) describeFleetLocationAttributes(ctx context.Context, in *DescribeFleetLocationAttributesInput) (*DescribeFleetLocationAttributesOutput, error) {
	f, err := s.cfg.Fleets.Fleet(ctx, *in.FleetId)
	if err != nil {
		return nil, err
	}
	locs := f.Locations
	if len(in.Locations) > 0 {
		locs = nil
		for _, want := range in.Locations {
			for _, l := range f.Locations {
				if l.Name == want {
					locs = append(locs, l)
				}
			}
		}
	}
	// Page in the fleet's own order (home region first): the key is the
	// index, zero-padded so that it sorts.
	type indexed struct {
		key string
		loc fleet.FleetLocation
	}
	items := make([]indexed, len(locs))
	for i, l := range locs {
		items[i] = indexed{key: indexKey(i), loc: l}
	}
	page, next, err := paginate(items, func(x indexed) string { return x.key }, in.Limit, 100, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeFleetLocationAttributesOutput{FleetId: ptr(f.ID), FleetArn: ptr(f.ARN), LocationAttributes: []LocationAttributes{}, NextToken: next}
	for _, x := range page {
		out.LocationAttributes = append(out.LocationAttributes, LocationAttributes{
			LocationState: &LocationState{Location: ptr(x.loc.Name), Status: x.loc.Status},
		})
	}
	return out, nil
}

type EC2InstanceCounts struct {
	DESIRED     *int32 `json:"DESIRED,omitempty"`
	MINIMUM     *int32 `json:"MINIMUM,omitempty"`
	MAXIMUM     *int32 `json:"MAXIMUM,omitempty"`
	PENDING     *int32 `json:"PENDING,omitempty"`
	ACTIVE      *int32 `json:"ACTIVE,omitempty"`
	IDLE        *int32 `json:"IDLE,omitempty"`
	TERMINATING *int32 `json:"TERMINATING,omitempty"`
}

type FleetCapacity struct {
	FleetId        *string            `json:"FleetId,omitempty"`
	FleetArn       *string            `json:"FleetArn,omitempty"`
	InstanceCounts *EC2InstanceCounts `json:"InstanceCounts,omitempty"`
	Location       *string            `json:"Location,omitempty"`
}

type DescribeFleetCapacityInput struct {
	FleetIds  []string `json:"FleetIds,omitempty"`
	Limit     *int32   `json:"Limit,omitempty"`
	NextToken *string  `json:"NextToken,omitempty"`
}

func (in *DescribeFleetCapacityInput) validate(c *checker) {
	checkFleetIDs(c, in.FleetIds)
	c.page(in.Limit, -1, in.NextToken)
}

type DescribeFleetCapacityOutput struct {
	FleetCapacity []FleetCapacity `json:"FleetCapacity"`
	NextToken     *string         `json:"NextToken,omitempty"`
}

// describeFleetCapacity reports an Anywhere fleet's registered computes as
// its instances: DESIRED, MAXIMUM and ACTIVE count registered active
// computes, IDLE those hosting no game session.
func (s *Server) describeFleetCapacity(ctx context.Context, in *DescribeFleetCapacityInput) (*DescribeFleetCapacityOutput, error) {
	fleets, next, err := s.fleetsFor(ctx, in.FleetIds, in.Limit, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeFleetCapacityOutput{FleetCapacity: make([]FleetCapacity, 0, len(fleets)), NextToken: next}
	for _, f := range fleets {
		_, c, err := s.cfg.Fleets.FleetUtilization(ctx, f.ID)
		if err != nil {
			return nil, err
		}
		out.FleetCapacity = append(out.FleetCapacity, FleetCapacity{
			FleetId:  ptr(f.ID),
			FleetArn: ptr(f.ARN),
			Location: ptr(s.cfg.Fleets.Region()),
			InstanceCounts: &EC2InstanceCounts{
				DESIRED:     ptr(int32(c.ActiveComputes)),
				MINIMUM:     ptr(int32(0)),
				MAXIMUM:     ptr(int32(c.ActiveComputes)),
				PENDING:     ptr(int32(0)),
				ACTIVE:      ptr(int32(c.ActiveComputes)),
				IDLE:        ptr(int32(c.IdleComputes)),
				TERMINATING: ptr(int32(c.TerminatingComputes)),
			},
		})
	}
	return out, nil
}

type FleetUtilization struct {
	FleetId                   *string `json:"FleetId,omitempty"`
	FleetArn                  *string `json:"FleetArn,omitempty"`
	ActiveServerProcessCount  *int32  `json:"ActiveServerProcessCount,omitempty"`
	ActiveGameSessionCount    *int32  `json:"ActiveGameSessionCount,omitempty"`
	CurrentPlayerSessionCount *int32  `json:"CurrentPlayerSessionCount,omitempty"`
	MaximumPlayerSessionCount *int32  `json:"MaximumPlayerSessionCount,omitempty"`
	Location                  *string `json:"Location,omitempty"`
}

type DescribeFleetUtilizationInput struct {
	FleetIds  []string `json:"FleetIds,omitempty"`
	Limit     *int32   `json:"Limit,omitempty"`
	NextToken *string  `json:"NextToken,omitempty"`
}

func (in *DescribeFleetUtilizationInput) validate(c *checker) {
	checkFleetIDs(c, in.FleetIds)
	c.page(in.Limit, -1, in.NextToken)
}

type DescribeFleetUtilizationOutput struct {
	FleetUtilization []FleetUtilization `json:"FleetUtilization"`
	NextToken        *string            `json:"NextToken,omitempty"`
}

// describeFleetUtilization counts each fleet's live server processes, game
// sessions and player slots, in one entry per fleet with the home region
// as its Location (as describeFleetCapacity reports).
func (s *Server) describeFleetUtilization(ctx context.Context, in *DescribeFleetUtilizationInput) (*DescribeFleetUtilizationOutput, error) {
	fleets, next, err := s.fleetsFor(ctx, in.FleetIds, in.Limit, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeFleetUtilizationOutput{FleetUtilization: make([]FleetUtilization, 0, len(fleets)), NextToken: next}
	for _, f := range fleets {
		_, u, err := s.cfg.Fleets.FleetUtilization(ctx, f.ID)
		if err != nil {
			return nil, err
		}
		out.FleetUtilization = append(out.FleetUtilization, FleetUtilization{
			FleetId:                   ptr(f.ID),
			FleetArn:                  ptr(f.ARN),
			ActiveServerProcessCount:  ptr(int32(u.ActiveServerProcesses)),
			ActiveGameSessionCount:    ptr(int32(u.ActiveGameSessions)),
			CurrentPlayerSessionCount: ptr(int32(u.CurrentPlayerSessions)),
			MaximumPlayerSessionCount: ptr(int32(u.MaximumPlayerSessions)),
			Location:                  ptr(s.cfg.Fleets.Region()),
		})
	}
	return out, nil
}
