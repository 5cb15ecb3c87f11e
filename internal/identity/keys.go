package identity

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// Signing keys are shared by every node through rp_config. Time is cut into
// rotation periods; period n's key lives at "identity.signingkey.<n>" and
// is created with engine.Create, so when two nodes create it at once one
// wins and both sign with the winner's key. A key is made one period
// ahead of use, so verifiers that cache the JWKS already have it when it
// starts signing, and it is kept until every token it could have signed
// has expired.

const signingKeyPrefix = "identity.signingkey."

// storedKey is a signing key's record in rp_config.
type storedKey struct {
	KID string `json:"kid"`
	Alg string `json:"alg"`
	// PrivateKey is the PKCS#8 DER of the ECDSA P-256 key.
	PrivateKey []byte `json:"privateKey"`
	Period     int64  `json:"period"`
	// NotBefore and NotAfter bound the period in which the key signs.
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
	// Expires is when the last token the key could have signed expires;
	// the key is deleted after it.
	Expires time.Time `json:"expires"`
}

// signingKey is a loaded key.
type signingKey struct {
	storedKey
	priv     *ecdsa.PrivateKey
	signer   jose.Signer // OpenID tokens (typ JWT)
	sessions jose.Signer // session tokens (typ sessionTokenType)
}

// keyring caches the signing keys. mu guards byKID and byPeriod.
type keyring struct {
	kv       jetstream.KeyValue
	rotation time.Duration
	keep     time.Duration // the longest token lifetime
	now      func() time.Time

	mu       sync.RWMutex
	byKID    map[string]*signingKey
	byPeriod map[int64]*signingKey
}

func newKeyring(kv jetstream.KeyValue, rotation, keep time.Duration, now func() time.Time) *keyring {
	return &keyring{
		kv: kv, rotation: rotation, keep: keep, now: now,
		byKID: map[string]*signingKey{}, byPeriod: map[int64]*signingKey{},
	}
}

func (k *keyring) period(t time.Time) int64 {
	return t.UnixNano() / int64(k.rotation)
}

func signingKeyName(period int64) string {
	return signingKeyPrefix + strconv.FormatInt(period, 10)
}

// current returns the key that signs now, creating it if no node has.
func (k *keyring) current(ctx context.Context) (*signingKey, error) {
	p := k.period(k.now())
	k.mu.RLock()
	key, next := k.byPeriod[p], k.byPeriod[p+1]
	k.mu.RUnlock()
	if key == nil {
		var err error
		if key, err = k.ensure(ctx, p); err != nil {
			return nil, err
		}
	}
	if next == nil {
		// A new period began before Run's maintenance noticed: publish the
		// next key now, so that it is in cached key sets before it signs.
		// A failure here is Run's to repair.
		_, _ = k.ensure(ctx, p+1)
	}
	return key, nil
}

// ensure loads period p's key, creating it if it does not exist yet.
func (k *keyring) ensure(ctx context.Context, p int64) (*signingKey, error) {
	name := signingKeyName(p)
	for range 3 {
		stored, _, err := engine.Get[storedKey](ctx, k.kv, name)
		if errors.Is(err, engine.ErrNotFound) {
			stored, err = k.generate(p)
			if err != nil {
				return nil, err
			}
			_, err = engine.Create(ctx, k.kv, name, stored)
			if errors.Is(err, engine.ErrExists) {
				continue // another node won; use its key
			}
		}
		if err != nil {
			return nil, fmt.Errorf("signing key %d: %w", p, err)
		}
		key, err := loadKey(stored)
		if err != nil {
			return nil, err
		}
		k.add(key)
		return key, nil
	}
	return nil, fmt.Errorf("signing key %d: created and deleted under us", p)
}

func (k *keyring) generate(p int64) (storedKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return storedKey{}, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return storedKey{}, err
	}
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	notBefore := time.Unix(0, p*int64(k.rotation)).UTC()
	notAfter := notBefore.Add(k.rotation)
	return storedKey{
		// The kid starts with the period, so a verifier that meets an
		// unknown kid knows the one record to read.
		KID:        strconv.FormatInt(p, 10) + "-" + hex.EncodeToString(rnd[:]),
		Alg:        string(jose.ES256),
		PrivateKey: der,
		Period:     p,
		NotBefore:  notBefore,
		NotAfter:   notAfter,
		Expires:    notAfter.Add(k.keep + maxClockSkew),
	}, nil
}

