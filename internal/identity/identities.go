package identity

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// Identities live in rp_identities under "identity.<id>" and never expire.
// A login (a provider and the subject it vouches for) belongs to at most
// one identity of a pool: "login.<pool>.<provider>.<subject>" names its
// owner, and is written with engine.Create, so two calls racing to create
// an identity for the same login cannot both win. The index is the truth
// about who owns a login; an identity record lists its logins too, and is
// brought up to date whenever the index shows a login it lacks (a crash
// between the two writes loses nothing). Key parts are base64url, which
// NATS keys can hold whatever the id or subject contains.

const (
	identityKeyPrefix = "identity."
	loginKeyPrefix    = "login."
	// maxIdentityLogins bounds the logins linked to one identity.
	maxIdentityLogins = 20
	// cognitoProviderName is the Logins key under which Cognito's enhanced
	// flow presents a token from GetOpenIdToken[ForDeveloperIdentity];
	// rallypoint accepts its own tokens there (and under its issuer host).
	cognitoProviderName = "cognito-identity.amazonaws.com"
)

const (
	msgUnauthenticated = "Unauthenticated access is not supported for this identity pool."
	msgLoginsMismatch  = "Logins don't match. Please include at least one valid login for this identity or identity pool."
)

// identityRecord is an identity as stored.
type identityRecord struct {
	IdentityID string     `json:"identityId"`
	PoolID     string     `json:"poolId"`
	Logins     []loginRef `json:"logins,omitempty"`
	Created    time.Time  `json:"created"`
	Modified   time.Time  `json:"modified"`
}

func (r *identityRecord) has(l loginRef) bool {
	return slices.Contains(r.Logins, l)
}

// loginRef is a login: a provider name (a Logins key, or the pool's
// developer provider name) and the subject it vouches for.
type loginRef struct {
	Provider string `json:"provider"`
	Subject  string `json:"subject"`
}

// loginOwner is the value of a login index key.
type loginOwner struct {
	IdentityID string `json:"identityId"`
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func identityKey(id string) string { return identityKeyPrefix + b64(id) }

func loginKey(poolID string, l loginRef) string {
	return loginKeyPrefix + b64(poolID) + "." + b64(l.Provider) + "." + b64(l.Subject)
}

// errLoginTaken means a concurrent call linked a login first; the caller
// resolves the logins again.
var errLoginTaken = errors.New("login linked by a concurrent call")

// GetID returns the identity of logins in the pool, creating it on first
// use; with no logins it creates a new unauthenticated (guest) identity,
// if the pool allows them.
func (s *Service) GetID(ctx context.Context, poolID string, logins map[string]string) (string, error) {
	if err := checkID("IdentityPoolId", poolID, true); err != nil {
		return "", err
	}
	if err := checkLogins(logins); err != nil {
		return "", err
	}
	pool, err := s.pool(ctx, poolID)
	if err != nil {
		return "", err
	}
	verified, err := s.verifyLogins(ctx, &pool, logins, false)
	if err != nil {
		return "", err
	}
	if len(verified) == 0 {
		if !pool.AllowUnauthenticatedIdentities {
			return "", notAuthorized(msgUnauthenticated)
		}
		rec, err := s.createIdentity(ctx, poolID, nil)
		return rec.IdentityID, err
	}
	rec, err := s.resolve(ctx, &pool, nil, verified, false)
	return rec.IdentityID, err
}

// OpenIDToken returns an OpenID token for the identity (GetOpenIdToken).
// An identity with logins must present one of them; a guest that presents
// new logins has them linked and keeps its id.
func (s *Service) OpenIDToken(ctx context.Context, identityID string, logins map[string]string) (string, error) {
	_, token, err := s.openIDToken(ctx, identityID, logins)
	return token, err
}

func (s *Service) openIDToken(ctx context.Context, identityID string, logins map[string]string) (string, string, error) {
	rec, amr, err := s.authorize(ctx, identityID, logins)
	if err != nil {
		return "", "", err
	}
	token, _, err := s.signOpenID(ctx, rec.IdentityID, rec.PoolID, amr, s.cfg.TokenTTL)
	return rec.IdentityID, token, err
}

// CredentialsForIdentity returns temporary credentials for the identity
// (GetCredentialsForIdentity), with the same login rules as OpenIDToken.
func (s *Service) CredentialsForIdentity(ctx context.Context, identityID string, logins map[string]string) (Credentials, error) {
	_, c, err := s.credentialsForIdentity(ctx, identityID, logins)
	return c, err
}

func (s *Service) credentialsForIdentity(ctx context.Context, identityID string, logins map[string]string) (string, Credentials, error) {
	rec, _, err := s.authorize(ctx, identityID, logins)
	if err != nil {
		return "", Credentials{}, err
	}
	c, err := s.issueCredentials(ctx, rec.IdentityID, rec.PoolID)
	return rec.IdentityID, c, err
}

func notFoundIdentity(id string) *Error {
	return newError(CodeResourceNotFound, "Identity '%s' not found.", id)
}

func (s *Service) identity(ctx context.Context, id string) (identityRecord, error) {
	rec, _, err := engine.Get[identityRecord](ctx, s.cfg.Identities, identityKey(id))
	if errors.Is(err, engine.ErrNotFound) {
		return rec, notFoundIdentity(id)
	}
	return rec, err
}

// authorize decides which identity a GetOpenIdToken or
// GetCredentialsForIdentity call acts as, and the amr of its token. The
// returned identity differs from identityID only when a guest presents a
// login that already belongs to another identity: as in Cognito, the call
// then acts as that identity.
func (s *Service) authorize(ctx context.Context, identityID string, logins map[string]string) (identityRecord, []string, error) {
	if err := checkID("IdentityId", identityID, true); err != nil {
		return identityRecord{}, nil, err
	}
	if err := checkLogins(logins); err != nil {
		return identityRecord{}, nil, err
	}
	rec, err := s.identity(ctx, identityID)
	if err != nil {
		return rec, nil, err
	}
	pool, err := s.pool(ctx, rec.PoolID)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == CodeResourceNotFound {
			return rec, nil, notFoundIdentity(identityID)
		}
		return rec, nil, err
	}
	verified, err := s.verifyLogins(ctx, &pool, logins, false)
	if err != nil {
		return rec, nil, err
	}
	if len(verified) == 0 {
		if len(rec.Logins) > 0 {
			return rec, nil, notAuthorized(msgLoginsMismatch)
		}
		if !pool.AllowUnauthenticatedIdentities {
			return rec, nil, notAuthorized(msgUnauthenticated)
		}
		return rec, []string{amrUnauthenticated}, nil
	}
	rec, err = s.resolve(ctx, &pool, &rec, verified, false)
	if err != nil {
		return rec, nil, err
	}
	return rec, amrOf(verified), nil
}

