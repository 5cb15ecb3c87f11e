package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/rallypoint/rallypoint/sdk/beacon"
)

func parseServe(t *testing.T, args ...string) (serveOptions, error) {
	t.Helper()
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	var o serveOptions
	bindServeFlags(fs, &o)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return o, o.resolve(fs)
}

func TestServeSettingsPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "rallypoint.yaml")
	if err := os.WriteFile(file, []byte(`
data-dir: /from/file
listen: 127.0.0.1:1000
admin-listen: 127.0.0.1:1001
node-id: file-node
access-key:
  - FILEKEY:filesecret
insecure-dev: true
compute-token-ttl: 30m
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RALLYPOINT_LISTEN", "127.0.0.1:2000")
	t.Setenv("RALLYPOINT_ACCESS_KEYS", "ENV1:s1,ENV2:s2")

	o, err := parseServe(t, "--config", file, "--admin-listen", "127.0.0.1:3001")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"data-dir from the file", o.dataDir, "/from/file"},
		{"listen: env over file", o.listen, "127.0.0.1:2000"},
		{"admin-listen: flag over file", o.adminListen, "127.0.0.1:3001"},
		{"node-id from the file", o.nodeID, "file-node"},
		{"access keys: env over file", strings.Join(o.accessKeys, ","), "ENV1:s1,ENV2:s2"},
		{"default kept", o.logFormat, "text"},
		{"duration from the file", o.tokenTTL.String(), "30m0s"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if !o.insecureDev {
		t.Error("insecure-dev from the file was not applied")
	}

	// A flag set on the command line wins over the environment too.
	o, err = parseServe(t, "--listen", "127.0.0.1:4000", "--access-key", "FLAG:f")
	if err != nil {
		t.Fatal(err)
	}
	if o.listen != "127.0.0.1:4000" || strings.Join(o.accessKeys, ",") != "FLAG:f" {
		t.Errorf("flags lost to the environment: listen %s, keys %v", o.listen, o.accessKeys)
	}
}

func TestServeSettingsErrors(t *testing.T) {
	dir := t.TempDir()
	unknown := filepath.Join(dir, "unknown.yaml")
	os.WriteFile(unknown, []byte("listne: 127.0.0.1:1\n"), 0o600)
	badValue := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badValue, []byte("compute-token-ttl: forever\n"), 0o600)
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, []byte("listen: [\n"), 0o600)

	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"unknown key":  {[]string{"--config", unknown}, `unknown setting "listne"`},
		"bad value":    {[]string{"--config", badValue}, "compute-token-ttl"},
		"broken yaml":  {[]string{"--config", broken}, "broken.yaml"},
		"missing file": {[]string{"--config", filepath.Join(dir, "nope.yaml")}, "read config file"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parseServe(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	t.Setenv("RALLYPOINT_INSECURE_DEV", "maybe")
	if _, err := parseServe(t); err == nil || !strings.Contains(err.Error(), "RALLYPOINT_INSECURE_DEV") {
		t.Fatalf("bad env value: %v", err)
	}
}

// Flags that runServe checks refuse to start before anything is written.
func TestServeRefusesBadPlayerSettings(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--gateway-route", "chat"}, "--gateway-route \"chat\": use NAME=VALUE"},
		{[]string{"--gateway-route", "chat=ftp://x"}, "must start with https:// or http://"},
		{[]string{"--gateway-route", "$other=http://x"}, "the routes starting with $ are"},
		{[]string{"--gateway-route", "ping=http://x"}, "built-in action"},
		{[]string{"--gateway-route", "a=http://x", "--gateway-route", "a=http://y"}, "a is given twice"},
		{[]string{"--oidc-issuer", "accounts.google.com"}, "--oidc-issuer"},
		{[]string{"--gateway-max-frame", "0"}, "--gateway-max-frame: must be positive"},
		{[]string{"--gateway-max-frame", "4096", "--gateway-max-message", "1024"}, "must be at least --gateway-max-frame"},
		{[]string{"--player-token-ttl", "-1s"}, "--player-token-ttl: must be positive"},
		{[]string{"--identity-client-rate", "-1"}, "--identity-client-rate: must be positive, or 0 for no limit"},
	} {
		dir := filepath.Join(t.TempDir(), "data")
		root := newRootCmd()
		root.SetArgs(append([]string{"serve", "--data-dir", dir, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}, tc.args...))
		root.SetOut(io.Discard)
		root.SetErr(io.Discard)
		err := root.ExecuteContext(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("serve %v: %v, want an error mentioning %q", tc.args, err, tc.want)
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("serve %v wrote its data directory before refusing", tc.args)
		}
	}
}

var listeningLine = regexp.MustCompile(`rallypoint is listening: public http://(\S+)\s+admin \(control plane\) http://(\S+)`)

// TestServeCommand runs "rallypoint serve" in process the way a user
// would: it creates and prints an access key on the first start, says
// where it listens, answers health checks, and returns cleanly when its
// context (the signal context in main) ends.
func TestServeCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	root := newRootCmd()
	root.SetArgs([]string{"serve", "--data-dir", dir, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--log-format", "json"})
	root.SetOut(out)
	root.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	var admin string
	deadline := time.Now().Add(30 * time.Second)
	for admin == "" {
		if m := listeningLine.FindStringSubmatch(out.String()); m != nil {
			admin = m[2]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended early: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not say where it listens:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	printed := out.String()
	for _, want := range []string{"Access key ID:", "Secret access key:", "aws configure set aws_access_key_id", "--endpoint-url http://"} {
		if !strings.Contains(printed, want) {
			t.Errorf("first start did not print %q", want)
		}
	}
	stored, err := os.ReadFile(filepath.Join(dir, "access-key"))
	if err != nil {
		t.Fatal(err)
	}
	id, secret, _ := strings.Cut(strings.TrimSpace(string(stored)), ":")
	if !strings.Contains(printed, id) || !strings.Contains(printed, secret) {
		t.Error("the printed key is not the stored one")
	}
	resp, err := http.Get("http://" + admin + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("readyz = %d", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after its context ended", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

var beaconLine = regexp.MustCompile(`ping beacon: udp (\S+)`)

// TestServePingBeacon runs "rallypoint serve --ping-beacon" and measures
// the latency to it as a game client would; an address that cannot be
// bound stops serve from starting.
func TestServePingBeacon(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	root := newRootCmd()
	root.SetArgs([]string{"serve", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--insecure-dev", "--ping-beacon", "127.0.0.1:0"})
	root.SetOut(out)
	root.SetErr(io.Discard)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	var addr string
	deadline := time.Now().Add(30 * time.Second)
	for addr == "" {
		if m := beaconLine.FindStringSubmatch(out.String()); m != nil {
			addr = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended early: %v\n%s", err, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not say where its ping beacon listens:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A generous per-probe timeout: on loopback a probe is lost only if
	// its datagram is, however busy the machine.
	p := beacon.Prober{Timeout: 30 * time.Second}
	res, err := p.Probe(ctx, addr, 3)
	if err != nil || len(res.Samples) != 3 {
		t.Fatalf("probing %s: %+v, %v", addr, res, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve returned %v after its context ended", err)
	}

	root = newRootCmd()
	root.SetArgs([]string{"serve", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--insecure-dev", "--ping-beacon", "127.0.0.1"})
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	if err := root.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "ping beacon 127.0.0.1") {
		t.Fatalf("serve --ping-beacon without a port: %v, want an error naming the ping beacon", err)
	}
}

// TestServeBinaryExitsZeroOnSIGTERM builds the real binary and checks the
// process contract: it prints where it listens, and SIGTERM makes it drain
// and exit 0. A second start on the same data directory does not print the
// secret again.
func TestServeBinaryExitsZeroOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "rallypoint")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := filepath.Join(t.TempDir(), "data")
	for i, wantSecret := range []bool{true, false} {
		cmd := exec.Command(bin, "serve", "--data-dir", dir, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		var printed strings.Builder
		for sc.Scan() {
			printed.WriteString(sc.Text() + "\n")
			if listeningLine.MatchString(sc.Text()) {
				break
			}
		}
		if !listeningLine.MatchString(printed.String()) {
			cmd.Process.Kill()
			t.Fatalf("start %d: no listening line:\n%s\n%s", i, printed.String(), stderr.String())
		}
		if got := strings.Contains(printed.String(), "Secret access key:"); got != wantSecret {
			t.Errorf("start %d printed the secret: %v, want %v", i, got, wantSecret)
		}
		go io.Copy(io.Discard, stdout)
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		var exit *exec.ExitError
		if errors.As(err, &exit) || err != nil {
			t.Fatalf("start %d: exit after SIGTERM: %v\n%s", i, err, stderr.String())
		}
		if !strings.Contains(stderr.String(), "rallypoint stopped") {
			t.Errorf("start %d: no clean-stop log line:\n%s", i, stderr.String())
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--help"}, {"serve", "--help"}, {"version", "--help"}} {
		var out bytes.Buffer
		root := newRootCmd()
		root.SetArgs(args)
		root.SetOut(&out)
		if err := root.Execute(); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if out.Len() == 0 {
			t.Errorf("%v printed nothing", args)
		}
	}
	var out bytes.Buffer
	root := newRootCmd()
	root.SetArgs([]string{"serve", "--help"})
	root.SetOut(&out)
	root.Execute()
	for _, flag := range []string{"--data-dir", "--listen", "--admin-listen", "--nats", "--node-id", "--access-key", "--insecure-dev", "--config", "--log-format", "--public-url"} {
		if !strings.Contains(out.String(), flag) {
			t.Errorf("serve --help does not document %s", flag)
		}
	}
}

// The identity pool's per-address limit is the one serve is given: with a
// burst of 2, the third quick GetId from one address is throttled, and
// with 0 there is no limit.
func TestServeIdentityClientRate(t *testing.T) {
	for _, tc := range []struct {
		rate, burst string
		throttled   bool
	}{{"1", "2", true}, {"0", "2", false}} {
		ctx, cancel := context.WithCancel(context.Background())
		out := &syncBuffer{}
		root := newRootCmd()
		root.SetArgs([]string{"serve", "--data-dir", t.TempDir(), "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
			"--insecure-dev", "--identity-client-rate", tc.rate, "--identity-client-burst", tc.burst})
		root.SetOut(out)
		root.SetErr(io.Discard)
		done := make(chan error, 1)
		go func() { done <- root.ExecuteContext(ctx) }()
		var public, admin string
		deadline := time.Now().Add(30 * time.Second)
		for public == "" {
			if m := listeningLine.FindStringSubmatch(out.String()); m != nil {
				public, admin = m[1], m[2]
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("serve did not say where it listens:\n%s", out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		call := func(addr, op, body string) (int, string) {
			req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/", strings.NewReader(body))
			req.Header.Set("X-Amz-Target", "AWSCognitoIdentityService."+op)
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		status, body := call(admin, "CreateIdentityPool", `{"IdentityPoolName":"p","AllowUnauthenticatedIdentities":true}`)
		if status != http.StatusOK {
			t.Fatalf("CreateIdentityPool: %d %s", status, body)
		}
		var pool struct{ IdentityPoolId string }
		_ = json.Unmarshal([]byte(body), &pool)
		var statuses []int
		for range 3 {
			s, _ := call(public, "GetId", `{"IdentityPoolId":"`+pool.IdentityPoolId+`"}`)
			statuses = append(statuses, s)
		}
		want := []int{200, 200, 200}
		if tc.throttled {
			want[2] = http.StatusTooManyRequests
		}
		if !slices.Equal(statuses, want) {
			t.Errorf("--identity-client-rate %s --identity-client-burst %s: GetId answered %v, want %v", tc.rate, tc.burst, statuses, want)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("serve: %v", err)
		}
	}
}

var demoLine = regexp.MustCompile(`demo ready: identity pool (\S+), matchmaking configuration (\S+) \(2 versus 2\), fleet (\S+)`)

// serve --demo sets up everything the quick start needs, says how to run
// game servers and bots, and finds its setup again on a restart.
func TestServeDemo(t *testing.T) {
	dir := t.TempDir()
	var first []string
	for run := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		out := &syncBuffer{}
		root := newRootCmd()
		root.SetArgs([]string{"serve", "--data-dir", dir, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
			"--demo", "--demo-beacons", "127.0.0.1:0,127.0.0.1:0"})
		root.SetOut(out)
		root.SetErr(io.Discard)
		done := make(chan error, 1)
		go func() { done <- root.ExecuteContext(ctx) }()
		deadline := time.Now().Add(30 * time.Second)
		var m []string
		for m == nil {
			m = demoLine.FindStringSubmatch(out.String())
			select {
			case err := <-done:
				t.Fatalf("run %d: serve ended: %v\n%s", run, err, out.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %d: no demo line:\n%s", run, out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
		printed := out.String()
		if strings.Count(printed, "go run ./examples/arena --endpoint ws://") != 4 || !strings.Contains(printed, "go run ./examples/arena/bot --endpoint http://") {
			t.Errorf("run %d: the demo does not print the arena and bot commands:\n%s", run, printed)
		}
		if m[2] != "demo-2v2" || !strings.HasPrefix(m[1], "local:") || !strings.HasPrefix(m[3], "fleet-") {
			t.Errorf("run %d: demo line %q", run, m[0])
		}
		if first == nil {
			first = m
		} else if m[1] != first[1] || m[3] != first[3] {
			t.Errorf("the restarted demo made a new pool or fleet: %q, first %q", m[0], first[0])
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("run %d: serve: %v", run, err)
		}
	}
}
