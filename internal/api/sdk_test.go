package api_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/rallypoint/rallypoint/internal/sigv4"
)

// These tests drive every control-plane operation with the official AWS SDK
// for Go v2 GameLift client, which speaks RPC v2 CBOR.

func mustCreateLocation(t *testing.T, c *gamelift.Client, name string) {
	t.Helper()
	if _, err := c.CreateLocation(context.Background(), &gamelift.CreateLocationInput{LocationName: aws.String(name)}); err != nil {
		t.Fatalf("CreateLocation %s: %v", name, err)
	}
}

func mustCreateFleet(t *testing.T, c *gamelift.Client, name string, locations ...string) *types.FleetAttributes {
	t.Helper()
	in := &gamelift.CreateFleetInput{Name: aws.String(name), ComputeType: types.ComputeTypeAnywhere}
	for _, l := range locations {
		in.Locations = append(in.Locations, types.LocationConfiguration{Location: aws.String(l)})
	}
	out, err := c.CreateFleet(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateFleet %s: %v", name, err)
	}
	return out.FleetAttributes
}

// wantAPIError asserts err is the GameLift error type T and returns it.
func wantAPIError[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error = %v (%T), want %T", err, err, target)
	}
	return target
}

func TestLocations(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()

	out, err := c.CreateLocation(ctx, &gamelift.CreateLocationInput{
		LocationName: aws.String("custom-eu-west"),
		Tags:         []types.Tag{{Key: aws.String("team"), Value: aws.String("ops")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(out.Location.LocationArn), "arn:rallypoint:gamelift:local::location/custom-eu-west"; got != want {
		t.Errorf("LocationArn = %s, want %s", got, want)
	}
	_, err = c.CreateLocation(ctx, &gamelift.CreateLocationInput{LocationName: aws.String("custom-eu-west")})
	wantAPIError[*types.ConflictException](t, err)

	for _, name := range []string{"custom-us-east", "custom-ap-south", "custom-sa-east"} {
		mustCreateLocation(t, c, name)
	}

	// Pagination walks the custom locations in name order, two at a time.
	var names []string
	var token *string
	pages := 0
	for {
		page, err := c.ListLocations(ctx, &gamelift.ListLocationsInput{Filters: []types.LocationFilter{types.LocationFilterCustom}, Limit: aws.Int32(2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, l := range page.Locations {
			names = append(names, aws.ToString(l.LocationName))
		}
		if page.NextToken == nil {
			break
		}
		token = page.NextToken
	}
	want := []string{"custom-ap-south", "custom-eu-west", "custom-sa-east", "custom-us-east"}
	if !slices.Equal(names, want) || pages != 2 {
		t.Errorf("paged locations = %v in %d pages, want %v in 2", names, pages, want)
	}
	// The paginator of the SDK agrees.
	p := gamelift.NewListLocationsPaginator(c, &gamelift.ListLocationsInput{Limit: aws.Int32(3)})
	var all []string
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range page.Locations {
			all = append(all, aws.ToString(l.LocationName))
		}
	}
	if want := append(slices.Clone(want), "local"); !slices.Equal(all, want) {
		t.Errorf("all locations = %v, want %v (the home region is listed too)", all, want)
	}
	aws1, err := c.ListLocations(ctx, &gamelift.ListLocationsInput{Filters: []types.LocationFilter{types.LocationFilterAws}})
	if err != nil {
		t.Fatal(err)
	}
	if len(aws1.Locations) != 1 || aws.ToString(aws1.Locations[0].LocationName) != "local" {
		t.Errorf("AWS filter = %+v, want the home region only", aws1.Locations)
	}

	// A location a fleet uses cannot be deleted.
	f := mustCreateFleet(t, c, "arena", "custom-eu-west")
	_, err = c.DeleteLocation(ctx, &gamelift.DeleteLocationInput{LocationName: aws.String("custom-eu-west")})
	e := wantAPIError[*types.InvalidRequestException](t, err)
	if !strings.Contains(e.ErrorMessage(), aws.ToString(f.FleetId)) {
		t.Errorf("message %q does not name the fleet", e.ErrorMessage())
	}
	if _, err := c.DeleteLocation(ctx, &gamelift.DeleteLocationInput{LocationName: aws.String("arn:rallypoint:gamelift:local::location/custom-sa-east")}); err != nil {
		t.Fatalf("delete by ARN: %v", err)
	}
	_, err = c.DeleteLocation(ctx, &gamelift.DeleteLocationInput{LocationName: aws.String("custom-sa-east")})
	wantAPIError[*types.NotFoundException](t, err)
}

func TestFleetLifecycle(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	mustCreateLocation(t, c, "custom-eu-west")
	mustCreateLocation(t, c, "custom-us-east")

	before := time.Now().Add(-time.Second)
	out, err := c.CreateFleet(ctx, &gamelift.CreateFleetInput{
		Name:                           aws.String("arena"),
		Description:                    aws.String("arena game servers"),
		ComputeType:                    types.ComputeTypeAnywhere,
		Locations:                      []types.LocationConfiguration{{Location: aws.String("custom-eu-west")}},
		AnywhereConfiguration:          &types.AnywhereConfiguration{Cost: aws.String("0.25")},
		NewGameSessionProtectionPolicy: types.ProtectionPolicyFullProtection,
		ResourceCreationLimitPolicy:    &types.ResourceCreationLimitPolicy{NewGameSessionsPerCreator: aws.Int32(3), PolicyPeriodInMinutes: aws.Int32(15)},
		MetricGroups:                   []string{"arena-prod"},
	})
	if err != nil {
		t.Fatal(err)
	}
	fa := out.FleetAttributes
	id := aws.ToString(fa.FleetId)
	if !strings.HasPrefix(id, "fleet-") || aws.ToString(fa.FleetArn) != "arn:rallypoint:gamelift:local::fleet/"+id {
		t.Errorf("fleet id %s, arn %s", id, aws.ToString(fa.FleetArn))
	}
	if fa.Status != types.FleetStatusNew || fa.ComputeType != types.ComputeTypeAnywhere {
		t.Errorf("created fleet status %s, compute type %s; want NEW, ANYWHERE", fa.Status, fa.ComputeType)
	}
	if fa.CreationTime == nil || fa.CreationTime.Before(before) || fa.CreationTime.After(time.Now().Add(time.Second)) {
		t.Errorf("CreationTime = %v", fa.CreationTime)
	}
	if aws.ToString(fa.AnywhereConfiguration.Cost) != "0.25" || fa.NewGameSessionProtectionPolicy != types.ProtectionPolicyFullProtection ||
		aws.ToInt32(fa.ResourceCreationLimitPolicy.NewGameSessionsPerCreator) != 3 || !slices.Equal(fa.MetricGroups, []string{"arena-prod"}) {
		t.Errorf("attributes not kept: %+v", fa)
	}
	var states []string
	for _, s := range out.LocationStates {
		states = append(states, aws.ToString(s.Location)+"="+string(s.Status))
	}
	if !slices.Equal(states, []string{"local=NEW", "custom-eu-west=NEW"}) {
		t.Errorf("LocationStates = %v", states)
	}

	// The fleet is ACTIVE once created, found by id and by ARN.
	for _, ref := range []string{id, aws.ToString(fa.FleetArn)} {
		d, err := c.DescribeFleetAttributes(ctx, &gamelift.DescribeFleetAttributesInput{FleetIds: []string{ref}})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.FleetAttributes) != 1 || d.FleetAttributes[0].Status != types.FleetStatusActive || aws.ToString(d.FleetAttributes[0].Description) != "arena game servers" {
			t.Errorf("describe %s = %+v", ref, d.FleetAttributes)
		}
	}

	up, err := c.UpdateFleetAttributes(ctx, &gamelift.UpdateFleetAttributesInput{
		FleetId: aws.String(id), Name: aws.String("arena-v2"), AnywhereConfiguration: &types.AnywhereConfiguration{Cost: aws.String("1.5")},
		NewGameSessionProtectionPolicy: types.ProtectionPolicyNoProtection,
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(up.FleetId) != id {
		t.Errorf("UpdateFleetAttributes returned %s", aws.ToString(up.FleetId))
	}
	d, _ := c.DescribeFleetAttributes(ctx, &gamelift.DescribeFleetAttributesInput{FleetIds: []string{id}})
	if got := d.FleetAttributes[0]; aws.ToString(got.Name) != "arena-v2" || aws.ToString(got.AnywhereConfiguration.Cost) != "1.5" ||
		got.NewGameSessionProtectionPolicy != types.ProtectionPolicyNoProtection || aws.ToString(got.Description) != "arena game servers" {
		t.Errorf("after update: %+v", got)
	}

	// Locations of a fleet.
	cl, err := c.CreateFleetLocations(ctx, &gamelift.CreateFleetLocationsInput{FleetId: aws.String(id), Locations: []types.LocationConfiguration{{Location: aws.String("custom-us-east")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cl.LocationStates) != 1 || aws.ToString(cl.LocationStates[0].Location) != "custom-us-east" || cl.LocationStates[0].Status != types.FleetStatusNew {
		t.Errorf("CreateFleetLocations states = %+v", cl.LocationStates)
	}
	_, err = c.CreateFleetLocations(ctx, &gamelift.CreateFleetLocationsInput{FleetId: aws.String(id), Locations: []types.LocationConfiguration{{Location: aws.String("custom-nowhere")}}})
	wantAPIError[*types.NotFoundException](t, err)
	la, err := c.DescribeFleetLocationAttributes(ctx, &gamelift.DescribeFleetLocationAttributesInput{FleetId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	var locs []string
	for _, a := range la.LocationAttributes {
		locs = append(locs, aws.ToString(a.LocationState.Location)+"="+string(a.LocationState.Status))
	}
	if !slices.Equal(locs, []string{"local=ACTIVE", "custom-eu-west=ACTIVE", "custom-us-east=ACTIVE"}) {
		t.Errorf("fleet locations = %v", locs)
	}
	la, err = c.DescribeFleetLocationAttributes(ctx, &gamelift.DescribeFleetLocationAttributesInput{FleetId: aws.String(id), Limit: aws.Int32(2)})
	if err != nil || len(la.LocationAttributes) != 2 || la.NextToken == nil {
		t.Fatalf("first page: %+v, %v", la, err)
	}
	la, err = c.DescribeFleetLocationAttributes(ctx, &gamelift.DescribeFleetLocationAttributesInput{FleetId: aws.String(id), Limit: aws.Int32(2), NextToken: la.NextToken})
	if err != nil || len(la.LocationAttributes) != 1 || aws.ToString(la.LocationAttributes[0].LocationState.Location) != "custom-us-east" || la.NextToken != nil {
		t.Fatalf("second page: %+v, %v", la, err)
	}
	dl, err := c.DeleteFleetLocations(ctx, &gamelift.DeleteFleetLocationsInput{FleetId: aws.String(id), Locations: []string{"custom-us-east"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(dl.LocationStates) != 1 || dl.LocationStates[0].Status != types.FleetStatusDeleting {
		t.Errorf("DeleteFleetLocations states = %+v", dl.LocationStates)
	}
	_, err = c.DeleteFleetLocations(ctx, &gamelift.DeleteFleetLocationsInput{FleetId: aws.String(id), Locations: []string{"local"}})
	wantAPIError[*types.InvalidRequestException](t, err)

	// ListFleets pages through every fleet.
	ids := []string{id}
	for i := range 4 {
		ids = append(ids, aws.ToString(mustCreateFleet(t, c, fmt.Sprintf("f%d", i), "custom-eu-west").FleetId))
	}
	slices.Sort(ids)
	var listed []string
	lp := gamelift.NewListFleetsPaginator(c, &gamelift.ListFleetsInput{Limit: aws.Int32(2)})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		listed = append(listed, page.FleetIds...)
	}
	if !slices.Equal(listed, ids) {
		t.Errorf("ListFleets = %v, want %v", listed, ids)
	}
	dp := gamelift.NewDescribeFleetAttributesPaginator(c, &gamelift.DescribeFleetAttributesInput{Limit: aws.Int32(3)})
	count := 0
	for dp.HasMorePages() {
		page, err := dp.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		count += len(page.FleetAttributes)
	}
	if count != 5 {
		t.Errorf("DescribeFleetAttributes pages hold %d fleets, want 5", count)
	}
	lf, _ := c.ListFleets(ctx, &gamelift.ListFleetsInput{BuildId: aws.String("build-1")})
	if len(lf.FleetIds) != 0 {
		t.Errorf("fleets running build-1: %v", lf.FleetIds)
	}

	// Delete, then it is gone.
	if _, err := c.DeleteFleet(ctx, &gamelift.DeleteFleetInput{FleetId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeFleetAttributes(ctx, &gamelift.DescribeFleetAttributesInput{FleetIds: []string{id}})
	wantAPIError[*types.NotFoundException](t, err)
	_, err = c.DeleteFleet(ctx, &gamelift.DeleteFleetInput{FleetId: aws.String(id)})
	wantAPIError[*types.NotFoundException](t, err)
}

func TestCreateFleetRefusals(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	mustCreateLocation(t, c, "custom-eu-west")
	tests := []struct {
		name string
		in   gamelift.CreateFleetInput
		want string // in the message
	}{
		{"EC2 fleet", gamelift.CreateFleetInput{Name: aws.String("x"), ComputeType: types.ComputeTypeEc2, Locations: []types.LocationConfiguration{{Location: aws.String("custom-eu-west")}}}, "ANYWHERE"},
		{"no compute type", gamelift.CreateFleetInput{Name: aws.String("x"), Locations: []types.LocationConfiguration{{Location: aws.String("custom-eu-west")}}}, "ANYWHERE"},
		{"build", gamelift.CreateFleetInput{Name: aws.String("x"), ComputeType: types.ComputeTypeAnywhere, BuildId: aws.String("build-1"), Locations: []types.LocationConfiguration{{Location: aws.String("custom-eu-west")}}}, "BuildId"},
		{"no locations", gamelift.CreateFleetInput{Name: aws.String("x"), ComputeType: types.ComputeTypeAnywhere}, "custom location"},
		{"home region", gamelift.CreateFleetInput{Name: aws.String("x"), ComputeType: types.ComputeTypeAnywhere, Locations: []types.LocationConfiguration{{Location: aws.String("local")}}}, "home region"},
		{"twice", gamelift.CreateFleetInput{Name: aws.String("x"), ComputeType: types.ComputeTypeAnywhere, Locations: []types.LocationConfiguration{{Location: aws.String("custom-eu-west")}, {Location: aws.String("custom-eu-west")}}}, "twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateFleet(ctx, &tc.in)
			e := wantAPIError[*types.InvalidRequestException](t, err)
			if !strings.Contains(e.ErrorMessage(), tc.want) {
				t.Errorf("message %q does not mention %q", e.ErrorMessage(), tc.want)
			}
		})
	}
	_, err := c.CreateFleet(ctx, &gamelift.CreateFleetInput{Name: aws.String("x"), ComputeType: types.ComputeTypeAnywhere, Locations: []types.LocationConfiguration{{Location: aws.String("custom-mars")}}})
	wantAPIError[*types.NotFoundException](t, err)
	if l, _ := c.ListFleets(ctx, &gamelift.ListFleetsInput{}); len(l.FleetIds) != 0 {
		t.Errorf("refused creations left fleets behind: %v", l.FleetIds)
	}
}

func TestComputes(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	mustCreateLocation(t, c, "custom-eu-west")
	mustCreateLocation(t, c, "custom-us-east")
	f := mustCreateFleet(t, c, "arena", "custom-eu-west", "custom-us-east")
	fleetID := aws.ToString(f.FleetId)

	reg, err := c.RegisterCompute(ctx, &gamelift.RegisterComputeInput{
		FleetId: aws.String(fleetID), ComputeName: aws.String("eu-host-1"), IpAddress: aws.String("10.0.0.5"),
		DnsName: aws.String("eu-host-1.example.com"), Location: aws.String("custom-eu-west"),
	})
	if err != nil {
		t.Fatal(err)
	}
	rc := reg.Compute
	wantEndpoint := "ws://" + n.PublicAddr() + "/serversdk"
	if rc.ComputeStatus != types.ComputeStatusActive || aws.ToString(rc.GameLiftServiceSdkEndpoint) != wantEndpoint ||
		aws.ToString(rc.Location) != "custom-eu-west" || aws.ToString(rc.IpAddress) != "10.0.0.5" || aws.ToString(rc.FleetArn) != aws.ToString(f.FleetArn) ||
		aws.ToString(rc.ComputeArn) != "arn:rallypoint:gamelift:local::compute/eu-host-1" || rc.CreationTime == nil {
		t.Errorf("registered compute = %+v", rc)
	}
	// Re-registering the same host is idempotent; another address conflicts.
	if _, err := c.RegisterCompute(ctx, &gamelift.RegisterComputeInput{FleetId: aws.String(fleetID), ComputeName: aws.String("eu-host-1"), IpAddress: aws.String("10.0.0.5"), DnsName: aws.String("eu-host-1.example.com"), Location: aws.String("custom-eu-west")}); err != nil {
		t.Errorf("re-register: %v", err)
	}
	_, err = c.RegisterCompute(ctx, &gamelift.RegisterComputeInput{FleetId: aws.String(fleetID), ComputeName: aws.String("eu-host-1"), IpAddress: aws.String("10.0.0.6"), Location: aws.String("custom-eu-west")})
	wantAPIError[*types.ConflictException](t, err)

	refusals := []struct {
		name string
		in   gamelift.RegisterComputeInput
		want string
	}{
		{"unknown fleet", gamelift.RegisterComputeInput{FleetId: aws.String("fleet-nope"), ComputeName: aws.String("h"), IpAddress: aws.String("10.0.0.1"), Location: aws.String("custom-eu-west")}, "fleet-nope"},
		{"no location", gamelift.RegisterComputeInput{FleetId: aws.String(fleetID), ComputeName: aws.String("h"), IpAddress: aws.String("10.0.0.1")}, "Location"},
		{"home region", gamelift.RegisterComputeInput{FleetId: aws.String(fleetID), ComputeName: aws.String("h"), IpAddress: aws.String("10.0.0.1"), Location: aws.String("local")}, "local"},
		{"foreign location", gamelift.RegisterComputeInput{FleetId: aws.String(fleetID), ComputeName: aws.String("h"), IpAddress: aws.String("10.0.0.1"), Location: aws.String("custom-ap-south")}, "custom-ap-south"},
		{"no address", gamelift.RegisterComputeInput{FleetId: aws.String(fleetID), ComputeName: aws.String("h"), Location: aws.String("custom-eu-west")}, "IpAddress"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.RegisterCompute(ctx, &tc.in)
			e := wantAPIError[*types.InvalidRequestException](t, err)
			if !strings.Contains(e.ErrorMessage(), tc.want) {
				t.Errorf("message %q does not mention %q", e.ErrorMessage(), tc.want)
			}
		})
	}

	for i := range 3 {
		if _, err := c.RegisterCompute(ctx, &gamelift.RegisterComputeInput{FleetId: aws.String(fleetID), ComputeName: aws.String(fmt.Sprintf("us-host-%d", i)), IpAddress: aws.String(fmt.Sprintf("10.1.0.%d", i)), Location: aws.String("custom-us-east")}); err != nil {
			t.Fatal(err)
		}
	}
	// Paging through ListCompute, and filtering by location.
	var names []string
	p := gamelift.NewListComputePaginator(c, &gamelift.ListComputeInput{FleetId: aws.String(fleetID), Limit: aws.Int32(3)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.ComputeList {
			names = append(names, aws.ToString(c.ComputeName))
		}
	}
	if want := []string{"eu-host-1", "us-host-0", "us-host-1", "us-host-2"}; !slices.Equal(names, want) {
		t.Errorf("ListCompute = %v, want %v", names, want)
	}
	lc, err := c.ListCompute(ctx, &gamelift.ListComputeInput{FleetId: aws.String(fleetID), Location: aws.String("custom-eu-west")})
	if err != nil || len(lc.ComputeList) != 1 || aws.ToString(lc.ComputeList[0].ComputeName) != "eu-host-1" {
		t.Errorf("ListCompute in custom-eu-west = %+v, %v", lc, err)
	}
	lc, err = c.ListCompute(ctx, &gamelift.ListComputeInput{FleetId: aws.String(fleetID), ComputeStatus: types.ListComputeInputStatusImpaired})
	if err != nil || len(lc.ComputeList) != 0 {
		t.Errorf("impaired computes = %+v, %v", lc, err)
	}

	dc, err := c.DescribeCompute(ctx, &gamelift.DescribeComputeInput{FleetId: aws.String(fleetID), ComputeName: aws.String("arn:rallypoint:gamelift:local::compute/us-host-1")})
	if err != nil || aws.ToString(dc.Compute.IpAddress) != "10.1.0.1" {
		t.Errorf("DescribeCompute by ARN = %+v, %v", dc, err)
	}
	_, err = c.DescribeCompute(ctx, &gamelift.DescribeComputeInput{FleetId: aws.String(fleetID), ComputeName: aws.String("nope")})
	wantAPIError[*types.NotFoundException](t, err)

	capacity, err := c.DescribeFleetCapacity(ctx, &gamelift.DescribeFleetCapacityInput{FleetIds: []string{fleetID}})
	if err != nil {
		t.Fatal(err)
	}
	if fc := capacity.FleetCapacity[0]; aws.ToInt32(fc.InstanceCounts.ACTIVE) != 4 || aws.ToInt32(fc.InstanceCounts.IDLE) != 4 || aws.ToString(fc.FleetId) != fleetID {
		t.Errorf("capacity = %+v", fc.InstanceCounts)
	}

	tok, err := c.GetComputeAuthToken(ctx, &gamelift.GetComputeAuthTokenInput{FleetId: aws.String(fleetID), ComputeName: aws.String("eu-host-1")})
	if err != nil {
		t.Fatal(err)
	}
	if tok.AuthToken == nil || strings.ContainsAny(aws.ToString(tok.AuthToken), "+/=?&% ") || aws.ToString(tok.ComputeName) != "eu-host-1" {
		t.Errorf("token = %+v (must be usable in a query string unescaped)", tok)
	}
	if ttl := time.Until(aws.ToTime(tok.ExpirationTimestamp)); ttl < 59*time.Minute || ttl > 61*time.Minute {
		t.Errorf("token expires in %v, want about an hour", ttl)
	}
	_, err = c.GetComputeAuthToken(ctx, &gamelift.GetComputeAuthTokenInput{FleetId: aws.String(fleetID), ComputeName: aws.String("nope")})
	wantAPIError[*types.NotFoundException](t, err)

	// A fleet with computes cannot be deleted, nor can their location be
	// removed from it.
	_, err = c.DeleteFleet(ctx, &gamelift.DeleteFleetInput{FleetId: aws.String(fleetID)})
	wantAPIError[*types.InvalidFleetStatusException](t, err)
	_, err = c.DeleteFleetLocations(ctx, &gamelift.DeleteFleetLocationsInput{FleetId: aws.String(fleetID), Locations: []string{"custom-us-east"}})
	wantAPIError[*types.InvalidRequestException](t, err)
	if d, _ := c.DescribeFleetAttributes(ctx, &gamelift.DescribeFleetAttributesInput{FleetIds: []string{fleetID}}); d.FleetAttributes[0].Status != types.FleetStatusActive {
		t.Errorf("a refused delete left the fleet %s", d.FleetAttributes[0].Status)
	}

	for _, name := range names {
		if _, err := c.DeregisterCompute(ctx, &gamelift.DeregisterComputeInput{FleetId: aws.String(fleetID), ComputeName: aws.String(name)}); err != nil {
			t.Fatalf("deregister %s: %v", name, err)
		}
	}
	_, err = c.DeregisterCompute(ctx, &gamelift.DeregisterComputeInput{FleetId: aws.String(fleetID), ComputeName: aws.String("eu-host-1")})
	wantAPIError[*types.NotFoundException](t, err)
	if _, err := c.DeleteFleet(ctx, &gamelift.DeleteFleetInput{FleetId: aws.String(fleetID)}); err != nil {
		t.Fatalf("delete an empty fleet: %v", err)
	}
	_, err = c.RegisterCompute(ctx, &gamelift.RegisterComputeInput{FleetId: aws.String(fleetID), ComputeName: aws.String("late"), IpAddress: aws.String("10.0.0.1"), Location: aws.String("custom-eu-west")})
	wantAPIError[*types.InvalidRequestException](t, err)
}

func TestAliases(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	mustCreateLocation(t, c, "custom-eu-west")
	f1 := aws.ToString(mustCreateFleet(t, c, "blue", "custom-eu-west").FleetId)
	f2 := aws.ToString(mustCreateFleet(t, c, "green", "custom-eu-west").FleetId)

	created, err := c.CreateAlias(ctx, &gamelift.CreateAliasInput{
		Name: aws.String("arena-live"), Description: aws.String("what players get"),
		RoutingStrategy: &types.RoutingStrategy{Type: types.RoutingStrategyTypeSimple, FleetId: aws.String(f1)},
	})
	if err != nil {
		t.Fatal(err)
	}
	a := created.Alias
	id := aws.ToString(a.AliasId)
	if !strings.HasPrefix(id, "alias-") || aws.ToString(a.AliasArn) != "arn:rallypoint:gamelift:local::alias/"+id || a.CreationTime == nil {
		t.Errorf("alias = %+v", a)
	}
	r, err := c.ResolveAlias(ctx, &gamelift.ResolveAliasInput{AliasId: aws.String(id)})
	if err != nil || aws.ToString(r.FleetId) != f1 {
		t.Fatalf("resolve = %+v, %v", r, err)
	}

	// Blue-green switch.
	up, err := c.UpdateAlias(ctx, &gamelift.UpdateAliasInput{AliasId: aws.String(aws.ToString(a.AliasArn)), RoutingStrategy: &types.RoutingStrategy{Type: types.RoutingStrategyTypeSimple, FleetId: aws.String(f2)}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(up.Alias.Name) != "arena-live" || aws.ToString(up.Alias.RoutingStrategy.FleetId) != f2 {
		t.Errorf("updated alias = %+v", up.Alias)
	}
	r, err = c.ResolveAlias(ctx, &gamelift.ResolveAliasInput{AliasId: aws.String(id)})
	if err != nil || aws.ToString(r.FleetId) != f2 || aws.ToString(r.FleetArn) == "" {
		t.Fatalf("resolve after switch = %+v, %v", r, err)
	}

	term, err := c.CreateAlias(ctx, &gamelift.CreateAliasInput{Name: aws.String("arena-old"), RoutingStrategy: &types.RoutingStrategy{Type: types.RoutingStrategyTypeTerminal, Message: aws.String("Please update your game.")}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ResolveAlias(ctx, &gamelift.ResolveAliasInput{AliasId: term.Alias.AliasId})
	if e := wantAPIError[*types.TerminalRoutingStrategyException](t, err); e.ErrorMessage() != "Please update your game." {
		t.Errorf("terminal message = %q", e.ErrorMessage())
	}

	_, err = c.CreateAlias(ctx, &gamelift.CreateAliasInput{Name: aws.String("x"), RoutingStrategy: &types.RoutingStrategy{Type: types.RoutingStrategyTypeSimple, FleetId: aws.String("fleet-nope")}})
	wantAPIError[*types.InvalidRequestException](t, err)
	_, err = c.CreateAlias(ctx, &gamelift.CreateAliasInput{Name: aws.String("x"), RoutingStrategy: &types.RoutingStrategy{Type: types.RoutingStrategyTypeSimple}})
	wantAPIError[*types.InvalidRequestException](t, err)

	l, err := c.ListAliases(ctx, &gamelift.ListAliasesInput{RoutingStrategyType: types.RoutingStrategyTypeTerminal})
	if err != nil || len(l.Aliases) != 1 || aws.ToString(l.Aliases[0].Name) != "arena-old" {
		t.Errorf("terminal aliases = %+v, %v", l, err)
	}
	l, err = c.ListAliases(ctx, &gamelift.ListAliasesInput{Name: aws.String("arena-live")})
	if err != nil || len(l.Aliases) != 1 || aws.ToString(l.Aliases[0].AliasId) != id {
		t.Errorf("aliases named arena-live = %+v, %v", l, err)
	}
	d, err := c.DescribeAlias(ctx, &gamelift.DescribeAliasInput{AliasId: aws.String(id)})
	if err != nil || aws.ToString(d.Alias.Description) != "what players get" {
		t.Errorf("describe = %+v, %v", d, err)
	}
	if _, err := c.DeleteAlias(ctx, &gamelift.DeleteAliasInput{AliasId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeAlias(ctx, &gamelift.DescribeAliasInput{AliasId: aws.String(id)})
	wantAPIError[*types.NotFoundException](t, err)
	_, err = c.DeleteAlias(ctx, &gamelift.DeleteAliasInput{AliasId: aws.String(id)})
	wantAPIError[*types.NotFoundException](t, err)
}

func TestSignatureRequired(t *testing.T) {
	n := startNode(t, "")
	ctx := context.Background()

	statusOf := func(err error) int {
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) {
			return re.HTTPStatusCode()
		}
		return 0
	}
	tests := []struct {
		name  string
		creds sigv4.Credentials
		code  string
	}{
		{"wrong secret", sigv4.Credentials{AccessKeyID: testKey.AccessKeyID, SecretAccessKey: "not-the-secret"}, sigv4.CodeInvalidSignature},
		{"unknown key", sigv4.Credentials{AccessKeyID: "RPAKUNKNOWN", SecretAccessKey: testKey.SecretAccessKey}, sigv4.CodeUnrecognizedClient},
		{"session token on a long-term key", sigv4.Credentials{AccessKeyID: testKey.AccessKeyID, SecretAccessKey: testKey.SecretAccessKey, SessionToken: "tok"}, sigv4.CodeUnrecognizedClient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := n.client(tc.creds).CreateLocation(ctx, &gamelift.CreateLocationInput{LocationName: aws.String("custom-denied")})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != tc.code || statusOf(err) != http.StatusForbidden {
				t.Fatalf("error = %v (status %d), want %s with 403", err, statusOf(err), tc.code)
			}
		})
	}

	// Unsigned, and signed 10 minutes in the past, over both protocols.
	for _, p := range protocols {
		resp := n.callRaw(t, p, "ListFleets", []byte("{}"), false)
		if resp.Status != http.StatusForbidden || resp.ErrorType() != sigv4.CodeMissingAuthenticationToken {
			t.Errorf("%s unsigned: %d %s", p, resp.Status, resp.ErrorType())
		}
		body := []byte("{}")
		req := newProtocolRequest(t, n.adminURL(), p, "ListFleets", body)
		signRequest(t, req, body, testKey, time.Now().Add(-10*time.Minute))
		resp = doRaw(t, req, p)
		if resp.Status != http.StatusForbidden || resp.ErrorType() != sigv4.CodeInvalidSignature || !strings.Contains(resp.Message(), "Signature expired") {
			t.Errorf("%s skewed: %d %s %q", p, resp.Status, resp.ErrorType(), resp.Message())
		}
	}

	// None of the refused calls changed anything.
	l, err := n.sdk().ListLocations(ctx, &gamelift.ListLocationsInput{Filters: []types.LocationFilter{types.LocationFilterCustom}})
	if err != nil || len(l.Locations) != 0 {
		t.Fatalf("locations after refused calls: %+v, %v", l, err)
	}
}
