package identity_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/rallypoint/rallypoint/internal/identity"
)

// awsCLI runs the aws CLI against url, with the operator's key in its
// environment, and decodes its JSON output.
func awsCLI(t *testing.T, url string, out any, args ...string) {
	t.Helper()
	path, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the aws CLI is not installed")
	}
	cmd := exec.CommandContext(ctxT(t), path, append(append([]string{"cognito-identity"}, args...), "--endpoint-url", url, "--output", "json")...)
	home := t.TempDir()
	cmd.Env = append(os.Environ(),
		"HOME="+home,
		"AWS_CONFIG_FILE="+home+"/config",
		"AWS_SHARED_CREDENTIALS_FILE="+home+"/credentials",
		"AWS_ACCESS_KEY_ID="+operatorKey.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+operatorKey.SecretAccessKey,
		"AWS_DEFAULT_REGION="+testRegion,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1",
	)
	b, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("aws %v: %v\n%s", args, err, stderr)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("aws %v printed %q: %v", args, b, err)
	}
}

// TestCLI creates a pool with the aws CLI (signed, admin listener) and gets
// a guest identity and its credentials with it (unsigned, public listener).
func TestCLI(t *testing.T) {
	ev := newEnv(t, func(c *identity.Config) { c.Now = nil }) // the CLI signs with the real clock
	var pool struct {
		IdentityPoolID string `json:"IdentityPoolId"`
		Name           string `json:"IdentityPoolName"`
	}
	awsCLI(t, ev.admin.URL, &pool, "create-identity-pool", "--identity-pool-name", "cli pool", "--allow-unauthenticated-identities",
		"--supported-login-providers", "accounts.google.com=123-abc.apps.googleusercontent.com")
	if pool.IdentityPoolID == "" || pool.Name != "cli pool" {
		t.Fatalf("create-identity-pool printed %+v", pool)
	}
	var id struct {
		IdentityID string `json:"IdentityId"`
	}
	awsCLI(t, ev.public.URL, &id, "get-id", "--identity-pool-id", pool.IdentityPoolID, "--no-sign-request")
	if !regionPrefixed(id.IdentityID) {
		t.Fatalf("get-id printed %+v", id)
	}
	var creds struct {
		IdentityID  string `json:"IdentityId"`
		Credentials struct {
			AccessKeyID  string `json:"AccessKeyId"`
			SessionToken string `json:"SessionToken"`
			Expiration   any    `json:"Expiration"`
		} `json:"Credentials"`
	}
	awsCLI(t, ev.public.URL, &creds, "get-credentials-for-identity", "--identity-id", id.IdentityID, "--no-sign-request")
	if creds.IdentityID != id.IdentityID || creds.Credentials.Expiration == nil {
		t.Fatalf("get-credentials-for-identity printed %+v", creds)
	}
	if _, p, err := ev.svc.SessionCredentials(ctxT(t), creds.Credentials.AccessKeyID, creds.Credentials.SessionToken); err != nil || p.IdentityID != id.IdentityID {
		t.Fatalf("SessionCredentials = %+v, %v", p, err)
	}
	var list struct {
		IdentityPools []struct {
			IdentityPoolID string `json:"IdentityPoolId"`
		} `json:"IdentityPools"`
	}
	awsCLI(t, ev.admin.URL, &list, "list-identity-pools", "--max-results", "10")
	if len(list.IdentityPools) != 1 || list.IdentityPools[0].IdentityPoolID != pool.IdentityPoolID {
		t.Fatalf("list-identity-pools printed %+v", list)
	}
}
