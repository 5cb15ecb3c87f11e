package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"

	"github.com/rallypoint/rallypoint/internal/sigv4"
)

// SigningName is the SigV4 service name Cognito identity clients sign
// with.
const SigningName = "cognito-identity"

// targetPrefix is the X-Amz-Target prefix of every operation.
const targetPrefix = "AWSCognitoIdentityService."

// maxBodyBytes bounds a request body: ten logins of 50,000 characters fit.
const maxBodyBytes = 1 << 20

// operation is one row of an operation table.
type operation func(ctx context.Context, body []byte) (any, error)

// publicOps and adminOps name the operations of each listener, so that a
// call to the other listener's operation gets a clear refusal.
var (
	publicOps = []string{"GetId", "GetOpenIdToken", "GetCredentialsForIdentity"}
	adminOps  = []string{"CreateIdentityPool", "DescribeIdentityPool", "ListIdentityPools", "UpdateIdentityPool",
		"DeleteIdentityPool", "GetOpenIdTokenForDeveloperIdentity", "LookupDeveloperIdentity"}
)

// handler serves one listener's operations.
type handler struct {
	s   *Service
	log *slog.Logger
	ops map[string]operation
	// other names the operations served on the other listener.
	other    string
	others   []string
	verifier *sigv4.Verifier // nil on the public listener
	insecure bool
	limits   *clientLimits // the public listener's; nil: no limit
}

// PublicHandler serves the calls game clients make, unsigned as Cognito
// allows them: POST / with X-Amz-Target AWSCognitoIdentityService.GetId,
// GetOpenIdToken or GetCredentialsForIdentity; and GET
// /.well-known/jwks.json and /.well-known/openid-configuration, with which
// anyone can verify rallypoint's OpenID tokens.
func (s *Service) PublicHandler() http.Handler {
	h := &handler{s: s, log: s.log, other: "admin", others: adminOps, limits: newClientLimits(s.cfg.ClientRate, s.cfg.ClientBurst, s.now), ops: map[string]operation{
		"GetId":                     s.opGetID,
		"GetOpenIdToken":            s.opGetOpenIDToken,
		"GetCredentialsForIdentity": s.opGetCredentialsForIdentity,
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/jwks.json", s.serveJWKS)
	mux.HandleFunc("GET /.well-known/openid-configuration", s.serveDiscovery)
	mux.Handle("/", h)
	return mux
}

// AdminHandler serves the operator's calls: pools and developer
// identities, SigV4-verified (service "cognito-identity") against the
// operator's access keys. insecure accepts unsigned calls too (signed
// calls are still verified).
func (s *Service) AdminHandler(credentials func(accessKeyID string) (sigv4.Credentials, bool), insecure bool) http.Handler {
	if credentials == nil {
		credentials = func(string) (sigv4.Credentials, bool) { return sigv4.Credentials{}, false }
	}
	return &handler{s: s, log: s.log, other: "public", others: publicOps, insecure: insecure,
		verifier: &sigv4.Verifier{Service: SigningName, Lookup: credentials, Now: s.now},
		ops: map[string]operation{
			"CreateIdentityPool":                 s.opCreatePool,
			"DescribeIdentityPool":               s.opDescribePool,
			"ListIdentityPools":                  s.opListPools,
			"UpdateIdentityPool":                 s.opUpdatePool,
			"DeleteIdentityPool":                 s.opDeletePool,
			"GetOpenIdTokenForDeveloperIdentity": s.opDeveloperToken,
			"LookupDeveloperIdentity":            s.opLookupDeveloperIdentity,
		}}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	w.Header().Set("x-amzn-RequestId", uuid.NewString())
	opName, _ := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	status, errType := h.serve(w, r, opName)
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelError
	}
	h.log.Log(r.Context(), level, "identity call", "operation", opName, "status", status, "error", errType,
		"duration", time.Since(start))
}

func (h *handler) serve(w http.ResponseWriter, r *http.Request, opName string) (int, string) {
	if r.URL.Path != "/" {
		return h.writeError(w, r, &Error{Code: codeUnknownOperation, Message: "no such path; Cognito identity calls are POST /"})
	}
	if r.Method != http.MethodPost {
		return h.writeError(w, r, &Error{Code: codeMethodNotAllowed, Message: "Cognito identity calls are POST requests"})
	}
	if !h.limits.allow(r) {
		return h.writeError(w, r, &Error{Code: CodeTooManyRequests, Message: "Rate exceeded"})
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return h.writeError(w, r, &Error{Code: codeRequestEntityTooLarge, Message: "request body exceeds " + strconv.Itoa(maxBodyBytes) + " bytes"})
		}
		return h.writeError(w, r, invalidParameter("reading the request body: %v", err))
	}
	if h.verifier != nil {
		signed := r.Header.Get("Authorization") != "" || r.URL.Query().Get("X-Amz-Signature") != ""
		if signed || !h.insecure {
			if _, err := h.verifier.Verify(r, body); err != nil {
				return h.writeError(w, r, err)
			}
		}
	}
	op, ok := h.ops[opName]
	if !ok {
		msg := "unknown operation " + strconv.Quote(opName)
		switch {
		case opName == "":
			msg = "missing or malformed X-Amz-Target header; expected " + targetPrefix + "<Operation>"
		case slices.Contains(h.others, opName):
			msg = opName + " is served on the " + h.other + " listener, not this one"
		}
		return h.writeError(w, r, &Error{Code: codeUnknownOperation, Message: msg})
	}
	out, err := op(r.Context(), body)
	if err != nil {
		return h.writeError(w, r, err)
	}
	payload, err := json.Marshal(out)
	if err != nil {
		return h.writeError(w, r, err)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(payload)
	return http.StatusOK, ""
}

func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) (int, string) {
	var e *Error
	status := 0
	if se, ok := sigv4.AsError(err); ok {
		e, status = &Error{Code: se.Code, Message: se.Message}, http.StatusForbidden
	} else {
		var internal bool
		e, internal = asError(err)
		if internal {
			h.log.ErrorContext(r.Context(), "identity call failed", "error", err)
		}
		status = httpStatus(e.Code)
	}
	payload, _ := json.Marshal(errorBody{Type: e.Code, Message: e.Message, MemberMessage: e.Message})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-ErrorType", e.Code)
	w.Header().Set("Content-Length", strconv.Itoa(len(payload)))
	w.WriteHeader(status)
	_, _ = w.Write(payload)
	return status, e.Code
}

