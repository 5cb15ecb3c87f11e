package identity

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/rallypoint/rallypoint/internal/engine"
)

const (
	poolKeyPrefix = "identitypool."
	// maxPools bounds the identity pools of one deployment, as Cognito
	// bounds them per account.
	maxPools = 1000
)

// PoolInput is what CreateIdentityPool and UpdateIdentityPool take.
type PoolInput struct {
	Name                           string
	AllowUnauthenticatedIdentities bool
	// AllowClassicFlow is stored and returned; rallypoint has no separate
	// classic flow to switch on (GetOpenIdToken is always served).
	AllowClassicFlow bool
	// SupportedLoginProviders maps a provider name (a Logins key, such as
	// "accounts.google.com") to its client id, or several separated by
	// ',' or ';'.
	SupportedLoginProviders map[string]string
	// DeveloperProviderName names the studio's own backend as a provider
	// (GetOpenIdTokenForDeveloperIdentity); once set it cannot change.
	DeveloperProviderName string
	// OpenIDConnectProviderARNs, SAMLProviderARNs and
	// CognitoIdentityProviders need AWS IAM or Cognito user pools, which
	// rallypoint does not have: they are refused when not empty.
	OpenIDConnectProviderARNs []string
	SAMLProviderARNs          []string
	CognitoIdentityProviders  []CognitoIdentityProvider
	Tags                      map[string]string
}

// CognitoIdentityProvider is a Cognito user pool client, accepted only to
// be refused with a clear message.
type CognitoIdentityProvider struct {
	ProviderName         string
	ClientID             string
	ServerSideTokenCheck bool
}

// Pool is a stored identity pool.
type Pool struct {
	ID                             string            `json:"id"`
	Name                           string            `json:"name"`
	AllowUnauthenticatedIdentities bool              `json:"allowUnauthenticatedIdentities"`
	AllowClassicFlow               bool              `json:"allowClassicFlow,omitempty"`
	SupportedLoginProviders        map[string]string `json:"supportedLoginProviders,omitempty"`
	DeveloperProviderName          string            `json:"developerProviderName,omitempty"`
	Tags                           map[string]string `json:"tags,omitempty"`
	Created                        time.Time         `json:"created"`
	Modified                       time.Time         `json:"modified"`
}

// clientIDs returns the client ids configured for a login provider.
func (p *Pool) clientIDs(provider string) []string {
	v, ok := p.SupportedLoginProviders[provider]
	if !ok {
		return nil
	}
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' })
}

// PoolSummary is a row of ListIdentityPools.
type PoolSummary struct {
	ID   string
	Name string
}

func poolKey(id string) string {
	return poolKeyPrefix + base64.RawURLEncoding.EncodeToString([]byte(id))
}