// amrOf is the amr of a token for verified logins: "authenticated", then
// each provider once.
func amrOf(verified []verifiedLogin) []string {
	amr := []string{amrAuthenticated}
	for _, v := range verified {
		providers := []string{v.Provider}
		if v.self {
			providers = v.amr
		}
		for _, p := range providers {
			if !slices.Contains(amr, p) {
				amr = append(amr, p)
			}
		}
	}
	return amr
}

// resolve finds (or creates) the identity that verified logins speak for,
// and links to it the logins not linked yet. current is the identity the
// call named, if any. trusted is set for the studio's backend
// (GetOpenIdTokenForDeveloperIdentity): it may link logins to the identity
// it names without presenting one of that identity's logins.
func (s *Service) resolve(ctx context.Context, pool *Pool, current *identityRecord, verified []verifiedLogin, trusted bool) (identityRecord, error) {
	for range 4 {
		owners := map[string]bool{}
		var unlinked, linked []loginRef
		for _, v := range verified {
			if v.self {
				owners[v.identityID] = true
				continue
			}
			owner, _, err := engine.Get[loginOwner](ctx, s.cfg.Identities, loginKey(pool.ID, v.loginRef))
			switch {
			case errors.Is(err, engine.ErrNotFound):
				unlinked = append(unlinked, v.loginRef)
				continue
			case err != nil:
				return identityRecord{}, err
			}
			if trusted && current != nil && owner.IdentityID != current.IdentityID && v.Provider == pool.DeveloperProviderName {
				return identityRecord{}, newError(CodeDeveloperUserAlreadyRegistered,
					"Developer user '%s' is already registered with identity '%s'.", v.Subject, owner.IdentityID)
			}
			owners[owner.IdentityID] = true
			linked = append(linked, v.loginRef)
		}
		if len(owners) > 1 {
			return identityRecord{}, newError(CodeResourceConflict, "The logins belong to different identities; rallypoint does not merge identities.")
		}
		target := ""
		for id := range owners {
			target = id
		}
		if current != nil {
			switch {
			case target == "" && len(current.Logins) > 0 && !trusted:
				// None of the identity's own logins was presented: new
				// logins alone cannot claim an authenticated identity.
				return identityRecord{}, notAuthorized(msgLoginsMismatch)
			case target == "":
				target = current.IdentityID
			case target != current.IdentityID && (len(current.Logins) > 0 || trusted):
				return identityRecord{}, newError(CodeResourceConflict,
					"The logins belong to identity '%s', not to '%s'; rallypoint does not merge identities.", target, current.IdentityID)
			}
			// A guest presenting another identity's login becomes that
			// identity, as in Cognito; the guest identity is left as it was.
		}
		var (
			rec identityRecord
			err error
		)
		if target == "" {
			rec, err = s.createIdentity(ctx, pool.ID, unlinked)
		} else {
			rec, err = s.link(ctx, pool, target, unlinked, linked)
		}
		if errors.Is(err, errLoginTaken) {
			continue
		}
		return rec, err
	}
	return identityRecord{}, newError(CodeTooManyRequests, "The logins are being linked by concurrent calls; retry.")
}

