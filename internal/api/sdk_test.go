package api_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"
)

func TestSDKSmoke(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	loc, err := c.CreateLocation(ctx, &gamelift.CreateLocationInput{LocationName: aws.String("custom-eu-west")})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", *loc.Location.LocationArn)
	f, err := c.CreateFleet(ctx, &gamelift.CreateFleetInput{Name: aws.String("arena"), ComputeType: types.ComputeTypeAnywhere,
		Locations: []types.LocationConfiguration{{Location: aws.String("custom-eu-west")}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v %v %v", *f.FleetAttributes.FleetId, f.FleetAttributes.Status, f.FleetAttributes.CreationTime)
	_, err = c.DescribeFleetAttributes(ctx, &gamelift.DescribeFleetAttributesInput{FleetIds: []string{"fleet-nope"}})
	var nf *types.NotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v", err)
	}
}
