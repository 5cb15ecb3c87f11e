package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
	"github.com/rallypoint/rallypoint/internal/events"
)

func TestSign(t *testing.T) {
	// Computed independently:
	//   printf '%s' '1767225600.{"version":"0","id":"e-1"}' | openssl dgst -sha256 -hmac 'whsec-test-0123456789'
	const want = "v1=1b3762b322174b227fe761757478a3fa9995896eca9bd157f7ea808bbd3c6507"
	body := []byte(`{"version":"0","id":"e-1"}`)
	if got := events.Sign([]byte("whsec-test-0123456789"), "1767225600", body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if err := events.Verify([]byte("whsec-test-0123456789"), "1767225600", want, body); err != nil {
		t.Fatalf("Verify of a good signature: %v", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	secret := []byte("whsec-test-0123456789")
	body := []byte(`{"id":"e-1"}`)
	good := events.Sign(secret, "1767225600", body)
	cases := []struct {
		name                 string
		secret               []byte
		timestamp, signature string
		body                 []byte
	}{
		{"other secret", []byte("whsec-other-0123456789"), "1767225600", good, body},
		{"changed body", secret, "1767225600", good, []byte(`{"id":"e-2"}`)},
		{"changed timestamp", secret, "1767225601", good, body},
		{"no timestamp", secret, "", good, body},
		{"timestamp not a number", secret, "17672256OO", good, body},
		{"no signature", secret, "1767225600", "", body},
		{"other scheme", secret, "1767225600", "v2=" + strings.TrimPrefix(good, "v1="), body},
		{"not hex", secret, "1767225600", "v1=" + strings.Repeat("zz", 32), body},
		{"short", secret, "1767225600", good[:len(good)-2], body},
		{"upper-case prefix", secret, "1767225600", "V1=" + strings.TrimPrefix(good, "v1="), body},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := events.Verify(c.secret, c.timestamp, c.signature, c.body)
			if !errors.Is(err, events.ErrSignature) {
				t.Fatalf("Verify: got %v, want ErrSignature", err)
			}
		})
	}
}

// delivery is one request a receiver got.
type delivery struct {
	eventID string
	target  string
	status  int // what the receiver answered
	body    []byte
	sigErr  error
	header  http.Header
}

// receiver is a webhook endpoint on loopback that records every request
// and answers with the status its answer function picks.
type receiver struct {
	srv    *httptest.Server
	answer func(n int, eventID string) int // n counts requests from 0

	mu     sync.Mutex
	secret []byte
	log    []delivery
	poke   chan struct{}
}

func newReceiver(t testing.TB, answer func(n int, eventID string) int) *receiver {
	r := &receiver{answer: answer, poke: make(chan struct{}, 1)}
	if r.answer == nil {
		r.answer = func(int, string) int { return http.StatusOK }
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	d := delivery{
		eventID: req.Header.Get(events.HeaderEventID),
		target:  req.Header.Get(events.HeaderTarget),
		body:    body,
		header:  req.Header.Clone(),
		sigErr:  events.Verify(r.secret, req.Header.Get(events.HeaderTimestamp), req.Header.Get(events.HeaderSignature), body),
	}
	d.status = r.answer(len(r.log), d.eventID)
	r.log = append(r.log, d)
	r.mu.Unlock()
	select {
	case r.poke <- struct{}{}:
	default:
	}
	w.WriteHeader(d.status)
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	r.secret = []byte(s)
	r.mu.Unlock()
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.log...)
}

// succeeded lists the event ids answered with 2xx, in order.
func (r *receiver) succeeded() []string {
	var ids []string
	for _, d := range r.deliveries() {
		if d.status/100 == 2 {
			ids = append(ids, d.eventID)
		}
	}
	return ids
}

// waitSucceeded waits until n events have been answered with 2xx.
func (r *receiver) waitSucceeded(t testing.TB, n int) []string {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if ids := r.succeeded(); len(ids) >= n {
			return ids
		}
		select {
		case <-r.poke:
		case <-deadline:
			t.Fatalf("waited for %d successful deliveries; the endpoint got %s", n, r.describe())
		}
	}
}

func (r *receiver) describe() string {
	var b strings.Builder
	for _, d := range r.deliveries() {
		fmt.Fprintf(&b, "\n  %s -> %d", d.eventID, d.status)
	}
	return b.String()
}