func (in *PoolInput) validate() *Error {
	if in.Name == "" {
		return invalidParameter("IdentityPoolName is required.")
	}
	if strLen(in.Name) > maxPoolNameLen || !poolNamePattern.MatchString(in.Name) {
		return invalidParameter("IdentityPoolName must have 1 to %d characters among letters, digits, spaces and + = , . @ _ -.", maxPoolNameLen)
	}
	if len(in.SupportedLoginProviders) > maxProviders {
		return invalidParameter("SupportedLoginProviders has %d entries; at most %d are allowed.", len(in.SupportedLoginProviders), maxProviders)
	}
	for name, ids := range in.SupportedLoginProviders {
		if name == "" || strLen(name) > maxProviderNameLen {
			return invalidParameter("SupportedLoginProviders: a provider name must have 1 to %d characters.", maxProviderNameLen)
		}
		if name == cognitoProviderName || strings.ContainsAny(name, " \t\r\n") {
			return invalidParameter("SupportedLoginProviders: %q cannot be a login provider name.", name)
		}
		if ids == "" || len(ids) > maxProviderIDLen || !providerIDPattern.MatchString(ids) {
			return invalidParameter("SupportedLoginProviders[%q]: the client id must have 1 to %d characters among letters, digits and . ; , _ / -.", name, maxProviderIDLen)
		}
	}
	if in.DeveloperProviderName != "" {
		if strLen(in.DeveloperProviderName) > maxProviderNameLen || !developerNamePattern.MatchString(in.DeveloperProviderName) {
			return invalidParameter("DeveloperProviderName must have 1 to %d characters among letters, digits and . _ -.", maxProviderNameLen)
		}
		if _, ok := in.SupportedLoginProviders[in.DeveloperProviderName]; ok || in.DeveloperProviderName == cognitoProviderName {
			return invalidParameter("DeveloperProviderName %q is also a login provider name.", in.DeveloperProviderName)
		}
	}
	if len(in.OpenIDConnectProviderARNs) > 0 {
		for _, arn := range in.OpenIDConnectProviderARNs {
			if strLen(arn) < minARNLen || strLen(arn) > maxARNLen {
				return invalidParameter("OpenIdConnectProviderARNs: an ARN must have %d to %d characters.", minARNLen, maxARNLen)
			}
		}
		return invalidParameter("OpenIdConnectProviderARNs is not supported: rallypoint has no IAM to hold the provider's client ids. " +
			"Name the provider in SupportedLoginProviders instead, as \"<issuer host[/path]>\": \"<client id>\".")
	}
	if len(in.SAMLProviderARNs) > 0 {
		return invalidParameter("SamlProviderARNs is not supported: rallypoint verifies OpenID Connect logins only.")
	}
	if len(in.CognitoIdentityProviders) > 0 {
		return invalidParameter("CognitoIdentityProviders is not supported: rallypoint has no Cognito user pools. " +
			"A user pool is an OpenID Connect provider: name its issuer (cognito-idp.<region>.amazonaws.com/<user pool id>) in SupportedLoginProviders.")
	}
	if len(in.Tags) > maxTags {
		return invalidParameter("IdentityPoolTags has %d entries; at most %d are allowed.", len(in.Tags), maxTags)
	}
	for k, v := range in.Tags {
		if k == "" || strLen(k) > maxTagKeyLen {
			return invalidParameter("IdentityPoolTags: a tag key must have 1 to %d characters.", maxTagKeyLen)
		}
		if strLen(v) > maxTagValueLen {
			return invalidParameter("IdentityPoolTags[%q]: a tag value must have at most %d characters.", k, maxTagValueLen)
		}
	}
	return nil
}

// CreatePool creates an identity pool.
func (s *Service) CreatePool(ctx context.Context, in PoolInput) (Pool, error) {
	if err := in.validate(); err != nil {
		return Pool{}, err
	}
	keys, err := s.cfg.Config.ListKeysFiltered(ctx, poolKeyPrefix+"*")
	if err != nil {
		return Pool{}, fmt.Errorf("count pools: %w", err)
	}
	n := 0
	for range keys.Keys() {
		n++
	}
	if n >= maxPools {
		return Pool{}, newError(CodeLimitExceeded, "This deployment already has %d identity pools, the most allowed.", maxPools)
	}
	now := s.now().UTC()
	p := Pool{ID: s.newID(), Created: now, Modified: now}
	in.applyTo(&p)
	if _, err := engine.Create(ctx, s.cfg.Config, poolKey(p.ID), p); err != nil {
		return Pool{}, fmt.Errorf("create pool: %w", err)
	}
	s.log.Info("identity pool created", "pool", p.ID, "name", p.Name)
	return p, nil
}

func (in *PoolInput) applyTo(p *Pool) {
	p.Name = in.Name
	p.AllowUnauthenticatedIdentities = in.AllowUnauthenticatedIdentities
	p.AllowClassicFlow = in.AllowClassicFlow
	p.SupportedLoginProviders = maps.Clone(in.SupportedLoginProviders)
	p.DeveloperProviderName = in.DeveloperProviderName
	p.Tags = maps.Clone(in.Tags)
}

func notFoundPool(id string) *Error {
	return newError(CodeResourceNotFound, "IdentityPool '%s' not found.", id)
}