func loadKey(stored storedKey) (*signingKey, error) {
	parsed, err := x509.ParsePKCS8PrivateKey(stored.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", stored.KID, err)
	}
	priv, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || stored.Alg != string(jose.ES256) {
		return nil, fmt.Errorf("signing key %s: not an ES256 key", stored.KID)
	}
	key := &signingKey{storedKey: stored, priv: priv}
	jwk := jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: priv, KeyID: stored.KID}}
	key.signer, err = jose.NewSigner(jwk, (&jose.SignerOptions{}).WithType(openIDTokenType))
	if err != nil {
		return nil, err
	}
	key.sessions, err = jose.NewSigner(jwk, (&jose.SignerOptions{}).WithType(sessionTokenType))
	if err != nil {
		return nil, err
	}
	return key, nil
}

func (k *keyring) add(key *signingKey) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.byKID[key.KID] = key
	k.byPeriod[key.Period] = key
}

// lookup returns the key with kid. A kid this node has not seen may be a
// key another node just created: its record is read once (the kid names
// its period, so that is one read, and only for periods that could hold a
// live key).
func (k *keyring) lookup(ctx context.Context, kid string) (*signingKey, bool) {
	k.mu.RLock()
	key := k.byKID[kid]
	k.mu.RUnlock()
	if key != nil {
		return key, true
	}
	ps, _, ok := strings.Cut(kid, "-")
	if !ok {
		return nil, false
	}
	p, err := strconv.ParseInt(ps, 10, 64)
	now := k.period(k.now())
	oldest := k.period(k.now().Add(-k.keep-k.rotation-maxClockSkew)) - 1
	if err != nil || p > now+1 || p < oldest {
		return nil, false
	}
	stored, _, err := engine.Get[storedKey](ctx, k.kv, signingKeyName(p))
	if err != nil || stored.KID != kid {
		return nil, false
	}
	key, err = loadKey(stored)
	if err != nil {
		return nil, false
	}
	k.add(key)
	return key, true
}

// maintain makes sure this period's and the next period's keys exist,
// loads every stored key, and deletes the keys whose tokens have all
// expired.
func (k *keyring) maintain(ctx context.Context) error {
	p := k.period(k.now())
	if _, err := k.ensure(ctx, p); err != nil {
		return err
	}
	if _, err := k.ensure(ctx, p+1); err != nil {
		return err
	}
	stored, err := engine.List[storedKey](ctx, k.kv, signingKeyPrefix+"*")
	if err != nil {
		return err
	}
	now := k.now()
	byKID := map[string]*signingKey{}
	byPeriod := map[int64]*signingKey{}
	for _, st := range stored {
		if now.After(st.Expires) {
			name := signingKeyName(st.Period)
			if _, rev, err := engine.Get[storedKey](ctx, k.kv, name); err == nil {
				if err := engine.Delete(ctx, k.kv, name, rev); err != nil && !errors.Is(err, engine.ErrStale) {
					return err
				}
			}
			continue
		}
		key, err := loadKey(st)
		if err != nil {
			return err
		}
		byKID[key.KID] = key
		byPeriod[key.Period] = key
	}
	k.mu.Lock()
	k.byKID, k.byPeriod = byKID, byPeriod
	k.mu.Unlock()
	return nil
}

// public returns the public keys of every key that has not expired, oldest
// first, for the JWKS.
func (k *keyring) public() []jose.JSONWebKey {
	now := k.now()
	k.mu.RLock()
	keys := make([]*signingKey, 0, len(k.byKID))
	for _, key := range k.byKID {
		if !now.After(key.Expires) {
			keys = append(keys, key)
		}
	}
	k.mu.RUnlock()
	sort.Slice(keys, func(i, j int) bool { return keys[i].Period < keys[j].Period })
	out := make([]jose.JSONWebKey, len(keys))
	for i, key := range keys {
		out[i] = jose.JSONWebKey{Key: &key.priv.PublicKey, KeyID: key.KID, Algorithm: key.Alg, Use: "sig"}
	}
	return out
}
