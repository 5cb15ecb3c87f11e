package identity_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/rallypoint/rallypoint/internal/identity"
	"github.com/rallypoint/rallypoint/internal/sigv4"
)

const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func createGuestPool(t *testing.T, ev *env) string {
	t.Helper()
	out, err := ev.adminClient().CreateIdentityPool(ctxT(t), &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName:               aws.String("arena guests"),
		AllowUnauthenticatedIdentities: true,
	})
	if err != nil {
		t.Fatalf("CreateIdentityPool: %v", err)
	}
	return aws.ToString(out.IdentityPoolId)
}

// presign makes the URL a client opens its socket with: GET /ws presigned
// for API Gateway ("execute-api") with temporary credentials.
func presign(t *testing.T, ev *env, c aws.Credentials, signedAt time.Time) *http.Request {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:9/ws", nil)
	q := req.URL.Query()
	q.Set("X-Amz-Expires", "300")
	req.URL.RawQuery = q.Encode()
	signed, _, err := v4.NewSigner().PresignHTTP(ctxT(t), c, req, emptyPayloadHash, "execute-api", testRegion, signedAt)
	if err != nil {
		t.Fatalf("presign: %v", err)
	}
	// What arrives at the gateway.
	u, err := url.Parse(signed)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := http.NewRequest(http.MethodGet, u.String(), nil)
	in.Host = u.Host
	return in
}

// gatewayVerify checks a presigned upgrade as the gateway does: the session
// token from the URL gives the credentials, which must verify the
// signature.
func gatewayVerify(ev *env, svc *identity.Service, r *http.Request) (identity.Principal, error) {
	var p identity.Principal
	var credErr error
	v := sigv4.Verifier{
		Service: "execute-api",
		Now:     ev.clock.Now,
		Lookup: func(akid string) (sigv4.Credentials, bool) {
			c, principal, err := svc.SessionCredentials(r.Context(), akid, r.URL.Query().Get("X-Amz-Security-Token"))
			if err != nil {
				credErr = err
				return sigv4.Credentials{}, false
			}
			p = principal
			return c, true
		},
	}
	if _, err := v.Verify(r, nil); err != nil {
		if credErr != nil {
			return p, credErr
		}
		return p, err
	}
	return p, nil
}

