package api

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rallypoint/rallypoint/internal/placement"
)

type PlayerLatencyPolicy struct {
	MaximumIndividualPlayerLatencyMilliseconds *int32 `json:"MaximumIndividualPlayerLatencyMilliseconds,omitempty"`
	PolicyDurationSeconds                      *int32 `json:"PolicyDurationSeconds,omitempty"`
}

type GameSessionQueueDestination struct {
	DestinationArn *string `json:"DestinationArn,omitempty"`
}

type FilterConfiguration struct {
	AllowedLocations []string `json:"AllowedLocations,omitempty"`
}

type PriorityConfiguration struct {
	PriorityOrder []string `json:"PriorityOrder,omitempty"`
	LocationOrder []string `json:"LocationOrder,omitempty"`
}

type GameSessionQueue struct {
	Name                  *string                       `json:"Name,omitempty"`
	GameSessionQueueArn   *string                       `json:"GameSessionQueueArn,omitempty"`
	TimeoutInSeconds      *int32                        `json:"TimeoutInSeconds,omitempty"`
	PlayerLatencyPolicies []PlayerLatencyPolicy         `json:"PlayerLatencyPolicies,omitempty"`
	Destinations          []GameSessionQueueDestination `json:"Destinations,omitempty"`
	FilterConfiguration   *FilterConfiguration          `json:"FilterConfiguration,omitempty"`
	PriorityConfiguration *PriorityConfiguration        `json:"PriorityConfiguration,omitempty"`
	CustomEventData       *string                       `json:"CustomEventData,omitempty"`
	NotificationTarget    *string                       `json:"NotificationTarget,omitempty"`
}

func queueOut(q placement.Queue) GameSessionQueue {
	out := GameSessionQueue{
		Name:                ptr(q.Name),
		GameSessionQueueArn: ptr(q.ARN),
		TimeoutInSeconds:    ptr(int32(q.TimeoutSeconds)),
		CustomEventData:     optString(q.CustomEventData),
		NotificationTarget:  optString(q.NotificationTarget),
	}
	for _, p := range q.PlayerLatencyPolicies {
		wp := PlayerLatencyPolicy{MaximumIndividualPlayerLatencyMilliseconds: ptr(int32(p.MaximumIndividualPlayerLatencyMilliseconds))}
		if p.PolicyDurationSeconds != nil {
			wp.PolicyDurationSeconds = ptr(int32(*p.PolicyDurationSeconds))
		}
		out.PlayerLatencyPolicies = append(out.PlayerLatencyPolicies, wp)
	}
	for _, d := range q.Destinations {
		out.Destinations = append(out.Destinations, GameSessionQueueDestination{DestinationArn: ptr(d)})
	}
	if q.AllowedLocations != nil {
		out.FilterConfiguration = &FilterConfiguration{AllowedLocations: q.AllowedLocations}
	}
	if q.HasPriorityConfiguration() {
		out.PriorityConfiguration = &PriorityConfiguration{PriorityOrder: q.PriorityOrder, LocationOrder: q.LocationOrder}
	}
	return out
}

// Patterns of queue members, as GameLift's model states them.
var (
	patQueueName          = mustPattern(`[a-zA-Z0-9-]+`)
	patQueueNameOrARN     = mustPattern(`[a-zA-Z0-9-]+|^arn:.*:gamesessionqueue\/[a-zA-Z0-9-]+`)
	patNotificationTarget = mustPattern(`[a-zA-Z0-9:_-]*(\.fifo)?`)
)

// priorityTypes are the values of a PriorityOrder.
var priorityTypes = []string{placement.PriorityLatency, placement.PriorityCost, placement.PriorityDestination, placement.PriorityLocation}

// Bounds of a queue's TimeoutInSeconds. The model's WholeNumber allows 0
// and up; GameLift's documentation of the member (in every SDK) gives 10 to
// 600, and a queue that times its placements out before it has tried a
// destination could never place anything, so the documented range is
// enforced.
const (
	minQueueTimeout = 10
	maxQueueTimeout = 600
)

