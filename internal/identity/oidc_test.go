package identity_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/go-jose/go-jose/v4"

	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
	"github.com/rallypoint/rallypoint/internal/identity"
)

const (
	idpName   = "idp.test"
	idpClient = "arena-client"
)

// oidcEnv is an env with a test provider that its pool trusts under the
// login name idpName.
func oidcEnv(t *testing.T) (*env, *testIDP, string) {
	t.Helper()
	clk := newClock()
	idp := newTestIDP(t, clk)
	ev := newEnvOn(t, enginetest.Open(t), clk, func(c *identity.Config) {
		c.OIDCIssuers = map[string]string{idpName: idp.issuer}
	})
	out, err := ev.adminClient().CreateIdentityPool(ctxT(t), &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName:               aws.String("arena"),
		AllowUnauthenticatedIdentities: true,
		SupportedLoginProviders:        map[string]string{idpName: "other-client," + idpClient},
		DeveloperProviderName:          aws.String("login.arena.example"),
	})
	if err != nil {
		t.Fatalf("CreateIdentityPool: %v", err)
	}
	return ev, idp, aws.ToString(out.IdentityPoolId)
}

func TestOIDCLogin(t *testing.T) {
	ev, idp, poolID := oidcEnv(t)
	ctx := ctxT(t)
	pub := ev.publicClient()
	getID := func(token string) (string, error) {
		out, err := pub.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(poolID), Logins: map[string]string{idpName: token}})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.IdentityId), nil
	}

	first, err := getID(idp.token(idClaims{Subject: "player-1", Audience: idpClient}))
	if err != nil {
		t.Fatalf("GetId: %v", err)
	}
	again, err := getID(idp.token(idClaims{Subject: "player-1", Audience: idpClient}))
	if err != nil || again != first {
		t.Fatalf("second GetId = %s, %v; want %s", again, err, first)
	}
	other, err := getID(idp.token(idClaims{Subject: "player-2", Audience: idpClient}))
	if err != nil || other == first {
		t.Fatalf("another subject got %s, %v; want a new identity", other, err)
	}

	t.Run("concurrent first logins make one identity", func(t *testing.T) {
		token := idp.token(idClaims{Subject: "player-concurrent", Audience: idpClient})
		const n = 8
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { ids[i], errs[i] = getID(token) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("call %d: %s, %v; call 0: %s", i, ids[i], errs[i], ids[0])
			}
		}
	})

	t.Run("token and credentials need the login", func(t *testing.T) {
		token := idp.token(idClaims{Subject: "player-1", Audience: idpClient})
		out, err := pub.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(first), Logins: map[string]string{idpName: token}})
		if err != nil {
			t.Fatalf("GetOpenIdToken: %v", err)
		}
		p, err := ev.svc.VerifyToken(ctx, aws.ToString(out.Token))
		if err != nil || p.IdentityID != first {
			t.Fatalf("VerifyToken = %+v, %v", p, err)
		}
		_, err = pub.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(first)})
		wantAPIError(t, err, identity.CodeNotAuthorized)
		_, err = pub.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: aws.String(first)})
		wantAPIError(t, err, identity.CodeNotAuthorized)
		// Another player's valid login does not open this identity.
		_, err = pub.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: aws.String(first),
			Logins: map[string]string{idpName: idp.token(idClaims{Subject: "player-2", Audience: idpClient})}})
		wantAPIError(t, err, identity.CodeResourceConflict)
		// Nor does a login nobody has used yet.
		_, err = pub.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: aws.String(first),
			Logins: map[string]string{idpName: idp.token(idClaims{Subject: "player-new", Audience: idpClient})}})
		wantAPIError(t, err, identity.CodeNotAuthorized)
	})

	t.Run("refused tokens", func(t *testing.T) {
		otherKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		idp.mu.Lock()
		kid := idp.kid
		idp.mu.Unlock()
		cases := []struct {
			name  string
			token string
		}{
			{"expired", idp.token(idClaims{Subject: "player-1", Audience: idpClient, Expiry: ev.clock.Now().Add(-time.Minute)})},
			{"wrong audience", idp.token(idClaims{Subject: "player-1", Audience: "someone-else"})},
			{"wrong issuer", idp.token(idClaims{Subject: "player-1", Audience: idpClient, Issuer: "https://evil.example"})},
			{"forged with the same kid", idp.tokenWith(otherKey, jose.ES256, kid, idClaims{Subject: "player-1", Audience: idpClient})},
			{"alg none", idp.unsignedToken(idClaims{Subject: "player-1", Audience: idpClient})},
			{"HMAC", hmacToken(t, idp, kid)},
			{"not a JWT", "not-a-token"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := getID(tc.token)
				wantAPIError(t, err, identity.CodeNotAuthorized)
			})
		}
		// Logins under a provider the pool does not name.
		_, err := pub.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(poolID),
			Logins: map[string]string{"accounts.google.com": idp.token(idClaims{Subject: "player-1", Audience: idpClient})}})
		wantAPIError(t, err, identity.CodeNotAuthorized)
	})

	t.Run("made-up kids do not drive fetches", func(t *testing.T) {
		// Past the refetch interval, the first unknown kid fetches the
		// provider's keys again; the next ones within the interval do not.
		ev.clock.Advance(11 * time.Second)
		forger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		before := idp.jwksFetches.Load()
		for i := range 20 {
			_, err := getID(idp.tokenWith(forger, jose.ES256, fmt.Sprintf("made-up-%d", i), idClaims{Subject: "player-1", Audience: idpClient}))
			wantAPIError(t, err, identity.CodeNotAuthorized)
		}
		if n := idp.jwksFetches.Load() - before; n != 1 {
			t.Fatalf("20 tokens with unknown kids made %d fetches of the provider's keys, want 1", n)
		}
		// A bad signature under a key the provider lists fetches nothing,
		// whatever the time.
		ev.clock.Advance(11 * time.Second)
		idp.mu.Lock()
		kid := idp.kid
		idp.mu.Unlock()
		before = idp.jwksFetches.Load()
		_, err := getID(idp.tokenWith(forger, jose.ES256, kid, idClaims{Subject: "player-1", Audience: idpClient}))
		wantAPIError(t, err, identity.CodeNotAuthorized)
		if n := idp.jwksFetches.Load() - before; n != 0 {
			t.Fatalf("a forged token under a known kid made %d fetches, want none", n)
		}
	})

	t.Run("provider key rotation", func(t *testing.T) {
		ev.clock.Advance(11 * time.Second) // past the refetch interval
		before := idp.jwksFetches.Load()
		idp.rotate("ec")
		id, err := getID(idp.token(idClaims{Subject: "player-1", Audience: idpClient}))
		if err != nil || id != first {
			t.Fatalf("after rotation: %s, %v; want %s", id, err, first)
		}
		if idp.jwksFetches.Load() == before {
			t.Fatal("the new kid did not make the provider's JWKS be fetched again")
		}
	})
}

