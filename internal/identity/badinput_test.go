package identity_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/identity"
)

type rawResponse struct {
	status int
	Type   string `json:"__type"`
	Msg    string `json:"message"`
	body   string
}

// call sends a raw AWS JSON 1.1 call.
func call(t *testing.T, url, op, body string) rawResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService."+op)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := rawResponse{status: resp.StatusCode, body: string(b)}
	_ = json.Unmarshal(b, &r)
	return r
}

// countKeys counts the keys of a bucket.
func countKeys(t *testing.T, kv jetstream.KeyValue) int {
	t.Helper()
	l, err := kv.ListKeys(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range l.Keys() {
		n++
	}
	return n
}

// TestBadInput checks that each refused request names the member at fault
// and stores nothing.
func TestBadInput(t *testing.T) {
	ev, _, poolID := oidcEnv(t)
	admin := httptest.NewServer(ev.svc.AdminHandler(nil, true))
	t.Cleanup(admin.Close)
	guest, err := ev.svc.GetID(ctxT(t), poolID, nil)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := json.Marshal(poolID)
	many := func(n int, value string) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"k` + strings.Repeat("x", i) + `":"` + value + `"`)
		}
		b.WriteString("}")
		return b.String()
	}
	cases := []struct {
		name, url, op, body, code, member string
	}{
		{"pool without name", admin.URL, "CreateIdentityPool", `{"AllowUnauthenticatedIdentities":true}`, identity.CodeInvalidParameter, "IdentityPoolName"},
		{"pool without AllowUnauthenticatedIdentities", admin.URL, "CreateIdentityPool", `{"IdentityPoolName":"p"}`, identity.CodeInvalidParameter, "AllowUnauthenticatedIdentities"},
		{"pool name with a bad character", admin.URL, "CreateIdentityPool", `{"IdentityPoolName":"bad!","AllowUnauthenticatedIdentities":true}`, identity.CodeInvalidParameter, "IdentityPoolName"},
		{"pool name too long", admin.URL, "CreateIdentityPool", `{"IdentityPoolName":"` + strings.Repeat("n", 129) + `","AllowUnauthenticatedIdentities":true}`, identity.CodeInvalidParameter, "IdentityPoolName"},
		{"too many providers", admin.URL, "CreateIdentityPool", `{"IdentityPoolName":"p","AllowUnauthenticatedIdentities":true,"SupportedLoginProviders":` + many(11, "client") + `}`, identity.CodeInvalidParameter, "SupportedLoginProviders"},
		{"bad client id", admin.URL, "CreateIdentityPool", `{"IdentityPoolName":"p","AllowUnauthenticatedIdentities":true,"SupportedLoginProviders":{"accounts.google.com":"bad id!"}}`, identity.CodeInvalidParameter, "SupportedLoginProviders"},
		{"bad developer provider name", admin.URL, "CreateIdentityPool", `{"IdentityPoolName":"p","AllowUnauthenticatedIdentities":true,"DeveloperProviderName":"bad name"}`, identity.CodeInvalidParameter, "DeveloperProviderName"},
		{"OIDC provider ARNs", admin.URL, "CreateIdentityPool", `{"IdentityPoolName":"p","AllowUnauthenticatedIdentities":true,"OpenIdConnectProviderARNs":["arn:aws:iam::123456789012:oidc-provider/accounts.google.com"]}`, identity.CodeInvalidParameter, "OpenIdConnectProviderARNs"},
		{"SAML providers", admin.URL, "CreateIdentityPool", `{"IdentityPoolName":"p","AllowUnauthenticatedIdentities":true,"SamlProviderARNs":["arn:aws:iam::123456789012:saml-provider/corp"]}`, identity.CodeInvalidParameter, "SamlProviderARNs"},
		{"Cognito user pools", admin.URL, "CreateIdentityPool", `{"IdentityPoolName":"p","AllowUnauthenticatedIdentities":true,"CognitoIdentityProviders":[{"ProviderName":"cognito-idp.us-east-1.amazonaws.com/us-east-1_abc","ClientId":"abc"}]}`, identity.CodeInvalidParameter, "CognitoIdentityProviders"},
		{"too many tags", admin.URL, "CreateIdentityPool", `{"IdentityPoolName":"p","AllowUnauthenticatedIdentities":true,"IdentityPoolTags":` + many(51, "v") + `}`, identity.CodeInvalidParameter, "IdentityPoolTags"},
		{"not JSON", admin.URL, "CreateIdentityPool", `{"IdentityPoolName":`, identity.CodeInvalidParameter, "JSON"},
		{"malformed pool id", admin.URL, "DescribeIdentityPool", `{"IdentityPoolId":"nope"}`, identity.CodeInvalidParameter, "IdentityPoolId"},
		{"unknown pool", admin.URL, "DescribeIdentityPool", `{"IdentityPoolId":"eu-test-1:00000000-0000-0000-0000-000000000000"}`, identity.CodeResourceNotFound, "IdentityPool"},
		{"list without MaxResults", admin.URL, "ListIdentityPools", `{}`, identity.CodeInvalidParameter, "MaxResults"},
		{"list with MaxResults 61", admin.URL, "ListIdentityPools", `{"MaxResults":61}`, identity.CodeInvalidParameter, "MaxResults"},
		{"list with a forged NextToken", admin.URL, "ListIdentityPools", `{"MaxResults":5,"NextToken":"not base64!"}`, identity.CodeInvalidParameter, "NextToken"},
		{"developer provider changed", admin.URL, "UpdateIdentityPool", `{"IdentityPoolId":` + string(pid) + `,"IdentityPoolName":"p","AllowUnauthenticatedIdentities":true,"DeveloperProviderName":"other.example"}`, identity.CodeInvalidParameter, "DeveloperProviderName"},
		{"developer token too long-lived", admin.URL, "GetOpenIdTokenForDeveloperIdentity", `{"IdentityPoolId":` + string(pid) + `,"Logins":{"login.arena.example":"u"},"TokenDuration":86401}`, identity.CodeInvalidParameter, "TokenDuration"},
		{"developer token without logins", admin.URL, "GetOpenIdTokenForDeveloperIdentity", `{"IdentityPoolId":` + string(pid) + `}`, identity.CodeInvalidParameter, "Logins"},
		{"developer user id too long", admin.URL, "GetOpenIdTokenForDeveloperIdentity", `{"IdentityPoolId":` + string(pid) + `,"Logins":{"login.arena.example":"` + strings.Repeat("u", 1025) + `"}}`, identity.CodeInvalidParameter, "Logins"},
		{"lookup without a key", admin.URL, "LookupDeveloperIdentity", `{"IdentityPoolId":` + string(pid) + `}`, identity.CodeInvalidParameter, "IdentityId"},
		{"GetId without pool", ev.public.URL, "GetId", `{}`, identity.CodeInvalidParameter, "IdentityPoolId"},
		{"GetId with a bad AccountId", ev.public.URL, "GetId", `{"IdentityPoolId":` + string(pid) + `,"AccountId":"abc"}`, identity.CodeInvalidParameter, "AccountId"},
		{"GetId with 11 logins", ev.public.URL, "GetId", `{"IdentityPoolId":` + string(pid) + `,"Logins":` + many(11, "t") + `}`, identity.CodeInvalidParameter, "Logins"},
		{"GetId with an empty login token", ev.public.URL, "GetId", `{"IdentityPoolId":` + string(pid) + `,"Logins":{"idp.test":""}}`, identity.CodeInvalidParameter, "Logins"},
		{"GetId with a huge login token", ev.public.URL, "GetId", `{"IdentityPoolId":` + string(pid) + `,"Logins":{"idp.test":"` + strings.Repeat("t", 50001) + `"}}`, identity.CodeInvalidParameter, "Logins"},
		{"token for a malformed identity", ev.public.URL, "GetOpenIdToken", `{"IdentityId":"bad"}`, identity.CodeInvalidParameter, "IdentityId"},
		{"token for an unknown identity", ev.public.URL, "GetOpenIdToken", `{"IdentityId":"eu-test-1:00000000-0000-0000-0000-000000000000"}`, identity.CodeResourceNotFound, "Identity"},
		{"credentials with a bad CustomRoleArn", ev.public.URL, "GetCredentialsForIdentity", `{"IdentityId":"` + guest + `","CustomRoleArn":"short"}`, identity.CodeInvalidParameter, "CustomRoleArn"},
	}
	cfgKeys, idKeys := countKeys(t, ev.cfg.Config), countKeys(t, ev.cfg.Identities)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, tc.url, tc.op, tc.body)
			if r.Type != tc.code || !strings.Contains(r.Msg, tc.member) {
				t.Fatalf("got %d %s %q; want %s naming %s", r.status, r.Type, r.Msg, tc.code, tc.member)
			}
			if r.status < 400 || r.status >= 500 {
				t.Fatalf("status %d", r.status)
			}
		})
	}
	if c, i := countKeys(t, ev.cfg.Config), countKeys(t, ev.cfg.Identities); c != cfgKeys || i != idKeys {
		t.Fatalf("refused calls stored something: rp_config %d -> %d keys, rp_identities %d -> %d", cfgKeys, c, idKeys, i)
	}
	p, err := ev.svc.DescribePool(ctxT(t), poolID)
	if err != nil || p.DeveloperProviderName != "login.arena.example" {
		t.Fatalf("the pool changed: %+v, %v", p, err)
	}
}

// TestListeners checks that each listener serves its own operations only,
// that the admin listener wants a signature, and that bodies are bounded.
func TestListeners(t *testing.T) {
	ev := newEnv(t)
	pub := ev.public.URL
	cases := []struct {
		name, url, op, body, code string
		status                    int
	}{
		{"admin operation on the public listener", pub, "CreateIdentityPool", `{"IdentityPoolName":"p","AllowUnauthenticatedIdentities":true}`, "UnknownOperationException", 400},
		{"public operation on the admin listener", ev.admin.URL, "GetId", `{}`, "MissingAuthenticationTokenException", 403},
		{"unsigned admin call", ev.admin.URL, "ListIdentityPools", `{"MaxResults":5}`, "MissingAuthenticationTokenException", 403},
		{"unknown operation", pub, "DeleteIdentities", `{}`, "UnknownOperationException", 400},
		{"huge body", pub, "GetId", `{"IdentityPoolId":"` + strings.Repeat("x", 2<<20) + `"}`, "RequestEntityTooLargeException", 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, tc.url, tc.op, tc.body)
			if r.Type != tc.code || r.status != tc.status {
				t.Fatalf("got %d %s %q; want %d %s", r.status, r.Type, r.Msg, tc.status, tc.code)
			}
		})
	}
	insecure := httptest.NewServer(ev.svc.AdminHandler(nil, true))
	t.Cleanup(insecure.Close)
	if r := call(t, insecure.URL, "GetId", `{}`); r.Type != "UnknownOperationException" || !strings.Contains(r.Msg, "public listener") {
		t.Fatalf("public operation on the admin listener: %d %s %q", r.status, r.Type, r.Msg)
	}
	if r := call(t, insecure.URL, "ListIdentityPools", `{"MaxResults":5}`); r.status != 200 {
		t.Fatalf("unsigned call with insecure: %d %s", r.status, r.body)
	}
	// A signed call with an unknown key is refused even when insecure.
	req, _ := http.NewRequest(http.MethodPost, insecure.URL+"/", bytes.NewReader([]byte(`{"MaxResults":5}`)))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.ListIdentityPools")
	req.Header.Set("X-Amz-Date", "20260101T000000Z")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=NOPE/20260101/eu-test-1/cognito-identity/aws4_request, SignedHeaders=host;x-amz-date, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("signed call with an unknown key: %d", resp.StatusCode)
	}
	for _, path := range []string{"/.well-known/jwks.json", "/.well-known/openid-configuration"} {
		resp, err := http.Get(pub + path)
		if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET %s: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}
}