// queueMembers are the members CreateGameSessionQueue and
// UpdateGameSessionQueue share. (The inputs spell them out rather than
// embed this struct: the JSON codec matches member names against a
// structure's own fields.)
type queueMembers struct {
	TimeoutInSeconds      *int32
	PlayerLatencyPolicies []PlayerLatencyPolicy
	Destinations          []GameSessionQueueDestination
	FilterConfiguration   *FilterConfiguration
	PriorityConfiguration *PriorityConfiguration
	CustomEventData       *string
	NotificationTarget    *string
}

func (m *queueMembers) validate(c *checker) {
	c.intRange("TimeoutInSeconds", m.TimeoutInSeconds, minQueueTimeout, maxQueueTimeout)
	for i, p := range m.PlayerLatencyPolicies {
		member := fmtMember("PlayerLatencyPolicies", i, "MaximumIndividualPlayerLatencyMilliseconds")
		if c.required(member, p.MaximumIndividualPlayerLatencyMilliseconds != nil) {
			c.intRange(member, p.MaximumIndividualPlayerLatencyMilliseconds, 0, -1)
		}
		c.intRange(fmtMember("PlayerLatencyPolicies", i, "PolicyDurationSeconds"), p.PolicyDurationSeconds, 0, -1)
	}
	for i, d := range m.Destinations {
		c.requiredStr(fmtMember("Destinations", i, "DestinationArn"), d.DestinationArn, 1, 512, patARN)
	}
	if f := m.FilterConfiguration; f != nil {
		c.locationList("FilterConfiguration.AllowedLocations", f.AllowedLocations, 100)
	}
	if p := m.PriorityConfiguration; p != nil {
		c.listLen("PriorityConfiguration.PriorityOrder", len(p.PriorityOrder), p.PriorityOrder != nil, 1, 4)
		for i, v := range p.PriorityOrder {
			c.enumItem(fmtMember("PriorityConfiguration.PriorityOrder", i, ""), v, priorityTypes...)
		}
		c.distinct("PriorityConfiguration.PriorityOrder", p.PriorityOrder)
		c.locationList("PriorityConfiguration.LocationOrder", p.LocationOrder, 100)
		c.distinct("PriorityConfiguration.LocationOrder", p.LocationOrder)
		// The order of locations is what LOCATION sorts by; naming the
		// criterion without saying the order is a mistake to point out
		// rather than a request to sort alphabetically.
		if slices.Contains(p.PriorityOrder, placement.PriorityLocation) && len(p.LocationOrder) == 0 {
			c.failures = append(c.failures, fmt.Sprintf("'%s' must list at least one location when '%s' includes LOCATION",
				wirePath("PriorityConfiguration.LocationOrder"), wirePath("PriorityConfiguration.PriorityOrder")))
		}
	}
	c.str("CustomEventData", m.CustomEventData, 0, 256, nil)
	c.str("NotificationTarget", m.NotificationTarget, 0, 300, patNotificationTarget)
}

// queueInput translates the members into the service's input: nil lists
// and structures are members that were not given.
func (m *queueMembers) queueInput() placement.QueueInput {
	in := placement.QueueInput{
		CustomEventData:    m.CustomEventData,
		NotificationTarget: m.NotificationTarget,
	}
	if m.TimeoutInSeconds != nil {
		in.TimeoutSeconds = ptr(int(*m.TimeoutInSeconds))
	}
	if m.PlayerLatencyPolicies != nil {
		in.PlayerLatencyPolicies = make([]placement.PlayerLatencyPolicy, len(m.PlayerLatencyPolicies))
		for i, p := range m.PlayerLatencyPolicies {
			in.PlayerLatencyPolicies[i].MaximumIndividualPlayerLatencyMilliseconds = int(*p.MaximumIndividualPlayerLatencyMilliseconds)
			if p.PolicyDurationSeconds != nil {
				in.PlayerLatencyPolicies[i].PolicyDurationSeconds = ptr(int(*p.PolicyDurationSeconds))
			}
		}
	}
	if m.Destinations != nil {
		in.Destinations = make([]string, len(m.Destinations))
		for i, d := range m.Destinations {
			in.Destinations[i] = *d.DestinationArn
		}
	}
	if m.FilterConfiguration != nil {
		in.FilterGiven = true
		in.AllowedLocations = m.FilterConfiguration.AllowedLocations
	}
	if p := m.PriorityConfiguration; p != nil {
		in.Priority = &placement.PriorityConfiguration{PriorityOrder: p.PriorityOrder, LocationOrder: p.LocationOrder}
	}
	return in
}

