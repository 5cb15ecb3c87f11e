package api_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"
)

// These tests drive game session queues and placements with the AWS SDK
// client (RPC v2 CBOR) and the aws CLI (AWS JSON 1.1). Placements here
// never find capacity (their queues' fleets have no game server
// processes), so they stay PENDING until stopped: what a placement looks
// like once it is placed is the placement service's to test.

// queueString renders every member of a queue, in a fixed order, so that
// queues compare as strings and a difference reads well.
func queueString(q *types.GameSessionQueue) string {
	if q == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Name=%s Arn=%s Timeout=%v", aws.ToString(q.Name), aws.ToString(q.GameSessionQueueArn), aws.ToInt32(q.TimeoutInSeconds))
	b.WriteString(" Policies=[")
	for i, p := range q.PlayerLatencyPolicies {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%d", aws.ToInt32(p.MaximumIndividualPlayerLatencyMilliseconds))
		if p.PolicyDurationSeconds != nil {
			fmt.Fprintf(&b, "/%ds", *p.PolicyDurationSeconds)
		}
	}
	b.WriteString("] Destinations=[")
	for i, d := range q.Destinations {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(aws.ToString(d.DestinationArn))
	}
	b.WriteString("]")
	if f := q.FilterConfiguration; f != nil {
		fmt.Fprintf(&b, " Filter=%v", f.AllowedLocations)
	}
	if p := q.PriorityConfiguration; p != nil {
		fmt.Fprintf(&b, " Priority=%v/%v", p.PriorityOrder, p.LocationOrder)
	}
	if q.NotificationTarget != nil {
		fmt.Fprintf(&b, " Notify=%s", *q.NotificationTarget)
	}
	if q.CustomEventData != nil {
		fmt.Fprintf(&b, " Custom=%q", *q.CustomEventData)
	}
	return b.String()
}

// queueHost is a node with two custom locations, an Anywhere fleet in both
// (with no game server processes: nothing it is given can be placed) and
// an alias to it: destinations for queues.
type queueHost struct {
	n        *testNode
	c        *gamelift.Client
	fleetArn string
	aliasArn string
}

