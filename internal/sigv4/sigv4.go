// Package sigv4 verifies AWS Signature Version 4 on incoming HTTP requests.
//
// AWS clients (the SDKs, the aws CLI, signed WebSocket URLs) authenticate
// every call with SigV4. rallypoint checks those signatures the only way they
// can be checked: by rebuilding the canonical request from what arrived,
// signing it again with the secret of the access key the client named, and
// comparing. Both forms are handled: the Authorization header (control-plane
// calls) and the query-string form of a presigned URL (WebSocket upgrades).
package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

const (
	amzDateFormat   = "20060102T150405Z"
	scopeDateFormat = "20060102"
	// unsignedPayload is what presigned URLs may put in place of the body
	// hash.
	unsignedPayload = "UNSIGNED-PAYLOAD"
	// maxPresignExpiry is SigV4's upper bound for X-Amz-Expires (7 days).
	maxPresignExpiry = 7 * 24 * time.Hour
)

// Credentials are what a verifier knows about an access key.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken, when set, must be presented with the request
	// (X-Amz-Security-Token): temporary credentials carry one.
	SessionToken string
}

// Verifier checks signatures for one service.
type Verifier struct {
	// Service is the signing name the scope must name ("gamelift",
	// "execute-api").
	Service string
	// Lookup returns the credentials of an access key id, or false when the
	// key is unknown.
	Lookup func(accessKeyID string) (Credentials, bool)
	// MaxSkew bounds how far the signing time may be from the verifier's
	// clock. Zero means 5 minutes, as AWS allows.
	MaxSkew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Result describes a request whose signature was verified.
type Result struct {
	AccessKeyID string
	Region      string
	SignedAt    time.Time
}

// Verify checks the request's signature over payload (the request body,
// already read). It returns a *Error on every failure.
func (v *Verifier) Verify(r *http.Request, payload []byte) (Result, error) {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	maxSkew := v.MaxSkew
	if maxSkew == 0 {
		maxSkew = 5 * time.Minute
	}

	var (
		auth      Authorization
		presigned bool
		err       error
	)
	query := r.URL.Query()
	switch {
	case r.Header.Get("Authorization") != "":
		auth, err = ParseAuthorization(r.Header.Get("Authorization"))
		if err != nil {
			return Result{}, err
		}
	case query.Get("X-Amz-Algorithm") != "" || query.Get("X-Amz-Signature") != "":
		presigned = true
		auth, err = parseQueryAuthorization(query)
		if err != nil {
			return Result{}, err
		}
	default:
		return Result{}, &Error{Code: CodeMissingAuthenticationToken, Message: "Missing Authentication Token"}
	}

	if auth.Service != v.Service {
		return Result{}, &Error{Code: CodeIncompleteSignature, Message: fmt.Sprintf("Credential should be scoped to correct service: '%s'.", v.Service)}
	}

	// The signing time: X-Amz-Date, else the Date header.
	var rawDate string
	if presigned {
		rawDate = query.Get("X-Amz-Date")
	} else {
		rawDate = r.Header.Get("X-Amz-Date")
	}
	var signedAt time.Time
	if rawDate != "" {
		signedAt, err = time.Parse(amzDateFormat, rawDate)
		if err != nil {
			return Result{}, &Error{Code: CodeIncompleteSignature, Message: fmt.Sprintf("X-Amz-Date %q is not in the form 20060102T150405Z", rawDate)}
		}
	} else if d := r.Header.Get("Date"); d != "" && !presigned {
		signedAt, err = http.ParseTime(d)
		if err != nil {
			return Result{}, &Error{Code: CodeIncompleteSignature, Message: fmt.Sprintf("Date header %q is not an HTTP date", d)}
		}
		rawDate = signedAt.UTC().Format(amzDateFormat)
	} else {
		return Result{}, &Error{Code: CodeIncompleteSignature, Message: "Authorization requires an X-Amz-Date or Date header"}
	}
	if signedAt.UTC().Format(scopeDateFormat) != auth.Date {
		return Result{}, &Error{Code: CodeInvalidSignature, Message: fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s'", auth.Date, signedAt.UTC().Format(scopeDateFormat))}
	}

	current := now()
	if presigned {
		expires, err := strconv.Atoi(query.Get("X-Amz-Expires"))
		if err != nil || expires <= 0 || time.Duration(expires)*time.Second > maxPresignExpiry {
			return Result{}, &Error{Code: CodeIncompleteSignature, Message: "X-Amz-Expires must be a number of seconds between 1 and 604800"}
		}
		if current.After(signedAt.Add(time.Duration(expires) * time.Second)) {
			return Result{}, &Error{Code: CodeInvalidSignature, Message: fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %d sec.)", signedAt.Add(time.Duration(expires)*time.Second).UTC().Format(amzDateFormat), current.UTC().Format(amzDateFormat), current.UTC().Format(amzDateFormat), expires)}
		}
		if signedAt.After(current.Add(maxSkew)) {
			return Result{}, &Error{Code: CodeInvalidSignature, Message: fmt.Sprintf("Signature not yet current: %s is still later than %s", signedAt.UTC().Format(amzDateFormat), current.Add(maxSkew).UTC().Format(amzDateFormat))}
		}
	} else {
		if signedAt.Before(current.Add(-maxSkew)) {
			return Result{}, &Error{Code: CodeInvalidSignature, Message: fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s.)", rawDate, current.Add(-maxSkew).UTC().Format(amzDateFormat), current.UTC().Format(amzDateFormat), maxSkew)}
		}
		if signedAt.After(current.Add(maxSkew)) {
			return Result{}, &Error{Code: CodeInvalidSignature, Message: fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s.)", rawDate, current.Add(maxSkew).UTC().Format(amzDateFormat), current.UTC().Format(amzDateFormat), maxSkew)}
		}
	}

	creds, ok := v.Lookup(auth.AccessKeyID)
	if !ok {
		return Result{}, &Error{Code: CodeUnrecognizedClient, Message: "The security token included in the request is invalid."}
	}
	token := r.Header.Get("X-Amz-Security-Token")
	if presigned {
		token = query.Get("X-Amz-Security-Token")
	}
	if token != creds.SessionToken {
		return Result{}, &Error{Code: CodeUnrecognizedClient, Message: "The security token included in the request is invalid."}
	}

	payloadHashes := []string{hashHex(payload)}
	if presigned {
		if h := query.Get("X-Amz-Content-Sha256"); h != "" {
			payloadHashes = []string{h}
		} else {
			// Presigners differ: some hash the (empty) body, some write
			// UNSIGNED-PAYLOAD. Either is the client's honest statement
			// about a GET upgrade with no body.
			payloadHashes = append(payloadHashes, unsignedPayload)
		}
	}

	key := signingKey(creds.SecretAccessKey, auth.Date, auth.Region, auth.Service)
	scope := auth.Date + "/" + auth.Region + "/" + auth.Service + "/aws4_request"
	for _, ph := range payloadHashes {
		canonical, err := canonicalRequest(r, auth.SignedHeaders, ph, presigned)
		if err != nil {
			return Result{}, err
		}
		sts := Algorithm + "\n" + rawDate + "\n" + scope + "\n" + hashHex([]byte(canonical))
		want := hmacSHA256(key, []byte(sts))
		got, err := hex.DecodeString(auth.Signature)
		if err == nil && hmac.Equal(want, got) {
			return Result{AccessKeyID: auth.AccessKeyID, Region: auth.Region, SignedAt: signedAt}, nil
		}
	}
	return Result{}, &Error{Code: CodeInvalidSignature, Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
}

// Authorization is a parsed SigV4 credential and signature.
type Authorization struct {
	AccessKeyID   string
	Date          string // YYYYMMDD of the credential scope
	Region        string
	Service       string
	SignedHeaders []string // lower case, as sent
	Signature     string   // hex
}

// ParseAuthorization parses an Authorization header value of the form
// "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/gamelift/aws4_request,
// SignedHeaders=host;x-amz-date, Signature=hex".
func ParseAuthorization(h string) (Authorization, error) {
	alg, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || alg != Algorithm {
		return Authorization{}, &Error{Code: CodeIncompleteSignature, Message: fmt.Sprintf("Authorization header must start with %s", Algorithm)}
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return Authorization{}, &Error{Code: CodeIncompleteSignature, Message: fmt.Sprintf("Authorization header component %q is not key=value", part)}
		}
		if _, dup := fields[k]; dup {
			return Authorization{}, &Error{Code: CodeIncompleteSignature, Message: fmt.Sprintf("Authorization header repeats %s", k)}
		}
		fields[k] = v
	}
	return authorizationFrom(fields["Credential"], fields["SignedHeaders"], fields["Signature"], "Authorization header")
}

func parseQueryAuthorization(q url.Values) (Authorization, error) {
	if alg := q.Get("X-Amz-Algorithm"); alg != Algorithm {
		return Authorization{}, &Error{Code: CodeIncompleteSignature, Message: fmt.Sprintf("X-Amz-Algorithm must be %s", Algorithm)}
	}
	return authorizationFrom(q.Get("X-Amz-Credential"), q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature"), "query string")
}

func authorizationFrom(credential, signedHeaders, signature, where string) (Authorization, error) {
	var missing []string
	if credential == "" {
		missing = append(missing, "Credential")
	}
	if signedHeaders == "" {
		missing = append(missing, "SignedHeaders")
	}
	if signature == "" {
		missing = append(missing, "Signature")
	}
	if len(missing) > 0 {
		return Authorization{}, &Error{Code: CodeIncompleteSignature, Message: fmt.Sprintf("%s is missing %s", where, strings.Join(missing, ", "))}
	}
	parts := strings.Split(credential, "/")
	if len(parts) != 5 || parts[4] != "aws4_request" || parts[0] == "" || parts[2] == "" || parts[3] == "" {
		return Authorization{}, &Error{Code: CodeIncompleteSignature, Message: fmt.Sprintf("Credential %q must be <access key>/<YYYYMMDD>/<region>/<service>/aws4_request", credential)}
	}
	if _, err := time.Parse(scopeDateFormat, parts[1]); err != nil {
		return Authorization{}, &Error{Code: CodeIncompleteSignature, Message: fmt.Sprintf("Credential date %q is not YYYYMMDD", parts[1])}
	}
	if _, err := hex.DecodeString(signature); err != nil || len(signature) != 64 {
		return Authorization{}, &Error{Code: CodeIncompleteSignature, Message: "Signature must be 64 hexadecimal characters"}
	}
	headers := strings.Split(signedHeaders, ";")
	for _, h := range headers {
		if h == "" || h != strings.ToLower(h) {
			return Authorization{}, &Error{Code: CodeIncompleteSignature, Message: fmt.Sprintf("SignedHeaders %q must be lower-case names separated by ';'", signedHeaders)}
		}
	}
	if !sort.StringsAreSorted(headers) {
		return Authorization{}, &Error{Code: CodeIncompleteSignature, Message: fmt.Sprintf("SignedHeaders %q must be sorted", signedHeaders)}
	}
	return Authorization{
		AccessKeyID:   parts[0],
		Date:          parts[1],
		Region:        parts[2],
		Service:       parts[3],
		SignedHeaders: headers,
		Signature:     strings.ToLower(signature),
	}, nil
}

// canonicalRequest rebuilds the string the client signed.
func canonicalRequest(r *http.Request, signedHeaders []string, payloadHash string, presigned bool) (string, error) {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(canonicalURI(r.URL))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.RawQuery, presigned))
	b.WriteByte('\n')
	hasHost := false
	for _, name := range signedHeaders {
		values, err := headerValues(r, name)
		if err != nil {
			return "", err
		}
		if name == "host" {
			hasHost = true
		}
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range values {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(trimAll(v))
		}
		b.WriteByte('\n')
	}
	if !hasHost {
		return "", &Error{Code: CodeIncompleteSignature, Message: "SignedHeaders must include host"}
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signedHeaders, ";"))
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String(), nil
}

