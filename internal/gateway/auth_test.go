package gateway_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// emptyPayloadHash is the SHA-256 of an empty body.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// presign returns the node's /ws URL presigned (SigV4, service
// execute-api) with the player's temporary credentials.
func presign(t *testing.T, n *node, p player, expires time.Duration, signedAt time.Time) string {
	t.Helper()
	u := strings.Replace(n.wsURL, "ws://", "http://", 1) + "?X-Amz-Expires=" + strconv.Itoa(int(expires.Seconds()))
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	creds := aws.Credentials{AccessKeyID: p.creds.AccessKeyID, SecretAccessKey: p.creds.SecretKey, SessionToken: p.creds.SessionToken}
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, emptyPayloadHash, "execute-api", "us-east-1", signedAt)
	if err != nil {
		t.Fatalf("PresignHTTP: %v", err)
	}
	return strings.Replace(signed, "http://", "ws://", 1)
}

func TestUpgradeAuthenticatesByEachMethod(t *testing.T) {
	w := newWorld(t)
	n := w.node("a", nil)
	cases := []struct {
		name     string
		opts     func(p player) dialOpts
		protocol string // the subprotocol the server must echo
	}{
		{"bearer header", func(p player) dialOpts {
			return dialOpts{header: http.Header{"Authorization": {"Bearer " + p.token}}}
		}, ""},
		{"subprotocol beside rallypoint", func(p player) dialOpts {
			return dialOpts{protocols: []string{"rallypoint", p.token}}
		}, "rallypoint"},
		{"subprotocol alone", func(p player) dialOpts {
			return dialOpts{protocols: []string{p.token}}
		}, "token"},
		{"query token", func(p player) dialOpts {
			return dialOpts{query: "token=" + url.QueryEscape(p.token)}
		}, ""},
		{"presigned SigV4 URL", func(p player) dialOpts {
			return dialOpts{url: presign(t, n, p, time.Minute, time.Now())}
		}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := w.player()
			c, resp, err := n.dial(t, tc.opts(p))
			if err != nil {
				t.Fatalf("dial: %v (%s)", err, status(resp))
			}
			want := tc.protocol
			if want == "token" {
				want = p.token
			}
			if got := c.c.Subprotocol(); got != want {
				t.Errorf("subprotocol %q, want %q", got, want)
			}
			c.ping()
			ids := w.recordsOf(p.id)
			if len(ids) != 1 {
				t.Fatalf("records of %s: %v", p.id, ids)
			}
			rec := w.records()[ids[0]]
			if rec["identityId"] != p.id || rec["node"] != "a" || rec["sourceIp"] != "127.0.0.1" || rec["connectionId"] != ids[0] {
				t.Errorf("record %v", rec)
			}
			if got := w.playerConnections(p.id); len(got) != 1 || got[0] != ids[0] {
				t.Errorf("player connections %v, want [%s]", got, ids[0])
			}
		})
	}
}

func TestRefusedUpgradesLeaveNoRecord(t *testing.T) {
	w := newWorld(t)
	n := w.node("a", nil)
	p := w.player()
	good := presign(t, n, p, time.Minute, time.Now())
	badSig := good[:len(good)-4] + strings.Map(func(r rune) rune {
		if r == '0' {
			return '1'
		}
		return '0'
	}, good[len(good)-4:])
	u, _ := url.Parse(good)
	q := u.Query()
	q.Del("X-Amz-Security-Token")
	u.RawQuery = q.Encode()
	noToken := u.String()
	other := w.player()
	cases := []struct {
		name   string
		opts   dialOpts
		status int
	}{
		{"no credentials", dialOpts{}, http.StatusUnauthorized},
		{"garbage bearer token", dialOpts{header: http.Header{"Authorization": {"Bearer not.a.token"}}}, http.StatusForbidden},
		{"tampered token", dialOpts{header: http.Header{"Authorization": {"Bearer " + p.token[:len(p.token)-3] + "AAA"}}}, http.StatusForbidden},
		{"basic authorization", dialOpts{header: http.Header{"Authorization": {"Basic dXNlcjpwYXNz"}}}, http.StatusForbidden},
		{"garbage query token", dialOpts{query: "token=abc"}, http.StatusForbidden},
		{"bad signature", dialOpts{url: badSig}, http.StatusForbidden},
		{"signature without session token", dialOpts{url: noToken}, http.StatusForbidden},
		{"signature expired", dialOpts{url: presign(t, n, p, time.Second, time.Now().Add(-time.Hour))}, http.StatusForbidden},
		{"another identity's session token", dialOpts{url: strings.Replace(good, url.QueryEscape(p.creds.SessionToken), url.QueryEscape(other.creds.SessionToken), 1)}, http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, resp, err := n.dial(t, tc.opts)
			if err == nil {
				t.Fatal("upgrade accepted")
			}
			if resp == nil || resp.StatusCode != tc.status {
				t.Fatalf("got %s, want HTTP %d", status(resp), tc.status)
			}
			var body struct {
				Message string `json:"message"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Message == "" {
				t.Errorf("body is not {\"message\": ...}: %v", err)
			}
		})
	}
	if recs := w.records(); len(recs) != 0 {
		t.Errorf("refused upgrades left records: %v", recs)
	}
}

// An expired token is refused with 401; a socket whose token expires
// while open is closed 1008 "token expired", while one authenticated with
// longer-lived credentials keeps working.
func TestTokenExpiry(t *testing.T) {
	w := newWorld(t)
	clk := &clock{}
	n := w.node("a", func(c *cfgT) { c.Now = clk.Now; c.IdleTimeout = 24 * time.Hour; c.MaxDuration = 48 * time.Hour })
	p, q := w.player(), w.player()
	byToken := n.connect(t, p)
	bySigV4, resp, err := n.dial(t, dialOpts{url: presign(t, n, q, time.Minute, time.Now())})
	if err != nil {
		t.Fatalf("dial: %v (%s)", err, status(resp))
	}
	// Tokens live 15 minutes, credentials an hour.
	clk.Advance(20 * time.Minute)
	byToken.expectClose(1008, "token expired")
	bySigV4.ping()
	eventually(t, "the expired socket's record to go", func() bool { return len(w.recordsOf(p.id)) == 0 })

	_, resp, err = n.dial(t, dialOpts{header: http.Header{"Authorization": {"Bearer " + p.token}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("an expired token: %v %s, want 401", err, status(resp))
	}
}