func newQueueHost(t *testing.T) *queueHost {
	t.Helper()
	n := startNode(t, "")
	c := n.sdk()
	mustCreateLocation(t, c, "custom-eu-west")
	mustCreateLocation(t, c, "custom-us-east")
	f := mustCreateFleet(t, c, "arena", "custom-eu-west", "custom-us-east")
	a, err := c.CreateAlias(context.Background(), &gamelift.CreateAliasInput{
		Name: aws.String("arena-live"), RoutingStrategy: &types.RoutingStrategy{Type: types.RoutingStrategyTypeSimple, FleetId: f.FleetId},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &queueHost{n: n, c: c, fleetArn: aws.ToString(f.FleetArn), aliasArn: aws.ToString(a.Alias.AliasArn)}
}

func (h *queueHost) createQueue(t *testing.T, in gamelift.CreateGameSessionQueueInput) *types.GameSessionQueue {
	t.Helper()
	out, err := h.c.CreateGameSessionQueue(context.Background(), &in)
	if err != nil {
		t.Fatalf("CreateGameSessionQueue %s: %v", aws.ToString(in.Name), err)
	}
	return out.GameSessionQueue
}

func (h *queueHost) describeQueue(t *testing.T, nameOrARN string) *types.GameSessionQueue {
	t.Helper()
	out, err := h.c.DescribeGameSessionQueues(context.Background(), &gamelift.DescribeGameSessionQueuesInput{Names: []string{nameOrARN}})
	if err != nil {
		t.Fatalf("DescribeGameSessionQueues %s: %v", nameOrARN, err)
	}
	if len(out.GameSessionQueues) != 1 {
		t.Fatalf("DescribeGameSessionQueues %s returned %d queues", nameOrARN, len(out.GameSessionQueues))
	}
	return &out.GameSessionQueues[0]
}

func (h *queueHost) updateQueue(t *testing.T, in gamelift.UpdateGameSessionQueueInput) *types.GameSessionQueue {
	t.Helper()
	out, err := h.c.UpdateGameSessionQueue(context.Background(), &in)
	if err != nil {
		t.Fatalf("UpdateGameSessionQueue %s: %v", aws.ToString(in.Name), err)
	}
	return out.GameSessionQueue
}

const queueARNPrefix = "arn:rallypoint:gamelift:local::gamesessionqueue/"

func TestGameSessionQueueLifecycle(t *testing.T) {
	h := newQueueHost(t)
	c := h.c
	ctx := context.Background()

	// Every member.
	full := h.createQueue(t, gamelift.CreateGameSessionQueueInput{
		Name:             aws.String("arena-main"),
		TimeoutInSeconds: aws.Int32(120),
		PlayerLatencyPolicies: []types.PlayerLatencyPolicy{
			{MaximumIndividualPlayerLatencyMilliseconds: aws.Int32(50), PolicyDurationSeconds: aws.Int32(30)},
			{MaximumIndividualPlayerLatencyMilliseconds: aws.Int32(150)},
		},
		Destinations:          []types.GameSessionQueueDestination{{DestinationArn: aws.String(h.aliasArn)}, {DestinationArn: aws.String(h.fleetArn)}},
		FilterConfiguration:   &types.FilterConfiguration{AllowedLocations: []string{"custom-eu-west", "custom-us-east"}},
		PriorityConfiguration: &types.PriorityConfiguration{PriorityOrder: []types.PriorityType{types.PriorityTypeLocation, types.PriorityTypeLatency}, LocationOrder: []string{"custom-us-east", "custom-eu-west"}},
		NotificationTarget:    aws.String("arn:aws:sns:us-east-1:111122223333:placements.fifo"),
		CustomEventData:       aws.String("season=7; mode=ranked"),
		Tags:                  []types.Tag{{Key: aws.String("team"), Value: aws.String("live-ops")}},
	})
	want := "Name=arena-main Arn=" + queueARNPrefix + "arena-main Timeout=120 Policies=[50/30s 150]" +
		" Destinations=[" + h.aliasArn + " " + h.fleetArn + "] Filter=[custom-eu-west custom-us-east]" +
		" Priority=[LOCATION LATENCY]/[custom-us-east custom-eu-west]" +
		" Notify=arn:aws:sns:us-east-1:111122223333:placements.fifo Custom=\"season=7; mode=ranked\""
	if got := queueString(full); got != want {
		t.Errorf("created queue:\n got %s\nwant %s", got, want)
	}
	for _, key := range []string{"arena-main", queueARNPrefix + "arena-main"} {
		if got := queueString(h.describeQueue(t, key)); got != want {
			t.Errorf("described by %s:\n got %s\nwant %s", key, got, want)
		}
	}

	// Only a name: GameLift's defaults, and no filter or priority
	// configuration to echo.
	bare := h.createQueue(t, gamelift.CreateGameSessionQueueInput{Name: aws.String("arena-casual")})
	if got, want := queueString(bare), "Name=arena-casual Arn="+queueARNPrefix+"arena-casual Timeout=600 Policies=[] Destinations=[]"; got != want {
		t.Errorf("bare queue:\n got %s\nwant %s", got, want)
	}
	for _, name := range []string{"arena-beta", "arena-dev"} {
		h.createQueue(t, gamelift.CreateGameSessionQueueInput{Name: aws.String(name), Destinations: []types.GameSessionQueueDestination{{DestinationArn: aws.String(h.fleetArn)}}})
	}

	// No names: every queue, in name order, a page at a time.
	var names []string
	var token *string
	pages := 0
	for {
		page, err := c.DescribeGameSessionQueues(ctx, &gamelift.DescribeGameSessionQueuesInput{Limit: aws.Int32(3), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, q := range page.GameSessionQueues {
			names = append(names, aws.ToString(q.Name))
		}
		if page.NextToken == nil {
			break
		}
		token = page.NextToken
	}
	all := []string{"arena-beta", "arena-casual", "arena-dev", "arena-main"}
	if !slices.Equal(names, all) || pages != 2 {
		t.Errorf("paged queues = %v in %d pages, want %v in 2", names, pages, all)
	}
	_, err := c.DescribeGameSessionQueues(ctx, &gamelift.DescribeGameSessionQueuesInput{NextToken: aws.String("%%")})
	if e := wantAPIError[*types.InvalidRequestException](t, err); !strings.Contains(e.ErrorMessage(), "NextToken") {
		t.Errorf("a token not ours: %q", e.ErrorMessage())
	}
	p := gamelift.NewDescribeGameSessionQueuesPaginator(c, &gamelift.DescribeGameSessionQueuesInput{Limit: aws.Int32(1)})
	names = nil
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range page.GameSessionQueues {
			names = append(names, aws.ToString(q.Name))
		}
	}
	if !slices.Equal(names, all) {
		t.Errorf("the SDK's paginator saw %v, want %v", names, all)
	}
	// Names that match no queue are left out; a queue named twice (by
	// name and by ARN) is listed once.
	some, err := c.DescribeGameSessionQueues(ctx, &gamelift.DescribeGameSessionQueuesInput{Names: []string{"arena-dev", "arena-nope", queueARNPrefix + "arena-beta", "arena-beta"}})
	if err != nil {
		t.Fatal(err)
	}
	names = nil
	for _, q := range some.GameSessionQueues {
		names = append(names, aws.ToString(q.Name))
	}
	if !slices.Equal(names, []string{"arena-beta", "arena-dev"}) || some.NextToken != nil {
		t.Errorf("named queues = %v (next %v), want arena-beta and arena-dev", names, some.NextToken)
	}

	// Update: the members given change, the others stay.
	up := h.updateQueue(t, gamelift.UpdateGameSessionQueueInput{
		Name:                  aws.String("arena-main"),
		TimeoutInSeconds:      aws.Int32(300),
		PlayerLatencyPolicies: []types.PlayerLatencyPolicy{{MaximumIndividualPlayerLatencyMilliseconds: aws.Int32(200)}},
		Destinations:          []types.GameSessionQueueDestination{{DestinationArn: aws.String(h.fleetArn)}},
		FilterConfiguration:   &types.FilterConfiguration{AllowedLocations: []string{"custom-eu-west"}},
		PriorityConfiguration: &types.PriorityConfiguration{PriorityOrder: []types.PriorityType{types.PriorityTypeCost, types.PriorityTypeDestination}},
	})
	want = "Name=arena-main Arn=" + queueARNPrefix + "arena-main Timeout=300 Policies=[200] Destinations=[" + h.fleetArn + "]" +
		" Filter=[custom-eu-west] Priority=[COST DESTINATION]/[]" +
		" Notify=arn:aws:sns:us-east-1:111122223333:placements.fifo Custom=\"season=7; mode=ranked\""
	if got := queueString(up); got != want {
		t.Errorf("updated queue:\n got %s\nwant %s", got, want)
	}
	// By ARN, one member: nothing else moves.
	up = h.updateQueue(t, gamelift.UpdateGameSessionQueueInput{Name: aws.String(queueARNPrefix + "arena-main"), CustomEventData: aws.String("season=8")})
	want = strings.Replace(want, `Custom="season=7; mode=ranked"`, `Custom="season=8"`, 1)
	if got := queueString(up); got != want {
		t.Errorf("after updating CustomEventData:\n got %s\nwant %s", got, want)
	}
	if got := queueString(h.describeQueue(t, "arena-main")); got != want {
		t.Errorf("described after update:\n got %s\nwant %s", got, want)
	}

	// Empty lists clear; empty structures remove the configurations; empty
	// strings remove the notification target and the event data.
	up = h.updateQueue(t, gamelift.UpdateGameSessionQueueInput{
		Name:                  aws.String("arena-main"),
		PlayerLatencyPolicies: []types.PlayerLatencyPolicy{},
		Destinations:          []types.GameSessionQueueDestination{},
		FilterConfiguration:   &types.FilterConfiguration{},
		PriorityConfiguration: &types.PriorityConfiguration{},
		NotificationTarget:    aws.String(""),
		CustomEventData:       aws.String(""),
	})
	want = "Name=arena-main Arn=" + queueARNPrefix + "arena-main Timeout=300 Policies=[] Destinations=[]"
	if got := queueString(up); got != want {
		t.Errorf("cleared queue:\n got %s\nwant %s", got, want)
	}
	if got := queueString(h.describeQueue(t, "arena-main")); got != want {
		t.Errorf("described after clearing:\n got %s\nwant %s", got, want)
	}

	// Delete, by name and by ARN.
	if _, err := c.DeleteGameSessionQueue(ctx, &gamelift.DeleteGameSessionQueueInput{Name: aws.String("arena-main")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteGameSessionQueue(ctx, &gamelift.DeleteGameSessionQueueInput{Name: aws.String(queueARNPrefix + "arena-dev")}); err != nil {
		t.Fatal(err)
	}
	gone, err := c.DescribeGameSessionQueues(ctx, &gamelift.DescribeGameSessionQueuesInput{Names: []string{"arena-main", "arena-dev"}})
	if err != nil || len(gone.GameSessionQueues) != 0 {
		t.Errorf("deleted queues described: %+v, %v", gone, err)
	}
	left, err := c.DescribeGameSessionQueues(ctx, &gamelift.DescribeGameSessionQueuesInput{})
	if err != nil || len(left.GameSessionQueues) != 2 {
		t.Errorf("queues left = %+v, %v; want arena-beta and arena-casual", left, err)
	}

	// Unknown queues.
	_, err = c.DeleteGameSessionQueue(ctx, &gamelift.DeleteGameSessionQueueInput{Name: aws.String("arena-main")})
	wantAPIError[*types.NotFoundException](t, err)
	_, err = c.UpdateGameSessionQueue(ctx, &gamelift.UpdateGameSessionQueueInput{Name: aws.String("arena-main"), TimeoutInSeconds: aws.Int32(60)})
	wantAPIError[*types.NotFoundException](t, err)
	_, err = c.UpdateGameSessionQueue(ctx, &gamelift.UpdateGameSessionQueueInput{Name: aws.String(queueARNPrefix + "arena-nope")})
	wantAPIError[*types.NotFoundException](t, err)
}

// refusal is one call the control plane must refuse before anything
// happens, with the words its message must hold (the member at fault).
type refusal struct {
	name    string
	call    func(ctx context.Context, c *gamelift.Client) error
	mention []string
}

func createQueueCall(in gamelift.CreateGameSessionQueueInput) func(context.Context, *gamelift.Client) error {
	if in.Name == nil {
		in.Name = aws.String("refused")
	}
	return func(ctx context.Context, c *gamelift.Client) error {
		_, err := c.CreateGameSessionQueue(ctx, &in)
		return err
	}
}

func updateQueueCall(in gamelift.UpdateGameSessionQueueInput) func(context.Context, *gamelift.Client) error {
	if in.Name == nil {
		in.Name = aws.String("refused")
	}
	return func(ctx context.Context, c *gamelift.Client) error {
		_, err := c.UpdateGameSessionQueue(ctx, &in)
		return err
	}
}

// refusedPlacementID is the id of every refused placement: none may exist
// afterwards.
const refusedPlacementID = "refused-placement"

func startPlacementCall(in gamelift.StartGameSessionPlacementInput) func(context.Context, *gamelift.Client) error {
	if in.PlacementId == nil {
		in.PlacementId = aws.String(refusedPlacementID)
	}
	if in.GameSessionQueueName == nil {
		in.GameSessionQueueName = aws.String("arena")
	}
	if in.MaximumPlayerSessionCount == nil {
		in.MaximumPlayerSessionCount = aws.Int32(4)
	}
	return func(ctx context.Context, c *gamelift.Client) error {
		_, err := c.StartGameSessionPlacement(ctx, &in)
		return err
	}
}

func locations(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("custom-l%d", i)
	}
	return out
}

func queueRefusals() []refusal {
	long := func(n int) *string { return aws.String(strings.Repeat("a", n)) }
	pc := func(order []types.PriorityType, locs []string) *types.PriorityConfiguration {
		return &types.PriorityConfiguration{PriorityOrder: order, LocationOrder: locs}
	}
	return []refusal{
		{"Name with an underscore", createQueueCall(gamelift.CreateGameSessionQueueInput{Name: aws.String("arena_main")}), []string{"'name'", "pattern"}},
		{"Name 129 characters", createQueueCall(gamelift.CreateGameSessionQueueInput{Name: long(129)}), []string{"'name'", "less than or equal to 128"}},
		{"Name an ARN on create", createQueueCall(gamelift.CreateGameSessionQueueInput{Name: aws.String(queueARNPrefix + "arena")}), []string{"'name'", "pattern"}},
		{"TimeoutInSeconds 9", createQueueCall(gamelift.CreateGameSessionQueueInput{TimeoutInSeconds: aws.Int32(9)}), []string{"'timeoutInSeconds'", "greater than or equal to 10"}},
		{"TimeoutInSeconds 601", createQueueCall(gamelift.CreateGameSessionQueueInput{TimeoutInSeconds: aws.Int32(601)}), []string{"'timeoutInSeconds'", "less than or equal to 600"}},
		{"latency policy without a maximum", createQueueCall(gamelift.CreateGameSessionQueueInput{PlayerLatencyPolicies: []types.PlayerLatencyPolicy{{MaximumIndividualPlayerLatencyMilliseconds: aws.Int32(50)}, {PolicyDurationSeconds: aws.Int32(30)}}}),
			[]string{"'playerLatencyPolicies.2.member.maximumIndividualPlayerLatencyMilliseconds'", "not be null"}},
		{"latency policy maximum negative", createQueueCall(gamelift.CreateGameSessionQueueInput{PlayerLatencyPolicies: []types.PlayerLatencyPolicy{{MaximumIndividualPlayerLatencyMilliseconds: aws.Int32(-1)}}}),
			[]string{"'playerLatencyPolicies.1.member.maximumIndividualPlayerLatencyMilliseconds'", "greater than or equal to 0"}},
		{"latency policy duration negative", createQueueCall(gamelift.CreateGameSessionQueueInput{PlayerLatencyPolicies: []types.PlayerLatencyPolicy{{MaximumIndividualPlayerLatencyMilliseconds: aws.Int32(50), PolicyDurationSeconds: aws.Int32(-5)}}}),
			[]string{"'playerLatencyPolicies.1.member.policyDurationSeconds'", "greater than or equal to 0"}},
		{"destination without an ARN", createQueueCall(gamelift.CreateGameSessionQueueInput{Destinations: []types.GameSessionQueueDestination{{}}}),
			[]string{"'destinations.1.member.destinationArn'", "not be null"}},
		{"destination ARN with a dot", createQueueCall(gamelift.CreateGameSessionQueueInput{Destinations: []types.GameSessionQueueDestination{{DestinationArn: aws.String("arn:aws:gamelift:us-east-1::fleet/fleet.1")}}}),
			[]string{"'destinations.1.member.destinationArn'", "pattern"}},
		{"destination ARN 513 characters", createQueueCall(gamelift.CreateGameSessionQueueInput{Destinations: []types.GameSessionQueueDestination{{DestinationArn: long(513)}}}),
			[]string{"'destinations.1.member.destinationArn'", "less than or equal to 512"}},
		{"AllowedLocations empty", createQueueCall(gamelift.CreateGameSessionQueueInput{FilterConfiguration: &types.FilterConfiguration{AllowedLocations: []string{}}}),
			[]string{"'filterConfiguration.allowedLocations'", "greater than or equal to 1"}},
		{"AllowedLocations 101", createQueueCall(gamelift.CreateGameSessionQueueInput{FilterConfiguration: &types.FilterConfiguration{AllowedLocations: locations(101)}}),
			[]string{"'filterConfiguration.allowedLocations'", "less than or equal to 100"}},
		{"allowed location with a space", createQueueCall(gamelift.CreateGameSessionQueueInput{FilterConfiguration: &types.FilterConfiguration{AllowedLocations: []string{"custom-eu west"}}}),
			[]string{"'filterConfiguration.allowedLocations.1.member'", "pattern"}},
		{"PriorityOrder empty", createQueueCall(gamelift.CreateGameSessionQueueInput{PriorityConfiguration: pc([]types.PriorityType{}, nil)}),
			[]string{"'priorityConfiguration.priorityOrder'", "greater than or equal to 1"}},
		{"PriorityOrder 5", createQueueCall(gamelift.CreateGameSessionQueueInput{PriorityConfiguration: pc([]types.PriorityType{"LATENCY", "COST", "DESTINATION", "LOCATION", "LATENCY"}, []string{"custom-a"})}),
			[]string{"'priorityConfiguration.priorityOrder'", "less than or equal to 4"}},
		{"PriorityOrder unknown", createQueueCall(gamelift.CreateGameSessionQueueInput{PriorityConfiguration: pc([]types.PriorityType{"LATENCY", "SPEED"}, nil)}),
			[]string{"'priorityConfiguration.priorityOrder.2.member'", "LATENCY, COST, DESTINATION, LOCATION"}},
		{"PriorityOrder empty string", createQueueCall(gamelift.CreateGameSessionQueueInput{PriorityConfiguration: pc([]types.PriorityType{""}, nil)}),
			[]string{"'priorityConfiguration.priorityOrder.1.member'", "enum"}},
		{"PriorityOrder repeats", createQueueCall(gamelift.CreateGameSessionQueueInput{PriorityConfiguration: pc([]types.PriorityType{"COST", "LATENCY", "COST"}, nil)}),
			[]string{"'priorityConfiguration.priorityOrder.3.member'", "not repeat"}},
		{"LOCATION without LocationOrder", createQueueCall(gamelift.CreateGameSessionQueueInput{PriorityConfiguration: pc([]types.PriorityType{"LOCATION"}, nil)}),
			[]string{"'priorityConfiguration.locationOrder'", "LOCATION"}},
		{"LocationOrder empty", createQueueCall(gamelift.CreateGameSessionQueueInput{PriorityConfiguration: pc([]types.PriorityType{"COST"}, []string{})}),
			[]string{"'priorityConfiguration.locationOrder'", "greater than or equal to 1"}},
		{"LocationOrder 101", createQueueCall(gamelift.CreateGameSessionQueueInput{PriorityConfiguration: pc([]types.PriorityType{"LOCATION"}, locations(101))}),
			[]string{"'priorityConfiguration.locationOrder'", "less than or equal to 100"}},
		{"LocationOrder repeats", createQueueCall(gamelift.CreateGameSessionQueueInput{PriorityConfiguration: pc([]types.PriorityType{"LOCATION"}, []string{"custom-a", "custom-b", "custom-a"})}),
			[]string{"'priorityConfiguration.locationOrder.3.member'", "not repeat"}},
		{"location 65 characters", createQueueCall(gamelift.CreateGameSessionQueueInput{PriorityConfiguration: pc([]types.PriorityType{"LOCATION"}, []string{"custom-" + strings.Repeat("a", 58)})}),
			[]string{"'priorityConfiguration.locationOrder.1.member'", "less than or equal to 64"}},
		{"NotificationTarget with a slash", createQueueCall(gamelift.CreateGameSessionQueueInput{NotificationTarget: aws.String("arn:aws:sns:us-east-1:1:topic/x")}),
			[]string{"'notificationTarget'", "pattern"}},
		{"NotificationTarget 301 characters", createQueueCall(gamelift.CreateGameSessionQueueInput{NotificationTarget: long(301)}),
			[]string{"'notificationTarget'", "less than or equal to 300"}},
		{"CustomEventData 257 characters", createQueueCall(gamelift.CreateGameSessionQueueInput{CustomEventData: long(257)}),
			[]string{"'customEventData'", "less than or equal to 256"}},
		{"201 tags", createQueueCall(gamelift.CreateGameSessionQueueInput{Tags: manyTags(201)}),
			[]string{"'tags'", "less than or equal to 200"}},
		{"tag key empty", createQueueCall(gamelift.CreateGameSessionQueueInput{Tags: []types.Tag{{Key: aws.String(""), Value: aws.String("v")}}}),
			[]string{"'tags.1.member.key'", "greater than or equal to 1"}},
		{"update Name with a space", updateQueueCall(gamelift.UpdateGameSessionQueueInput{Name: aws.String("arena main")}), []string{"'name'", "pattern"}},
		{"update Name 257 characters", updateQueueCall(gamelift.UpdateGameSessionQueueInput{Name: long(257)}), []string{"'name'", "less than or equal to 256"}},
		{"update Name another resource's ARN", updateQueueCall(gamelift.UpdateGameSessionQueueInput{Name: aws.String("arn:rallypoint:gamelift:local::fleet/fleet-1")}), []string{"'name'", "pattern"}},
		{"update TimeoutInSeconds 0", updateQueueCall(gamelift.UpdateGameSessionQueueInput{TimeoutInSeconds: aws.Int32(0)}), []string{"'timeoutInSeconds'", "greater than or equal to 10"}},
		{"update LOCATION without LocationOrder", updateQueueCall(gamelift.UpdateGameSessionQueueInput{PriorityConfiguration: pc([]types.PriorityType{"LATENCY", "LOCATION"}, nil)}),
			[]string{"'priorityConfiguration.locationOrder'", "LOCATION"}},
		{"update AllowedLocations empty", updateQueueCall(gamelift.UpdateGameSessionQueueInput{FilterConfiguration: &types.FilterConfiguration{AllowedLocations: []string{}}}),
			[]string{"'filterConfiguration.allowedLocations'", "greater than or equal to 1"}},
		{"update destination without an ARN", updateQueueCall(gamelift.UpdateGameSessionQueueInput{Destinations: []types.GameSessionQueueDestination{{DestinationArn: aws.String("x")}, {}}}),
			[]string{"'destinations.2.member.destinationArn'", "not be null"}},
		{"describe a name with a space", func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.DescribeGameSessionQueues(ctx, &gamelift.DescribeGameSessionQueuesInput{Names: []string{"arena", "arena main"}})
			return err
		}, []string{"'names.2.member'", "pattern"}},
		{"describe Limit 0", func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.DescribeGameSessionQueues(ctx, &gamelift.DescribeGameSessionQueuesInput{Limit: aws.Int32(0)})
			return err
		}, []string{"'limit'", "greater than or equal to 1"}},
		{"delete a name with a slash", func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.DeleteGameSessionQueue(ctx, &gamelift.DeleteGameSessionQueueInput{Name: aws.String("arena/main")})
			return err
		}, []string{"'name'", "pattern"}},
	}
}

func manyTags(n int) []types.Tag {
	out := make([]types.Tag, n)
	for i := range out {
		out[i] = types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")}
	}
	return out
}

func placementRefusals() []refusal {
	long := func(n int) *string { return aws.String(strings.Repeat("a", n)) }
	lat := func(player, region string, ms float32) types.PlayerLatency {
		return types.PlayerLatency{PlayerId: aws.String(player), RegionIdentifier: aws.String(region), LatencyInMilliseconds: aws.Float32(ms)}
	}
	override := func(locs []string, fallback types.PlacementFallbackStrategy) *types.PriorityConfigurationOverride {
		return &types.PriorityConfigurationOverride{LocationOrder: locs, PlacementFallbackStrategy: fallback}
	}
	players := func(ids ...string) []types.DesiredPlayerSession {
		out := make([]types.DesiredPlayerSession, len(ids))
		for i, id := range ids {
			out[i] = types.DesiredPlayerSession{PlayerId: aws.String(id)}
		}
		return out
	}
	byID := func(describe bool, id string) func(context.Context, *gamelift.Client) error {
		return func(ctx context.Context, c *gamelift.Client) error {
			var err error
			if describe {
				_, err = c.DescribeGameSessionPlacement(ctx, &gamelift.DescribeGameSessionPlacementInput{PlacementId: aws.String(id)})
			} else {
				_, err = c.StopGameSessionPlacement(ctx, &gamelift.StopGameSessionPlacementInput{PlacementId: aws.String(id)})
			}
			return err
		}
	}
	return []refusal{
		{"PlacementId with an underscore", startPlacementCall(gamelift.StartGameSessionPlacementInput{PlacementId: aws.String("match_1")}), []string{"'placementId'", "pattern"}},
		{"PlacementId 49 characters", startPlacementCall(gamelift.StartGameSessionPlacementInput{PlacementId: long(49)}), []string{"'placementId'", "less than or equal to 48"}},
		{"GameSessionQueueName with a space", startPlacementCall(gamelift.StartGameSessionPlacementInput{GameSessionQueueName: aws.String("arena main")}), []string{"'gameSessionQueueName'", "pattern"}},
		{"GameSessionQueueName 257 characters", startPlacementCall(gamelift.StartGameSessionPlacementInput{GameSessionQueueName: long(257)}), []string{"'gameSessionQueueName'", "less than or equal to 256"}},
		{"MaximumPlayerSessionCount -1", startPlacementCall(gamelift.StartGameSessionPlacementInput{MaximumPlayerSessionCount: aws.Int32(-1)}), []string{"'maximumPlayerSessionCount'", "greater than or equal to 0"}},
		{"MaximumPlayerSessionCount 201", startPlacementCall(gamelift.StartGameSessionPlacementInput{MaximumPlayerSessionCount: aws.Int32(201)}), []string{"'maximumPlayerSessionCount'", "less than or equal to 200"}},
		{"GameSessionName empty", startPlacementCall(gamelift.StartGameSessionPlacementInput{GameSessionName: aws.String("")}), []string{"'gameSessionName'", "greater than or equal to 1"}},
		{"GameSessionName 1025 characters", startPlacementCall(gamelift.StartGameSessionPlacementInput{GameSessionName: long(1025)}), []string{"'gameSessionName'", "less than or equal to 1024"}},
		{"GameSessionData empty", startPlacementCall(gamelift.StartGameSessionPlacementInput{GameSessionData: aws.String("")}), []string{"'gameSessionData'", "greater than or equal to 1"}},
		{"GameSessionData 262145 characters", startPlacementCall(gamelift.StartGameSessionPlacementInput{GameSessionData: long(262145)}), []string{"'gameSessionData'", "less than or equal to 262144"}},
		{"17 game properties", startPlacementCall(gamelift.StartGameSessionPlacementInput{GameProperties: props(strings.Fields(strings.Repeat("k v ", 17))...)}), []string{"'gameProperties'", "less than or equal to 16"}},
		{"game property key 33 characters", startPlacementCall(gamelift.StartGameSessionPlacementInput{GameProperties: props(strings.Repeat("k", 33), "v")}), []string{"'gameProperties.1.member.key'", "less than or equal to 32"}},
		{"latency without a player", startPlacementCall(gamelift.StartGameSessionPlacementInput{PlayerLatencies: []types.PlayerLatency{{RegionIdentifier: aws.String("custom-eu-west"), LatencyInMilliseconds: aws.Float32(20)}}}),
			[]string{"'playerLatencies.1.member.playerId'", "not be null"}},
		{"latency without a region", startPlacementCall(gamelift.StartGameSessionPlacementInput{PlayerLatencies: []types.PlayerLatency{lat("ana", "custom-eu-west", 20), {PlayerId: aws.String("ana"), LatencyInMilliseconds: aws.Float32(20)}}}),
			[]string{"'playerLatencies.2.member.regionIdentifier'", "not be null"}},
		{"latency without a figure", startPlacementCall(gamelift.StartGameSessionPlacementInput{PlayerLatencies: []types.PlayerLatency{{PlayerId: aws.String("ana"), RegionIdentifier: aws.String("custom-eu-west")}}}),
			[]string{"'playerLatencies.1.member.latencyInMilliseconds'", "not be null"}},
		{"latency negative", startPlacementCall(gamelift.StartGameSessionPlacementInput{PlayerLatencies: []types.PlayerLatency{lat("ana", "custom-eu-west", -0.5)}}),
			[]string{"'playerLatencies.1.member.latencyInMilliseconds'", "greater than or equal to 0"}},
		{"latency NaN", startPlacementCall(gamelift.StartGameSessionPlacementInput{PlayerLatencies: []types.PlayerLatency{lat("ana", "custom-eu-west", float32(math.NaN()))}}),
			[]string{"'playerLatencies.1.member.latencyInMilliseconds'", "finite"}},
		{"latency infinite", startPlacementCall(gamelift.StartGameSessionPlacementInput{PlayerLatencies: []types.PlayerLatency{lat("ana", "custom-eu-west", float32(math.Inf(1)))}}),
			[]string{"'playerLatencies.1.member.latencyInMilliseconds'", "finite"}},
		{"latency player empty", startPlacementCall(gamelift.StartGameSessionPlacementInput{PlayerLatencies: []types.PlayerLatency{lat("", "custom-eu-west", 20)}}),
			[]string{"'playerLatencies.1.member.playerId'", "greater than or equal to 1"}},
		{"latency region 1025 characters", startPlacementCall(gamelift.StartGameSessionPlacementInput{PlayerLatencies: []types.PlayerLatency{lat("ana", strings.Repeat("r", 1025), 20)}}),
			[]string{"'playerLatencies.1.member.regionIdentifier'", "less than or equal to 1024"}},
		{"desired player without an id", startPlacementCall(gamelift.StartGameSessionPlacementInput{DesiredPlayerSessions: []types.DesiredPlayerSession{{PlayerData: aws.String("tank")}}}),
			[]string{"'desiredPlayerSessions.1.member.playerId'", "not be null"}},
		{"desired player id 1025 characters", startPlacementCall(gamelift.StartGameSessionPlacementInput{DesiredPlayerSessions: players(strings.Repeat("p", 1025))}),
			[]string{"'desiredPlayerSessions.1.member.playerId'", "less than or equal to 1024"}},
		{"PlayerData 2049 characters", startPlacementCall(gamelift.StartGameSessionPlacementInput{DesiredPlayerSessions: []types.DesiredPlayerSession{{PlayerId: aws.String("ana"), PlayerData: long(2049)}}}),
			[]string{"'desiredPlayerSessions.1.member.playerData'", "less than or equal to 2048"}},
		{"PlayerData empty", startPlacementCall(gamelift.StartGameSessionPlacementInput{DesiredPlayerSessions: []types.DesiredPlayerSession{{PlayerId: aws.String("ana"), PlayerData: aws.String("")}}}),
			[]string{"'desiredPlayerSessions.1.member.playerData'", "greater than or equal to 1"}},
		{"desired player twice", startPlacementCall(gamelift.StartGameSessionPlacementInput{DesiredPlayerSessions: players("ana", "ben", "ana")}),
			[]string{"'desiredPlayerSessions.3.member.playerId'", "'ana'", "'desiredPlayerSessions.1.member.playerId'"}},
		{"more desired players than the game session holds", startPlacementCall(gamelift.StartGameSessionPlacementInput{MaximumPlayerSessionCount: aws.Int32(2), DesiredPlayerSessions: players("ana", "ben", "cho")}),
			[]string{"'desiredPlayerSessions'", "'maximumPlayerSessionCount'", "3", "2"}},
		{"override LocationOrder empty", startPlacementCall(gamelift.StartGameSessionPlacementInput{PriorityConfigurationOverride: override([]string{}, "")}),
			[]string{"'priorityConfigurationOverride.locationOrder'", "greater than or equal to 1"}},
		{"override LocationOrder 11", startPlacementCall(gamelift.StartGameSessionPlacementInput{PriorityConfigurationOverride: override(locations(11), "")}),
			[]string{"'priorityConfigurationOverride.locationOrder'", "less than or equal to 10"}},
		{"override location with a space", startPlacementCall(gamelift.StartGameSessionPlacementInput{PriorityConfigurationOverride: override([]string{"custom-eu west"}, "")}),
			[]string{"'priorityConfigurationOverride.locationOrder.1.member'", "pattern"}},
		{"override location twice", startPlacementCall(gamelift.StartGameSessionPlacementInput{PriorityConfigurationOverride: override([]string{"custom-a", "custom-a"}, "")}),
			[]string{"'priorityConfigurationOverride.locationOrder.2.member'", "not repeat"}},
		{"fallback strategy unknown", startPlacementCall(gamelift.StartGameSessionPlacementInput{PriorityConfigurationOverride: override([]string{"custom-a"}, "ALWAYS")}),
			[]string{"'priorityConfigurationOverride.placementFallbackStrategy'", "DEFAULT_AFTER_SINGLE_PASS, NONE"}},
		{"override with latencies", startPlacementCall(gamelift.StartGameSessionPlacementInput{PriorityConfigurationOverride: override([]string{"custom-a"}, types.PlacementFallbackStrategyNone),
			PlayerLatencies: []types.PlayerLatency{lat("ana", "custom-a", 20)}}),
			[]string{"'priorityConfigurationOverride'", "'playerLatencies'"}},
		{"describe PlacementId with a dot", byID(true, "match.1"), []string{"'placementId'", "pattern"}},
		{"describe PlacementId 49 characters", byID(true, strings.Repeat("p", 49)), []string{"'placementId'", "less than or equal to 48"}},
		{"stop PlacementId with a space", byID(false, "match 1"), []string{"'placementId'", "pattern"}},
		{"stop PlacementId empty", byID(false, ""), []string{"'placementId'", "greater than or equal to 1"}},
	}
}

// TestGameSessionQueueRefusals sends queue calls that break one rule each
// of GameLift's model or documentation: each is an InvalidRequestException
// that names the member at fault. They are refused before the placement
// service sees them.
func TestGameSessionQueueRefusals(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	for _, r := range queueRefusals() {
		t.Run(r.name, func(t *testing.T) { wantRefused(t, c, r) })
	}
}

// TestGameSessionPlacementRefusals does the same for placement calls.
func TestGameSessionPlacementRefusals(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	for _, r := range placementRefusals() {
		t.Run(r.name, func(t *testing.T) { wantRefused(t, c, r) })
	}
}

func wantRefused(t *testing.T, c *gamelift.Client, r refusal) {
	t.Helper()
	err := r.call(context.Background(), c)
	e := wantAPIError[*types.InvalidRequestException](t, err)
	msg := e.ErrorMessage()
	for _, m := range r.mention {
		if !strings.Contains(msg, m) {
			t.Errorf("message %q does not mention %s", msg, m)
		}
	}
}

// TestRefusedCallsChangeNothing makes the refused calls on a node that has
// a queue (so that updates and placements have something to act on) and
// checks that they left it as it was and placed nothing.
func TestRefusedCallsChangeNothing(t *testing.T) {
	h := newQueueHost(t)
	ctx := context.Background()
	for _, name := range []string{"arena", "refused"} {
		h.createQueue(t, gamelift.CreateGameSessionQueueInput{Name: aws.String(name), Destinations: []types.GameSessionQueueDestination{{DestinationArn: aws.String(h.fleetArn)}}})
	}
	before := map[string]string{}
	for _, name := range []string{"arena", "refused"} {
		before[name] = queueString(h.describeQueue(t, name))
	}
	for _, r := range append(queueRefusals(), placementRefusals()...) {
		if err := r.call(ctx, h.c); err == nil {
			t.Errorf("%s: accepted", r.name)
		}
	}
	all, err := h.c.DescribeGameSessionQueues(ctx, &gamelift.DescribeGameSessionQueuesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.GameSessionQueues) != 2 {
		t.Errorf("after the refusals there are %d queues, want 2", len(all.GameSessionQueues))
	}
	for _, q := range all.GameSessionQueues {
		if got := queueString(&q); got != before[aws.ToString(q.Name)] {
			t.Errorf("a refused call changed a queue:\nbefore %s\n after %s", before[aws.ToString(q.Name)], got)
		}
	}
	_, err = h.c.DescribeGameSessionPlacement(ctx, &gamelift.DescribeGameSessionPlacementInput{PlacementId: aws.String(refusedPlacementID)})
	wantAPIError[*types.NotFoundException](t, err)
}

// TestStartPlacementOnUnknownQueue: a placement needs its queue.
func TestStartPlacementOnUnknownQueue(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	for _, queue := range []string{"nowhere", queueARNPrefix + "nowhere"} {
		_, err := c.StartGameSessionPlacement(ctx, &gamelift.StartGameSessionPlacementInput{
			PlacementId: aws.String("lost-1"), GameSessionQueueName: aws.String(queue), MaximumPlayerSessionCount: aws.Int32(4),
		})
		wantAPIError[*types.NotFoundException](t, err)
	}
	_, err := c.DescribeGameSessionPlacement(ctx, &gamelift.DescribeGameSessionPlacementInput{PlacementId: aws.String("lost-1")})
	wantAPIError[*types.NotFoundException](t, err)
	_, err = c.StopGameSessionPlacement(ctx, &gamelift.StopGameSessionPlacementInput{PlacementId: aws.String("lost-1")})
	wantAPIError[*types.NotFoundException](t, err)
}

// placementString renders the members of a placement that do not depend
// on time.
func placementString(p *types.GameSessionPlacement) string {
	if p == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Id=%s Queue=%s Status=%s Max=%v Name=%s Props=%s Data=%s",
		aws.ToString(p.PlacementId), aws.ToString(p.GameSessionQueueName), p.Status, aws.ToInt32(p.MaximumPlayerSessionCount),
		aws.ToString(p.GameSessionName), propString(p.GameProperties), aws.ToString(p.GameSessionData))
	b.WriteString(" Latencies=[")
	for i, l := range p.PlayerLatencies {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s@%s=%v", aws.ToString(l.PlayerId), aws.ToString(l.RegionIdentifier), aws.ToFloat32(l.LatencyInMilliseconds))
	}
	b.WriteString("]")
	if o := p.PriorityConfigurationOverride; o != nil {
		fmt.Fprintf(&b, " Override=%v/%s", o.LocationOrder, o.PlacementFallbackStrategy)
	}
	for _, s := range []*string{p.GameSessionId, p.GameSessionArn, p.GameSessionRegion, p.IpAddress, p.DnsName, p.MatchmakerData} {
		if s != nil {
			fmt.Fprintf(&b, " unexpected=%s", *s)
		}
	}
	if p.Port != nil || len(p.PlacedPlayerSessions) > 0 {
		fmt.Fprintf(&b, " unexpected=port %v, players %v", p.Port, p.PlacedPlayerSessions)
	}
	return b.String()
}

