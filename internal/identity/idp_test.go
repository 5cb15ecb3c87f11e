package identity_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// testIDP is an OpenID Connect provider on loopback: its own keys, a
// discovery document and a JWKS, and id tokens signed on demand.
type testIDP struct {
	t      testing.TB
	srv    *httptest.Server
	issuer string
	clock  *clock

	mu   sync.Mutex
	key  crypto.Signer
	alg  jose.SignatureAlgorithm
	kid  string
	jwks jose.JSONWebKeySet

	jwksFetches atomic.Int32
}

func newTestIDP(t testing.TB, clk *clock) *testIDP {
	t.Helper()
	idp := &testIDP{t: t, clock: clk}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                idp.issuer,
			"jwks_uri":                              idp.issuer + "/keys",
			"authorization_endpoint":                idp.issuer + "/auth",
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		idp.jwksFetches.Add(1)
		idp.mu.Lock()
		defer idp.mu.Unlock()
		_ = json.NewEncoder(w).Encode(idp.jwks)
	})
	idp.srv = httptest.NewServer(mux)
	t.Cleanup(idp.srv.Close)
	idp.issuer = idp.srv.URL
	idp.rotate("rsa")
	return idp
}

// rotate replaces the provider's signing key with a new one of kind "rsa"
// or "ec" and a new kid; the JWKS serves the new key only.
func (p *testIDP) rotate(kind string) {
	p.t.Helper()
	var (
		key crypto.Signer
		alg jose.SignatureAlgorithm
		err error
	)
	switch kind {
	case "rsa":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
		alg = jose.RS256
	default:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		alg = jose.ES256
	}
	if err != nil {
		p.t.Fatal(err)
	}
	var kid [6]byte
	_, _ = rand.Read(kid[:])
	p.mu.Lock()
	defer p.mu.Unlock()
	p.key, p.alg, p.kid = key, alg, base64.RawURLEncoding.EncodeToString(kid[:])
	p.jwks = jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: p.kid, Algorithm: string(alg), Use: "sig"}}}
}

// idClaims are an id token's claims; zero fields get defaults from token.
type idClaims struct {
	Issuer   string
	Subject  string
	Audience string
	Expiry   time.Time
}

// token signs an id token with the provider's current key.
func (p *testIDP) token(c idClaims) string {
	p.mu.Lock()
	key, alg, kid := p.key, p.alg, p.kid
	p.mu.Unlock()
	return p.tokenWith(key, alg, kid, c)
}

// tokenWith signs an id token with any key, under any kid.
func (p *testIDP) tokenWith(key crypto.Signer, alg jose.SignatureAlgorithm, kid string, c idClaims) string {
	p.t.Helper()
	now := p.clock.Now()
	if c.Issuer == "" {
		c.Issuer = p.issuer
	}
	if c.Expiry.IsZero() {
		c.Expiry = now.Add(time.Hour)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		p.t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(jwt.Claims{
		Issuer: c.Issuer, Subject: c.Subject, Audience: jwt.Audience{c.Audience},
		IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(c.Expiry),
	}).Serialize()
	if err != nil {
		p.t.Fatal(err)
	}
	return tok
}

// unsignedToken is a token with alg "none".
func (p *testIDP) unsignedToken(c idClaims) string {
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"` + p.kid + `"}`))
	body, _ := json.Marshal(map[string]any{
		"iss": p.issuer, "sub": c.Subject, "aud": c.Audience,
		"iat": p.clock.Now().Unix(), "exp": p.clock.Now().Add(time.Hour).Unix(),
	})
	return header + "." + base64.RawURLEncoding.EncodeToString(body) + "."
}