// headerValues finds a signed header's values, including the ones Go's
// server moves out of the header map.
func headerValues(r *http.Request, name string) ([]string, error) {
	switch name {
	case "host":
		return []string{r.Host}, nil
	case "content-length":
		if v := r.Header.Values("Content-Length"); len(v) > 0 {
			return v, nil
		}
		return []string{strconv.FormatInt(r.ContentLength, 10)}, nil
	}
	v := r.Header.Values(name)
	if len(v) == 0 {
		return nil, &Error{Code: CodeInvalidSignature, Message: fmt.Sprintf("The request signature names header %q, which the request does not carry", name)}
	}
	return v, nil
}

// trimAll trims a header value and collapses inner runs of spaces, as the
// canonical form requires.
func trimAll(s string) string {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "  ") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// canonicalURI is the path, URI-encoded once more over its escaped form:
// every AWS service except S3 signs the doubly encoded path.
func canonicalURI(u *url.URL) string {
	p := u.EscapedPath()
	if p == "" {
		return "/"
	}
	return uriEncode(p, false)
}

// canonicalQuery sorts the query by name then value and encodes both with
// SigV4's rules. A presigned URL's own signature is left out.
func canonicalQuery(raw string, presigned bool) string {
	if raw == "" {
		return ""
	}
	type pair struct{ k, v string }
	var pairs []pair
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			dk = k
		}
		dv, err := url.QueryUnescape(v)
		if err != nil {
			dv = v
		}
		if presigned && dk == "X-Amz-Signature" {
			continue
		}
		pairs = append(pairs, pair{uriEncode(dk, true), uriEncode(dv, true)})
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// uriEncode percent-encodes everything but RFC 3986's unreserved characters
// (and '/' unless encodeSlash).
func uriEncode(s string, encodeSlash bool) string {
	const hexdigits = "0123456789ABCDEF"
	var b bytes.Buffer
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	return b.String()
}

func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte(service))
	return hmacSHA256(k, []byte("aws4_request"))
}

func hmacSHA256(key, data []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(data)
	return h.Sum(nil)
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// The error codes AWS services return for signature problems; the SDKs know
// them (InvalidSignatureException also triggers their clock-skew retry).
const (
	CodeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	CodeIncompleteSignature        = "IncompleteSignatureException"
	CodeUnrecognizedClient         = "UnrecognizedClientException"
	CodeInvalidSignature           = "InvalidSignatureException"
)

// Error is a verification failure: Code is the AWS error code to return,
// Message says what was wrong.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// AsError extracts a verification failure from err.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
