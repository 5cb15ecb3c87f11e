package gateway_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/coder/websocket"
)

// awsCLI is the aws CLI from the Debian package: a client nobody on this
// project wrote.
const awsCLI = "/usr/bin/aws"

// The aws CLI's apigatewaymanagementapi commands against the @connections
// handler, with and without a stage in the endpoint URL.
func TestAWSCLI(t *testing.T) {
	if _, err := os.Stat(awsCLI); err != nil {
		t.Skip("the aws CLI is not installed")
	}
	w := newWorld(t)
	n := w.node("a", nil)
	for name, endpoint := range map[string]string{"no stage": n.admin.URL, "stage": n.admin.URL + "/production"} {
		t.Run(name, func(t *testing.T) {
			p := w.player()
			c := n.connect(t, p)
			id := w.recordsOf(p.id)[0]

			if out, err := runCLI(t, endpoint, "post-to-connection", "--connection-id", id, "--data", "hello from the cli"); err != nil {
				t.Fatalf("post-to-connection: %v\n%s", err, out)
			}
			if got := string(c.read()); got != "hello from the cli" {
				t.Fatalf("posted frame %q", got)
			}
			out, err := runCLI(t, endpoint, "get-connection", "--connection-id", id)
			if err != nil {
				t.Fatalf("get-connection: %v\n%s", err, out)
			}
			var got struct {
				ConnectedAt  string
				LastActiveAt string
				Identity     struct{ SourceIp, UserAgent string }
			}
			if err := json.Unmarshal(out, &got); err != nil || got.ConnectedAt == "" || got.LastActiveAt == "" || got.Identity.SourceIp != "127.0.0.1" || got.Identity.UserAgent == "" {
				t.Errorf("get-connection: %s (%v)", out, err)
			}
			if out, err := runCLI(t, endpoint, "delete-connection", "--connection-id", id); err != nil {
				t.Fatalf("delete-connection: %v\n%s", err, out)
			}
			c.expectClose(websocket.StatusNormalClosure, "connection deleted")
			eventually(t, "the record to go", func() bool { return len(w.recordsOf(p.id)) == 0 })
			for _, cmd := range []string{"get-connection", "delete-connection"} {
				out, err := runCLI(t, endpoint, cmd, "--connection-id", id)
				if err == nil || !strings.Contains(string(out), "GoneException") {
					t.Errorf("%s on a gone connection: %v\n%s", cmd, err, out)
				}
			}
			out, err = runCLI(t, endpoint, "post-to-connection", "--connection-id", id, "--data", "x")
			if err == nil || !strings.Contains(string(out), "GoneException") {
				t.Errorf("post-to-connection on a gone connection: %v\n%s", err, out)
			}
		})
	}
}

func runCLI(t *testing.T, endpoint string, args ...string) ([]byte, error) {
	t.Helper()
	args = append([]string{"apigatewaymanagementapi", "--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json", "--cli-binary-format", "raw-in-base64-out"}, args...)
	cmd := exec.Command(awsCLI, args...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+operatorKey, "AWS_SECRET_ACCESS_KEY="+operatorSecret,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1",
	)
	cmd.Env = slicesWithout(cmd.Env, "AWS_SESSION_TOKEN=", "AWS_PROFILE=")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.Bytes(), err
}

func slicesWithout(env []string, prefixes ...string) []string {
	out := env[:0:0]
	for _, e := range env {
		keep := true
		for _, p := range prefixes {
			if strings.HasPrefix(e, p) {
				keep = false
			}
		}
		if keep {
			out = append(out, e)
		}
	}
	return out
}
