// Package identity is rallypoint's identity pool service, compatible with
// Amazon Cognito identity pools: it is how a game client gets an identity
// and a short-lived token to open its socket to the player gateway.
//
// A pool says who may get an identity: guests (unauthenticated
// identities), players signed in with an OpenID Connect provider (Google,
// Apple, any issuer the pool names in SupportedLoginProviders, verified
// against the provider's discovery document and JWKS), and players the
// studio's own backend vouches for (developer-authenticated identities).
// An identity id is stable: a guest who later logs in keeps it, and each
// login (provider and subject) belongs to one identity of its pool.
//
// For an identity the service signs two kinds of token with ES256 keys
// that every node shares through the engine and that rotate every
// Config.KeyRotation: OpenID tokens (GetOpenIdToken), which anyone can
// verify with the JWKS published at /.well-known/jwks.json, and the
// session tokens of temporary credentials (GetCredentialsForIdentity),
// with which a client presigns its WebSocket URL as API Gateway expects.
// The gateway authenticates a connection with VerifyToken or
// SessionCredentials; both are stateless apart from the signing keys.
//
// The wire protocol is Cognito's (AWS JSON 1.1, X-Amz-Target
// AWSCognitoIdentityService.<Operation>), so the AWS SDKs' Cognito
// identity clients work unchanged against PublicHandler (game clients,
// unsigned) and AdminHandler (the operator, SigV4-signed). Pools live in
// rp_config; identities and the login index in rp_identities, where
// nothing expires.
package identity