// decode reads a request body into v; an empty body is an empty object.
// Unknown members are ignored, as AWS services do.
func decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		return invalidParameter("the request body is not a valid JSON document for this operation: %v", err)
	}
	if d.More() {
		return invalidParameter("the request body holds data after its JSON document")
	}
	return nil
}

func (s *Service) opCreatePool(ctx context.Context, body []byte) (any, error) {
	var in wirePool
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	pin, e := in.input()
	if e != nil {
		return nil, e
	}
	p, err := s.CreatePool(ctx, pin)
	if err != nil {
		return nil, err
	}
	return toWirePool(p), nil
}

func (s *Service) opDescribePool(ctx context.Context, body []byte) (any, error) {
	var in wirePoolID
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	p, err := s.DescribePool(ctx, in.IdentityPoolID)
	if err != nil {
		return nil, err
	}
	return toWirePool(p), nil
}

func (s *Service) opUpdatePool(ctx context.Context, body []byte) (any, error) {
	var in wirePool
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkID("IdentityPoolId", in.IdentityPoolID, true); err != nil {
		return nil, err
	}
	pin, e := in.input()
	if e != nil {
		return nil, e
	}
	p, err := s.UpdatePool(ctx, in.IdentityPoolID, pin)
	if err != nil {
		return nil, err
	}
	return toWirePool(p), nil
}

func (s *Service) opDeletePool(ctx context.Context, body []byte) (any, error) {
	var in wirePoolID
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	return struct{}{}, s.DeletePool(ctx, in.IdentityPoolID)
}

