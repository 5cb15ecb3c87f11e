package fleet

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Compute auth tokens let a game server process prove which fleet and
// compute it runs on. A token is "rp1.<payload>.<mac>", both parts
// base64url: the payload names the fleet, the compute and the expiry, and
// the MAC is HMAC-SHA256 under a key shared by every node through the
// config bucket. Tokens are URL-safe as they are, because some server SDKs
// put them in the query string without escaping.

const (
	tokenKeyName = "secret.compute-token-key"
	tokenPrefix  = "rp1."
)

// ErrInvalidToken means a compute auth token is malformed, forged or
// expired.
var ErrInvalidToken = errors.New("invalid compute auth token")

// loadTokenKey reads the shared token key, creating it on the first start
// of the first node. Two nodes starting together both try to create it;
// the loser reads the winner's.
func (s *Service) loadTokenKey(ctx context.Context) ([]byte, error) {
	entry, err := s.cfg.Config.Get(ctx, tokenKeyName)
	if err == nil {
		return entry.Value(), nil
	}
	if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("read compute token key: %w", err)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generate compute token key: %w", err)
	}
	if _, err := s.cfg.Config.Create(ctx, tokenKeyName, key); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			entry, err := s.cfg.Config.Get(ctx, tokenKeyName)
			if err != nil {
				return nil, fmt.Errorf("read compute token key: %w", err)
			}
			return entry.Value(), nil
		}
		return nil, fmt.Errorf("store compute token key: %w", err)
	}
	return key, nil
}

// ComputeAuthToken is a token and when it stops being valid.
type ComputeAuthToken struct {
	Token   string
	Expires time.Time
	Compute Compute
}

// IssueComputeAuthToken issues a token for a registered compute.
func (s *Service) IssueComputeAuthToken(ctx context.Context, fleetIDOrARN, nameOrARN string) (ComputeAuthToken, error) {
	c, err := s.Compute(ctx, fleetIDOrARN, nameOrARN)
	if err != nil {
		return ComputeAuthToken{}, err
	}
	expires := s.now().Add(s.cfg.AuthTokenTTL).Truncate(time.Second)
	payload := c.FleetID + "\n" + c.Name + "\n" + strconv.FormatInt(expires.Unix(), 10)
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." +
		base64.RawURLEncoding.EncodeToString(s.mac([]byte(payload)))
	return ComputeAuthToken{Token: token, Expires: expires, Compute: c}, nil
}

// VerifyComputeAuthToken checks a token's MAC and expiry and returns the
// fleet and compute it was issued for. It does not check that the compute
// is still registered; the caller does, since that needs storage.
func (s *Service) VerifyComputeAuthToken(token string) (fleetID, computeName string, expires time.Time, err error) {
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok {
		return "", "", time.Time{}, fmt.Errorf("%w: unknown format", ErrInvalidToken)
	}
	p64, m64, ok := strings.Cut(rest, ".")
	if !ok {
		return "", "", time.Time{}, fmt.Errorf("%w: unknown format", ErrInvalidToken)
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p64)
	mac, err2 := base64.RawURLEncoding.DecodeString(m64)
	if err1 != nil || err2 != nil {
		return "", "", time.Time{}, fmt.Errorf("%w: not base64url", ErrInvalidToken)
	}
	if !hmac.Equal(mac, s.mac(payload)) {
		return "", "", time.Time{}, fmt.Errorf("%w: signature does not match", ErrInvalidToken)
	}
	parts := bytes.Split(payload, []byte("\n"))
	if len(parts) != 3 {
		return "", "", time.Time{}, fmt.Errorf("%w: malformed payload", ErrInvalidToken)
	}
	unix, err := strconv.ParseInt(string(parts[2]), 10, 64)
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("%w: malformed expiry", ErrInvalidToken)
	}
	expires = time.Unix(unix, 0).UTC()
	if !s.now().Before(expires) {
		return "", "", time.Time{}, fmt.Errorf("%w: expired at %s", ErrInvalidToken, expires.Format(time.RFC3339))
	}
	return string(parts[0]), string(parts[1]), expires, nil
}

func (s *Service) mac(payload []byte) []byte {
	h := hmac.New(sha256.New, s.tokenKey)
	h.Write(payload)
	return h.Sum(nil)
}
