package identity_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rallypoint/rallypoint/internal/identity"
)

// FuzzVerifyToken feeds arbitrary strings to the token parsers: they must
// never panic, and never accept anything but a token the service signed.
func FuzzVerifyToken(f *testing.F) {
	ev := newEnv(f)
	ctx := context.Background()
	pool, err := ev.svc.CreatePool(ctx, identity.PoolInput{Name: "fuzz", AllowUnauthenticatedIdentities: true})
	if err != nil {
		f.Fatal(err)
	}
	id, err := ev.svc.GetID(ctx, pool.ID, nil)
	if err != nil {
		f.Fatal(err)
	}
	token, err := ev.svc.OpenIDToken(ctx, id, nil)
	if err != nil {
		f.Fatal(err)
	}
	creds, err := ev.svc.CredentialsForIdentity(ctx, id, nil)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{"", ".", "..", "a.b.c", token, token + "x", creds.SessionToken,
		"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "eyJhbGciOiJFUzI1NiIsImtpZCI6IjEtMiJ9.e30.AAAA"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ev.svc.VerifyToken(ctx, s)
		if err == nil && s != token {
			// Only re-encodings of the seed token could verify.
			if p.IdentityID != id {
				t.Fatalf("verified a token for %q", p.IdentityID)
			}
		}
		if err != nil && !errors.Is(err, identity.ErrInvalidToken) && !errors.Is(err, identity.ErrExpired) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		_, _, err = ev.svc.SessionCredentials(ctx, creds.AccessKeyID, s)
		if err != nil && !errors.Is(err, identity.ErrInvalidToken) && !errors.Is(err, identity.ErrExpired) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