func (s *Service) opListPools(ctx context.Context, body []byte) (any, error) {
	var in wireListPoolsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.MaxResults == nil {
		return nil, invalidParameter("MaxResults is required.")
	}
	if *in.MaxResults < 1 {
		return nil, invalidParameter("MaxResults must be between 1 and %d.", maxQueryLimit)
	}
	pools, next, err := s.ListPools(ctx, *in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := wireListPoolsOutput{IdentityPools: make([]wirePoolSummary, len(pools)), NextToken: next}
	for i, p := range pools {
		out.IdentityPools[i] = wirePoolSummary{IdentityPoolID: p.ID, IdentityPoolName: p.Name}
	}
	return out, nil
}

func (s *Service) opGetID(ctx context.Context, body []byte) (any, error) {
	var in wireGetIDInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.AccountID != "" && (len(in.AccountID) > 15 || !accountIDPattern.MatchString(in.AccountID)) {
		return nil, invalidParameter("AccountId must be 1 to 15 digits.")
	}
	id, err := s.GetID(ctx, in.IdentityPoolID, in.Logins)
	if err != nil {
		return nil, err
	}
	return wireIdentityID{IdentityID: id}, nil
}

func (s *Service) opGetOpenIDToken(ctx context.Context, body []byte) (any, error) {
	var in wireIdentityLoginsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	id, token, err := s.openIDToken(ctx, in.IdentityID, in.Logins)
	if err != nil {
		return nil, err
	}
	return wireTokenOutput{IdentityID: id, Token: token}, nil
}

func (s *Service) opGetCredentialsForIdentity(ctx context.Context, body []byte) (any, error) {
	var in wireIdentityLoginsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	// CustomRoleArn chooses among IAM roles; rallypoint has none, so it is
	// checked for form and otherwise ignored.
	if in.CustomRoleArn != "" && (strLen(in.CustomRoleArn) < minARNLen || strLen(in.CustomRoleArn) > maxARNLen) {
		return nil, invalidParameter("CustomRoleArn must have %d to %d characters.", minARNLen, maxARNLen)
	}
	id, c, err := s.credentialsForIdentity(ctx, in.IdentityID, in.Logins)
	if err != nil {
		return nil, err
	}
	return wireCredentialsOutput{IdentityID: id, Credentials: wireCredentials{
		AccessKeyID: c.AccessKeyID, SecretKey: c.SecretKey, SessionToken: c.SessionToken, Expiration: epochTime(c.Expiration),
	}}, nil
}

func (s *Service) opDeveloperToken(ctx context.Context, body []byte) (any, error) {
	var in wireDeveloperTokenInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	din := DeveloperTokenInput{PoolID: in.IdentityPoolID, IdentityID: in.IdentityID, Logins: in.Logins, PrincipalTags: in.PrincipalTags}
	if in.TokenDuration != nil {
		d := *in.TokenDuration
		if d < 1 || d > int64(maxDeveloperTokenDuration/time.Second) {
			return nil, invalidParameter("TokenDuration must be between 1 and %d seconds.", int64(maxDeveloperTokenDuration/time.Second))
		}
		din.TokenDuration = time.Duration(d) * time.Second
	}
	id, token, err := s.OpenIDTokenForDeveloperIdentity(ctx, din)
	if err != nil {
		return nil, err
	}
	return wireTokenOutput{IdentityID: id, Token: token}, nil
}

func (s *Service) opLookupDeveloperIdentity(ctx context.Context, body []byte) (any, error) {
	var in wireLookupInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	lin := LookupInput{PoolID: in.IdentityPoolID, IdentityID: in.IdentityID, DeveloperUserIdentifier: in.DeveloperUserIdentifier, NextToken: in.NextToken}
	if in.MaxResults != nil {
		if *in.MaxResults < 1 {
			return nil, invalidParameter("MaxResults must be between 1 and %d.", maxQueryLimit)
		}
		lin.MaxResults = *in.MaxResults
	}
	out, err := s.LookupDeveloperIdentity(ctx, lin)
	if err != nil {
		return nil, err
	}
	return wireLookupOutput{IdentityID: out.IdentityID, DeveloperUserIdentifierList: out.DeveloperUserIdentifiers, NextToken: out.NextToken}, nil
}

// serveJWKS publishes the public signing keys: the current one, the next
// one (published a period ahead, so caches have it before it signs), and
// older ones until every token they signed has expired.
func (s *Service) serveJWKS(w http.ResponseWriter, r *http.Request) {
	payload, err := json.Marshal(jose.JSONWebKeySet{Keys: s.keys.public()})
	if err != nil {
		http.Error(w, "encoding keys failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(payload)
}

// discoveryDocument is the OpenID Provider Metadata of rallypoint as the
// issuer of its tokens. It issues tokens only through the Cognito
// operations, so it has no authorization endpoint; OIDC libraries need
// only issuer and jwks_uri to verify.
type discoveryDocument struct {
	Issuer                           string   `json:"issuer"`
	JWKSURI                          string   `json:"jwks_uri"`
	ResponseTypesSupported           []string `json:"response_types_supported"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	ClaimsSupported                  []string `json:"claims_supported"`
}

func (s *Service) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	doc := discoveryDocument{
		Issuer:                           s.cfg.Issuer,
		JWKSURI:                          fmt.Sprintf("%s/.well-known/jwks.json", strings.TrimSuffix(s.cfg.Issuer, "/")),
		ResponseTypesSupported:           []string{"id_token"},
		SubjectTypesSupported:            []string{"public"},
		IDTokenSigningAlgValuesSupported: []string{string(jose.ES256)},
		ClaimsSupported:                  []string{"iss", "sub", "aud", "exp", "iat", "amr"},
	}
	payload, _ := json.Marshal(doc)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(payload)
}
