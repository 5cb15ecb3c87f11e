package identity

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/sigv4"
)

// Temporary credentials are stateless. The access key id is random; the
// secret key is an HMAC of it under a secret every node shares through
// rp_config; the session token is a rallypoint-signed token naming the
// identity, the access key id and the expiry. So any node can check a
// presigned request without having seen the credentials issued.

const credentialSecretKey = "identity.credentialsecret"

// Credentials are temporary credentials for one identity. They sign only
// WebSocket connections to the player gateway (SigV4, service
// "execute-api") as that identity; the control plane never accepts them,
// since it knows only the operator's configured access keys.
type Credentials struct {
	AccessKeyID  string
	SecretKey    string
	SessionToken string
	Expiration   time.Time
}

type credentialSecret struct {
	Secret []byte `json:"secret"`
}

func loadCredentialSecret(ctx context.Context, kv jetstream.KeyValue) (*credentialSecret, error) {
	for range 3 {
		cs, _, err := engine.Get[credentialSecret](ctx, kv, credentialSecretKey)
		if err == nil {
			if len(cs.Secret) < 32 {
				return nil, fmt.Errorf("%s holds a %d-byte secret; want 32", credentialSecretKey, len(cs.Secret))
			}
			return &cs, nil
		}
		if !errors.Is(err, engine.ErrNotFound) {
			return nil, err
		}
		cs.Secret = make([]byte, 32)
		_, _ = rand.Read(cs.Secret)
		if _, err := engine.Create(ctx, kv, credentialSecretKey, cs); err == nil {
			return &cs, nil
		} else if !errors.Is(err, engine.ErrExists) {
			return nil, err
		}
		// Another node created it first: read theirs.
	}
	return nil, errors.New("credential secret: created and deleted under us")
}

// secretFor derives an access key's secret key.
func (c *credentialSecret) secretFor(accessKeyID string) string {
	m := hmac.New(sha256.New, c.Secret)
	m.Write([]byte("rallypoint credentials\x00"))
	m.Write([]byte(accessKeyID))
	// 40 characters, the length of an AWS secret key.
	return base64.StdEncoding.EncodeToString(m.Sum(nil))[:40]
}

// newAccessKeyID makes an id shaped like AWS's temporary ones: "ASIA" and
// 16 upper-case base32 characters.
func newAccessKeyID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return "ASIA" + base32.StdEncoding.EncodeToString(b[:])
}

// issueCredentials makes credentials for an identity already authorized.
func (s *Service) issueCredentials(ctx context.Context, identityID, poolID string) (Credentials, error) {
	akid := newAccessKeyID()
	exp := s.now().Add(s.cfg.CredentialsTTL).Truncate(time.Second)
	token, err := s.signSession(ctx, identityID, poolID, akid, exp)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{AccessKeyID: akid, SecretKey: s.creds.secretFor(akid), SessionToken: token, Expiration: exp}, nil
}

// SessionCredentials checks the session token of temporary credentials
// that GetCredentialsForIdentity issued, and that it was issued with
// accessKeyID. It returns the credentials a request presigned with them
// must verify against (SessionToken is the token, which the request must
// carry as X-Amz-Security-Token), and the identity they speak for. It
// returns ErrExpired for expired credentials and ErrInvalidToken for
// anything else wrong.
func (s *Service) SessionCredentials(ctx context.Context, accessKeyID, sessionToken string) (sigv4.Credentials, Principal, error) {
	c, err := s.verifySession(ctx, sessionToken)
	if err != nil {
		return sigv4.Credentials{}, Principal{}, err
	}
	if !hmac.Equal([]byte(c.AccessKeyID), []byte(accessKeyID)) {
		return sigv4.Credentials{}, Principal{}, ErrInvalidToken
	}
	return sigv4.Credentials{
			AccessKeyID:     accessKeyID,
			SecretAccessKey: s.creds.secretFor(accessKeyID),
			SessionToken:    sessionToken,
		}, Principal{
			IdentityID: c.Subject,
			PoolID:     c.PoolID,
			Expires:    c.Expiry.Time(),
		}, nil
}