// TestCognitoFlow walks a game client's whole path with the AWS SDK's
// Cognito identity client: the operator creates a pool (signed), a guest
// gets an identity, a token the gateway accepts, and credentials with which
// it presigns its WebSocket URL.
func TestCognitoFlow(t *testing.T) {
	ev := newEnv(t)
	ctx := ctxT(t)
	poolID := createGuestPool(t, ev)
	pub := ev.publicClient()

	got, err := pub.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(poolID)})
	if err != nil {
		t.Fatalf("GetId: %v", err)
	}
	identityID := aws.ToString(got.IdentityId)
	if !regionPrefixed(identityID) {
		t.Fatalf("identity id %q is not %s:<uuid>", identityID, testRegion)
	}

	tok, err := pub.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(identityID)})
	if err != nil {
		t.Fatalf("GetOpenIdToken: %v", err)
	}
	if aws.ToString(tok.IdentityId) != identityID {
		t.Fatalf("GetOpenIdToken answered for %s, want %s", aws.ToString(tok.IdentityId), identityID)
	}
	p, err := ev.svc.VerifyToken(ctx, aws.ToString(tok.Token))
	if err != nil {
		t.Fatalf("VerifyToken: %v", err)
	}
	if p.IdentityID != identityID || p.PoolID != poolID {
		t.Fatalf("VerifyToken = %+v, want identity %s pool %s", p, identityID, poolID)
	}
	if want := ev.clock.Now().Add(identity.DefaultTokenTTL); !p.Expires.Equal(want) {
		t.Fatalf("token expires %v, want %v", p.Expires, want)
	}

	creds, err := pub.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: aws.String(identityID)})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity: %v", err)
	}
	c := creds.Credentials
	if c == nil || aws.ToString(c.AccessKeyId) == "" || aws.ToString(c.SecretKey) == "" || aws.ToString(c.SessionToken) == "" {
		t.Fatalf("credentials incomplete: %+v", c)
	}
	if want := ev.clock.Now().Add(identity.DefaultCredentialsTTL); !aws.ToTime(c.Expiration).Equal(want) {
		t.Fatalf("credentials expire %v, want %v", aws.ToTime(c.Expiration), want)
	}
	awsCreds := aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretKey), SessionToken: aws.ToString(c.SessionToken)}

	// The presigned URL verifies, and names the identity.
	p, err = gatewayVerify(ev, ev.svc, presign(t, ev, awsCreds, ev.clock.Now()))
	if err != nil {
		t.Fatalf("presigned URL refused: %v", err)
	}
	if p.IdentityID != identityID || p.PoolID != poolID {
		t.Fatalf("presigned URL speaks for %+v, want %s", p, identityID)
	}
	// Another node (a second Service over the same buckets) agrees.
	if _, err := gatewayVerify(ev, ev.newService(), presign(t, ev, awsCreds, ev.clock.Now())); err != nil {
		t.Fatalf("second node refused the presigned URL: %v", err)
	}

	t.Run("tampered", func(t *testing.T) {
		r := presign(t, ev, awsCreds, ev.clock.Now())
		q := r.URL.Query()
		q.Set("X-Amz-Expires", "301")
		r.URL.RawQuery = q.Encode()
		if _, err := gatewayVerify(ev, ev.svc, r); err == nil {
			t.Fatal("a tampered URL verified")
		}
	})
	t.Run("wrong secret", func(t *testing.T) {
		forged := awsCreds
		forged.SecretAccessKey = "x" + forged.SecretAccessKey[1:]
		if _, err := gatewayVerify(ev, ev.svc, presign(t, ev, forged, ev.clock.Now())); err == nil {
			t.Fatal("a URL signed with the wrong secret verified")
		}
	})
	t.Run("other access key", func(t *testing.T) {
		other := awsCreds
		other.AccessKeyID = "ASIAAAAAAAAAAAAAAAAA"
		if _, err := gatewayVerify(ev, ev.svc, presign(t, ev, other, ev.clock.Now())); !errors.Is(err, identity.ErrInvalidToken) {
			t.Fatalf("session token used with another access key: got %v, want ErrInvalidToken", err)
		}
	})
	t.Run("OpenID token as session token", func(t *testing.T) {
		if _, _, err := ev.svc.SessionCredentials(ctx, awsCreds.AccessKeyID, aws.ToString(tok.Token)); !errors.Is(err, identity.ErrInvalidToken) {
			t.Fatalf("got %v, want ErrInvalidToken", err)
		}
		if _, err := ev.svc.VerifyToken(ctx, awsCreds.SessionToken); !errors.Is(err, identity.ErrInvalidToken) {
			t.Fatalf("session token passed as an OpenID token: %v", err)
		}
	})
	t.Run("expired", func(t *testing.T) {
		ev.clock.Advance(identity.DefaultCredentialsTTL + time.Second)
		if _, err := gatewayVerify(ev, ev.svc, presign(t, ev, awsCreds, ev.clock.Now())); !errors.Is(err, identity.ErrExpired) {
			t.Fatalf("expired credentials: got %v, want ErrExpired", err)
		}
		if _, err := ev.svc.VerifyToken(ctx, aws.ToString(tok.Token)); !errors.Is(err, identity.ErrExpired) {
			t.Fatalf("expired token: got %v, want ErrExpired", err)
		}
	})
}

func regionPrefixed(id string) bool {
	return len(id) == len(testRegion)+1+36 && id[:len(testRegion)+1] == testRegion+":"
}

// TestOIDCLibraryVerifiesTokens checks that a studio can verify
// rallypoint's tokens with an ordinary OIDC library, from the discovery
// document and JWKS alone.
func TestOIDCLibraryVerifiesTokens(t *testing.T) {
	ev := newEnv(t, func(c *identity.Config) { c.Now = nil }) // go-oidc checks expiry with the real clock
	ctx := ctxT(t)
	poolID := createGuestPool(t, ev)
	id, err := ev.svc.GetID(ctx, poolID, nil)
	if err != nil {
		t.Fatal(err)
	}
	token, err := ev.svc.OpenIDToken(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	provider, err := oidc.NewProvider(ctx, ev.public.URL)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	idToken, err := provider.Verifier(&oidc.Config{ClientID: poolID}).Verify(ctx, token)
	if err != nil {
		t.Fatalf("go-oidc refused our token: %v", err)
	}
	if idToken.Subject != id {
		t.Fatalf("sub = %s, want %s", idToken.Subject, id)
	}
	var claims struct {
		AMR []string `json:"amr"`
	}
	if err := idToken.Claims(&claims); err != nil || len(claims.AMR) != 1 || claims.AMR[0] != "unauthenticated" {
		t.Fatalf("amr = %v (%v), want [unauthenticated]", claims.AMR, err)
	}
	// And it is refused for another audience.
	if _, err := provider.Verifier(&oidc.Config{ClientID: testRegion + ":00000000-0000-0000-0000-000000000000"}).Verify(ctx, token); err == nil {
		t.Fatal("go-oidc accepted our token for another pool")
	}
}
