package identity_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"

	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
	"github.com/rallypoint/rallypoint/internal/identity"
)

// TestRestart checks that pools, identities, logins and signing keys
// survive the engine stopping and a new Service starting on its data.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	e := enginetest.OpenDir(t, dir)
	ev := newEnvOn(t, e, clk)
	ctx := ctxT(t)
	pool, err := ev.svc.CreatePool(ctx, identity.PoolInput{Name: "durable", AllowUnauthenticatedIdentities: true, DeveloperProviderName: "login.example"})
	if err != nil {
		t.Fatal(err)
	}
	guest, err := ev.svc.GetID(ctx, pool.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	devID, token, err := ev.svc.OpenIDTokenForDeveloperIdentity(ctx, identity.DeveloperTokenInput{PoolID: pool.ID, Logins: map[string]string{"login.example": "user-1"}})
	if err != nil {
		t.Fatal(err)
	}
	creds, err := ev.svc.CredentialsForIdentity(ctx, guest, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	ev2 := newEnvOn(t, enginetest.OpenDir(t, dir), clk)
	// The issuer is the new listener's URL; tokens from before name the
	// old one, as they would after a node moved. Keep the old issuer.
	ev2.cfg.Issuer = ev.cfg.Issuer
	svc := ev2.newService()
	got, err := svc.DescribePool(ctx, pool.ID)
	if err != nil || got.Name != "durable" {
		t.Fatalf("pool after restart: %+v, %v", got, err)
	}
	if _, err := svc.OpenIDToken(ctx, guest, nil); err != nil {
		t.Fatalf("guest after restart: %v", err)
	}
	if p, err := svc.VerifyToken(ctx, token); err != nil || p.IdentityID != devID {
		t.Fatalf("token from before the restart: %+v, %v", p, err)
	}
	if _, p, err := svc.SessionCredentials(ctx, creds.AccessKeyID, creds.SessionToken); err != nil || p.IdentityID != guest {
		t.Fatalf("credentials from before the restart: %+v, %v", p, err)
	}
	look, err := svc.LookupDeveloperIdentity(ctx, identity.LookupInput{PoolID: pool.ID, DeveloperUserIdentifier: "user-1"})
	if err != nil || look.IdentityID != devID {
		t.Fatalf("developer user after restart: %+v, %v", look, err)
	}
	_, err = svc.GetID(ctx, testRegion+":00000000-0000-0000-0000-000000000000", nil)
	wantCode(t, err, identity.CodeResourceNotFound)
}

// TestPoolLifecycle drives Describe, List (paged), Update and Delete with
// the SDK client.
func TestPoolLifecycle(t *testing.T) {
	ev := newEnv(t)
	ctx := ctxT(t)
	admin := ev.adminClient()
	var ids []string
	for _, name := range []string{"one", "two", "three"} {
		out, err := admin.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
			IdentityPoolName: aws.String(name), AllowUnauthenticatedIdentities: true, AllowClassicFlow: aws.Bool(true),
			SupportedLoginProviders: map[string]string{"accounts.google.com": "123-abc.apps.googleusercontent.com"},
			IdentityPoolTags:        map[string]string{"team": "arena"},
		})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, aws.ToString(out.IdentityPoolId))
	}
	d, err := admin.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String(ids[0])})
	if err != nil || aws.ToString(d.IdentityPoolName) != "one" || !aws.ToBool(d.AllowClassicFlow) || d.IdentityPoolTags["team"] != "arena" ||
		d.SupportedLoginProviders["accounts.google.com"] != "123-abc.apps.googleusercontent.com" {
		t.Fatalf("DescribeIdentityPool = %+v, %v", d, err)
	}
	var listed []string
	var next *string
	for {
		page, err := admin.ListIdentityPools(ctx, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(2), NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.IdentityPools {
			listed = append(listed, aws.ToString(p.IdentityPoolId))
		}
		if next = page.NextToken; next == nil {
			break
		}
	}
	if len(listed) != 3 {
		t.Fatalf("listed %v, want the 3 pools", listed)
	}
	// Update replaces: members left out are cleared.
	u, err := admin.UpdateIdentityPool(ctx, &cognitoidentity.UpdateIdentityPoolInput{
		IdentityPoolId: aws.String(ids[0]), IdentityPoolName: aws.String("renamed"), AllowUnauthenticatedIdentities: false})
	if err != nil || aws.ToString(u.IdentityPoolName) != "renamed" || u.AllowUnauthenticatedIdentities || len(u.SupportedLoginProviders) != 0 || len(u.IdentityPoolTags) != 0 {
		t.Fatalf("UpdateIdentityPool = %+v, %v", u, err)
	}
	_, err = ev.publicClient().GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(ids[0])})
	wantAPIError(t, err, identity.CodeNotAuthorized)

	guest, err := ev.svc.GetID(ctx, ids[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DeleteIdentityPool(ctx, &cognitoidentity.DeleteIdentityPoolInput{IdentityPoolId: aws.String(ids[1])}); err != nil {
		t.Fatal(err)
	}
	_, err = admin.DescribeIdentityPool(ctx, &cognitoidentity.DescribeIdentityPoolInput{IdentityPoolId: aws.String(ids[1])})
	wantAPIError(t, err, identity.CodeResourceNotFound)
	_, err = ev.publicClient().GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: aws.String(guest)})
	wantAPIError(t, err, identity.CodeResourceNotFound)
}
