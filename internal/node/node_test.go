package node_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/sigv4"
)

var key = sigv4.Credentials{AccessKeyID: "RPAKNODETEST", SecretAccessKey: "secret"}

func start(t *testing.T, cfg node.Config) *node.Node {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.AdminListen == "" {
		cfg.AdminListen = "127.0.0.1:0"
	}
	if cfg.AccessKeys == nil && !cfg.InsecureDev {
		cfg.AccessKeys = []sigv4.Credentials{key}
	}
	n, err := node.Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() { _ = n.Shutdown(context.Background()) })
	return n
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	n := start(t, node.Config{})
	admin := "http://" + n.AdminAddr()
	if code, body := get(t, admin+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("healthz = %d %q", code, body)
	}
	if code, body := get(t, admin+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("readyz = %d %q", code, body)
	}
	// One control-plane call, so its counter and histogram exist.
	req, _ := http.NewRequest(http.MethodPost, admin+"/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "GameLift.ListFleets")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	code, body := get(t, admin+"/metrics")
	if code != 200 {
		t.Fatalf("metrics = %d", code)
	}
	for _, want := range []string{
		`rallypoint_engine_up 1`,
		`rallypoint_api_requests_total{operation="ListFleets",outcome="MissingAuthenticationTokenException"} 1`,
		`rallypoint_api_request_duration_seconds_count{operation="ListFleets"} 1`,
		`rallypoint_build_info{`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if code, _ := get(t, "http://"+n.PublicAddr()+"/healthz"); code != 200 {
		t.Errorf("public healthz = %d", code)
	}

	// Each service's engine connection is counted: an identity call adds
	// to the identity lane's messages.
	sent := func(lane string) float64 {
		t.Helper()
		_, body := get(t, admin+"/metrics")
		m := regexp.MustCompile(`(?m)^rallypoint_engine_messages_sent_total\{lane="` + lane + `"\} (\S+)$`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("metrics lack rallypoint_engine_messages_sent_total for lane %s", lane)
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	identityBefore := sent("identity")
	for _, lane := range []string{"fleet", "placement", "matchmaking", "gateway", "notifier"} {
		sent(lane)
	}
	req, _ = http.NewRequest(http.MethodPost, "http://"+n.PublicAddr()+"/", strings.NewReader(`{"IdentityId":"local:00000000-0000-0000-0000-000000000000"}`))
	req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService.GetOpenIdToken")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || !strings.Contains(string(b), "ResourceNotFoundException") {
		t.Fatalf("GetOpenIdToken of an unknown identity = %d %s, want 404 ResourceNotFoundException", resp.StatusCode, b)
	}
	if after := sent("identity"); after <= identityBefore {
		t.Errorf("the identity lane sent %v messages before an identity call and %v after", identityBefore, after)
	}
}

func TestShutdownStopsListenersAndReportsNotReady(t *testing.T) {
	n := start(t, node.Config{})
	admin := n.AdminAddr()
	if err := n.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if _, err := net.DialTimeout("tcp", admin, time.Second); err == nil {
		t.Fatal("the admin listener still accepts connections after shutdown")
	}
	if err := n.Shutdown(context.Background()); err != nil {
		t.Fatalf("second shutdown: %v", err)
	}
}

func TestInsecureDevAcceptsUnsignedCalls(t *testing.T) {
	var logs bytes.Buffer
	n := start(t, node.Config{InsecureDev: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	req, _ := http.NewRequest(http.MethodPost, "http://"+n.AdminAddr()+"/", strings.NewReader(`{"LocationName":"custom-dev"}`))
	req.Header.Set("X-Amz-Target", "GameLift.CreateLocation")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "custom-dev") {
		t.Fatalf("unsigned call in insecure mode: %d %s", resp.StatusCode, b)
	}
	if !strings.Contains(logs.String(), "INSECURE DEV MODE") {
		t.Error("insecure mode started without its warning")
	}
}

func TestStartRefusals(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name string
		cfg  node.Config
		want string
	}{
		{"no access key", node.Config{Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0"}, "no access key"},
		{"bad node id", node.Config{Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0", AccessKeys: []sigv4.Credentials{key}, NodeID: "a.b"}, "node id"},
		{"port in use", node.Config{Listen: busy.Addr().String(), AdminListen: "127.0.0.1:0", AccessKeys: []sigv4.Credentials{key}}, "public listener"},
		{"bad region", node.Config{Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0", AccessKeys: []sigv4.Credentials{key}, Region: "eu_west.1"}, "region"},
		{"bad public url", node.Config{Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0", AccessKeys: []sigv4.Credentials{key}, PublicURL: "http://x"}, "public URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.DataDir = t.TempDir()
			n, err := node.Start(context.Background(), tc.cfg)
			if err == nil {
				n.Shutdown(context.Background())
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestPublicURLIsAdvertised(t *testing.T) {
	n := start(t, node.Config{PublicURL: "wss://games.example.com:443/"})
	if got := n.Fleets().ServiceSDKEndpoint(); got != "wss://games.example.com:443/serversdk" {
		t.Errorf("server SDK endpoint = %s", got)
	}
}

func TestAccessKeyIsCreatedOnceWithMode0600(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k1, created, err := node.LoadOrCreateAccessKey(dir)
	if err != nil || !created {
		t.Fatalf("first start: %v created=%v", err, created)
	}
	if !strings.HasPrefix(k1.AccessKeyID, "RPAK") || len(k1.SecretAccessKey) != 40 {
		t.Errorf("generated key %+v", k1)
	}
	st, err := os.Stat(filepath.Join(dir, node.AccessKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("access key file mode = %v, want 0600", st.Mode().Perm())
	}
	k2, created, err := node.LoadOrCreateAccessKey(dir)
	if err != nil || created || k2 != k1 {
		t.Fatalf("second start: %+v created=%v err=%v; want the same key, not created", k2, created, err)
	}
}

func TestParseAccessKey(t *testing.T) {
	k, err := node.ParseAccessKey("AKID:se:cret")
	if err != nil || k.AccessKeyID != "AKID" || k.SecretAccessKey != "se:cret" {
		t.Errorf("parsed %+v, %v", k, err)
	}
	for _, bad := range []string{"", "AKID", "AKID:", ":secret", "AK/ID:secret"} {
		if _, err := node.ParseAccessKey(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
