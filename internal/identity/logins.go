package identity

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"maps"
	"net/http"
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

// discoveryRetry is how long a provider whose discovery failed is left
// alone before it is tried again.
const discoveryRetry = 30 * time.Second

// providerCache holds one *oidc.Provider per issuer, each with its cached
// remote key set (refetched when a token's kid is unknown, which is how a
// provider's key rotation is picked up). Issuers come only from pool
// configuration, so the map stays small.
type providerCache struct {
	client *http.Client
	now    func() time.Time

	mu      sync.Mutex // guards entries
	entries map[string]*providerEntry
}

type providerEntry struct {
	mu       sync.Mutex // held during discovery; guards the fields below
	provider *oidc.Provider
	err      error
	failedAt time.Time
}

func newProviderCache(client *http.Client, now func() time.Time) *providerCache {
	return &providerCache{client: client, now: now, entries: map[string]*providerEntry{}}
}

func (c *providerCache) get(ctx context.Context, issuer string) (*oidc.Provider, error) {
	c.mu.Lock()
	e := c.entries[issuer]
	if e == nil {
		e = &providerEntry{}
		c.entries[issuer] = e
	}
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.provider != nil {
		return e.provider, nil
	}
	if e.err != nil && c.now().Sub(e.failedAt) < discoveryRetry {
		return nil, e.err
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, c.client), issuer)
	if err != nil {
		e.err, e.failedAt = err, c.now()
		return nil, err
	}
	e.provider, e.err = p, nil
	return p, nil
}

// verify checks a provider's id token: signature against the provider's
// JWKS, issuer, expiry, and an audience among clientIDs. It returns the
// token's subject.
func (c *providerCache) verify(ctx context.Context, issuer string, clientIDs []string, token string) (string, error) {
	p, err := c.get(ctx, issuer)
	if err != nil {
		return "", newError(CodeExternalService, "The login provider %s did not answer its OpenID discovery: %v", issuer, err)
	}
	v := p.Verifier(&oidc.Config{SkipClientIDCheck: true, SupportedSigningAlgs: asymmetricAlgs, Now: c.now})
	tok, err := v.Verify(ctx, token)
	if err != nil {
		var expired *oidc.TokenExpiredError
		switch {
		case errors.As(err, &expired):
			return "", notAuthorized("Invalid login token. Token expired: %s.", expired.Expiry.UTC().Format(time.RFC3339))
		case strings.Contains(err.Error(), "fetching keys"):
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
