package events

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/buildinfo"
	"github.com/rallypoint/rallypoint/internal/engine"
)

// Headers of a delivery to a notification target's endpoint.
const (
	HeaderEventID   = "X-Rallypoint-Event-Id"
	HeaderTarget    = "X-Rallypoint-Target"
	HeaderTimestamp = "X-Rallypoint-Timestamp"
	HeaderSignature = "X-Rallypoint-Signature"
)

// signatureScheme prefixes the signature header's value; a later scheme
// would get another prefix, so receivers can tell them apart.
const signatureScheme = "v1="

// ErrSignature is wrapped by every error Verify returns.
var ErrSignature = errors.New("webhook signature not valid")

// Sign returns the X-Rallypoint-Signature value of a delivery: "v1=" and
// the hex HMAC-SHA256, keyed with the target's secret, of the timestamp
// header's value, a '.', and the body. Signing the timestamp with the body
// lets a receiver refuse old deliveries replayed by someone who saw one.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return signatureScheme + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a delivery's X-Rallypoint-Timestamp and
// X-Rallypoint-Signature header values against its body. It does not judge
// the timestamp's age; receivers that want replay protection should also
// refuse timestamps far from their clock and remember event ids.
func Verify(secret []byte, timestamp, signature string, body []byte) error {
	if timestamp == "" || strings.TrimLeft(timestamp, "0123456789") != "" {
		return fmt.Errorf("%w: %s is %q, want unix seconds", ErrSignature, HeaderTimestamp, timestamp)
	}
	got, ok := strings.CutPrefix(signature, signatureScheme)
	if !ok {
		return fmt.Errorf("%w: %s does not start with %q", ErrSignature, HeaderSignature, signatureScheme)
	}
	gotMAC, err := hex.DecodeString(got)
	if err != nil || len(gotMAC) != sha256.Size {
		return fmt.Errorf("%w: %s is not %d hex digits after %q", ErrSignature, HeaderSignature, 2*sha256.Size, signatureScheme)
	}
	want, _ := hex.DecodeString(strings.TrimPrefix(Sign(secret, timestamp, body), signatureScheme))
	if !hmac.Equal(gotMAC, want) {
		return fmt.Errorf("%w: it does not match the body and timestamp under this secret", ErrSignature)
	}
	return nil
}

// DelivererConfig wires a Deliverer to the stream it reads and the bucket
// it finds targets in.
type DelivererConfig struct {
	// Stream is RP_EVENTS; Config is rp_config.
	Stream jetstream.Stream
	Config jetstream.KeyValue
	// Client sends deliveries. Nil means a client that follows no
	// redirects: a 3xx answer is a failed delivery, retried, rather than a
	// POST silently turned into a GET somewhere else.
	Client *http.Client
	// RequestTimeout bounds one delivery attempt. Default 10s.
	RequestTimeout time.Duration
	// RetryBase is the delay after a first failed attempt; it doubles with
	// every further failure up to RetryMax. Defaults 1s and 60s.
	RetryBase time.Duration
	RetryMax  time.Duration
	// Now is the clock of the signature timestamps; nil means time.Now.
	Now func() time.Time
	// Metrics counts deliveries; nil counts nothing.
	Metrics *Metrics
	Logger  *slog.Logger
}

// Deliverer POSTs events to notification targets' endpoints. Every node
// runs one; they share one durable JetStream consumer per target, which
// lets a single event be in flight per target across the cluster, so each
// target sees its events in stream order, at least once each.
type Deliverer struct {
	cfg       DelivererConfig
	log       *slog.Logger
	userAgent string
}

// NewDeliverer returns a Deliverer; Run starts it.
func NewDeliverer(cfg DelivererConfig) (*Deliverer, error) {
	if cfg.Stream == nil || cfg.Config == nil {
		return nil, errors.New("events: DelivererConfig.Stream and DelivererConfig.Config are required")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = time.Second
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = time.Minute
	}
	cfg.RetryMax = max(cfg.RetryMax, cfg.RetryBase)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	version, _ := buildinfo.Get()
	return &Deliverer{cfg: cfg, log: cfg.Logger.With("component", "events"), userAgent: "rallypoint/" + version}, nil
}

// Consumer names and metadata. A consumer belongs to one incarnation of a
// target (its name and creation time): a target deleted and created again
// gets a new consumer starting at its new creation time, and no node can
// mistake the old consumer for the new one.
const (
	consumerPrefix     = "rp_target_"
	consumerMetaTarget = "rallypoint_notification_target"
	// maxReadableName keeps consumer names under JetStream's 255 bytes.
	maxReadableName = 200
)