// createIdentity creates an identity owning logins (none for a guest).
func (s *Service) createIdentity(ctx context.Context, poolID string, logins []loginRef) (identityRecord, error) {
	now := s.now().UTC()
	rec := identityRecord{IdentityID: s.newID(), PoolID: poolID, Logins: logins, Created: now, Modified: now}
	key := identityKey(rec.IdentityID)
	if _, err := engine.Create(ctx, s.cfg.Identities, key, rec); err != nil {
		return identityRecord{}, fmt.Errorf("create identity: %w", err)
	}
	for i, l := range logins {
		_, err := engine.Create(ctx, s.cfg.Identities, loginKey(poolID, l), loginOwner{IdentityID: rec.IdentityID})
		if err == nil {
			continue
		}
		// Undo: the identity never existed for anyone.
		for _, done := range logins[:i] {
			_ = s.cfg.Identities.Delete(ctx, loginKey(poolID, done))
		}
		_ = s.cfg.Identities.Delete(ctx, key)
		if errors.Is(err, engine.ErrExists) {
			return identityRecord{}, errLoginTaken
		}
		return identityRecord{}, err
	}
	if len(logins) == 0 {
		s.log.Debug("guest identity created", "pool", poolID, "identity", rec.IdentityID)
	} else {
		s.log.Debug("identity created", "pool", poolID, "identity", rec.IdentityID, "provider", logins[0].Provider)
	}
	return rec, nil
}

// link links unlinked logins to the identity id, and records in it the
// linked ones (already owned by it in the index) it lacks.
func (s *Service) link(ctx context.Context, pool *Pool, id string, unlinked, linked []loginRef) (identityRecord, error) {
	rec, err := s.identity(ctx, id)
	if err != nil {
		return rec, err
	}
	if rec.PoolID != pool.ID {
		return rec, notFoundIdentity(id)
	}
	missing := 0
	for _, l := range append(slices.Clone(unlinked), linked...) {
		if rec.has(l) {
			continue
		}
		missing++
		for _, have := range rec.Logins {
			if have.Provider == l.Provider && l.Provider != pool.DeveloperProviderName {
				return rec, newError(CodeResourceConflict,
					"Identity '%s' is already linked to another %s login.", id, l.Provider)
			}
		}
	}
	if missing == 0 {
		return rec, nil
	}
	if len(rec.Logins)+missing > maxIdentityLogins {
		return rec, newError(CodeLimitExceeded, "Identity '%s' would have more than %d logins.", id, maxIdentityLogins)
	}
	for _, l := range unlinked {
		_, err := engine.Create(ctx, s.cfg.Identities, loginKey(pool.ID, l), loginOwner{IdentityID: id})
		if errors.Is(err, engine.ErrExists) {
			owner, _, err := engine.Get[loginOwner](ctx, s.cfg.Identities, loginKey(pool.ID, l))
			if err == nil && owner.IdentityID == id {
				continue
			}
			return rec, errLoginTaken
		}
		if err != nil {
			return rec, err
		}
	}
	add := append(slices.Clone(unlinked), linked...)
	rec, err = engine.Mutate(ctx, s.cfg.Identities, identityKey(id), func(r *identityRecord) error {
		for _, l := range add {
			if !r.has(l) {
				r.Logins = append(r.Logins, l)
			}
		}
		r.Modified = s.now().UTC()
		return nil
	})
	if errors.Is(err, engine.ErrNotFound) {
		return rec, notFoundIdentity(id)
	}
	if err == nil {
		s.log.Debug("logins linked", "pool", pool.ID, "identity", id, "count", missing)
	}
	return rec, err
}

// purgeIdentities removes a deleted pool's identities and login index.
func (s *Service) purgeIdentities(ctx context.Context, poolID string) error {
	lister, err := s.cfg.Identities.ListKeysFiltered(ctx, loginKeyPrefix+b64(poolID)+".>")
	if err != nil {
		return err
	}
	for key := range lister.Keys() {
		if err := s.cfg.Identities.Delete(ctx, key); err != nil {
			return err
		}
	}
	// Identities are keyed by their id alone (calls name only that), so
	// finding a pool's takes a pass over all of them.
	w, err := s.cfg.Identities.WatchFiltered(ctx, []string{identityKeyPrefix + "*"}, jetstream.IgnoreDeletes())
	if err != nil {
		return err
	}
	defer w.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case entry := <-w.Updates():
			if entry == nil {
				return nil
			}
			var rec identityRecord
			if json.Unmarshal(entry.Value(), &rec) == nil && rec.PoolID == poolID {
				if err := s.cfg.Identities.Delete(ctx, entry.Key()); err != nil {
					return err
				}
			}
		}
	}
}