// hmacToken is a token signed with HS256 under the provider's kid: a
// verifier must refuse the algorithm whatever the key.
func hmacToken(t *testing.T, idp *testIDP, kid string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: kid}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := signer.Sign([]byte(`{"iss":"` + idp.issuer + `","sub":"player-1","aud":"` + idpClient + `","exp":4102444800,"iat":1}`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestProviderDown checks that a provider that does not answer gives
// ExternalServiceException and that it is not asked again at once.
func TestProviderDown(t *testing.T) {
	ev, idp, poolID := oidcEnv(t)
	token := idp.token(idClaims{Subject: "player-1", Audience: idpClient})
	idp.srv.Close()
	_, err := ev.publicClient().GetId(ctxT(t), &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(poolID), Logins: map[string]string{idpName: token}})
	wantAPIError(t, err, identity.CodeExternalService)
}

// TestGuestLogsIn checks that a guest who logs in keeps its identity id,
// and that its identity then needs the login.
func TestGuestLogsIn(t *testing.T) {
	ev, idp, poolID := oidcEnv(t)
	ctx := ctxT(t)
	pub := ev.publicClient()
	guest, err := pub.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(poolID)})
	if err != nil {
		t.Fatal(err)
	}
	guestID := aws.ToString(guest.IdentityId)
	token := idp.token(idClaims{Subject: "player-guest", Audience: idpClient})
	creds, err := pub.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{
		IdentityId: aws.String(guestID), Logins: map[string]string{idpName: token}})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity with a login: %v", err)
	}
	if got := aws.ToString(creds.IdentityId); got != guestID {
		t.Fatalf("the guest became %s, want to keep %s", got, guestID)
	}
	again, err := pub.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(poolID), Logins: map[string]string{idpName: token}})
	if err != nil || aws.ToString(again.IdentityId) != guestID {
		t.Fatalf("GetId with the login = %v, %v; want %s", aws.ToString(again.IdentityId), err, guestID)
	}
	_, err = pub.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(guestID)})
	wantAPIError(t, err, identity.CodeNotAuthorized)

	// A second guest presenting the same login acts as its identity, as in
	// Cognito (the returned IdentityId differs from the one sent).
	guest2, err := ev.svc.GetID(ctx, poolID, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pub.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(guest2), Logins: map[string]string{idpName: token}})
	if err != nil || aws.ToString(out.IdentityId) != guestID {
		t.Fatalf("second guest with the login: %v, %v; want %s", aws.ToString(out.IdentityId), err, guestID)
	}
	p, err := ev.svc.VerifyToken(ctx, aws.ToString(out.Token))
	if err != nil || p.IdentityID != guestID {
		t.Fatalf("its token: %+v, %v", p, err)
	}
}