func consumerName(tg *Target) string {
	h := sha256.Sum256([]byte(tg.Name + "\x00" + tg.CreatedAt.UTC().Format(time.RFC3339Nano)))
	readable := tg.Name
	if len(readable) > maxReadableName {
		readable = readable[:maxReadableName]
	}
	return consumerPrefix + readable + "_" + hex.EncodeToString(h[:6])
}

// targetLoop delivers to one target; the watcher goroutine of Run starts,
// updates and stops it.
type targetLoop struct {
	name     string
	consumer string
	target   atomic.Pointer[Target] // swapped when the target is updated
	// cancel stops the loop between attempts; abort also ends an attempt
	// in flight. Shutting down only cancels: an attempt cut short after
	// the endpoint took the event would deliver it twice.
	cancel context.CancelFunc
	abort  context.CancelFunc
	// attempts is the context of delivery attempts, ended by abort.
	attempts context.Context
	done     chan struct{}
}

// Run delivers until ctx ends. It follows the notification targets in
// rp_config: a target created on any node starts being served here, a
// deleted one stops, an updated one is delivered to with its new endpoint
// and secret from the next attempt.
func (d *Deliverer) Run(ctx context.Context) error {
	loops := map[string]*targetLoop{}
	defer func() {
		for _, l := range loops {
			l.cancel()
		}
		for _, l := range loops {
			<-l.done
			l.abort()
		}
	}()
	for {
		err := d.watch(ctx, loops)
		if ctx.Err() != nil {
			return nil
		}
		d.log.Warn("watching notification targets failed; watching again", "error", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(d.cfg.RetryBase):
		}
	}
}

// watch follows the targets' keys, starting and stopping loops, until the
// watch fails or ctx ends.
func (d *Deliverer) watch(ctx context.Context, loops map[string]*targetLoop) error {
	w, err := d.cfg.Config.WatchFiltered(ctx, []string{targetKeyPrefix + ">"})
	if err != nil {
		return fmt.Errorf("watch notification targets: %w", err)
	}
	defer w.Stop()
	// current collects the targets of the initial state, so that after a
	// rewatch the loops of targets deleted meanwhile are stopped.
	current := map[string]bool{}
	initial := true
	for {
		var entry jetstream.KeyValueEntry
		var ok bool
		select {
		case <-ctx.Done():
			return ctx.Err()
		case entry, ok = <-w.Updates():
		}
		if !ok {
			return errors.New("watch of notification targets closed")
		}
		if entry == nil {
			initial = false
			for name := range loops {
				if !current[name] {
					d.stopLoop(ctx, loops, name)
				}
			}
			d.sweep(ctx)
			continue
		}
		name := strings.TrimPrefix(entry.Key(), targetKeyPrefix)
		if entry.Operation() != jetstream.KeyValuePut {
			d.stopLoop(ctx, loops, name)
			if !initial {
				// Other nodes may have missed this deletion (stopped
				// now, restarted later): whoever sees it cleans up
				// every consumer left without a target.
				d.sweep(ctx)
			}
			continue
		}
		var tg Target
		if err := json.Unmarshal(entry.Value(), &tg); err != nil {
			d.log.Error("notification target record unreadable; not delivering to it", "key", entry.Key(), "error", err)
			continue
		}
		if initial {
			current[name] = true
		}
		d.startLoop(ctx, loops, &tg)
	}
}

func (d *Deliverer) startLoop(ctx context.Context, loops map[string]*targetLoop, tg *Target) {
	cname := consumerName(tg)
	if l, ok := loops[tg.Name]; ok {
		if l.consumer == cname {
			l.target.Store(tg)
			return
		}
		// The target was deleted and created again while this node
		// missed the deletion.
		d.stopLoop(ctx, loops, tg.Name)
	}
	lctx, cancel := context.WithCancel(ctx)
	actx, abort := context.WithCancel(context.WithoutCancel(ctx))
	l := &targetLoop{name: tg.Name, consumer: cname, cancel: cancel, abort: abort, attempts: actx, done: make(chan struct{})}
	l.target.Store(tg)
	loops[tg.Name] = l
	go func() {
		defer close(l.done)
		d.serve(lctx, l)
	}()
}

// stopLoop stops a target's loop, waits for it, and deletes its consumer.
// Every node does this for a deleted target; all but the first find the
// consumer gone.
func (d *Deliverer) stopLoop(ctx context.Context, loops map[string]*targetLoop, name string) {
	l, ok := loops[name]
	if !ok {
		return
	}
	l.abort()
	l.cancel()
	<-l.done
	delete(loops, name)
	err := d.cfg.Stream.DeleteConsumer(ctx, l.consumer)
	if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) && ctx.Err() == nil {
		d.log.Warn("deleting the consumer of a deleted notification target failed; a later sweep retries", "target", name, "consumer", l.consumer, "error", err)
	}
}

