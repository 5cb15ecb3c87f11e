package events_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
	"github.com/rallypoint/rallypoint/internal/events"
)

const testRegion = "eu-test-1"

func newTargets(t testing.TB, e *engine.Engine) *events.Targets {
	t.Helper()
	ts, err := events.NewTargets(events.TargetsConfig{Config: e.Bucket(engine.BucketConfig), Region: testRegion})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func TestTargetValidation(t *testing.T) {
	ts := newTargets(t, enginetest.Open(t))
	ctx := context.Background()
	ok := events.TargetInput{Name: "studio-hooks_1", Endpoint: "https://hooks.example.com/gamelift?token=x"}
	cases := []struct {
		name   string
		edit   func(*events.TargetInput)
		member string // the message must name it
	}{
		{"empty name", func(in *events.TargetInput) { in.Name = "" }, "Name"},
		{"long name", func(in *events.TargetInput) { in.Name = strings.Repeat("n", 257) }, "Name"},
		{"name with a dot", func(in *events.TargetInput) { in.Name = "a.b" }, "Name"},
		{"name with a space", func(in *events.TargetInput) { in.Name = "a b" }, "Name"},
		{"empty endpoint", func(in *events.TargetInput) { in.Endpoint = "" }, "Endpoint"},
		{"relative endpoint", func(in *events.TargetInput) { in.Endpoint = "/hooks" }, "Endpoint"},
		{"ftp endpoint", func(in *events.TargetInput) { in.Endpoint = "ftp://example.com/x" }, "Endpoint"},
		{"no host", func(in *events.TargetInput) { in.Endpoint = "http:///x" }, "Endpoint"},
		{"user info", func(in *events.TargetInput) { in.Endpoint = "https://u:p@example.com/" }, "Endpoint"},
		{"fragment", func(in *events.TargetInput) { in.Endpoint = "https://example.com/#x" }, "Endpoint"},
		{"unparseable", func(in *events.TargetInput) { in.Endpoint = "http://[::1" }, "Endpoint"},
		{"long endpoint", func(in *events.TargetInput) { in.Endpoint = "https://example.com/" + strings.Repeat("p", 2048) }, "Endpoint"},
		{"short secret", func(in *events.TargetInput) { in.Secret = "short" }, "Secret"},
		{"secret with a space", func(in *events.TargetInput) { in.Secret = "0123456789 abcdef" }, "Secret"},
		{"long description", func(in *events.TargetInput) { in.Description = strings.Repeat("d", 1025) }, "Description"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := ok
			c.edit(&in)
			_, err := ts.Create(ctx, in)
			if !errors.Is(err, events.ErrInvalidRequest) {
				t.Fatalf("Create: got %v, want an invalid request", err)
			}
			if !strings.Contains(err.Error(), c.member) {
				t.Errorf("message %q does not name %s", err, c.member)
			}
		})
	}
	// Nothing was stored by the refused calls.
	all, err := ts.List(ctx)
	if err != nil || len(all) != 0 {
		t.Fatalf("List after refused creates: %v, %v", all, err)
	}
	// The same checks guard Update.
	if _, err := ts.Create(ctx, ok); err != nil {
		t.Fatal(err)
	}
	bad := "ftp://example.com/"
	if _, err := ts.Update(ctx, ok.Name, events.TargetUpdate{Endpoint: &bad}); !errors.Is(err, events.ErrInvalidRequest) {
		t.Errorf("Update with a bad endpoint: got %v", err)
	}
	short := "short"
	if _, err := ts.Update(ctx, ok.Name, events.TargetUpdate{Secret: &short}); !errors.Is(err, events.ErrInvalidRequest) {
		t.Errorf("Update with a short secret: got %v", err)
	}
}

func TestTargetLifecycle(t *testing.T) {
	e := enginetest.Open(t)
	ts := newTargets(t, e)
	ctx := context.Background()

	b, err := ts.Create(ctx, events.TargetInput{Name: "b-hooks", Endpoint: "http://127.0.0.1:9/b", Description: "second"})
	if err != nil {
		t.Fatal(err)
	}
	if b.ARN != "arn:rallypoint:sns:"+testRegion+"::b-hooks" {
		t.Errorf("ARN = %q", b.ARN)
	}
	raw, err := base64.RawURLEncoding.DecodeString(b.Secret)
	if err != nil || len(raw) != 32 {
		t.Errorf("generated secret %q is not 32 random bytes in base64url: %v", b.Secret, err)
	}
	if b.CreatedAt.IsZero() {
		t.Error("CreatedAt is zero")
	}
	a, err := ts.Create(ctx, events.TargetInput{Name: "a-hooks", Endpoint: "https://example.com/a", Secret: "my-own-secret-0123"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Secret != "my-own-secret-0123" {
		t.Errorf("Create returned secret %q, want the one given", a.Secret)
	}
	if _, err := ts.Create(ctx, events.TargetInput{Name: "a-hooks", Endpoint: "https://example.com/other"}); !errors.Is(err, events.ErrConflict) {
		t.Errorf("second Create of a-hooks: got %v, want a conflict", err)
	}

	// Reads never return the secret.
	for _, key := range []string{"a-hooks", a.ARN} {
		got, err := ts.Get(ctx, key)
		if err != nil {
			t.Fatalf("Get(%s): %v", key, err)
		}
		if got.Secret != "" || got.Name != "a-hooks" || got.Endpoint != a.Endpoint || !got.CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("Get(%s) = %+v", key, got)
		}
	}
	all, err := ts.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Name != "a-hooks" || all[1].Name != "b-hooks" {
		t.Fatalf("List = %+v, want a-hooks then b-hooks", all)
	}
	for _, tg := range all {
		if tg.Secret != "" {
			t.Errorf("List returned the secret of %s", tg.Name)
		}
	}

	for _, missing := range []string{"nope", "arn:rallypoint:sns:" + testRegion + "::nope", "arn:rallypoint:sns:other-region::a-hooks", "arn:aws:sns:us-east-1:123456789012:a-hooks", "bad name"} {
		if _, err := ts.Get(ctx, missing); !errors.Is(err, events.ErrNotFound) {
			t.Errorf("Get(%q): got %v, want not found", missing, err)
		}
	}

	endpoint, desc := "https://example.com/a2", ""
	got, err := ts.Update(ctx, a.ARN, events.TargetUpdate{Endpoint: &endpoint, Description: &desc})
	if err != nil {
		t.Fatal(err)
	}
	if got.Endpoint != endpoint || got.Secret != "" || !got.CreatedAt.Equal(a.CreatedAt) {
		t.Errorf("Update = %+v", got)
	}
	if _, err := ts.Update(ctx, "nope", events.TargetUpdate{Endpoint: &endpoint}); !errors.Is(err, events.ErrNotFound) {
		t.Errorf("Update(nope): got %v", err)
	}

	if err := ts.Delete(ctx, "a-hooks"); err != nil {
		t.Fatal(err)
	}
	if err := ts.Delete(ctx, "a-hooks"); !errors.Is(err, events.ErrNotFound) {
		t.Errorf("second Delete: got %v, want not found", err)
	}
	if _, err := ts.Get(ctx, "a-hooks"); !errors.Is(err, events.ErrNotFound) {
		t.Errorf("Get after Delete: got %v", err)
	}
	// The name is free again, and the new target is a new one.
	again, err := ts.Create(ctx, events.TargetInput{Name: "a-hooks", Endpoint: "https://example.com/a3"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Secret == a.Secret {
		t.Error("a recreated target got the old secret")
	}
}
