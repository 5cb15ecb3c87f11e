package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// keyRefetchInterval bounds how often a provider's JWKS is fetched again
// for a kid it did not list: a provider rotating its keys is picked up
// within this, and a stream of tokens naming made-up kids cannot make
// rallypoint hammer the provider.
const keyRefetchInterval = 10 * time.Second

// maxJWKSBytes bounds a provider's JWKS document.
const maxJWKSBytes = 1 << 20

// providerKeys is a provider's signing keys, fetched from its jwks_uri and
// kept. A token is checked against the key its kid names only, and a bad
// signature under a known key is refused without fetching anything (the
// key set go-oidc offers fetches again after any failed check, which lets
// forged tokens drive requests to the provider). It implements
// oidc.KeySet.
type providerKeys struct {
	url    string
	client *http.Client
	now    func() time.Time

	mu        sync.Mutex // guards the fields below; held while fetching
	keys      jose.JSONWebKeySet
	fetchedAt time.Time
	fetched   bool
}

func newProviderKeys(jwksURL string, client *http.Client, now func() time.Time) *providerKeys {
	return &providerKeys{url: jwksURL, client: client, now: now}
}

// errProviderKeys marks a failure to get the provider's keys, as opposed to
// a token that does not verify.
var errProviderKeys = errors.New("fetching keys")

// VerifySignature checks the token's signature with the provider key its
// kid names and returns the payload.
func (k *providerKeys) VerifySignature(ctx context.Context, token string) ([]byte, error) {
	jws, err := jose.ParseSignedCompact(token, asymmetricJoseAlgs)
	if err != nil {
		return nil, fmt.Errorf("malformed token: %w", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("the token must have exactly one signature")
	}
	kid := jws.Signatures[0].Header.KeyID
	key, err := k.key(ctx, kid)
	if err != nil {
		return nil, err
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, errors.New("failed to verify signature")
	}
	return payload, nil
}

// key returns the key called kid, fetching the provider's keys when it has
// none yet or does not list kid and the last fetch is old enough.
func (k *providerKeys) key(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if found := k.find(kid); found != nil {
		return found, nil
	}
	if k.fetched && k.now().Sub(k.fetchedAt) < keyRefetchInterval {
		return nil, fmt.Errorf("the provider lists no key %q", kid)
	}
	if err := k.fetch(ctx); err != nil {
		return nil, err
	}
	if found := k.find(kid); found != nil {
		return found, nil
	}
	return nil, fmt.Errorf("the provider lists no key %q", kid)
}

// find is the key called kid; with no kid, the provider's only signing
// key, if it has just one.
func (k *providerKeys) find(kid string) *jose.JSONWebKey {
	var match []jose.JSONWebKey
	for _, key := range k.keys.Keys {
		if key.Use == "enc" || !key.IsPublic() {
			continue
		}
		if key.KeyID == kid || kid == "" {
			match = append(match, key)
		}
	}
	if len(match) != 1 {
		return nil
	}
	return &match[0]
}

func (k *providerKeys) fetch(ctx context.Context) error {
	k.fetched, k.fetchedAt = true, k.now()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return fmt.Errorf("%w from %s: %v", errProviderKeys, k.url, err)
	}
	resp, err := k.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w from %s: %v", errProviderKeys, k.url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w from %s: HTTP %d", errProviderKeys, k.url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return fmt.Errorf("%w from %s: %v", errProviderKeys, k.url, err)
	}
	if len(body) > maxJWKSBytes {
		return fmt.Errorf("%w from %s: the document is larger than %d bytes", errProviderKeys, k.url, maxJWKSBytes)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return fmt.Errorf("%w from %s: %v", errProviderKeys, k.url, err)
	}
	k.keys = set
	return nil
}
