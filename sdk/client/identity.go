package client

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/smithy-go"
)

// Config says where rallypoint is. Endpoint is required; the zero values
// of the other fields are good defaults.
type Config struct {
	// Endpoint is the base URL of rallypoint's public listener, such as
	// http://127.0.0.1:7400 (or https://play.example.com behind a TLS
	// proxy). Identity calls go to it, and the socket is opened at its
	// /ws path (ws:// or wss://).
	Endpoint string
	// Region is the region SigV4-presigned socket URLs and identity calls
	// are made for. rallypoint accepts any; empty means us-east-1.
	Region string
	// HTTPClient makes the identity calls and the socket's upgrade
	// request; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Logger receives the connection's state changes; nil discards them.
	Logger *slog.Logger
}

func (c Config) region() string {
	if c.Region == "" {
		return "us-east-1"
	}
	return c.Region
}

func (c Config) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.Logger
}

func (c Config) httpClient() *http.Client {
	if c.HTTPClient == nil {
		return http.DefaultClient
	}
	return c.HTTPClient
}

func (c Config) check() error {
	if !strings.HasPrefix(c.Endpoint, "http://") && !strings.HasPrefix(c.Endpoint, "https://") {
		return fmt.Errorf("client: Config.Endpoint %q must be an http:// or https:// URL", c.Endpoint)
	}
	return nil
}

// Identity is a player's identity and what proves it: an OpenID token
// (for a bearer socket) and, once needed, temporary AWS credentials (for a
// SigV4-presigned socket). Its ID is the player id in tickets, events and
// player sessions; a game client keeps it to come back as the same player.
//
// A Conn renews the token and credentials by itself when they expire. The
// Identity a sign-in function returned is not changed: Conn.Identity has
// the current one.
type Identity struct {
	// ID is the identity id, <region>:<uuid>, which is the player id.
	ID string
	// PoolID is the identity pool the identity belongs to.
	PoolID string
	// Token is the OpenID token (GetOpenIdToken, or the studio's
	// developer token), and TokenExpires its expiry.
	Token        string
	TokenExpires time.Time
	// Credentials are the temporary credentials of
	// GetCredentialsForIdentity, when the socket is SigV4-presigned; nil
	// until then.
	Credentials *aws.Credentials

	// logins are what proves the identity to the identity pool when the
	// token or credentials are renewed: none for a guest, the provider's
	// id token for a federated login, the developer token otherwise.
	logins map[string]string
}

// cognitoProvider is the login name under which a token the identity pool
// signed (a developer token) proves an identity.
const cognitoProvider = "cognito-identity.amazonaws.com"

// SignInGuest gets a guest identity from the identity pool poolID (which
// must allow unauthenticated identities) and its token. With identityID
// empty it makes a new guest; with the id of an earlier guest it signs in
// as that same player again.
func SignInGuest(ctx context.Context, cfg Config, poolID, identityID string) (*Identity, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	c := newCognito(cfg)
	if identityID == "" {
		out, err := c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(poolID)})
		if err != nil {
			return nil, fmt.Errorf("client: sign in as a guest of %s: GetId: %w", poolID, apiError(err))
		}
		identityID = aws.ToString(out.IdentityId)
	}
	id := &Identity{ID: identityID, PoolID: poolID}
	if err := id.renewToken(ctx, c); err != nil {
		return nil, fmt.Errorf("client: sign in as guest %s: %w", identityID, err)
	}
	return id, nil
}

// SignInWithLogin signs in with an OpenID Connect provider's id token:
// provider is the login name the pool lists in SupportedLoginProviders
// (accounts.google.com, appleid.apple.com, ...), idToken the token the
// provider gave the player. The same login always maps to the same
// identity.
func SignInWithLogin(ctx context.Context, cfg Config, poolID, provider, idToken string) (*Identity, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	c := newCognito(cfg)
	logins := map[string]string{provider: idToken}
	out, err := c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(poolID), Logins: logins})
	if err != nil {
		return nil, fmt.Errorf("client: sign in with %s: GetId: %w", provider, apiError(err))
	}
	id := &Identity{ID: aws.ToString(out.IdentityId), PoolID: poolID, logins: logins}
	if err := id.renewToken(ctx, c); err != nil {
		return nil, fmt.Errorf("client: sign in with %s: %w", provider, err)
	}
	return id, nil
}