// TestGameSessionPlacementMembers starts placements that cannot be placed,
// reads them back and stops them: every request member comes back, with
// fractional latencies intact, and nothing of a game session appears.
func TestGameSessionPlacementMembers(t *testing.T) {
	h := newQueueHost(t)
	c := h.c
	ctx := context.Background()
	h.createQueue(t, gamelift.CreateGameSessionQueueInput{Name: aws.String("arena"), Destinations: []types.GameSessionQueueDestination{{DestinationArn: aws.String(h.fleetArn)}}})
	h.createQueue(t, gamelift.CreateGameSessionQueueInput{
		Name: aws.String("arena-by-location"), Destinations: []types.GameSessionQueueDestination{{DestinationArn: aws.String(h.fleetArn)}},
		PriorityConfiguration: &types.PriorityConfiguration{PriorityOrder: []types.PriorityType{types.PriorityTypeLocation}, LocationOrder: []string{"custom-eu-west", "custom-us-east"}},
	})

	started, err := c.StartGameSessionPlacement(ctx, &gamelift.StartGameSessionPlacementInput{
		PlacementId:               aws.String("match-1"),
		GameSessionQueueName:      aws.String(queueARNPrefix + "arena"),
		MaximumPlayerSessionCount: aws.Int32(4),
		GameSessionName:           aws.String("dusk"),
		GameProperties:            props("mode", "ffa", "map", "harbor"),
		GameSessionData:           aws.String(`{"seed":7}`),
		PlayerLatencies: []types.PlayerLatency{
			{PlayerId: aws.String("ana"), RegionIdentifier: aws.String("custom-eu-west"), LatencyInMilliseconds: aws.Float32(23.5)},
			{PlayerId: aws.String("ana"), RegionIdentifier: aws.String("custom-us-east"), LatencyInMilliseconds: aws.Float32(0.25)},
		},
		DesiredPlayerSessions: []types.DesiredPlayerSession{{PlayerId: aws.String("ana"), PlayerData: aws.String("tank")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `Id=match-1 Queue=arena Status=PENDING Max=4 Name=dusk Props=mode=ffa,map=harbor Data={"seed":7} Latencies=[ana@custom-eu-west=23.5 ana@custom-us-east=0.25]`
	p := started.GameSessionPlacement
	if got := placementString(p); got != want {
		t.Errorf("started:\n got %s\nwant %s", got, want)
	}
	if p.StartTime == nil || p.EndTime != nil {
		t.Errorf("a pending placement has StartTime %v, EndTime %v", p.StartTime, p.EndTime)
	}
	d, err := c.DescribeGameSessionPlacement(ctx, &gamelift.DescribeGameSessionPlacementInput{PlacementId: aws.String("match-1")})
	if err != nil {
		t.Fatal(err)
	}
	if got := placementString(d.GameSessionPlacement); got != want {
		t.Errorf("described:\n got %s\nwant %s", got, want)
	}
	if !aws.ToTime(d.GameSessionPlacement.StartTime).Equal(aws.ToTime(p.StartTime)) {
		t.Errorf("StartTime %v, then %v", p.StartTime, d.GameSessionPlacement.StartTime)
	}
	stopped, err := c.StopGameSessionPlacement(ctx, &gamelift.StopGameSessionPlacementInput{PlacementId: aws.String("match-1")})
	if err != nil {
		t.Fatal(err)
	}
	sp := stopped.GameSessionPlacement
	if got, want := placementString(sp), strings.Replace(want, "PENDING", "CANCELLED", 1); got != want {
		t.Errorf("stopped:\n got %s\nwant %s", got, want)
	}
	if sp.EndTime == nil || sp.EndTime.Before(aws.ToTime(sp.StartTime)) {
		t.Errorf("a cancelled placement has StartTime %v, EndTime %v", sp.StartTime, sp.EndTime)
	}

	// A location order override, on a queue that sorts by location first.
	ov, err := c.StartGameSessionPlacement(ctx, &gamelift.StartGameSessionPlacementInput{
		PlacementId: aws.String("match-2"), GameSessionQueueName: aws.String("arena-by-location"), MaximumPlayerSessionCount: aws.Int32(0),
		PriorityConfigurationOverride: &types.PriorityConfigurationOverride{LocationOrder: []string{"custom-us-east"}, PlacementFallbackStrategy: types.PlacementFallbackStrategyNone},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := placementString(ov.GameSessionPlacement), "Id=match-2 Queue=arena-by-location Status=PENDING Max=0 Name= Props= Data= Latencies=[] Override=[custom-us-east]/NONE"; got != want {
		t.Errorf("with an override:\n got %s\nwant %s", got, want)
	}
	if _, err := c.StopGameSessionPlacement(ctx, &gamelift.StopGameSessionPlacementInput{PlacementId: aws.String("match-2")}); err != nil {
		t.Fatal(err)
	}
}

// queueParityScript walks the queue and placement operations for
// TestQueueCodecParity. Its placements cannot be placed (the fleet has no
// game server processes), so each step's result is the same on every run.
var queueParityScript = []parityStep{
	{op: "CreateLocation", in: map[string]any{"LocationName": "custom-eu-west"}},
	{op: "CreateFleet", in: map[string]any{"Name": "arena", "ComputeType": "ANYWHERE", "Locations": []any{map[string]any{"Location": "custom-eu-west"}}},
		save: map[string]string{"fleetArn": "FleetAttributes.FleetArn"}},
	{op: "CreateGameSessionQueue", in: map[string]any{
		"Name": "arena-main", "TimeoutInSeconds": 90,
		"PlayerLatencyPolicies": []any{map[string]any{"MaximumIndividualPlayerLatencyMilliseconds": 60, "PolicyDurationSeconds": 20}, map[string]any{"MaximumIndividualPlayerLatencyMilliseconds": 120}},
		"Destinations":          []any{map[string]any{"DestinationArn": "$fleetArn"}},
		"FilterConfiguration":   map[string]any{"AllowedLocations": []any{"custom-eu-west"}},
		"PriorityConfiguration": map[string]any{"PriorityOrder": []any{"LOCATION", "COST"}, "LocationOrder": []any{"custom-eu-west"}},
		"NotificationTarget":    "arn:aws:sns:us-east-1:111122223333:placements",
		"CustomEventData":       "season=7",
		"Tags":                  []any{map[string]any{"Key": "team", "Value": "ops"}},
	}},
	{op: "CreateGameSessionQueue", in: map[string]any{"Name": "arena-side"}, label: "bare"},
	{op: "DescribeGameSessionQueues", in: map[string]any{"Limit": 1}, save: map[string]string{"queuePage": "NextToken"}},
	{op: "DescribeGameSessionQueues", in: map[string]any{"Limit": 1, "NextToken": "$queuePage"}, label: "page 2"},
	{op: "DescribeGameSessionQueues", in: map[string]any{"Names": []any{"arn:rallypoint:gamelift:local::gamesessionqueue/arena-main", "arena-nope"}}, label: "by ARN"},
	{op: "UpdateGameSessionQueue", in: map[string]any{"Name": "arena-side", "TimeoutInSeconds": 30, "Destinations": []any{map[string]any{"DestinationArn": "$fleetArn"}},
		"PriorityConfiguration": map[string]any{"PriorityOrder": []any{"DESTINATION"}}}},
	{op: "UpdateGameSessionQueue", in: map[string]any{"Name": "arena-main", "Destinations": []any{}, "PlayerLatencyPolicies": []any{}, "FilterConfiguration": map[string]any{},
		"PriorityConfiguration": map[string]any{}, "NotificationTarget": ""}, label: "clear"},
	{op: "UpdateGameSessionQueue", in: map[string]any{"Name": "arena-main", "Destinations": []any{map[string]any{"DestinationArn": "$fleetArn"}}}, label: "destinations again"},
	{op: "UpdateGameSessionQueue", in: map[string]any{"Name": "arena-gone", "TimeoutInSeconds": 30}, code: "NotFoundException", label: "unknown"},
	{op: "StartGameSessionPlacement", in: map[string]any{"PlacementId": "match-1", "GameSessionQueueName": "arena-main", "MaximumPlayerSessionCount": 4,
		"GameSessionName": "dusk", "GameProperties": []any{map[string]any{"Key": "mode", "Value": "ffa"}}, "GameSessionData": "seed=7",
		"PlayerLatencies":       []any{map[string]any{"PlayerId": "ana", "RegionIdentifier": "custom-eu-west", "LatencyInMilliseconds": 42.25}},
		"DesiredPlayerSessions": []any{map[string]any{"PlayerId": "ana", "PlayerData": "tank"}}}},
	{op: "DescribeGameSessionPlacement", in: map[string]any{"PlacementId": "match-1"}},
	{op: "StopGameSessionPlacement", in: map[string]any{"PlacementId": "match-1"}},
	{op: "DescribeGameSessionPlacement", in: map[string]any{"PlacementId": "match-1"}, label: "stopped"},
	{op: "StartGameSessionPlacement", in: map[string]any{"PlacementId": "match-2", "GameSessionQueueName": "arena-gone", "MaximumPlayerSessionCount": 4}, code: "NotFoundException", label: "unknown queue"},
	{op: "StartGameSessionPlacement", in: map[string]any{"PlacementId": "match-2", "GameSessionQueueName": "arena-main", "MaximumPlayerSessionCount": 4, "PlayerLatencies": []any{}, "PriorityConfigurationOverride": map[string]any{}},
		code: "InvalidRequestException", label: "override without LocationOrder"},
	{op: "CreateGameSessionQueue", in: map[string]any{"Name": "arena-x", "TimeoutInSeconds": 5}, code: "InvalidRequestException", label: "timeout 5"},
	{op: "DeleteGameSessionQueue", in: map[string]any{"Name": "arena-side"}},
	{op: "DeleteGameSessionQueue", in: map[string]any{"Name": "arena-side"}, code: "NotFoundException", label: "twice"},
	{op: "DescribeGameSessionQueues", in: map[string]any{}, label: "at the end"},
}

// TestQueueCodecParity runs queueParityScript over both protocols, as
// TestCodecParity does its own script.
func TestQueueCodecParity(t *testing.T) {
	checkCodecParity(t, queueParityScript)
}

// TestAWSCLIQueues drives queues and placements with the aws CLI over AWS
// JSON 1.1, with its shorthand syntax for structures and lists.
func TestAWSCLIQueues(t *testing.T) {
	t.Parallel()
	n := startNode(t, "")
	cli := newAWSCLI(t, n)
	cli.ok("create-location", "--location-name", "custom-home-lab")
	cli.ok("create-location", "--location-name", "custom-cloud")
	fleetArn := str(t, cli.ok("create-fleet", "--name", "arena", "--compute-type", "ANYWHERE", "--locations", "Location=custom-home-lab", "Location=custom-cloud"), "FleetAttributes.FleetArn")

	q := cli.ok("create-game-session-queue", "--name", "arena-main", "--timeout-in-seconds", "120",
		"--destinations", "DestinationArn="+fleetArn,
		"--player-latency-policies", "MaximumIndividualPlayerLatencyMilliseconds=50,PolicyDurationSeconds=30", "MaximumIndividualPlayerLatencyMilliseconds=100",
		"--priority-configuration", "PriorityOrder=LOCATION,LATENCY,LocationOrder=custom-home-lab,custom-cloud",
		"--filter-configuration", "AllowedLocations=custom-home-lab,custom-cloud",
		"--custom-event-data", "season=7", "--tags", "Key=team,Value=ops")
	wantJSON(t, q, "GameSessionQueue.GameSessionQueueArn", queueARNPrefix+"arena-main")
	wantJSON(t, q, "GameSessionQueue.Destinations.0.DestinationArn", fleetArn)
	wantJSON(t, q, "GameSessionQueue.TimeoutInSeconds", float64(120))
	wantJSON(t, q, "GameSessionQueue.PriorityConfiguration", map[string]any{"PriorityOrder": []any{"LOCATION", "LATENCY"}, "LocationOrder": []any{"custom-home-lab", "custom-cloud"}})
	wantJSON(t, q, "GameSessionQueue.FilterConfiguration", map[string]any{"AllowedLocations": []any{"custom-home-lab", "custom-cloud"}})
	wantJSON(t, q, "GameSessionQueue.PlayerLatencyPolicies", []any{
		map[string]any{"MaximumIndividualPlayerLatencyMilliseconds": float64(50), "PolicyDurationSeconds": float64(30)},
		map[string]any{"MaximumIndividualPlayerLatencyMilliseconds": float64(100)},
	})

	d := cli.ok("describe-game-session-queues", "--names", "arena-main")
	wantJSON(t, d, "GameSessionQueues", []any{q["GameSessionQueue"]})

	u := cli.ok("update-game-session-queue", "--name", queueARNPrefix+"arena-main", "--destinations", "[]", "--filter-configuration", "{}", "--timeout-in-seconds", "60")
	if _, ok := jsonAt(u, "GameSessionQueue.Destinations.0"); ok {
		t.Errorf("destinations not cleared: %v", u)
	}
	if _, ok := jsonAt(u, "GameSessionQueue.FilterConfiguration"); ok {
		t.Errorf("filter not removed: %v", u)
	}
	wantJSON(t, u, "GameSessionQueue.TimeoutInSeconds", float64(60))
	wantJSON(t, u, "GameSessionQueue.PriorityConfiguration", q["GameSessionQueue"].(map[string]any)["PriorityConfiguration"])
	cli.ok("update-game-session-queue", "--name", "arena-main", "--destinations", "DestinationArn="+fleetArn)

	p := cli.ok("start-game-session-placement", "--placement-id", "cli-1", "--game-session-queue-name", "arena-main", "--maximum-player-session-count", "2",
		"--game-session-name", "dusk", "--game-properties", "Key=mode,Value=ffa",
		"--player-latencies", "PlayerId=ana,RegionIdentifier=custom-home-lab,LatencyInMilliseconds=12.5", "PlayerId=ana,RegionIdentifier=custom-cloud,LatencyInMilliseconds=80",
		"--desired-player-sessions", "PlayerId=ana,PlayerData=tank")
	if str(t, p, "GameSessionPlacement.Status") != "PENDING" || str(t, p, "GameSessionPlacement.GameSessionQueueName") != "arena-main" {
		t.Errorf("start-game-session-placement printed %v", p)
	}
	wantJSON(t, p, "GameSessionPlacement.PlayerLatencies.0.LatencyInMilliseconds", 12.5)
	if st := cliTime(t, mustLookup(t, p, "GameSessionPlacement.StartTime")); st.IsZero() {
		t.Errorf("StartTime = %v", st)
	}
	s := cli.ok("stop-game-session-placement", "--placement-id", "cli-1")
	if str(t, s, "GameSessionPlacement.Status") != "CANCELLED" {
		t.Errorf("stop-game-session-placement printed %v", s)
	}
	cliTime(t, mustLookup(t, s, "GameSessionPlacement.EndTime"))

	_, stderr, code := cli.run(nil, "create-game-session-queue", "--name", "arena-x", "--priority-configuration", "PriorityOrder=LOCATION")
	if code == 0 || !strings.Contains(stderr, "InvalidRequestException") || !strings.Contains(stderr, "priorityConfiguration.locationOrder") {
		t.Errorf("LOCATION without an order: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = cli.run(nil, "start-game-session-placement", "--placement-id", "cli-2", "--game-session-queue-name", "arena-gone", "--maximum-player-session-count", "2")
	if code == 0 || !strings.Contains(stderr, "NotFoundException") {
		t.Errorf("unknown queue: exit %d, stderr %q", code, stderr)
	}
	// An empty output prints nothing.
	if _, stderr, code := cli.run(nil, "delete-game-session-queue", "--name", "arena-main"); code != 0 {
		t.Fatalf("delete-game-session-queue exited %d: %s", code, stderr)
	}
	if l := cli.ok("describe-game-session-queues"); len(l["GameSessionQueues"].([]any)) != 0 {
		t.Errorf("after delete: %v", l)
	}
}

// jsonAt follows a dotted path of members and list indices.
func jsonAt(v any, path string) (any, bool) {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[k]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// mustLookup reads the value at a path (see jsonAt), failing the test
// when there is none.
func mustLookup(t *testing.T, v map[string]any, path string) any {
	t.Helper()
	x, ok := jsonAt(v, path)
	if !ok {
		t.Fatalf("no %s in %v", path, v)
	}
	return x
}

// wantJSON checks the value at a dotted path of a decoded JSON document.
func wantJSON(t *testing.T, v map[string]any, path string, want any) {
	t.Helper()
	got := mustLookup(t, v, path)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v", path, got, want)
	}
}
