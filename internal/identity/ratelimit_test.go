package identity_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"

	"github.com/rallypoint/rallypoint/internal/identity"
)

// One source address may make only so many public calls: past its burst,
// it is told to slow down (TooManyRequestsException, which the AWS SDKs
// retry with backoff), and the admin listener is not limited.
func TestPublicCallsPerAddressAreLimited(t *testing.T) {
	ev := newEnv(t, func(c *identity.Config) { c.ClientRate, c.ClientBurst = 1, 3 })
	ctx := ctxT(t)
	pool, err := ev.adminClient().CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String("limited"), AllowUnauthenticatedIdentities: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	getID := func() error {
		_, err := ev.publicClient().GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: pool.IdentityPoolId})
		return err
	}
	for i := range 3 {
		if err := getID(); err != nil {
			t.Fatalf("call %d within the burst: %v", i+1, err)
		}
	}
	wantAPIError(t, getID(), identity.CodeTooManyRequests)
	for range 5 {
		if _, err := ev.adminClient().DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: pool.IdentityPoolId}); err != nil {
			t.Fatalf("admin call while the public ones are limited: %v", err)
		}
	}
	ev.clock.Advance(time.Second)
	if err := getID(); err != nil {
		t.Fatalf("a second later: %v", err)
	}
}
