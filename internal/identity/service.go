package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
)

// Defaults for the zero values of Config.
const (
	DefaultTokenTTL       = 15 * time.Minute
	DefaultCredentialsTTL = time.Hour
	DefaultKeyRotation    = 24 * time.Hour
	DefaultRegion         = "local"
	DefaultClientRate     = 20
	DefaultClientBurst    = 60
)

// Config wires the identity service to its buckets and names its issuer.
type Config struct {
	// Config is the bucket rp_config: pools ("identitypool.<id>"), the
	// signing keys and the credential secret.
	Config jetstream.KeyValue
	// Identities is the bucket rp_identities: identities and the login
	// index. Nothing in it expires.
	Identities jetstream.KeyValue
	// Region prefixes identity and pool ids ("<region>:<uuid>", as in
	// Cognito); empty means "local".
	Region string
	// Issuer is the "iss" of the tokens rallypoint signs: the public
	// listener's URL, under which the JWKS and the discovery document are
	// served. Required.
	Issuer string
	// TokenTTL is the lifetime of GetOpenIdToken's tokens; zero means 15
	// minutes.
	TokenTTL time.Duration
	// CredentialsTTL is the lifetime of GetCredentialsForIdentity's
	// credentials; zero means 1 hour.
	CredentialsTTL time.Duration
	// KeyRotation is how often a new signing key takes over; zero means 24
	// hours.
	KeyRotation time.Duration
	// OIDCIssuers maps a login provider name (a Logins key such as
	// "accounts.google.com") to its issuer URL when that is not
	// "https://"+name.
	OIDCIssuers map[string]string
	// HTTPClient fetches providers' discovery documents and JWKS; nil means
	// a client with a 10 s timeout.
	HTTPClient *http.Client
	// ClientRate bounds the public calls (GetId, GetOpenIdToken,
	// GetCredentialsForIdentity) one source address may make, per second
	// on average, with bursts of ClientBurst: guests cost durable
	// storage, so nobody may mint them without end. Zero means 20 a
	// second and bursts of 60; a negative rate means no limit (behind a
	// proxy that is the only source address, for example).
	ClientRate  float64
	ClientBurst int
	Logger      *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Principal is who a verified token or set of credentials speaks for.
type Principal struct {
	IdentityID string
	PoolID     string
	// Expires is when the token or credentials stop being valid.
	Expires time.Time
}

// Service is the identity pool service. It holds no state of its own
// beyond caches: pools, identities and keys live in the buckets, so any
// number of nodes can serve the same pools.
type Service struct {
	cfg Config
	log *slog.Logger
	now func() time.Time
	// issuerHost is Issuer without its scheme: the Logins key under which
	// rallypoint's own tokens are accepted, besides Cognito's.
	issuerHost string
	keys       *keyring
	creds      *credentialSecret
	providers  *providerCache
}

// New checks cfg, fills its defaults and loads (or creates) the signing
// keys and the credential secret.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Config == nil || cfg.Identities == nil {
		return nil, errors.New("identity: Config.Config and Config.Identities are required")
	}
	if cfg.Issuer == "" {
		return nil, errors.New("identity: Config.Issuer is required")
	}
	u, err := url.Parse(cfg.Issuer)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("identity: Config.Issuer %q is not an http(s) URL without query or fragment", cfg.Issuer)
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if !regionPattern.MatchString(cfg.Region) {
		return nil, fmt.Errorf("identity: Config.Region %q may hold only letters, digits, '_' and '-'", cfg.Region)
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = DefaultTokenTTL
	}
	if cfg.CredentialsTTL <= 0 {
		cfg.CredentialsTTL = DefaultCredentialsTTL
	}
	if cfg.KeyRotation <= 0 {
		cfg.KeyRotation = DefaultKeyRotation
	}
	if cfg.ClientRate == 0 {
		cfg.ClientRate = DefaultClientRate
	}
	if cfg.ClientBurst <= 0 {
		cfg.ClientBurst = DefaultClientBurst
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Service{
		cfg:        cfg,
		log:        cfg.Logger.With("component", "identity"),
		now:        cfg.Now,
		issuerHost: strings.TrimSuffix(u.Host+u.Path, "/"),
	}
	s.keys = newKeyring(cfg.Config, cfg.KeyRotation, s.maxTokenLifetime(), cfg.Now)
	s.providers = newProviderCache(cfg.HTTPClient, cfg.Now)
	if err := s.keys.maintain(ctx); err != nil {
		return nil, fmt.Errorf("identity: signing keys: %w", err)
	}
	s.creds, err = loadCredentialSecret(ctx, cfg.Config)
	if err != nil {
		return nil, fmt.Errorf("identity: credential secret: %w", err)
	}
	return s, nil
}

// maxTokenLifetime bounds how long any token rallypoint signs stays valid:
// a signing key must be kept that long after it last signed.
func (s *Service) maxTokenLifetime() time.Duration {
	return max(s.cfg.TokenTTL, s.cfg.CredentialsTTL, maxDeveloperTokenDuration)
}

// Run keeps the signing keys current until ctx ends: it creates the next
// period's key ahead of time (so that it is in everyone's cached JWKS
// before it signs), reloads keys other nodes created, and deletes keys no
// unexpired token was signed with.
func (s *Service) Run(ctx context.Context) error {
	tick := max(min(s.cfg.KeyRotation/8, time.Minute), time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := s.keys.maintain(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("signing key maintenance failed; retrying", "error", err)
			}
		}
	}
}

func (s *Service) newID() string {
	return s.cfg.Region + ":" + uuid.NewString()
}
