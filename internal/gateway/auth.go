package gateway

import (
	"context"
	"errors"
	"net/http"
	"net/textproto"
	"strings"

	"github.com/rallypoint/rallypoint/internal/sigv4"
)

// subprotocol is the WebSocket subprotocol a browser offers beside its
// token; the server echoes it, since browsers fail a handshake whose
// answer names none of the offered protocols.
const subprotocol = "rallypoint"

// authError is a refused upgrade: 401 when credentials are missing or
// expired, 403 when present but wrong.
type authError struct {
	status  int
	message string
}

func (e *authError) Error() string { return e.message }

func unauthorized(msg string) *authError { return &authError{http.StatusUnauthorized, msg} }
func forbidden(msg string) *authError    { return &authError{http.StatusForbidden, msg} }

// credentials is what an upgrade request authenticates with.
type credentials struct {
	method   string // "sigv4", "bearer", "protocol", "query": for metrics and logs
	token    string
	protocol string // the Sec-WebSocket-Protocol entry to echo, if any
}

// authenticate finds the upgrade's credentials and checks them, in this
// order: a presigned SigV4 URL (or a SigV4 Authorization header), a
// bearer token, a token offered as a subprotocol, ?token=. The first one
// present is the one checked.
func (g *Gateway) authenticate(ctx context.Context, r *http.Request) (Principal, credentials, error) {
	q := r.URL.Query()
	authz := r.Header.Get("Authorization")
	protocols := offeredProtocols(r.Header)
	echo := ""
	if hasProtocol(protocols, subprotocol) {
		echo = subprotocol
	}
	switch {
	case q.Get("X-Amz-Algorithm") != "" || q.Get("X-Amz-Signature") != "" || strings.HasPrefix(authz, sigv4.Algorithm):
		p, err := g.checkSigV4(ctx, r)
		return p, credentials{method: "sigv4", protocol: echo}, err
	case authz != "":
		scheme, token, _ := strings.Cut(authz, " ")
		if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return Principal{}, credentials{method: "bearer"}, forbidden("Authorization must be Bearer <token> or a SigV4 signature")
		}
		cr := credentials{method: "bearer", token: strings.TrimSpace(token), protocol: echo}
		p, err := g.checkToken(ctx, cr.token)
		return p, cr, err
	}
	if token := protocolToken(protocols); token != "" {
		cr := credentials{method: "protocol", token: token, protocol: echo}
		if cr.protocol == "" {
			cr.protocol = token
		}
		p, err := g.checkToken(ctx, token)
		return p, cr, err
	}
	if token := q.Get("token"); token != "" {
		cr := credentials{method: "query", token: token, protocol: echo}
		p, err := g.checkToken(ctx, token)
		return p, cr, err
	}
	return Principal{}, credentials{method: "none"}, unauthorized("Unauthorized: no token (Authorization: Bearer, Sec-WebSocket-Protocol, ?token=) or SigV4 signature")
}

func (g *Gateway) checkToken(ctx context.Context, token string) (Principal, error) {
	p, err := g.cfg.Auth.VerifyToken(ctx, token)
	if err != nil {
		return Principal{}, authFailure("token", err)
	}
	return g.checkPrincipal(p)
}

// checkSigV4 checks a request signed with an identity's temporary
// credentials (service execute-api): the session token names them, the
// signature proves the secret.
func (g *Gateway) checkSigV4(ctx context.Context, r *http.Request) (Principal, error) {
	q := r.URL.Query()
	credential, token := q.Get("X-Amz-Credential"), q.Get("X-Amz-Security-Token")
	if authz := r.Header.Get("Authorization"); authz != "" {
		parsed, err := sigv4.ParseAuthorization(authz)
		if err != nil {
			return Principal{}, forbidden(sigv4Message(err))
		}
		credential, token = parsed.AccessKeyID, r.Header.Get("X-Amz-Security-Token")
	}
	accessKeyID, _, _ := strings.Cut(credential, "/")
	if accessKeyID == "" {
		return Principal{}, forbidden("X-Amz-Credential is missing")
	}
	if token == "" {
		return Principal{}, forbidden("X-Amz-Security-Token is missing: sign with the identity's temporary credentials")
	}
	creds, p, err := g.cfg.Auth.SessionCredentials(ctx, accessKeyID, token)
	if err != nil {
		return Principal{}, authFailure("credentials", err)
	}
	v := sigv4.Verifier{
		Service: "execute-api",
		Lookup: func(id string) (sigv4.Credentials, bool) {
			return creds, id == accessKeyID
		},
	}
	if _, err := v.Verify(r, nil); err != nil {
		return Principal{}, forbidden(sigv4Message(err))
	}
	return g.checkPrincipal(p)
}

func sigv4Message(err error) string {
	if e, ok := sigv4.AsError(err); ok {
		return e.Message
	}
	return err.Error()
}

func (g *Gateway) checkPrincipal(p Principal) (Principal, error) {
	if p.IdentityID == "" {
		return Principal{}, forbidden("Forbidden: the credentials name no identity")
	}
	if !p.Expires.IsZero() && !g.cfg.Now().Before(p.Expires) {
		return Principal{}, unauthorized("Unauthorized: token expired")
	}
	return p, nil
}

func authFailure(what string, err error) error {
	if errors.Is(err, ErrExpired) {
		return unauthorized("Unauthorized: " + what + " expired")
	}
	return forbidden("Forbidden: " + what + " not valid")
}

// offeredProtocols lists the Sec-WebSocket-Protocol entries, over every
// header line.
func offeredProtocols(h http.Header) []string {
	var out []string
	for _, line := range h[textproto.CanonicalMIMEHeaderKey("Sec-WebSocket-Protocol")] {
		for _, p := range strings.Split(line, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func hasProtocol(ps []string, want string) bool {
	for _, p := range ps {
		if p == want {
			return true
		}
	}
	return false
}

// protocolToken is the offered entry that carries a token: the first that
// is not the rallypoint protocol name.
func protocolToken(ps []string) string {
	for _, p := range ps {
		if p != subprotocol {
			return p
		}
	}
	return ""
}
