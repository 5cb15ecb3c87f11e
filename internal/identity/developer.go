package identity

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"time"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// Developer-authenticated identities: the studio's backend, signed in with
// the operator's access keys, vouches for its own users under the pool's
// DeveloperProviderName and gets tokens for them.

const (
	defaultDeveloperTokenDuration = 15 * time.Minute
	maxDeveloperTokenDuration     = 24 * time.Hour
)

// DeveloperTokenInput is what GetOpenIdTokenForDeveloperIdentity takes.
type DeveloperTokenInput struct {
	PoolID string
	// IdentityID, when set, is the identity to link the logins to.
	IdentityID string
	// Logins maps the pool's developer provider name to the developer user
	// id, and may hold other providers' tokens as well.
	Logins map[string]string
	// PrincipalTags are validated and otherwise ignored: rallypoint has no
	// IAM session tags to map them to.
	PrincipalTags map[string]string
	// TokenDuration is the token's lifetime, 1 s to 24 h; zero means 15
	// minutes.
	TokenDuration time.Duration
}

// OpenIDTokenForDeveloperIdentity returns the identity of the logins
// (creating it, or linking them to in.IdentityID) and an OpenID token for
// it.
func (s *Service) OpenIDTokenForDeveloperIdentity(ctx context.Context, in DeveloperTokenInput) (identityID, token string, err error) {
	if err := checkID("IdentityPoolId", in.PoolID, true); err != nil {
		return "", "", err
	}
	if err := checkID("IdentityId", in.IdentityID, false); err != nil {
		return "", "", err
	}
	if len(in.Logins) == 0 {
		return "", "", invalidParameter("Logins is required.")
	}
	if err := checkLogins(in.Logins); err != nil {
		return "", "", err
	}
	if len(in.PrincipalTags) > maxPrincipalTags {
		return "", "", invalidParameter("PrincipalTags has %d entries; at most %d are allowed.", len(in.PrincipalTags), maxPrincipalTags)
	}
	for k, v := range in.PrincipalTags {
		if k == "" || strLen(k) > maxPrincipalTagKeyLen || v == "" || strLen(v) > maxPrincipalTagValLen {
			return "", "", invalidParameter("PrincipalTags: keys must have 1 to %d characters and values 1 to %d.", maxPrincipalTagKeyLen, maxPrincipalTagValLen)
		}
	}
	ttl := in.TokenDuration
	if ttl == 0 {
		ttl = defaultDeveloperTokenDuration
	}
	if ttl < time.Second || ttl > maxDeveloperTokenDuration {
		return "", "", invalidParameter("TokenDuration must be between 1 and %d seconds.", int(maxDeveloperTokenDuration/time.Second))
	}
	pool, err := s.pool(ctx, in.PoolID)
	if err != nil {
		return "", "", err
	}
	if pool.DeveloperProviderName == "" {
		return "", "", invalidParameter("IdentityPool '%s' has no DeveloperProviderName.", pool.ID)
	}
	verified, err := s.verifyLogins(ctx, &pool, in.Logins, true)
	if err != nil {
		return "", "", err
	}
	var current *identityRecord
	if in.IdentityID != "" {
		rec, err := s.identity(ctx, in.IdentityID)
		if err != nil {
			return "", "", err
		}
		if rec.PoolID != pool.ID {
			return "", "", notFoundIdentity(in.IdentityID)
		}
		current = &rec
	}
	rec, err := s.resolve(ctx, &pool, current, verified, true)
	if err != nil {
		return "", "", err
	}
	token, _, err = s.signOpenID(ctx, rec.IdentityID, pool.ID, amrOf(verified), ttl)
	return rec.IdentityID, token, err
}

// LookupInput is what LookupDeveloperIdentity takes: the pool and an
// identity id or a developer user id (or both, to check they match).
type LookupInput struct {
	PoolID                  string
	IdentityID              string
	DeveloperUserIdentifier string
	// MaxResults bounds the developer user ids returned (1-60); zero means
	// 60.
	MaxResults int32
	NextToken  string
}

// LookupOutput is LookupDeveloperIdentity's answer.
type LookupOutput struct {
	IdentityID               string
	DeveloperUserIdentifiers []string
	NextToken                string
}

// LookupDeveloperIdentity finds an identity's developer user ids, or the
// identity of a developer user id.
func (s *Service) LookupDeveloperIdentity(ctx context.Context, in LookupInput) (LookupOutput, error) {
	if err := checkID("IdentityPoolId", in.PoolID, true); err != nil {
		return LookupOutput{}, err
	}
	if err := checkID("IdentityId", in.IdentityID, false); err != nil {
		return LookupOutput{}, err
	}
	if strLen(in.DeveloperUserIdentifier) > maxDeveloperUserLen {
		return LookupOutput{}, invalidParameter("DeveloperUserIdentifier must have 1 to %d characters.", maxDeveloperUserLen)
	}
	if in.IdentityID == "" && in.DeveloperUserIdentifier == "" {
		return LookupOutput{}, invalidParameter("One of IdentityId or DeveloperUserIdentifier is required.")
	}
	if err := checkPagination(in.MaxResults, false, in.NextToken); err != nil {
		return LookupOutput{}, err
	}
	offset := 0
	if in.NextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		if err == nil {
			offset, err = strconv.Atoi(string(b))
		}
		if err != nil || offset < 0 {
			return LookupOutput{}, invalidParameter("NextToken is not a token this service returned.")
		}
	}
	limit := int(in.MaxResults)
	if limit == 0 {
		limit = maxQueryLimit
	}
	pool, err := s.pool(ctx, in.PoolID)
	if err != nil {
		return LookupOutput{}, err
	}
	if pool.DeveloperProviderName == "" {
		return LookupOutput{}, newError(CodeResourceNotFound, "IdentityPool '%s' has no DeveloperProviderName.", pool.ID)
	}
	id := in.IdentityID
	if in.DeveloperUserIdentifier != "" {
		owner, _, err := engine.Get[loginOwner](ctx, s.cfg.Identities,
			loginKey(pool.ID, loginRef{Provider: pool.DeveloperProviderName, Subject: in.DeveloperUserIdentifier}))
		if err != nil {
			if errors.Is(err, engine.ErrNotFound) {
				return LookupOutput{}, newError(CodeResourceNotFound, "Developer user '%s' not found.", in.DeveloperUserIdentifier)
			}
			return LookupOutput{}, err
		}
		if id != "" && id != owner.IdentityID {
			return LookupOutput{}, newError(CodeResourceConflict, "Developer user '%s' does not belong to identity '%s'.", in.DeveloperUserIdentifier, id)
		}
		id = owner.IdentityID
	}
	rec, err := s.identity(ctx, id)
	if err != nil {
		return LookupOutput{}, err
	}
	if rec.PoolID != pool.ID {
		return LookupOutput{}, notFoundIdentity(id)
	}
	var users []string
	for _, l := range rec.Logins {
		if l.Provider == pool.DeveloperProviderName {
			users = append(users, l.Subject)
		}
	}
	out := LookupOutput{IdentityID: rec.IdentityID, DeveloperUserIdentifiers: []string{}}
	if offset < len(users) {
		end := min(offset+limit, len(users))
		out.DeveloperUserIdentifiers = users[offset:end]
		if end < len(users) {
			out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
		}
	}
	return out, nil
}