// checkOrderly checks the request log against the published order: every
// request is for the first event not yet delivered (so nothing overtakes,
// and nothing is sent again after it succeeded), and every signature
// verifies.
func checkOrderly(t testing.TB, r *receiver, published []string) {
	t.Helper()
	next := 0
	for i, d := range r.deliveries() {
		if d.sigErr != nil {
			t.Errorf("request %d (%s): %v", i, d.eventID, d.sigErr)
		}
		if next >= len(published) {
			t.Fatalf("request %d is for %s after every event was delivered:%s", i, d.eventID, r.describe())
		}
		if d.eventID != published[next] {
			t.Fatalf("request %d is for %s, want %s (the first undelivered event):%s", i, d.eventID, published[next], r.describe())
		}
		if d.status/100 == 2 {
			next++
		}
	}
	if next != len(published) {
		t.Fatalf("%d of %d events delivered:%s", next, len(published), r.describe())
	}
}

// testLogger sends logs to the test's output.
func testLogger(t testing.TB, also ...slog.Handler) *slog.Logger {
	h := slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})
	return slog.New(slog.NewMultiHandler(append([]slog.Handler{h}, also...)...))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// runDeliverer runs a Deliverer on e with short retry delays; the returned
// function stops it and waits for Run to return (also done at cleanup).
func runDeliverer(t testing.TB, e *engine.Engine, log *slog.Logger) (stop func()) {
	t.Helper()
	if log == nil {
		log = testLogger(t)
	}
	d, err := events.NewDeliverer(events.DelivererConfig{
		Stream:    e.Events(),
		Config:    e.Bucket(engine.BucketConfig),
		RetryBase: 5 * time.Millisecond,
		RetryMax:  40 * time.Millisecond,
		Logger:    log,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// publisher publishes placement events, numbered.
type publisher struct {
	p *events.Publisher
	n int
}

func newPublisher(e *engine.Engine) *publisher {
	return &publisher{p: events.NewPublisher(e.JetStream())}
}

// publish puts one event for target (an ARN, or "" for none) on the stream
// and returns its document.
func (p *publisher) publish(t testing.TB, target string) events.Document {
	t.Helper()
	p.n++
	doc := events.NewDocument("GameLift Queue Placement Event", testRegion,
		[]string{"arn:rallypoint:gamelift:" + testRegion + "::gamesessionqueue/main"}, time.Now(),
		map[string]any{"type": "PlacementTimedOut", "placementId": "p-" + strconv.Itoa(p.n)})
	err := p.p.Publish(context.Background(), events.Event{
		Subject:            events.Subject("placement", "main", "PlacementTimedOut"),
		NotificationTarget: target,
		Document:           doc,
	})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func createTarget(t testing.TB, ts *events.Targets, name string, r *receiver) events.Target {
	t.Helper()
	tg, err := ts.Create(context.Background(), events.TargetInput{Name: name, Endpoint: r.srv.URL + "/hooks/" + name})
	if err != nil {
		t.Fatal(err)
	}
	r.setSecret(tg.Secret)
	return tg
}

func TestDeliveryToTargets(t *testing.T) {
	e := enginetest.Open(t)
	ts := newTargets(t, e)
	runDeliverer(t, e, nil)
	ra, rb := newReceiver(t, nil), newReceiver(t, nil)
	a := createTarget(t, ts, "studio-a", ra)
	b := createTarget(t, ts, "studio-b", rb)

	pub := newPublisher(e)
	var wantA, wantB []events.Document
	wantA = append(wantA, pub.publish(t, a.ARN))
	pub.publish(t, "")
	wantB = append(wantB, pub.publish(t, b.ARN))
	wantA = append(wantA, pub.publish(t, a.ARN))
	// An SNS topic ARN, or a target that does not exist: on the stream only.
	pub.publish(t, "arn:aws:sns:us-east-1:123456789012:gamelift-events")
	pub.publish(t, "arn:rallypoint:sns:"+testRegion+"::nobody")
	wantA = append(wantA, pub.publish(t, a.ARN))
	wantB = append(wantB, pub.publish(t, b.ARN))
	// A queue may name its target by name rather than ARN.
	wantB = append(wantB, pub.publish(t, b.Name))

	// Deliveries are in stream order, so once the last event for a target
	// has arrived, anything else that was going to arrive before it has.
	for _, c := range []struct {
		r    *receiver
		tg   events.Target
		want []events.Document
	}{{ra, a, wantA}, {rb, b, wantB}} {
		c.r.waitSucceeded(t, len(c.want))
		var ids []string
		for _, d := range c.want {
			ids = append(ids, d.ID)
		}
		checkOrderly(t, c.r, ids)
		for i, d := range c.r.deliveries() {
			body, _ := json.Marshal(c.want[i])
			if !bytes.Equal(d.body, body) {
				t.Errorf("%s: body %s, want the published document %s", c.tg.Name, d.body, body)
			}
			if d.target != c.tg.ARN {
				t.Errorf("%s: %s is %q", c.tg.Name, events.HeaderTarget, d.target)
			}
			if ct := d.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s: Content-Type %q", c.tg.Name, ct)
			}
			sec, err := strconv.ParseInt(d.header.Get(events.HeaderTimestamp), 10, 64)
			if err != nil || time.Since(time.Unix(sec, 0)).Abs() > time.Hour {
				t.Errorf("%s: timestamp %q is not the current unix time", c.tg.Name, d.header.Get(events.HeaderTimestamp))
			}
		}
	}
}

// lockedBuffer collects JSON log lines from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) records(t testing.TB) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range bytes.Split(l.b.Bytes(), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

func TestDeliveryRetriesFailingEndpoint(t *testing.T) {
	e := enginetest.Open(t)
	ts := newTargets(t, e)
	var logs lockedBuffer
	runDeliverer(t, e, testLogger(t, slog.NewJSONHandler(&logs, nil)))
	// Down for the first four requests, then once more in the middle.
	r := newReceiver(t, func(n int, _ string) int {
		if n < 4 || n == 6 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	tg := createTarget(t, ts, "flaky", r)
	pub := newPublisher(e)
	var ids []string
	for range 5 {
		ids = append(ids, pub.publish(t, tg.ARN).ID)
	}
	r.waitSucceeded(t, len(ids))
	checkOrderly(t, r, ids)
	if n := len(r.deliveries()); n != len(ids)+5 {
		t.Errorf("%d requests, want %d (every event once, plus five failures):%s", n, len(ids)+5, r.describe())
	}

	// Each failure is logged with what an operator needs to find it.
	var attempts []float64
	for _, rec := range logs.records(t) {
		if rec["level"] != "WARN" || rec["msg"] != "notification delivery failed; retrying" {
			continue
		}
		if rec["component"] != "events" || rec["target"] != tg.ARN || rec["error"] == nil {
			t.Errorf("failure log without component, target or error: %v", rec)
		}
		if rec["event"] == ids[0] {
			attempts = append(attempts, rec["attempt"].(float64))
		}
	}
	if fmt.Sprint(attempts) != "[1 2 3 4]" {
		t.Errorf("logged attempts of the first event: %v, want [1 2 3 4]", attempts)
	}
}

func TestDeliveryTwoDeliverers(t *testing.T) {
	e := enginetest.Open(t)
	ts := newTargets(t, e)
	stopFirst := runDeliverer(t, e, nil)
	runDeliverer(t, e, nil)
	// Every third request fails, so that events also come back to
	// whichever deliverer is waiting.
	r := newReceiver(t, func(n int, _ string) int {
		if n%3 == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	tg := createTarget(t, ts, "shared", r)
	pub := newPublisher(e)
	var ids []string
	for range 10 {
		ids = append(ids, pub.publish(t, tg.ARN).ID)
	}
	r.waitSucceeded(t, len(ids))
	checkOrderly(t, r, ids)

	// The second deliverer carries on alone.
	stopFirst()
	for range 5 {
		ids = append(ids, pub.publish(t, tg.ARN).ID)
	}
	r.waitSucceeded(t, len(ids))
	checkOrderly(t, r, ids)
}

// targetConsumers lists the stream's consumers that deliver to targets.
func targetConsumers(t testing.TB, e *engine.Engine) []string {
	t.Helper()
	var names []string
	l := e.Events().ConsumerNames(context.Background())
	for n := range l.Name() {
		if strings.HasPrefix(n, "rp_target_") {
			names = append(names, n)
		}
	}
	if err := l.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

// waitConsumers polls until the stream has n target consumers.
func waitConsumers(t testing.TB, e *engine.Engine, n int) []string {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for {
		names := targetConsumers(t, e)
		if len(names) == n {
			return names
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("target consumers %v, want %d", names, n)
		}
	}
}

func TestDeliveryStopsWhenTargetDeleted(t *testing.T) {
	e := enginetest.Open(t)
	ts := newTargets(t, e)
	runDeliverer(t, e, nil)
	r := newReceiver(t, nil)
	tg := createTarget(t, ts, "short-lived", r)
	pub := newPublisher(e)
	first := pub.publish(t, tg.ARN)
	r.waitSucceeded(t, 1)
	old := waitConsumers(t, e, 1)

	if err := ts.Delete(context.Background(), tg.Name); err != nil {
		t.Fatal(err)
	}
	waitConsumers(t, e, 0)
	pub.publish(t, tg.ARN) // nobody's: the target is gone

	// A target of the same name is a new one: it starts with the events
	// published after its creation.
	again := createTarget(t, ts, tg.Name, r)
	last := pub.publish(t, again.ARN)
	r.waitSucceeded(t, 2)
	checkOrderly(t, r, []string{first.ID, last.ID})
	if now := waitConsumers(t, e, 1); now[0] == old[0] {
		t.Errorf("the recreated target reuses consumer %s", old[0])
	}
}

// TestDeliveryForgetsTargetDeletedWhileStopped deletes a target while no
// Deliverer runs: the next one to start removes the target's consumer.
func TestDeliveryForgetsTargetDeletedWhileStopped(t *testing.T) {
	e := enginetest.Open(t)
	ts := newTargets(t, e)
	r := newReceiver(t, nil)
	stop := runDeliverer(t, e, nil)
	gone := createTarget(t, ts, "gone", r)
	kept := createTarget(t, ts, "kept", r)
	pub := newPublisher(e)
	pub.publish(t, gone.ARN)
	pub.publish(t, kept.ARN)
	r.waitSucceeded(t, 2)
	before := waitConsumers(t, e, 2)
	stop()

	if err := ts.Delete(context.Background(), gone.Name); err != nil {
		t.Fatal(err)
	}
	runDeliverer(t, e, nil)
	after := waitConsumers(t, e, 1)
	if !strings.Contains(after[0], "_kept_") || !slices.Contains(before, after[0]) {
		t.Errorf("consumers %v before, %v after; want only kept's to remain", before, after)
	}
}

func TestDeliveryAfterRestart(t *testing.T) {
	e := enginetest.Open(t)
	ts := newTargets(t, e)
	var up atomic.Bool
	r := newReceiver(t, func(int, string) int {
		if up.Load() {
			return http.StatusOK
		}
		return http.StatusBadGateway
	})
	stop := runDeliverer(t, e, nil)
	tg := createTarget(t, ts, "restart", r)
	ev := newPublisher(e).publish(t, tg.ARN)
	deadline := time.After(30 * time.Second)
	for len(r.deliveries()) < 2 {
		select {
		case <-r.poke:
		case <-deadline:
			t.Fatalf("no failed attempts:%s", r.describe())
		}
	}
	stop()
	up.Store(true)
	runDeliverer(t, e, nil)
	r.waitSucceeded(t, 1)
	checkOrderly(t, r, []string{ev.ID})
}

func TestDeliveryFollowsUpdates(t *testing.T) {
	e := enginetest.Open(t)
	ts := newTargets(t, e)
	runDeliverer(t, e, nil)
	before, after := newReceiver(t, nil), newReceiver(t, nil)
	tg := createTarget(t, ts, "moving", before)
	pub := newPublisher(e)
	first := pub.publish(t, tg.ARN)
	before.waitSucceeded(t, 1)

	endpoint, secret := after.srv.URL+"/new", "rotated-secret-0123456789"
	after.setSecret(secret)
	if _, err := ts.Update(context.Background(), tg.Name, events.TargetUpdate{Endpoint: &endpoint, Secret: &secret}); err != nil {
		t.Fatal(err)
	}
	// The Deliverer learns of the update through the bucket, some time
	// after Update returns; events published until then may still go to
	// the old endpoint, each exactly once.
	var ids []string
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second)
	for len(after.succeeded()) == 0 {
		ids = append(ids, pub.publish(t, tg.ARN).ID)
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatal("deliveries never moved to the new endpoint")
		}
	}
	all := append([]string{first.ID}, ids...)
	after.waitSucceeded(t, len(all)-len(before.succeeded()))
	delivered := append(before.succeeded(), after.succeeded()...)
	if fmt.Sprint(delivered) != fmt.Sprint(all) {
		t.Fatalf("delivered %v, want %v", delivered, all)
	}
	for _, d := range after.deliveries() {
		if d.sigErr != nil {
			t.Errorf("delivery to the new endpoint not signed with the new secret: %v", d.sigErr)
		}
	}
}

// BenchmarkDelivery measures events delivered per second to one target on
// a loopback endpoint, each signed and acknowledged before the next.
func BenchmarkDelivery(b *testing.B) {
	e := enginetest.Open(b)
	ts := newTargets(b, e)
	var got atomic.Int64
	done := make(chan struct{})
	var want atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if got.Add(1) == want.Load() {
			close(done)
		}
	}))
	b.Cleanup(srv.Close)
	tg, err := ts.Create(context.Background(), events.TargetInput{Name: "bench", Endpoint: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	runDeliverer(b, e, slog.New(slog.DiscardHandler))
	pub := newPublisher(e)
	want.Store(int64(b.N))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		pub.publish(b, tg.ARN)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("%d of %d delivered", got.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