// sweep deletes the consumers of targets that no longer exist (or exist as
// a later incarnation). A consumer is only ever created after its target's
// record was seen, so a record missing now means that incarnation is gone
// for good.
func (d *Deliverer) sweep(ctx context.Context) {
	lister := d.cfg.Stream.ListConsumers(ctx)
	var stale []string
	for info := range lister.Info() {
		name := info.Config.Metadata[consumerMetaTarget]
		if !strings.HasPrefix(info.Name, consumerPrefix) || name == "" {
			continue
		}
		tg, _, err := engine.Get[Target](ctx, d.cfg.Config, targetKey(name))
		switch {
		case errors.Is(err, engine.ErrNotFound):
			stale = append(stale, info.Name)
		case err != nil:
			d.log.Warn("checking a notification target's consumer failed", "target", name, "consumer", info.Name, "error", err)
		case consumerName(&tg) != info.Name:
			stale = append(stale, info.Name)
		}
	}
	if err := lister.Err(); err != nil && ctx.Err() == nil {
		d.log.Warn("listing notification target consumers failed", "error", err)
	}
	for _, c := range stale {
		err := d.cfg.Stream.DeleteConsumer(ctx, c)
		if err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			d.log.Warn("deleting the consumer of a deleted notification target failed", "consumer", c, "error", err)
			continue
		}
		d.log.Info("deleted the consumer of a deleted notification target", "consumer", c)
	}
}

// errTargetGone ends a loop whose target was deleted or replaced.
var errTargetGone = errors.New("notification target gone")

// serve delivers to one target until ctx ends or the target is gone,
// resuming after any failure of the consumer.
func (d *Deliverer) serve(ctx context.Context, l *targetLoop) {
	for failures := uint64(0); ; failures++ {
		cons, err := d.ensureConsumer(ctx, l)
		if errors.Is(err, errTargetGone) || ctx.Err() != nil {
			return
		}
		if err == nil {
			failures = 0
			err = d.consume(ctx, l, cons)
			if ctx.Err() != nil {
				return
			}
		}
		d.log.Warn("reading events for a notification target failed; resuming", "target", l.target.Load().ARN, "error", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(d.backoff(failures + 1)):
		}
	}
}

// ensureConsumer creates the target's consumer, or finds it. It rereads
// the target first, so that a loop about to stop for a deleted target does
// not bring its consumer back after another node deleted it.
func (d *Deliverer) ensureConsumer(ctx context.Context, l *targetLoop) (jetstream.Consumer, error) {
	tg, _, err := engine.Get[Target](ctx, d.cfg.Config, targetKey(l.name))
	if errors.Is(err, engine.ErrNotFound) || err == nil && consumerName(&tg) != l.consumer {
		return nil, errTargetGone
	}
	if err != nil {
		return nil, fmt.Errorf("read notification target %s: %w", l.name, err)
	}
	start := tg.CreatedAt
	cons, err := d.cfg.Stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       l.consumer,
		Description:   "rallypoint notification target " + tg.Name,
		FilterSubject: engine.EventsSubjectPrefix + ">",
		// The consumer starts at the target's creation time rather than
		// at its own: it may be created well after the target (every node
		// was busy, or down), and the events published in between are the
		// target's too. Any node creates the same consumer from the same
		// record, so which one gets there first does not matter.
		DeliverPolicy: jetstream.DeliverByStartTimePolicy,
		OptStartTime:  &start,
		AckPolicy:     jetstream.AckExplicitPolicy,
		// An attempt, with its acknowledgement, fits well inside AckWait,
		// so the server redelivers only what a crashed node held.
		AckWait: d.cfg.RequestTimeout + 20*time.Second,
		// One event in flight per target, cluster-wide: the order of
		// deliveries is the order of the stream.
		MaxAckPending: 1,
		MaxDeliver:    -1,
		Metadata:      map[string]string{consumerMetaTarget: tg.Name},
	})
	if err != nil {
		return nil, fmt.Errorf("create consumer %s: %w", l.consumer, err)
	}
	return cons, nil
}

