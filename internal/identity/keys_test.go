package identity_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/internal/identity"
)

func jwksKIDs(t *testing.T, ev *env) []string {
	t.Helper()
	resp, err := http.Get(ev.public.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var set struct {
		Keys []struct {
			KID string `json:"kid"`
			Alg string `json:"alg"`
			D   string `json:"d"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		if k.D != "" {
			t.Fatal("the JWKS publishes a private key")
		}
		if k.Alg != "ES256" {
			t.Fatalf("key %s has alg %s", k.KID, k.Alg)
		}
		kids = append(kids, k.KID)
	}
	return kids
}

func kidOf(t *testing.T, token string) string {
	t.Helper()
	h, _, _ := strings.Cut(token, ".")
	var header struct {
		KID string `json:"kid"`
	}
	b, err := decodeSegment(h)
	if err != nil || json.Unmarshal(b, &header) != nil {
		t.Fatalf("token header %q", h)
	}
	return header.KID
}

// TestSigningKeyRotation checks that tokens signed before a rotation keep
// verifying until they expire, on this node and on another, and that old
// keys leave the JWKS once nothing they signed can be valid.
func TestSigningKeyRotation(t *testing.T) {
	ev := newEnv(t, func(c *identity.Config) {
		c.KeyRotation = time.Hour
		c.TokenTTL = 90 * time.Minute
	})
	ctx := ctxT(t)
	pool, err := ev.svc.CreatePool(ctx, identity.PoolInput{Name: "rotation", AllowUnauthenticatedIdentities: true})
	if err != nil {
		t.Fatal(err)
	}
	id, err := ev.svc.GetID(ctx, pool.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	before, err := ev.svc.OpenIDToken(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := ev.newService() // a second node, started before the rotation

	ev.clock.Advance(time.Hour)
	after, err := ev.svc.OpenIDToken(ctx, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	oldKID, newKID := kidOf(t, before), kidOf(t, after)
	if oldKID == newKID {
		t.Fatalf("both tokens were signed with %s", oldKID)
	}
	for name, svc := range map[string]*identity.Service{"signer": ev.svc, "other node": other, "new node": ev.newService()} {
		for _, tok := range []string{before, after} {
			if p, err := svc.VerifyToken(ctx, tok); err != nil || p.IdentityID != id {
				t.Fatalf("%s: VerifyToken(kid %s) = %+v, %v", name, kidOf(t, tok), p, err)
			}
		}
	}
	kids := jwksKIDs(t, ev)
	if !contains(kids, oldKID) || !contains(kids, newKID) {
		t.Fatalf("JWKS lists %v; want %s and %s", kids, oldKID, newKID)
	}
	// The next period's key is published ahead of use.
	if len(kids) < 3 {
		t.Fatalf("JWKS lists %v; want the next key too", kids)
	}

	ev.clock.Advance(31 * time.Minute) // past the first token's expiry
	if _, err := ev.svc.VerifyToken(ctx, before); !errors.Is(err, identity.ErrExpired) {
		t.Fatalf("expired token: %v", err)
	}
	if _, err := ev.svc.VerifyToken(ctx, after); err != nil {
		t.Fatalf("the newer token: %v", err)
	}

	// A day and more later the first key is gone: keys are kept as long as
	// the longest token (a 24 h developer token) they may have signed.
	ev.clock.Advance(27 * time.Hour)
	runMaintenance(t, ev.svc)
	if kids := jwksKIDs(t, ev); contains(kids, oldKID) {
		t.Fatalf("JWKS still lists %s: %v", oldKID, kids)
	}
	if _, err := ev.newService().VerifyToken(ctx, before); !errors.Is(err, identity.ErrInvalidToken) {
		t.Fatalf("token of a deleted key: %v, want ErrInvalidToken", err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

var (
	runMaintenance = identity.RunMaintenance
	decodeSegment  = identity.DecodeSegment
)
