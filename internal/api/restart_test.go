package api_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"
)

// TestRestartKeepsEverything creates one of each resource, stops the node,
// starts a new one on the same data directory and finds them all, as they
// were: nothing accepted is lost on a restart.
func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()

	n1 := startNode(t, dir)
	c := n1.sdk()
	mustCreateLocation(t, c, "custom-eu-west")
	mustCreateLocation(t, c, "custom-us-east")
	f := mustCreateFleet(t, c, "arena", "custom-eu-west", "custom-us-east")
	fleetID := aws.ToString(f.FleetId)
	if _, err := c.RegisterCompute(ctx, &gamelift.RegisterComputeInput{FleetId: f.FleetId, ComputeName: aws.String("host-1"), IpAddress: aws.String("10.0.0.5"), Location: aws.String("custom-us-east")}); err != nil {
		t.Fatal(err)
	}
	alias, err := c.CreateAlias(ctx, &gamelift.CreateAliasInput{Name: aws.String("live"), RoutingStrategy: &types.RoutingStrategy{Type: types.RoutingStrategyTypeSimple, FleetId: f.FleetId}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := c.GetComputeAuthToken(ctx, &gamelift.GetComputeAuthTokenInput{FleetId: f.FleetId, ComputeName: aws.String("host-1")})
	if err != nil {
		t.Fatal(err)
	}
	if err := n1.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}

	n2 := startNode(t, dir)
	c = n2.sdk()
	locs, err := c.ListLocations(ctx, &gamelift.ListLocationsInput{Filters: []types.LocationFilter{types.LocationFilterCustom}})
	if err != nil || len(locs.Locations) != 2 {
		t.Fatalf("locations after restart: %+v, %v", locs, err)
	}
	d, err := c.DescribeFleetAttributes(ctx, &gamelift.DescribeFleetAttributesInput{FleetIds: []string{fleetID}})
	if err != nil {
		t.Fatalf("fleet after restart: %v", err)
	}
	if got := d.FleetAttributes[0]; aws.ToString(got.Name) != "arena" || got.Status != types.FleetStatusActive || !got.CreationTime.Equal(aws.ToTime(f.CreationTime)) {
		t.Errorf("fleet after restart = %+v", got)
	}
	dc, err := c.DescribeCompute(ctx, &gamelift.DescribeComputeInput{FleetId: f.FleetId, ComputeName: aws.String("host-1")})
	if err != nil || aws.ToString(dc.Compute.IpAddress) != "10.0.0.5" || aws.ToString(dc.Compute.Location) != "custom-us-east" {
		t.Errorf("compute after restart = %+v, %v", dc, err)
	}
	r, err := c.ResolveAlias(ctx, &gamelift.ResolveAliasInput{AliasId: alias.Alias.AliasId})
	if err != nil || aws.ToString(r.FleetId) != fleetID {
		t.Errorf("alias after restart resolves to %+v, %v", r, err)
	}
	// A token issued before the restart is still honoured after it: the key
	// that signs tokens is stored, not regenerated.
	fid, compute, _, err := n2.Fleets().VerifyComputeAuthToken(aws.ToString(tok.AuthToken))
	if err != nil || fid != fleetID || compute != "host-1" {
		t.Errorf("token after restart: %s %s %v", fid, compute, err)
	}
}
