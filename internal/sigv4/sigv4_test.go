package sigv4_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/rallypoint/rallypoint/internal/sigv4"
)

var keys = map[string]sigv4.Credentials{
	"AKIDEXAMPLE": {AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
	"ASIATEMP":    {AccessKeyID: "ASIATEMP", SecretAccessKey: "tempsecret", SessionToken: "session-token-1"},
}

// verifyServer is a real loopback server that reports what the verifier
// decided about each request it receives.
func verifyServer(t *testing.T, now func() time.Time) string {
	t.Helper()
	v := &sigv4.Verifier{
		Service: "gamelift",
		Lookup:  func(id string) (sigv4.Credentials, bool) { c, ok := keys[id]; return c, ok },
		Now:     now,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		res, err := v.Verify(r, body)
		if err != nil {
			e, ok := sigv4.AsError(err)
			if !ok {
				t.Errorf("Verify returned a non-sigv4 error: %v", err)
			}
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, e.Code)
			return
		}
		io.WriteString(w, "ok "+res.AccessKeyID+" "+res.Region)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func sign(t *testing.T, req *http.Request, body []byte, creds aws.Credentials, at time.Time) {
	t.Helper()
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "gamelift", "eu-west-1", at); err != nil {
		t.Fatal(err)
	}
}

func send(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func newReq(t *testing.T, url string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/service/GameLift/operation/ListFleets?b=2&a=1&a=0", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/cbor")
	req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	req.Header.Set("X-Multi", "a  b   c")
	return req
}

func TestVerifyHeaderSignatures(t *testing.T) {
	now := time.Now()
	url := verifyServer(t, func() time.Time { return now })
	body := []byte(`{"Limit":10}`)
	good := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: keys["AKIDEXAMPLE"].SecretAccessKey}

	tests := []struct {
		name     string
		creds    aws.Credentials
		at       time.Time
		mutate   func(*http.Request)
		body     []byte // sent instead of the signed body when set
		wantCode int
		want     string
	}{
		{name: "valid", creds: good, at: now, wantCode: 200, want: "ok AKIDEXAMPLE eu-west-1"},
		{name: "valid within skew", creds: good, at: now.Add(-4 * time.Minute), wantCode: 200, want: "ok AKIDEXAMPLE eu-west-1"},
		{name: "wrong secret", creds: aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "nope"}, at: now, wantCode: 403, want: sigv4.CodeInvalidSignature},
		{name: "unknown key", creds: aws.Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: "x"}, at: now, wantCode: 403, want: sigv4.CodeUnrecognizedClient},
		{name: "clock behind", creds: good, at: now.Add(-6 * time.Minute), wantCode: 403, want: sigv4.CodeInvalidSignature},
		{name: "clock ahead", creds: good, at: now.Add(6 * time.Minute), wantCode: 403, want: sigv4.CodeInvalidSignature},
		{name: "body changed", creds: good, at: now, body: []byte(`{"Limit":11}`), wantCode: 403, want: sigv4.CodeInvalidSignature},
		{name: "signed header changed", creds: good, at: now, mutate: func(r *http.Request) { r.Header.Set("Content-Type", "application/json") }, wantCode: 403, want: sigv4.CodeInvalidSignature},
		{name: "query changed", creds: good, at: now, mutate: func(r *http.Request) { r.URL.RawQuery = "a=1" }, wantCode: 403, want: sigv4.CodeInvalidSignature},
		{name: "no authorization", creds: good, at: now, mutate: func(r *http.Request) { r.Header.Del("Authorization") }, wantCode: 403, want: sigv4.CodeMissingAuthenticationToken},
		{name: "garbled authorization", creds: good, at: now, mutate: func(r *http.Request) { r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential") }, wantCode: 403, want: sigv4.CodeIncompleteSignature},
		{name: "temporary credentials", creds: aws.Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "tempsecret", SessionToken: "session-token-1"}, at: now, wantCode: 200, want: "ok ASIATEMP eu-west-1"},
		{name: "temporary credentials, wrong token", creds: aws.Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "tempsecret", SessionToken: "other"}, at: now, wantCode: 403, want: sigv4.CodeUnrecognizedClient},
		{name: "temporary credentials, no token", creds: aws.Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "tempsecret"}, at: now, wantCode: 403, want: sigv4.CodeUnrecognizedClient},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := newReq(t, url, body)
			sign(t, req, body, tc.creds, tc.at)
			if tc.body != nil {
				req.Body = io.NopCloser(bytes.NewReader(tc.body))
				req.ContentLength = int64(len(tc.body))
			}
			if tc.mutate != nil {
				tc.mutate(req)
			}
			code, got := send(t, req)
			if code != tc.wantCode || got != tc.want {
				t.Fatalf("got %d %q, want %d %q", code, got, tc.wantCode, tc.want)
			}
		})
	}
}