// SignInWithDeveloperToken makes an Identity of a token the studio's
// backend got for the player (GetOpenIdTokenForDeveloperIdentity) and
// handed to the client. It makes no call: the token is the bearer
// credential as it is, and is exchanged for credentials only if a SigV4
// socket needs them. identityID may be empty; the token names it.
//
// A developer token cannot be renewed by the client: give Connect
// WithRenew, which asks the studio's backend for a new one, or the Conn
// ends when the token expires.
func SignInWithDeveloperToken(identityID, token string) (*Identity, error) {
	claims, err := readClaims(token)
	if err != nil {
		return nil, fmt.Errorf("client: developer token: %w", err)
	}
	if identityID == "" {
		identityID = claims.Subject
	}
	if claims.Subject != identityID {
		return nil, fmt.Errorf("client: the developer token is for identity %s, not %s", claims.Subject, identityID)
	}
	return &Identity{ID: identityID, PoolID: claims.audience(), Token: token, TokenExpires: claims.expires(),
		logins: map[string]string{cognitoProvider: token}}, nil
}

func newCognito(cfg Config) *cognitoidentity.Client {
	return cognitoidentity.New(cognitoidentity.Options{
		Region:       cfg.region(),
		BaseEndpoint: aws.String(cfg.Endpoint),
		Credentials:  aws.AnonymousCredentials{},
		HTTPClient:   cfg.httpClient(),
	})
}

// renewToken gets a fresh OpenID token for the identity.
func (id *Identity) renewToken(ctx context.Context, c *cognitoidentity.Client) error {
	out, err := c.GetOpenIdToken(ctx, &cognitoidentity.GetOpenIdTokenInput{IdentityId: aws.String(id.ID), Logins: id.logins})
	if err != nil {
		return fmt.Errorf("GetOpenIdToken: %w", apiError(err))
	}
	id.Token = aws.ToString(out.Token)
	id.TokenExpires = time.Time{}
	if claims, err := readClaims(id.Token); err == nil {
		id.TokenExpires = claims.expires()
	}
	return nil
}

// renewCredentials gets fresh temporary credentials for the identity.
func (id *Identity) renewCredentials(ctx context.Context, c *cognitoidentity.Client) error {
	out, err := c.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: aws.String(id.ID), Logins: id.logins})
	if err != nil {
		return fmt.Errorf("GetCredentialsForIdentity: %w", apiError(err))
	}
	if out.Credentials == nil {
		return errors.New("GetCredentialsForIdentity answered without credentials")
	}
	creds := aws.Credentials{
		AccessKeyID:     aws.ToString(out.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(out.Credentials.SecretKey),
		SessionToken:    aws.ToString(out.Credentials.SessionToken),
		Source:          "rallypoint identity pool",
	}
	if out.Credentials.Expiration != nil {
		creds.CanExpire, creds.Expires = true, *out.Credentials.Expiration
	}
	id.Credentials = &creds
	return nil
}

// clone copies the identity, so that a Conn renews its own copy.
func (id *Identity) clone() *Identity {
	c := *id
	if id.Credentials != nil {
		creds := *id.Credentials
		c.Credentials = &creds
	}
	return &c
}

// apiError turns the identity pool's error answers into *Error, keeping
// other errors (the network's) as they are.
func apiError(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return &Error{Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
	}
	return err
}

// permanent reports whether a sign-in error will not go away by trying
// again: the identity pool refused the identity or its logins.
func permanent(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case "NotAuthorizedException", "ResourceNotFoundException", "InvalidParameterException", "ResourceConflictException", "InvalidIdentityPoolConfigurationException":
		return true
	}
	return false
}

// claims are the members of a token the client reads. The client does
// not verify tokens (the server does); it reads them to know when to
// renew.
type claims struct {
	Subject  string          `json:"sub"`
	Audience json.RawMessage `json:"aud"`
	Expiry   int64           `json:"exp"`
}

func (c claims) expires() time.Time {
	if c.Expiry == 0 {
		return time.Time{}
	}
	return time.Unix(c.Expiry, 0)
}

// audience is the token's aud, a string or the first of a list.
func (c claims) audience() string {
	var one string
	if json.Unmarshal(c.Audience, &one) == nil {
		return one
	}
	var many []string
	if json.Unmarshal(c.Audience, &many) == nil && len(many) > 0 {
		return many[0]
	}
	return ""
}

func readClaims(token string) (claims, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return claims{}, errors.New("not a JWT (header.payload.signature)")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return claims{}, fmt.Errorf("JWT payload: %w", err)
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return claims{}, fmt.Errorf("JWT payload: %w", err)
	}
	return c, nil
}
