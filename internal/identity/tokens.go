package identity

import (
	"context"
	"slices"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Two kinds of token are signed with the same keys, and each can only ever
// pass as itself: they differ in the typ header, in the audience (a pool
// id for OpenID tokens, sessionAudience for session tokens, which no pool
// id can equal) and in the akid claim that only session tokens carry.
const (
	openIDTokenType  = "JWT"
	sessionTokenType = "rp-session+jwt"
	sessionAudience  = "rallypoint:credentials"
	// maxTokenBytes bounds what is parsed; rallypoint's tokens are well
	// under 1 KiB.
	maxTokenBytes = 8 << 10
	// maxClockSkew is how far a token's iat may be ahead of this node's
	// clock (another node signed it), and the margin kept on key expiry.
	maxClockSkew = 5 * time.Minute
)

// AMR values, as Cognito writes them.
const (
	amrUnauthenticated = "unauthenticated"
	amrAuthenticated   = "authenticated"
)

// openIDClaims are the claims of an OpenID token, as Cognito writes them.
type openIDClaims struct {
	jwt.Claims
	AMR []string `json:"amr,omitempty"`
	// AccessKeyID is never set on an OpenID token; it is decoded to refuse
	// a session token presented as one.
	AccessKeyID string `json:"akid,omitempty"`
}

// sessionClaims are the claims of a session token: the identity, and the
// access key whose secret is derived from the credential secret.
type sessionClaims struct {
	jwt.Claims
	AccessKeyID string `json:"akid"`
	PoolID      string `json:"pool"`
}

// signOpenID signs an OpenID token for identityID in poolID.
func (s *Service) signOpenID(ctx context.Context, identityID, poolID string, amr []string, ttl time.Duration) (string, time.Time, error) {
	key, err := s.keys.current(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	now := s.now()
	exp := now.Add(ttl)
	c := openIDClaims{
		Claims: jwt.Claims{
			Issuer:   s.cfg.Issuer,
			Subject:  identityID,
			Audience: jwt.Audience{poolID},
			IssuedAt: jwt.NewNumericDate(now),
			Expiry:   jwt.NewNumericDate(exp),
		},
		AMR: amr,
	}
	token, err := jwt.Signed(key.signer).Claims(c).Serialize()
	return token, exp, err
}

// signSession signs the session token of temporary credentials.
func (s *Service) signSession(ctx context.Context, identityID, poolID, accessKeyID string, exp time.Time) (string, error) {
	key, err := s.keys.current(ctx)
	if err != nil {
		return "", err
	}
	c := sessionClaims{
		Claims: jwt.Claims{
			Issuer:   s.cfg.Issuer,
			Subject:  identityID,
			Audience: jwt.Audience{sessionAudience},
			IssuedAt: jwt.NewNumericDate(s.now()),
			Expiry:   jwt.NewNumericDate(exp),
		},
		AccessKeyID: accessKeyID,
		PoolID:      poolID,
	}
	return jwt.Signed(key.sessions).Claims(c).Serialize()
}

// parseSigned checks a token's form, type header and signature, and
// decodes its claims into dest. It returns ErrInvalidToken for anything
// wrong.
func (s *Service) parseSigned(ctx context.Context, token, typ string, dest any) error {
	if len(token) == 0 || len(token) > maxTokenBytes {
		return ErrInvalidToken
	}
	// Only ES256 is accepted: "none", HMAC and every other alg fail here.
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil || len(tok.Headers) != 1 {
		return ErrInvalidToken
	}
	h := tok.Headers[0]
	if got, _ := h.ExtraHeaders[jose.HeaderType].(string); got != typ {
		return ErrInvalidToken
	}
	key, ok := s.keys.lookup(ctx, h.KeyID)
	if !ok {
		return ErrInvalidToken
	}
	if err := tok.Claims(&key.priv.PublicKey, dest); err != nil {
		return ErrInvalidToken
	}
	return nil
}

// checkTimes applies the common claim checks: issuer, issued-at not in the
// future, expiry present and not passed.
func (s *Service) checkTimes(c jwt.Claims) error {
	if c.Issuer != s.cfg.Issuer || c.Expiry == nil || c.IssuedAt == nil {
		return ErrInvalidToken
	}
	now := s.now()
	if c.IssuedAt.Time().After(now.Add(maxClockSkew)) {
		return ErrInvalidToken
	}
	if !now.Before(c.Expiry.Time()) {
		return ErrExpired
	}
	return nil
}

// VerifyToken checks an OpenID token rallypoint signed (GetOpenIdToken,
// GetOpenIdTokenForDeveloperIdentity) and returns the identity it names.
// It returns ErrExpired for a token past its expiry and ErrInvalidToken
// for anything else wrong. The check is stateless apart from the signing
// keys: it does not read the identity or its pool.
func (s *Service) VerifyToken(ctx context.Context, token string) (Principal, error) {
	c, err := s.verifyOpenID(ctx, token)
	if err != nil {
		return Principal{}, err
	}
	return Principal{IdentityID: c.Subject, PoolID: c.Audience[0], Expires: c.Expiry.Time()}, nil
}

func (s *Service) verifyOpenID(ctx context.Context, token string) (openIDClaims, error) {
	var c openIDClaims
	if err := s.parseSigned(ctx, token, openIDTokenType, &c); err != nil {
		return c, err
	}
	if len(c.Audience) != 1 || !idPattern.MatchString(c.Audience[0]) || !idPattern.MatchString(c.Subject) ||
		c.AccessKeyID != "" || len(c.AMR) == 0 {
		return c, ErrInvalidToken
	}
	if err := s.checkTimes(c.Claims); err != nil {
		return c, err
	}
	return c, nil
}

func (s *Service) verifySession(ctx context.Context, token string) (sessionClaims, error) {
	var c sessionClaims
	if err := s.parseSigned(ctx, token, sessionTokenType, &c); err != nil {
		return c, err
	}
	if !slices.Equal(c.Audience, jwt.Audience{sessionAudience}) || !idPattern.MatchString(c.Subject) ||
		!idPattern.MatchString(c.PoolID) || c.AccessKeyID == "" {
		return c, ErrInvalidToken
	}
	if err := s.checkTimes(c.Claims); err != nil {
		return c, err
	}
	return c, nil
}

// authenticated reports whether an OpenID token's amr says its identity
// logged in.
func authenticated(amr []string) bool {
	return len(amr) > 0 && amr[0] == amrAuthenticated
}
