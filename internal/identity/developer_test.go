package identity_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"

	"github.com/rallypoint/rallypoint/internal/identity"
)

// TestDeveloperIdentities walks the enhanced flow with developer
// authentication: the studio's backend gets a token for its user, the
// client exchanges it for credentials.
func TestDeveloperIdentities(t *testing.T) {
	ev, _, poolID := oidcEnv(t)
	ctx := ctxT(t)
	admin, pub := ev.adminClient(), ev.publicClient()
	const dev = "login.arena.example"

	out, err := admin.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: aws.String(poolID),
		Logins:         map[string]string{dev: "user-42"},
		TokenDuration:  aws.Int64(3600),
	})
	if err != nil {
		t.Fatalf("GetOpenIdTokenForDeveloperIdentity: %v", err)
	}
	id, token := aws.ToString(out.IdentityId), aws.ToString(out.Token)
	p, err := ev.svc.VerifyToken(ctx, token)
	if err != nil || p.IdentityID != id || p.PoolID != poolID || !p.Expires.Equal(ev.clock.Now().Add(3600e9)) {
		t.Fatalf("VerifyToken = %+v, %v", p, err)
	}
	// The same user gets the same identity.
	out2, err := admin.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: aws.String(poolID), Logins: map[string]string{dev: "user-42"}})
	if err != nil || aws.ToString(out2.IdentityId) != id {
		t.Fatalf("second call = %v, %v; want %s", aws.ToString(out2.IdentityId), err, id)
	}
	// A second developer user id linked to the identity.
	if _, err := admin.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
		IdentityPoolId: aws.String(poolID), IdentityId: aws.String(id), Logins: map[string]string{dev: "user-42-alt"}}); err != nil {
		t.Fatalf("linking a second developer user: %v", err)
	}

	look, err := admin.LookupDeveloperIdentity(ctx, &cognitoidentity.LookupDeveloperIdentityInput{
		IdentityPoolId: aws.String(poolID), DeveloperUserIdentifier: aws.String("user-42"), MaxResults: aws.Int32(1)})
	if err != nil {
		t.Fatalf("LookupDeveloperIdentity by user: %v", err)
	}
	if aws.ToString(look.IdentityId) != id || len(look.DeveloperUserIdentifierList) != 1 || look.DeveloperUserIdentifierList[0] != "user-42" || look.NextToken == nil {
		t.Fatalf("lookup page 1 = %s %v next %v", aws.ToString(look.IdentityId), look.DeveloperUserIdentifierList, look.NextToken)
	}
	look, err = admin.LookupDeveloperIdentity(ctx, &cognitoidentity.LookupDeveloperIdentityInput{
		IdentityPoolId: aws.String(poolID), IdentityId: aws.String(id), MaxResults: aws.Int32(1), NextToken: look.NextToken})
	if err != nil || len(look.DeveloperUserIdentifierList) != 1 || look.DeveloperUserIdentifierList[0] != "user-42-alt" || look.NextToken != nil {
		t.Fatalf("lookup page 2 = %v next %v, %v", look.DeveloperUserIdentifierList, look.NextToken, err)
	}
	_, err = admin.LookupDeveloperIdentity(ctx, &cognitoidentity.LookupDeveloperIdentityInput{
		IdentityPoolId: aws.String(poolID), DeveloperUserIdentifier: aws.String("nobody")})
	wantAPIError(t, err, identity.CodeResourceNotFound)

	// The client exchanges the token for credentials (enhanced flow).
	creds, err := pub.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{
		IdentityId: aws.String(id), Logins: map[string]string{"cognito-identity.amazonaws.com": token}})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity with the developer token: %v", err)
	}
	_, principal, err := ev.svc.SessionCredentials(ctx, aws.ToString(creds.Credentials.AccessKeyId), aws.ToString(creds.Credentials.SessionToken))
	if err != nil || principal.IdentityID != id {
		t.Fatalf("SessionCredentials = %+v, %v", principal, err)
	}
	// Under rallypoint's own issuer host as well.
	host := ev.public.URL[len("http://"):]
	if _, err := pub.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{
		IdentityId: aws.String(id), Logins: map[string]string{host: token}}); err != nil {
		t.Fatalf("GetOpenIdToken with the token under %s: %v", host, err)
	}
	// Without it, the identity is not a guest's to take.
	_, err = pub.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: aws.String(id)})
	wantAPIError(t, err, identity.CodeNotAuthorized)

	t.Run("refusals", func(t *testing.T) {
		other, err := admin.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
			IdentityPoolId: aws.String(poolID), Logins: map[string]string{dev: "user-7"}})
		if err != nil {
			t.Fatal(err)
		}
		// user-42 belongs to another identity.
		_, err = admin.GetOpenIdTokenForDeveloperIdentity(ctx, &cognitoidentity.GetOpenIdTokenForDeveloperIdentityInput{
			IdentityPoolId: aws.String(poolID), IdentityId: other.IdentityId, Logins: map[string]string{dev: "user-42"}})
		wantAPIError(t, err, identity.CodeDeveloperUserAlreadyRegistered)
		// Another identity's token does not open this one.
		_, err = pub.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{
			IdentityId: aws.String(id), Logins: map[string]string{"cognito-identity.amazonaws.com": aws.ToString(other.Token)}})
		wantAPIError(t, err, identity.CodeResourceConflict)
		// A guest's own token is not a login.
		guest, _ := ev.svc.GetID(ctx, poolID, nil)
		guestToken, _ := ev.svc.OpenIDToken(ctx, guest, nil)
		_, err = pub.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{
			IdentityId: aws.String(guest), Logins: map[string]string{"cognito-identity.amazonaws.com": guestToken}})
		wantAPIError(t, err, identity.CodeNotAuthorized)
		// Clients cannot claim developer users themselves.
		_, err = pub.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(poolID), Logins: map[string]string{dev: "user-42"}})
		wantAPIError(t, err, identity.CodeNotAuthorized)
		// A lookup whose two keys disagree.
		_, err = admin.LookupDeveloperIdentity(ctx, &cognitoidentity.LookupDeveloperIdentityInput{
			IdentityPoolId: aws.String(poolID), IdentityId: other.IdentityId, DeveloperUserIdentifier: aws.String("user-42")})
		wantAPIError(t, err, identity.CodeResourceConflict)
	})
}
