package identity_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/smithy-go"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
	"github.com/rallypoint/rallypoint/internal/identity"
	"github.com/rallypoint/rallypoint/internal/sigv4"
)

// The operator's access key the admin listener trusts in tests.
var operatorKey = sigv4.Credentials{AccessKeyID: "RPAKTESTOPERATOR0001", SecretAccessKey: "operator-secret-key-with-enough-chars-01"}

const testRegion = "eu-test-1"

// clock is a settable clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is an identity service on a real engine, served on loopback: the
// public handler (whose URL is the issuer) and the admin handler.
type env struct {
	t      testing.TB
	engine *engine.Engine
	clock  *clock
	svc    *identity.Service
	public *httptest.Server
	admin  *httptest.Server
	// cfg is what svc was built with, to build another Service over the
	// same buckets.
	cfg identity.Config
}

type envOption func(*identity.Config)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	return newEnvOn(t, enginetest.Open(t), newClock(), opts...)
}

func newEnvOn(t testing.TB, e *engine.Engine, clk *clock, opts ...envOption) *env {
	t.Helper()
	ev := &env{t: t, engine: e, clock: clk}
	// Both listeners exist before the service (the public one's URL is its
	// issuer) and start once their handlers are set.
	ev.public = httptest.NewUnstartedServer(nil)
	ev.admin = httptest.NewUnstartedServer(nil)
	ev.cfg = identity.Config{
		Config:     e.Bucket(engine.BucketConfig),
		Identities: e.Bucket(engine.BucketIdentities),
		Region:     testRegion,
		Issuer:     "http://" + ev.public.Listener.Addr().String(),
		Logger:     slog.New(slog.DiscardHandler),
		Now:        clk.Now,
	}
	for _, o := range opts {
		o(&ev.cfg)
	}
	ev.svc = ev.newService()
	ev.public.Config.Handler = ev.svc.PublicHandler()
	ev.admin.Config.Handler = ev.svc.AdminHandler(func(id string) (sigv4.Credentials, bool) {
		return operatorKey, id == operatorKey.AccessKeyID
	}, false)
	ev.public.Start()
	t.Cleanup(ev.public.Close)
	ev.admin.Start()
	t.Cleanup(ev.admin.Close)
	return ev
}

// newService builds another Service over the same buckets and config.
func (ev *env) newService() *identity.Service {
	ev.t.Helper()
	s, err := identity.New(context.Background(), ev.cfg)
	if err != nil {
		ev.t.Fatalf("identity.New: %v", err)
	}
	return s
}

// publicClient is the AWS SDK's Cognito identity client as a game client
// uses it: anonymous, so its calls go unsigned.
func (ev *env) publicClient() *cognitoidentity.Client {
	return cognitoidentity.New(cognitoidentity.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(ev.public.URL),
		Credentials:      aws.AnonymousCredentials{},
		RetryMaxAttempts: 1,
	})
}

// adminClient is the SDK client signing with the operator's key.
func (ev *env) adminClient() *cognitoidentity.Client {
	return cognitoidentity.New(cognitoidentity.Options{
		Region:           testRegion,
		BaseEndpoint:     aws.String(ev.admin.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(operatorKey.AccessKeyID, operatorKey.SecretAccessKey, ""),
		RetryMaxAttempts: 1,
	})
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantAPIError checks that err is the API error code.
func wantAPIError(t testing.TB, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got error %v, want %s", err, code)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("got %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
}

// wantCode checks that err, from the Go API, is an *identity.Error with code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	var e *identity.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("got error %v, want %s", err, code)
	}
}
