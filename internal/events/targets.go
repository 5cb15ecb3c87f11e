package events

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// Error kinds of the notification target store. Every error it returns for
// a caller's mistake wraps one of them, with a message naming the field or
// the target and the reason.
var (
	ErrNotFound       = errors.New("not found")
	ErrConflict       = errors.New("conflict")
	ErrInvalidRequest = errors.New("invalid request")
)

// Error is a caller-facing error: its message is meant for the user, its
// kind (one of the Err* values) for errors.Is.
type Error struct {
	Kind error
	Msg  string
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Kind }

func newError(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Limits of a notification target's members. Names follow SNS topic names,
// which is what a NotificationTarget ARN names on AWS.
const (
	MaxTargetNameLen   = 256
	MaxEndpointLen     = 2048
	MinSecretLen       = 16
	MaxSecretLen       = 256
	MaxDescriptionLen  = 1024
	generatedSecretLen = 32 // random bytes behind a generated secret
)

// Target is a notification target: an HTTP(S) endpoint that receives the
// events of every resource (queue, matchmaking configuration) whose
// NotificationTarget is ARN. It stands in for the SNS topic GameLift
// publishes to.
type Target struct {
	Name     string `json:"name"`
	ARN      string `json:"arn"`
	Endpoint string `json:"endpoint"`
	// Secret keys the HMAC signature of every delivery. Only Create
	// returns it; Get and List leave it empty, so that listing targets
	// does not hand out the means to forge deliveries.
	Secret      string    `json:"secret,omitempty"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
}

// TargetInput is what Create takes. An empty Secret asks for a generated
// one.
type TargetInput struct {
	Name        string
	Endpoint    string
	Secret      string
	Description string
}

// TargetUpdate holds what Update changes; nil members are left as they
// are.
type TargetUpdate struct {
	Endpoint    *string
	Secret      *string
	Description *string
}

// targetKeyPrefix is the kind of notification targets in rp_config.
const targetKeyPrefix = "notificationtarget."

func targetKey(name string) string { return targetKeyPrefix + name }

// TargetsConfig wires the store to its bucket.
type TargetsConfig struct {
	// Config is the rp_config bucket.
	Config jetstream.KeyValue
	// Region is the home region's name, part of every target's ARN.
	Region string
	Now    func() time.Time
	Logger *slog.Logger
}

// Targets stores notification targets. It is safe for concurrent use, on
// one node or many: every write is a compare-and-set.
type Targets struct {
	cfg TargetsConfig
	log *slog.Logger
}

// NewTargets returns the store.
func NewTargets(cfg TargetsConfig) (*Targets, error) {
	if cfg.Config == nil {
		return nil, errors.New("events: TargetsConfig.Config (the rp_config bucket) is required")
	}
	if cfg.Region == "" {
		return nil, errors.New("events: TargetsConfig.Region is required: it is part of every target's ARN")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Targets{cfg: cfg, log: cfg.Logger.With("component", "events")}, nil
}

// ARN is the ARN of the target called name: an SNS topic ARN's shape, so
// that it fits wherever GameLift takes a NotificationTarget.
func (t *Targets) ARN(name string) string {
	return "arn:rallypoint:sns:" + t.cfg.Region + "::" + name
}

// nameOf accepts a target name or this region's ARN of one and returns the
// name; ok is false for an ARN that cannot name a target here.
func (t *Targets) nameOf(nameOrARN string) (string, bool) {
	if !strings.HasPrefix(nameOrARN, "arn:") {
		return nameOrARN, true
	}
	i := strings.LastIndexByte(nameOrARN, ':')
	name := nameOrARN[i+1:]
	return name, nameOrARN == t.ARN(name)
}

// Create stores a new target. The returned Target carries the secret,
// generated when in.Secret is empty; it is never returned again.
func (t *Targets) Create(ctx context.Context, in TargetInput) (Target, error) {
	if err := checkName(in.Name); err != nil {
		return Target{}, err
	}
	if err := checkEndpoint(in.Endpoint); err != nil {
		return Target{}, err
	}
	if err := checkDescription(in.Description); err != nil {
		return Target{}, err
	}
	secret := in.Secret
	if secret == "" {
		b := make([]byte, generatedSecretLen)
		// crypto/rand.Read never fails on supported platforms.
		_, _ = rand.Read(b)
		secret = base64.RawURLEncoding.EncodeToString(b)
	} else if err := checkSecret(secret); err != nil {
		return Target{}, err
	}
	tg := Target{
		Name:        in.Name,
		ARN:         t.ARN(in.Name),
		Endpoint:    in.Endpoint,
		Secret:      secret,
		Description: in.Description,
		CreatedAt:   t.cfg.Now().UTC(),
	}
	_, err := engine.Create(ctx, t.cfg.Config, targetKey(in.Name), tg)
	if errors.Is(err, engine.ErrExists) {
		return Target{}, newError(ErrConflict, "Notification target %s already exists.", in.Name)
	}
	if err != nil {
		return Target{}, fmt.Errorf("create notification target %s: %w", in.Name, err)
	}
	t.log.Info("notification target created", "target", tg.ARN, "endpoint", redactEndpoint(tg.Endpoint))
	return tg, nil
}

// Get returns one target by name or ARN, without its secret.
func (t *Targets) Get(ctx context.Context, nameOrARN string) (Target, error) {
	tg, _, err := t.load(ctx, nameOrARN)
	tg.Secret = ""
	return tg, err
}

func (t *Targets) load(ctx context.Context, nameOrARN string) (Target, uint64, error) {
	name, ok := t.nameOf(nameOrARN)
	if !ok || checkName(name) != nil {
		return Target{}, 0, newError(ErrNotFound, "Notification target %s not found.", nameOrARN)
	}
	tg, rev, err := engine.Get[Target](ctx, t.cfg.Config, targetKey(name))
	if errors.Is(err, engine.ErrNotFound) {
		return Target{}, 0, newError(ErrNotFound, "Notification target %s not found.", nameOrARN)
	}
	if err != nil {
		return Target{}, 0, fmt.Errorf("read notification target %s: %w", name, err)
	}
	return tg, rev, nil
}

// List returns every target ordered by name, without secrets.
func (t *Targets) List(ctx context.Context) ([]Target, error) {
	all, err := engine.List[Target](ctx, t.cfg.Config, targetKeyPrefix+">")
	if err != nil {
		return nil, fmt.Errorf("list notification targets: %w", err)
	}
	for i := range all {
		all[i].Secret = ""
	}
	slices.SortFunc(all, func(a, b Target) int { return cmp.Compare(a.Name, b.Name) })
	return all, nil
}

// Update changes the members of u that are set and returns the target
// without its secret. Deliveries in progress pick up the change from their
// next attempt on.
func (t *Targets) Update(ctx context.Context, nameOrARN string, u TargetUpdate) (Target, error) {
	if u.Endpoint != nil {
		if err := checkEndpoint(*u.Endpoint); err != nil {
			return Target{}, err
		}
	}
	if u.Secret != nil {
		if err := checkSecret(*u.Secret); err != nil {
			return Target{}, err
		}
	}
	if u.Description != nil {
		if err := checkDescription(*u.Description); err != nil {
			return Target{}, err
		}
	}
	tg, rev, err := t.load(ctx, nameOrARN)
	if err != nil {
		return Target{}, err
	}
	if u.Endpoint != nil {
		tg.Endpoint = *u.Endpoint
	}
	if u.Secret != nil {
		tg.Secret = *u.Secret
	}
	if u.Description != nil {
		tg.Description = *u.Description
	}
	_, err = engine.Update(ctx, t.cfg.Config, targetKey(tg.Name), tg, rev)
	if errors.Is(err, engine.ErrStale) {
		return Target{}, newError(ErrConflict, "Notification target %s changed while it was being updated; retry.", tg.Name)
	}
	if err != nil {
		return Target{}, fmt.Errorf("update notification target %s: %w", tg.Name, err)
	}
	t.log.Info("notification target updated", "target", tg.ARN, "endpoint", redactEndpoint(tg.Endpoint), "secret_changed", u.Secret != nil)
	tg.Secret = ""
	return tg, nil
}

// Delete removes a target. Events already on the stream that name its ARN
// are no longer delivered anywhere but stay on the stream.
func (t *Targets) Delete(ctx context.Context, nameOrARN string) error {
	tg, rev, err := t.load(ctx, nameOrARN)
	if err != nil {
		return err
	}
	err = engine.Delete(ctx, t.cfg.Config, targetKey(tg.Name), rev)
	if errors.Is(err, engine.ErrStale) {
		return newError(ErrConflict, "Notification target %s changed while it was being deleted; retry.", tg.Name)
	}
	if err != nil {
		return fmt.Errorf("delete notification target %s: %w", tg.Name, err)
	}
	t.log.Info("notification target deleted", "target", tg.ARN)
	return nil
}

func checkName(name string) error {
	if name == "" || len(name) > MaxTargetNameLen {
		return newError(ErrInvalidRequest, "Name must be 1 to %d characters long, got %d.", MaxTargetNameLen, len(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return newError(ErrInvalidRequest, "Name %q may contain only letters, digits, '-' and '_'.", name)
		}
	}
	return nil
}

func checkEndpoint(endpoint string) error {
	if endpoint == "" || len(endpoint) > MaxEndpointLen {
		return newError(ErrInvalidRequest, "Endpoint must be 1 to %d characters long, got %d.", MaxEndpointLen, len(endpoint))
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return newError(ErrInvalidRequest, "Endpoint is not a URL: %v.", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return newError(ErrInvalidRequest, "Endpoint must be an http:// or https:// URL.")
	case u.Host == "" || u.Hostname() == "":
		return newError(ErrInvalidRequest, "Endpoint must name a host.")
	case u.User != nil:
		// Credentials in the URL would be stored and logged in the clear;
		// the signature is how the endpoint authenticates deliveries.
		return newError(ErrInvalidRequest, "Endpoint must not contain user information; verify deliveries with their signature instead.")
	case u.Fragment != "" || strings.HasSuffix(endpoint, "#"):
		return newError(ErrInvalidRequest, "Endpoint must not have a fragment: it is never sent to the server.")
	}
	return nil
}

func checkSecret(secret string) error {
	if len(secret) < MinSecretLen || len(secret) > MaxSecretLen {
		return newError(ErrInvalidRequest, "Secret must be %d to %d characters long, got %d.", MinSecretLen, MaxSecretLen, len(secret))
	}
	for i := 0; i < len(secret); i++ {
		// Printable ASCII only, so the secret survives configuration
		// files, environment variables and shells unchanged on the
		// receiving side.
		if c := secret[i]; c < 0x21 || c > 0x7e {
			return newError(ErrInvalidRequest, "Secret may contain only printable ASCII characters without spaces.")
		}
	}
	return nil
}

func checkDescription(d string) error {
	if n := utf8.RuneCountInString(d); n > MaxDescriptionLen {
		return newError(ErrInvalidRequest, "Description must be at most %d characters long, got %d.", MaxDescriptionLen, n)
	}
	if !utf8.ValidString(d) {
		return newError(ErrInvalidRequest, "Description must be valid UTF-8.")
	}
	return nil
}

// redactEndpoint drops the query from an endpoint for logs: some receivers
// take a token there.
func redactEndpoint(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "(unparseable)"
	}
	if u.RawQuery != "" {
		u.RawQuery = "redacted"
	}
	return u.String()
}
