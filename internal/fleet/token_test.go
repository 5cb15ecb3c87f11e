package fleet_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
	"github.com/rallypoint/rallypoint/internal/fleet"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newService(t *testing.T, e *engine.Engine, c *clock) *fleet.Service {
	t.Helper()
	s, err := fleet.New(context.Background(), fleet.Config{
		Config:       e.Bucket(engine.BucketConfig),
		Computes:     e.Bucket(engine.BucketComputes),
		Sessions:     e.Bucket(engine.BucketSessions),
		AuthTokenTTL: time.Hour,
		Now:          c.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// setupCompute creates a location, a fleet and one compute in it.
func setupCompute(t testing.TB, s *fleet.Service) fleet.Compute {
	t.Helper()
	ctx := context.Background()
	if _, err := s.CreateLocation(ctx, "custom-lab", nil); err != nil {
		t.Fatal(err)
	}
	f, err := s.CreateFleet(ctx, fleet.CreateFleetInput{Name: "arena", ComputeType: fleet.ComputeTypeAnywhere, Locations: []string{"custom-lab"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.RegisterCompute(ctx, fleet.RegisterComputeInput{FleetID: f.ID, Name: "host-1", IPAddress: "10.0.0.1", Location: "custom-lab"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// reencode decodes a token payload, replaces old with new, and encodes it
// again: a forgery that keeps the original MAC.
func reencode(t *testing.T, payload, old, new string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("payload %q has no %q", b, old)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(b), old, new, 1)))
}

func TestComputeAuthTokens(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Open(t)
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := newService(t, e, clk)
	c := setupCompute(t, s)

	tok, err := s.IssueComputeAuthToken(ctx, c.FleetID, c.Name)
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Expires.Equal(clk.t.Add(time.Hour)) {
		t.Errorf("expires %v", tok.Expires)
	}
	fid, name, _, err := s.VerifyComputeAuthToken(tok.Token)
	if err != nil || fid != c.FleetID || name != c.Name {
		t.Fatalf("verify = %s %s %v", fid, name, err)
	}

	// A second service on the same storage (another node) shares the key.
	other := newService(t, e, clk)
	if _, _, _, err := other.VerifyComputeAuthToken(tok.Token); err != nil {
		t.Errorf("another node refuses the token: %v", err)
	}
	// A service on other storage (another installation) does not.
	stranger := newService(t, enginetest.Open(t), clk)
	if _, _, _, err := stranger.VerifyComputeAuthToken(tok.Token); !errors.Is(err, fleet.ErrInvalidToken) {
		t.Errorf("another installation accepts the token: %v", err)
	}

	payload, mac, _ := strings.Cut(strings.TrimPrefix(tok.Token, "rp1."), ".")
	forged := map[string]string{
		"empty":          "",
		"no prefix":      strings.TrimPrefix(tok.Token, "rp1."),
		"no mac":         "rp1." + payload,
		"bad base64":     "rp1.!!!." + mac,
		"other compute":  "rp1." + reencode(t, payload, "host-1", "host-2") + "." + mac,
		"later expiry":   "rp1." + reencode(t, payload, "\n1767", "\n1867") + "." + mac,
		"mac of another": "rp1." + payload + "." + strings.Repeat("A", len(mac)),
	}
	for name, f := range forged {
		if _, _, _, err := s.VerifyComputeAuthToken(f); !errors.Is(err, fleet.ErrInvalidToken) {
			t.Errorf("%s: verify = %v, want ErrInvalidToken", name, err)
		}
	}

	clk.t = clk.t.Add(time.Hour)
	if _, _, _, err := s.VerifyComputeAuthToken(tok.Token); !errors.Is(err, fleet.ErrInvalidToken) || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired token: %v", err)
	}

	if _, err := s.IssueComputeAuthToken(ctx, c.FleetID, "host-9"); !errors.Is(err, fleet.ErrNotFound) {
		t.Errorf("token for an unknown compute: %v", err)
	}
}