func TestVerifyWrongService(t *testing.T) {
	now := time.Now()
	url := verifyServer(t, func() time.Time { return now })
	req := newReq(t, url, nil)
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: keys["AKIDEXAMPLE"].SecretAccessKey}
	sum := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "s3", "eu-west-1", now); err != nil {
		t.Fatal(err)
	}
	if code, got := send(t, req); code != 403 || got != sigv4.CodeIncompleteSignature {
		t.Fatalf("got %d %q", code, got)
	}
}

func TestVerifyPresignedURL(t *testing.T) {
	now := time.Now()
	clock := now
	url := verifyServer(t, func() time.Time { return clock })
	creds := aws.Credentials{AccessKeyID: "ASIATEMP", SecretAccessKey: "tempsecret", SessionToken: "session-token-1"}

	presign := func(t *testing.T, payloadHash string) string {
		req, _ := http.NewRequest(http.MethodGet, url+"/ws?X-Amz-Expires=300&extra=a%20b", nil)
		signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, payloadHash, "gamelift", "eu-west-1", now)
		if err != nil {
			t.Fatal(err)
		}
		return signed
	}
	emptyHash := hex.EncodeToString(func() []byte { s := sha256.Sum256(nil); return s[:] }())
	for _, ph := range []string{emptyHash, "UNSIGNED-PAYLOAD"} {
		signed := presign(t, ph)
		req, _ := http.NewRequest(http.MethodGet, signed, nil)
		if code, got := send(t, req); code != 200 {
			t.Fatalf("presigned with payload hash %s: %d %s", ph, code, got)
		}
		tampered, _ := http.NewRequest(http.MethodGet, strings.Replace(signed, "extra=a%20b", "extra=c", 1), nil)
		if code, got := send(t, tampered); code != 403 || got != sigv4.CodeInvalidSignature {
			t.Fatalf("tampered presigned URL: %d %s", code, got)
		}
	}

	signed := presign(t, emptyHash)
	clock = now.Add(301 * time.Second)
	req, _ := http.NewRequest(http.MethodGet, signed, nil)
	if code, got := send(t, req); code != 403 || got != sigv4.CodeInvalidSignature {
		t.Fatalf("expired presigned URL: %d %s", code, got)
	}
}

func TestParseAuthorization(t *testing.T) {
	good := "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/gamelift/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("a", 64)
	a, err := sigv4.ParseAuthorization(good)
	if err != nil {
		t.Fatal(err)
	}
	if a.AccessKeyID != "AKID" || a.Region != "us-east-1" || a.Service != "gamelift" || a.Date != "20260101" || len(a.SignedHeaders) != 2 {
		t.Fatalf("parsed %+v", a)
	}
	bad := map[string]string{
		"wrong algorithm":   strings.Replace(good, "AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1", 1),
		"short credential":  strings.Replace(good, "/gamelift/aws4_request", "/aws4_request", 1),
		"bad date":          strings.Replace(good, "20260101", "2026-01-01", 1),
		"unsorted headers":  strings.Replace(good, "host;x-amz-date", "x-amz-date;host", 1),
		"upper headers":     strings.Replace(good, "host;x-amz-date", "Host;x-amz-date", 1),
		"short signature":   strings.Replace(good, strings.Repeat("a", 64), "abc", 1),
		"missing signature": strings.Split(good, ", Signature")[0],
		"repeated field":    good + ", Signature=" + strings.Repeat("b", 64),
		"no fields":         "AWS4-HMAC-SHA256",
		"empty":             "",
	}
	for name, h := range bad {
		if _, err := sigv4.ParseAuthorization(h); err == nil {
			t.Errorf("%s: parsed %q", name, h)
		} else if e, ok := sigv4.AsError(err); !ok || e.Code != sigv4.CodeIncompleteSignature {
			t.Errorf("%s: error %v", name, err)
		}
	}
}

func FuzzParseAuthorization(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/gamelift/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("a", 64))
	f.Add("AWS4-HMAC-SHA256 Credential=//////, SignedHeaders=;;, Signature=")
	f.Add("AWS4-HMAC-SHA256 ,,,=,=")
	f.Fuzz(func(t *testing.T, h string) {
		a, err := sigv4.ParseAuthorization(h)
		if err != nil {
			if _, ok := sigv4.AsError(err); !ok {
				t.Fatalf("error is not a *sigv4.Error: %v", err)
			}
			return
		}
		if a.AccessKeyID == "" || a.Region == "" || a.Service == "" || len(a.Signature) != 64 || len(a.SignedHeaders) == 0 {
			t.Fatalf("accepted an incomplete authorization %q: %+v", h, a)
		}
	})
}