// consume delivers messages from cons until ctx ends or the consumer
// fails.
func (d *Deliverer) consume(ctx context.Context, l *targetLoop, cons jetstream.Consumer) error {
	// MaxAckPending lets the server hand out one message at a time
	// whatever the batch asked for, so the batch size only decides when
	// the iterator asks again. With a batch of one it asks after every
	// message, racing its own previous request's bookkeeping: in nats.go
	// v1.55 a message that arrives before that request is marked done
	// makes the iterator skip asking, and it then waits for messages that
	// nobody requested until heartbeats are missed (we met it under -race;
	// nats-io/nats.go#1622 reports the same symptom). A larger batch
	// refills while requests are still outstanding. The short expiry
	// bounds the stall if it happens anyway: missed heartbeats surface as
	// an error, and serve resumes.
	it, err := cons.Messages(
		jetstream.PullMaxMessages(16),
		jetstream.PullExpiry(10*time.Second),
		jetstream.WithMessagesErrOnMissingHeartbeat(true),
	)
	if err != nil {
		return fmt.Errorf("read consumer %s: %w", l.consumer, err)
	}
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				release(it)
				return nil
			}
			it.Stop()
			return fmt.Errorf("read consumer %s: %w", l.consumer, err)
		}
		d.handle(ctx, l, msg)
	}
}

// release stops an iterator and hands back, at once, any message it had
// already received: left alone, it would wait out AckWait before another
// node could deliver it.
func release(it jetstream.MessagesContext) {
	it.Drain()
	for {
		msg, err := it.Next(jetstream.NextMaxWait(time.Second))
		if err != nil {
			return
		}
		_ = msg.Nak()
	}
}

// handle delivers one message if it is for the loop's target, and settles
// it with the stream: acknowledged once the endpoint has it (or when it is
// for another target), redelivered later otherwise.
func (d *Deliverer) handle(ctx context.Context, l *targetLoop, msg jetstream.Msg) {
	tg := l.target.Load()
	// A queue stores its NotificationTarget as given, so a target may be
	// named by its name as well as by its ARN.
	if h := msg.Headers().Get(HeaderNotificationTarget); h != tg.ARN && h != tg.Name {
		d.ack(ctx, tg, msg, "")
		return
	}
	id := eventID(msg)
	var attempt uint64 = 1
	if md, err := msg.Metadata(); err == nil {
		attempt = md.NumDelivered
	}
	began := time.Now()
	err := d.post(l.attempts, tg, id, msg.Data())
	d.cfg.Metrics.attempt(tg.Name, time.Since(began), err)
	if err == nil {
		d.ack(ctx, tg, msg, id)
		return
	}
	if ctx.Err() != nil {
		// Stopping, not failing: whoever runs next delivers it now.
		_ = msg.Nak()
		return
	}
	delay := d.backoff(attempt)
	d.log.Warn("notification delivery failed; retrying", "target", tg.ARN, "event", id, "attempt", attempt, "retry_in", delay, "error", err)
	if err := msg.NakWithDelay(delay); err != nil {
		d.log.Warn("returning an undelivered event to the stream failed; it comes back after the acknowledgement wait", "target", tg.ARN, "event", id, "error", err)
	}
}

// ack acknowledges msg and waits for the server to confirm: an
// acknowledgement lost on the way would make the event come back for no
// reason the logs could show.
func (d *Deliverer) ack(ctx context.Context, tg *Target, msg jetstream.Msg, id string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := msg.DoubleAck(actx); err != nil {
		d.log.Warn("acknowledging an event failed; it may be delivered again", "target", tg.ARN, "event", id, "error", err)
	}
}

// eventID is the event document's id: the message id the Publisher sets,
// or else the document's own member.
func eventID(msg jetstream.Msg) string {
	if id := msg.Headers().Get(jetstream.MsgIDHeader); id != "" {
		return id
	}
	var doc struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(msg.Data(), &doc)
	return doc.ID
}

// post makes one delivery attempt.
func (d *Deliverer) post(ctx context.Context, tg *Target, id string, body []byte) error {
	rctx, cancel := context.WithTimeout(ctx, d.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, tg.Endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request to %s: %w", redactEndpoint(tg.Endpoint), err)
	}
	ts := strconv.FormatInt(d.cfg.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", d.userAgent)
	req.Header.Set(HeaderEventID, id)
	req.Header.Set(HeaderTarget, tg.ARN)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign([]byte(tg.Secret), ts, body))
	resp, err := d.cfg.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			// The URL's query may hold the receiver's token.
			ue.URL = redactEndpoint(tg.Endpoint)
		}
		return err
	}
	// Reading the answer lets the connection be reused; its size is the
	// receiver's business, up to a point.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s", redactEndpoint(tg.Endpoint), resp.Status)
	}
	return nil
}

// backoff is the delay before attempt+1 after attempt failed: RetryBase,
// doubling per attempt, at most RetryMax.
func (d *Deliverer) backoff(attempt uint64) time.Duration {
	delay := d.cfg.RetryBase
	for i := uint64(1); i < attempt && delay < d.cfg.RetryMax; i++ {
		delay *= 2
	}
	return min(delay, d.cfg.RetryMax)
}