// DescribePool returns a pool.
func (s *Service) DescribePool(ctx context.Context, id string) (Pool, error) {
	if err := checkID("IdentityPoolId", id, true); err != nil {
		return Pool{}, err
	}
	return s.pool(ctx, id)
}

func (s *Service) pool(ctx context.Context, id string) (Pool, error) {
	p, _, err := engine.Get[Pool](ctx, s.cfg.Config, poolKey(id))
	if errors.Is(err, engine.ErrNotFound) {
		return Pool{}, notFoundPool(id)
	}
	return p, err
}

// UpdatePool replaces a pool's settings, as UpdateIdentityPool does: every
// member not given is cleared. DeveloperProviderName cannot change once
// set.
func (s *Service) UpdatePool(ctx context.Context, id string, in PoolInput) (Pool, error) {
	if err := checkID("IdentityPoolId", id, true); err != nil {
		return Pool{}, err
	}
	if err := in.validate(); err != nil {
		return Pool{}, err
	}
	p, err := engine.Mutate(ctx, s.cfg.Config, poolKey(id), func(p *Pool) error {
		if p.DeveloperProviderName != "" && in.DeveloperProviderName != p.DeveloperProviderName {
			return invalidParameter("DeveloperProviderName is %q and cannot be changed once set.", p.DeveloperProviderName)
		}
		in.applyTo(p)
		p.Modified = s.now().UTC()
		return nil
	})
	if errors.Is(err, engine.ErrNotFound) {
		return Pool{}, notFoundPool(id)
	}
	if errors.Is(err, engine.ErrStale) {
		return Pool{}, newError(CodeTooManyRequests, "IdentityPool '%s' is being changed by other calls; retry.", id)
	}
	return p, err
}

// DeletePool deletes a pool and its identities.
func (s *Service) DeletePool(ctx context.Context, id string) error {
	if err := checkID("IdentityPoolId", id, true); err != nil {
		return err
	}
	_, rev, err := engine.Get[Pool](ctx, s.cfg.Config, poolKey(id))
	if errors.Is(err, engine.ErrNotFound) {
		return notFoundPool(id)
	}
	if err != nil {
		return err
	}
	if err := engine.Delete(ctx, s.cfg.Config, poolKey(id), rev); err != nil {
		if errors.Is(err, engine.ErrStale) {
			return newError(CodeResourceConflict, "IdentityPool '%s' changed while being deleted; retry.", id)
		}
		return err
	}
	s.log.Info("identity pool deleted", "pool", id)
	// Once the pool is gone no call reaches its identities; removing them
	// is cleanup, so a failure is logged rather than returned.
	if err := s.purgeIdentities(ctx, id); err != nil {
		s.log.Warn("removing a deleted pool's identities failed", "pool", id, "error", err)
	}
	return nil
}

// ListPools lists pools in id order, at most maxResults (1-60) from
// nextToken on.
func (s *Service) ListPools(ctx context.Context, maxResults int32, nextToken string) ([]PoolSummary, string, error) {
	if err := checkPagination(maxResults, true, nextToken); err != nil {
		return nil, "", err
	}
	after := ""
	if nextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil {
			return nil, "", invalidParameter("NextToken is not a token this service returned.")
		}
		after = string(b)
	}
	pools, err := engine.List[Pool](ctx, s.cfg.Config, poolKeyPrefix+"*")
	if err != nil {
		return nil, "", err
	}
	sort.Slice(pools, func(i, j int) bool { return pools[i].ID < pools[j].ID })
	start, _ := slices.BinarySearchFunc(pools, after, func(p Pool, id string) int { return strings.Compare(p.ID, id) })
	if after != "" && start < len(pools) && pools[start].ID == after {
		start++
	}
	out := []PoolSummary{}
	next := ""
	for i := start; i < len(pools); i++ {
		if len(out) == int(maxResults) {
			next = base64.RawURLEncoding.EncodeToString([]byte(out[len(out)-1].ID))
			break
		}
		out = append(out, PoolSummary{ID: pools[i].ID, Name: pools[i].Name})
	}
	return out, next, nil
}