// locationList checks a list of locations (GameLift's LocationList and
// LocationOrderOverrideList): 1 to max names of 1 to 64 characters.
func (c *checker) locationList(member string, locs []string, max int) {
	c.listLen(member, len(locs), locs != nil, 1, max)
	for i, l := range locs {
		c.str(fmtMember(member, i, ""), &l, 1, 64, patLocation)
	}
}

// enumItem checks an element of a list of enum values, where, unlike an
// absent member, an empty string is a value to refuse.
func (c *checker) enumItem(member, v string, allowed ...string) {
	if v == "" {
		c.fail(member, quote(v), "satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
		return
	}
	c.enum(member, v, allowed...)
}

// distinct checks that a list names each value once, as GameLift documents
// for priority and location orders (its model cannot state the rule).
func (c *checker) distinct(member string, values []string) {
	for i, v := range values {
		if slices.Index(values, v) < i {
			c.fail(fmtMember(member, i, ""), quote(v), "not repeat an earlier element of the list")
		}
	}
}

type CreateGameSessionQueueInput struct {
	Name                  *string                       `json:"Name,omitempty"`
	TimeoutInSeconds      *int32                        `json:"TimeoutInSeconds,omitempty"`
	PlayerLatencyPolicies []PlayerLatencyPolicy         `json:"PlayerLatencyPolicies,omitempty"`
	Destinations          []GameSessionQueueDestination `json:"Destinations,omitempty"`
	FilterConfiguration   *FilterConfiguration          `json:"FilterConfiguration,omitempty"`
	PriorityConfiguration *PriorityConfiguration        `json:"PriorityConfiguration,omitempty"`
	CustomEventData       *string                       `json:"CustomEventData,omitempty"`
	NotificationTarget    *string                       `json:"NotificationTarget,omitempty"`
	Tags                  []Tag                         `json:"Tags,omitempty"`
}

func (in *CreateGameSessionQueueInput) members() *queueMembers {
	return &queueMembers{
		TimeoutInSeconds:      in.TimeoutInSeconds,
		PlayerLatencyPolicies: in.PlayerLatencyPolicies,
		Destinations:          in.Destinations,
		FilterConfiguration:   in.FilterConfiguration,
		PriorityConfiguration: in.PriorityConfiguration,
		CustomEventData:       in.CustomEventData,
		NotificationTarget:    in.NotificationTarget,
	}
}

func (in *CreateGameSessionQueueInput) validate(c *checker) {
	c.requiredStr("Name", in.Name, 1, 128, patQueueName)
	in.members().validate(c)
	c.tags(in.Tags)
}

type GameSessionQueueOutput struct {
	GameSessionQueue *GameSessionQueue `json:"GameSessionQueue,omitempty"`
}

func (s *Server) createGameSessionQueue(ctx context.Context, in *CreateGameSessionQueueInput) (*GameSessionQueueOutput, error) {
	qi := in.members().queueInput()
	qi.Name = *in.Name
	qi.Tags = tagsIn(in.Tags)
	q, err := s.cfg.Placements.CreateQueue(ctx, qi)
	if err != nil {
		return nil, err
	}
	out := queueOut(q)
	return &GameSessionQueueOutput{GameSessionQueue: &out}, nil
}

type DescribeGameSessionQueuesInput struct {
	Names     []string `json:"Names,omitempty"`
	Limit     *int32   `json:"Limit,omitempty"`
	NextToken *string  `json:"NextToken,omitempty"`
}

func (in *DescribeGameSessionQueuesInput) validate(c *checker) {
	for i, n := range in.Names {
		c.str(fmtMember("Names", i, ""), &n, 1, 256, patQueueNameOrARN)
	}
	c.page(in.Limit, -1, in.NextToken)
}

// maxQueuesPage is the most queues one DescribeGameSessionQueues page
// holds ("You can request up to 50 results"); a larger Limit is clamped,
// as SearchGameSessions clamps its own.
const maxQueuesPage = 50

type DescribeGameSessionQueuesOutput struct {
	GameSessionQueues []GameSessionQueue `json:"GameSessionQueues"`
	NextToken         *string            `json:"NextToken,omitempty"`
}

// describeGameSessionQueues lists the named queues, or all of them. As the
// model's Names list says nothing of unknown names and GameLift's
// DescribeGameSessionQueues is a listing, a name that matches no queue is
// left out rather than refused.
func (s *Server) describeGameSessionQueues(ctx context.Context, in *DescribeGameSessionQueuesInput) (*DescribeGameSessionQueuesOutput, error) {
	all, err := s.cfg.Placements.Queues(ctx, in.Names)
	if err != nil {
		return nil, err
	}
	// Pages are keyed by name: put them in that order, each queue once
	// (Names may name one queue by its name and by its ARN).
	slices.SortFunc(all, func(a, b placement.Queue) int { return cmp.Compare(a.Name, b.Name) })
	all = slices.CompactFunc(all, func(a, b placement.Queue) bool { return a.Name == b.Name })
	limit := in.Limit
	if limit != nil && *limit > maxQueuesPage {
		limit = ptr(int32(maxQueuesPage))
	}
	page, next, err := paginate(all, func(q placement.Queue) string { return q.Name }, limit, maxQueuesPage, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &DescribeGameSessionQueuesOutput{GameSessionQueues: make([]GameSessionQueue, 0, len(page)), NextToken: next}
	for _, q := range page {
		out.GameSessionQueues = append(out.GameSessionQueues, queueOut(q))
	}
	return out, nil
}

// UpdateGameSessionQueueInput changes the members it holds. A list given
// empty ("Destinations": []) clears it; FilterConfiguration or
// PriorityConfiguration given as an empty structure removes it. Both
// codecs decode an empty list to an empty, non-nil slice and an absent or
// null one to nil, so the difference reaches the service.
type UpdateGameSessionQueueInput struct {
	Name                  *string                       `json:"Name,omitempty"`
	TimeoutInSeconds      *int32                        `json:"TimeoutInSeconds,omitempty"`
	PlayerLatencyPolicies []PlayerLatencyPolicy         `json:"PlayerLatencyPolicies,omitempty"`
	Destinations          []GameSessionQueueDestination `json:"Destinations,omitempty"`
	FilterConfiguration   *FilterConfiguration          `json:"FilterConfiguration,omitempty"`
	PriorityConfiguration *PriorityConfiguration        `json:"PriorityConfiguration,omitempty"`
	CustomEventData       *string                       `json:"CustomEventData,omitempty"`
	NotificationTarget    *string                       `json:"NotificationTarget,omitempty"`
}

func (in *UpdateGameSessionQueueInput) members() *queueMembers {
	return &queueMembers{
		TimeoutInSeconds:      in.TimeoutInSeconds,
		PlayerLatencyPolicies: in.PlayerLatencyPolicies,
		Destinations:          in.Destinations,
		FilterConfiguration:   in.FilterConfiguration,
		PriorityConfiguration: in.PriorityConfiguration,
		CustomEventData:       in.CustomEventData,
		NotificationTarget:    in.NotificationTarget,
	}
}

func (in *UpdateGameSessionQueueInput) validate(c *checker) {
	c.requiredStr("Name", in.Name, 1, 256, patQueueNameOrARN)
	in.members().validate(c)
}

func (s *Server) updateGameSessionQueue(ctx context.Context, in *UpdateGameSessionQueueInput) (*GameSessionQueueOutput, error) {
	q, err := s.cfg.Placements.UpdateQueue(ctx, *in.Name, in.members().queueInput())
	if err != nil {
		return nil, err
	}
	out := queueOut(q)
	return &GameSessionQueueOutput{GameSessionQueue: &out}, nil
}

type DeleteGameSessionQueueInput struct {
	Name *string `json:"Name,omitempty"`
}

func (in *DeleteGameSessionQueueInput) validate(c *checker) {
	c.requiredStr("Name", in.Name, 1, 256, patQueueNameOrARN)
}

func (s *Server) deleteGameSessionQueue(ctx context.Context, in *DeleteGameSessionQueueInput) (*struct{}, error) {
	return nil, s.cfg.Placements.DeleteQueue(ctx, *in.Name)
}
