package identity

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

// verifiedLogin is one entry of a Logins map whose token was checked.
type verifiedLogin struct {
	loginRef
	// self marks rallypoint's own OpenID token (under
	// cognito-identity.amazonaws.com or the issuer's host): it proves the
	// identity identityID rather than naming a login to link.
	self       bool
	identityID string
	amr        []string // the token's amr after "authenticated"
}

// verifyLogins checks each login of a call against the pool. developer is
// set for GetOpenIdTokenForDeveloperIdentity, where the pool's developer
// provider's entries are user ids the studio's backend vouches for.
func (s *Service) verifyLogins(ctx context.Context, pool *Pool, logins map[string]string, developer bool) ([]verifiedLogin, error) {
	out := make([]verifiedLogin, 0, len(logins))
	for _, name := range slices.Sorted(maps.Keys(logins)) {
		token := logins[name]
		switch {
		case name == cognitoProviderName || name == s.issuerHost:
			c, err := s.verifyOpenID(ctx, token)
			if errors.Is(err, ErrExpired) {
				return nil, notAuthorized("Invalid login token. Token expired.")
			}
			if err != nil {
				return nil, notAuthorized("Invalid login token. The %s token is not a valid token of this service.", name)
			}
			if c.Audience[0] != pool.ID {
				return nil, notAuthorized("Invalid login token. The %s token is for another identity pool.", name)
			}
			if !authenticated(c.AMR) {
				return nil, notAuthorized("Invalid login token. The %s token is an unauthenticated identity's, not a login.", name)
			}
			out = append(out, verifiedLogin{self: true, identityID: c.Subject, amr: c.AMR[1:]})
		case pool.DeveloperProviderName != "" && name == pool.DeveloperProviderName:
			if !developer {
				return nil, notAuthorized("Logins[%q]: developer provider logins are accepted only by GetOpenIdTokenForDeveloperIdentity.", name)
			}
			if strLen(token) > maxDeveloperUserLen {
				return nil, invalidParameter("Logins[%q]: a developer user identifier must have 1 to %d characters.", name, maxDeveloperUserLen)
			}
			out = append(out, verifiedLogin{loginRef: loginRef{Provider: name, Subject: token}})
		default:
			ids := pool.clientIDs(name)
			if len(ids) == 0 {
				return nil, notAuthorized("Invalid login token. %q is not a supported login provider of this identity pool.", name)
			}
			sub, err := s.providers.verify(ctx, s.issuerURL(name), ids, token)
			if err != nil {
				return nil, err
			}
			out = append(out, verifiedLogin{loginRef: loginRef{Provider: name, Subject: sub}})
		}
	}
	return out, nil
}

// issuerURL is the OIDC issuer of a login provider name.
func (s *Service) issuerURL(name string) string {
	if u, ok := s.cfg.OIDCIssuers[name]; ok {
		return u
	}
	return "https://" + name
}

// asymmetricAlgs are the signing algorithms accepted from providers:
// never "none", never HMAC (whose key a provider shares with its clients).
var asymmetricAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA,
}

// asymmetricJoseAlgs are the same, for parsing.
var asymmetricJoseAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512,
	jose.PS256, jose.PS384, jose.PS512, jose.EdDSA,
}

// discoveryRetry is how long a provider whose discovery failed is left
// alone before it is tried again.
const discoveryRetry = 30 * time.Second

// providerCache holds, per issuer, the verifier built from its discovery
// document and its keys (fetched again when a token names a kid they do
// not list, which is how a provider's key rotation is picked up; see
// providerKeys). Issuers come only from pool configuration, so the map
// stays small.
type providerCache struct {
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex // guards entries
	entries map[string]*providerEntry
}

type providerEntry struct {
	mu       sync.Mutex // held during discovery; guards the fields below
	verifier *oidc.IDTokenVerifier
	err      error
	failedAt time.Time
}

func newProviderCache(client *http.Client, now func() time.Time) *providerCache {
	return &providerCache{client: client, now: now, entries: map[string]*providerEntry{}}
}

func (c *providerCache) get(ctx context.Context, issuer string) (*oidc.IDTokenVerifier, error) {
	c.mu.Lock()
	e := c.entries[issuer]
	if e == nil {
		e = &providerEntry{}
		c.entries[issuer] = e
	}
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.verifier != nil {
		return e.verifier, nil
	}
	if e.err != nil && c.now().Sub(e.failedAt) < discoveryRetry {
		return nil, e.err
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, c.client), issuer)
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err == nil {
		if err = p.Claims(&meta); err == nil && meta.JWKSURI == "" {
			err = errors.New("the discovery document has no jwks_uri")
		}
	}
	if err != nil {
		e.err, e.failedAt = err, c.now()
		return nil, err
	}
	keys := newProviderKeys(meta.JWKSURI, c.client, c.now)
	e.verifier = oidc.NewVerifier(issuer, keys, &oidc.Config{SkipClientIDCheck: true, SupportedSigningAlgs: asymmetricAlgs, Now: c.now})
	e.err = nil
	return e.verifier, nil
}

// verify checks a provider's id token: signature against the provider's
// JWKS, issuer, expiry, and an audience among clientIDs. It returns the
// token's subject.
func (c *providerCache) verify(ctx context.Context, issuer string, clientIDs []string, token string) (string, error) {
	v, err := c.get(ctx, issuer)
	if err != nil {
		return "", newError(CodeExternalService, "The login provider %s did not answer its OpenID discovery: %v", issuer, err)
	}
	tok, err := v.Verify(ctx, token)
	if err != nil {
		var expired *oidc.TokenExpiredError
		switch {
		case errors.As(err, &expired):
			return "", notAuthorized("Invalid login token. Token expired: %s.", expired.Expiry.UTC().Format(time.RFC3339))
		case strings.Contains(err.Error(), errProviderKeys.Error()):
			// go-oidc reports the key set's error as text only.
			return "", newError(CodeExternalService, "The login provider %s did not serve its keys: %v", issuer, err)
		}
		return "", notAuthorized("Invalid login token. %v", err)
	}
	if !slices.ContainsFunc(tok.Audience, func(a string) bool { return slices.Contains(clientIDs, a) }) {
		return "", notAuthorized("Invalid login token. Incorrect token audience.")
	}
	if tok.Subject == "" || strLen(tok.Subject) > maxSubjectLen {
		return "", notAuthorized("Invalid login token. The token's subject is empty or longer than %d characters.", maxSubjectLen)
	}
	return tok.Subject, nil
}
