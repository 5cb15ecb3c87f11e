package events

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// Pusher delivers a frame to every connection a player holds, on whichever
// node holds it. The player gateway implements it. It returns
// ErrNotConnected when the player holds no connection.
type Pusher interface {
	PushToPlayer(ctx context.Context, playerID string, frame []byte) error
}

// ErrNotConnected is a Pusher's answer for a player without a connection:
// not a failure, as many tickets are started by a studio's backend for
// players who never open a socket here.
var ErrNotConnected = errors.New("player not connected")

// NotifierConfig is what a Notifier needs.
type NotifierConfig struct {
	// Stream is RP_EVENTS.
	Stream jetstream.Stream
	// Latest is the rp_player_events bucket: each player's latest
	// matchmaking event, for players who connect after it went out.
	Latest jetstream.KeyValue
	// JetStream writes to Latest in batches.
	JetStream jetstream.JetStream
	Leases    *engine.Leases
	Pusher    Pusher
	// ResumeWindow is how long after a ticket ended its last event is still
	// sent to a player who connects: long enough to reconnect after a
	// dropped socket, short enough that an old result is not mistaken for a
	// new one. Zero means 5 minutes. The latest event of an active ticket
	// is always sent.
	ResumeWindow time.Duration
	// LeaseTTL bounds how long the notifier's work waits after its node
	// dies before another node takes it over. Zero means 10 s.
	LeaseTTL   time.Duration
	Registerer prometheus.Registerer
	Logger     *slog.Logger
	Now        func() time.Time
}

// Notifier pushes matchmaking events to the players they name: the durable
// consumer rp_notifier reads every matchmaking event on RP_EVENTS, in
// order, and hands each to the gateway for each player of its tickets, as
// {"event": <the document>}. One node at a time runs it (lease
// "notifier"), so a player's events reach it in the order they were
// published; the consumer's position survives restarts and failover.
//
// Before pushing, it records each player's latest event, so that a player
// who connects later (a dropped socket, a new device) is sent it first:
// see Latest. A player may therefore receive an event twice (pushed, then
// resent on connecting); clients recognise repeats by the event's id.
type Notifier struct {
	cfg     NotifierConfig
	log     *slog.Logger
	metrics *notifierMetrics
}

// Notifier names in the engine.
const (
	NotifierConsumer = "rp_notifier"
	notifierLease    = "notifier"
	// matchmakingSubjects are the events players are told about.
	matchmakingSubjects = engine.EventsSubjectPrefix + "matchmaking.>"
	notifierBatch       = 256
	notifierParallel    = 32
)

// NewNotifier checks cfg and returns a notifier; Run starts it.
func NewNotifier(cfg NotifierConfig) (*Notifier, error) {
	if cfg.Stream == nil || cfg.Latest == nil || cfg.JetStream == nil || cfg.Leases == nil || cfg.Pusher == nil {
		return nil, errors.New("notifier: stream, latest-event bucket, JetStream, leases and pusher are required")
	}
	if cfg.ResumeWindow <= 0 {
		cfg.ResumeWindow = 5 * time.Minute
	}
	if cfg.LeaseTTL <= 0 {
		cfg.LeaseTTL = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Notifier{cfg: cfg, log: cfg.Logger.With("component", "notifier"), metrics: newNotifierMetrics(cfg.Registerer)}, nil
}

// Run pushes events while this node holds the notifier's lease, and waits
// for it while another node does, until ctx ends.
func (n *Notifier) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		held, err := n.cfg.Leases.Hold(ctx, notifierLease, n.cfg.LeaseTTL)
		if err != nil {
			if !errors.Is(err, engine.ErrLeaseHeld) && ctx.Err() == nil {
				n.log.Warn("cannot take the notifier lease; retrying", "error", err)
			}
			sleepCtx(ctx, n.cfg.LeaseTTL/3)
			continue
		}
		n.log.Info("pushing matchmaking events to players from this node")
		lctx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-held.Lost():
				cancel()
			case <-lctx.Done():
			}
		}()
		n.serve(lctx)
		cancel()
		if ctx.Err() != nil {
			// Give the work to another node at once rather than after
			// the lease expires.
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			_ = held.Release(rctx)
			rcancel()
			return nil
		}
		n.log.Warn("lost the notifier lease; another node pushes events now")
	}
	return nil
}

// serve consumes until ctx ends, resuming after failures.
func (n *Notifier) serve(ctx context.Context) {
	for ctx.Err() == nil {
		cons, err := n.cfg.Stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
			Durable:       NotifierConsumer,
			Description:   "rallypoint: pushes matchmaking events to players' sockets",
			FilterSubject: matchmakingSubjects,
			// Events from before the first start are history; players
			// connecting later get their latest event from Latest.
			DeliverPolicy: jetstream.DeliverNewPolicy,
			AckPolicy:     jetstream.AckAllPolicy,
			// What a node that died had received comes again after
			// AckWait, to the next holder: short, as a batch is pushed in
			// milliseconds; a push that comes twice is recognised by the
			// event's id.
			AckWait:       10 * time.Second,
			MaxAckPending: 4 * notifierBatch,
			MaxDeliver:    -1,
		})
		if err == nil {
			err = n.consume(ctx, cons)
		}
		if ctx.Err() != nil {
			return
		}
		n.log.Warn("reading matchmaking events for players failed; resuming", "error", err)
		sleepCtx(ctx, time.Second)
	}
}

// consume handles batches until ctx ends or the consumer fails. Messages
// arrive one by one; whatever has arrived while the previous batch was being
// pushed forms the next batch, so a quiet stream pushes each event at once
// and a busy one amortises the registry's round trips.
func (n *Notifier) consume(ctx context.Context, cons jetstream.Consumer) error {
	in := make(chan jetstream.Msg, 4*notifierBatch)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		select {
		case in <- m:
		case <-ctx.Done():
			// Left unacknowledged: redelivered to the next holder.
		}
	},
		jetstream.PullMaxMessages(2*notifierBatch),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if ctx.Err() == nil {
				n.log.Debug("notifier consumer", "error", err)
			}
		}))
	if err != nil {
		return fmt.Errorf("consume %s: %w", NotifierConsumer, err)
	}
	defer func() {
		cc.Stop()
		// Hand back at once what arrived but was not pushed, so that
		// the next holder need not wait out AckWait for it.
		for {
			select {
			case m := <-in:
				_ = m.Nak()
			default:
				return
			}
		}
	}()
	msgs := make([]jetstream.Msg, 0, notifierBatch)
	for {
		msgs = msgs[:0]
		select {
		case <-ctx.Done():
			return nil
		case <-cc.Closed():
			return fmt.Errorf("consumer %s closed", NotifierConsumer)
		case m := <-in:
			msgs = append(msgs, m)
		}
	more:
		for len(msgs) < notifierBatch {
			select {
			case m := <-in:
				msgs = append(msgs, m)
			default:
				break more
			}
		}
		n.handle(ctx, msgs)
		// AckAll: acknowledging the last acknowledges the batch.
		if err := msgs[len(msgs)-1].Ack(); err != nil && ctx.Err() == nil {
			n.log.Warn("acknowledging pushed events failed; they may be pushed again", "error", err)
		}
	}
}

// eventPlayers is the part of an event document the notifier reads.
type eventPlayers struct {
	Time   string `json:"time"`
	Detail struct {
		Type    string `json:"type"`
		Tickets []struct {
			TicketID string `json:"ticketId"`
			Players  []struct {
				PlayerID string `json:"playerId"`
			} `json:"players"`
		} `json:"tickets"`
	} `json:"detail"`
}

// LatestEvent is what rp_player_events holds for a player.
type LatestEvent struct {
	Seq      uint64    `json:"seq"`
	TicketID string    `json:"ticketId"`
	Type     string    `json:"type"`
	Ended    bool      `json:"ended"`
	At       time.Time `json:"at"`
}

// endingEvents end a ticket.
var endingEvents = map[string]bool{
	"MatchmakingSucceeded": true,
	"MatchmakingTimedOut":  true,
	"MatchmakingCancelled": true,
	"MatchmakingFailed":    true,
}

type playerPush struct {
	latest LatestEvent
	frames [][]byte
}

// handle records the batch's latest event of each player, then pushes the
// events, in order for each player and in parallel across players.
// Recording first is what makes Latest safe to call while connecting: a
// gateway that reads an older event than one being pushed has registered
// the connection before the push looks it up, so the newer event follows.
func (n *Notifier) handle(ctx context.Context, msgs []jetstream.Msg) {
	players := map[string]*playerPush{}
	var order []string
	for _, m := range msgs {
		md, err := m.Metadata()
		if err != nil {
			n.log.Warn("event without stream metadata; not pushed", "subject", m.Subject(), "error", err)
			continue
		}
		var doc eventPlayers
		if err := json.Unmarshal(m.Data(), &doc); err != nil {
			n.log.Warn("unreadable matchmaking event; not pushed", "subject", m.Subject(), "seq", md.Sequence.Stream, "error", err)
			continue
		}
		n.metrics.events.Inc()
		frame := make([]byte, 0, len(m.Data())+10)
		frame = append(frame, `{"event":`...)
		frame = append(frame, m.Data()...)
		frame = append(frame, '}')
		for _, t := range doc.Detail.Tickets {
			for _, p := range t.Players {
				if p.PlayerID == "" {
					continue
				}
				pp := players[p.PlayerID]
				if pp == nil {
					pp = &playerPush{}
					players[p.PlayerID] = pp
					order = append(order, p.PlayerID)
				}
				pp.latest = LatestEvent{Seq: md.Sequence.Stream, TicketID: t.TicketID, Type: doc.Detail.Type, Ended: endingEvents[doc.Detail.Type], At: md.Timestamp}
				pp.frames = append(pp.frames, frame)
			}
		}
	}
	n.recordLatest(ctx, order, players)
	n.parallel(order, func(id string) {
		for _, f := range players[id].frames {
			err := n.cfg.Pusher.PushToPlayer(ctx, id, f)
			if errors.Is(err, ErrNotConnected) {
				n.metrics.offline.Inc()
				continue
			}
			if err != nil {
				n.metrics.failed.Inc()
				if ctx.Err() == nil {
					n.log.Warn("pushing an event to a player failed", "player", id, "error", err)
				}
				continue
			}
			n.metrics.pushed.Inc()
		}
	})
	now := n.cfg.Now()
	for _, m := range msgs {
		if md, err := m.Metadata(); err == nil {
			n.metrics.delay.Observe(now.Sub(md.Timestamp).Seconds())
		}
	}
}

// recordLatest stores each player's latest event of the batch, all at once
// (asynchronous publications to the bucket's subjects, then waiting for
// every acknowledgement), before any of them is pushed.
func (n *Notifier) recordLatest(ctx context.Context, order []string, players map[string]*playerPush) {
	prefix := "$KV." + n.cfg.Latest.Bucket() + "."
	futures := make([]jetstream.PubAckFuture, 0, len(order))
	for _, id := range order {
		b, _ := json.Marshal(players[id].latest)
		f, err := n.cfg.JetStream.PublishAsync(prefix+latestKey(id), b)
		if err != nil {
			n.log.Warn("recording a player's latest event failed; it will not be resent on connecting", "player", id, "error", err)
			continue
		}
		futures = append(futures, f)
	}
	timeout := time.NewTimer(10 * time.Second)
	defer timeout.Stop()
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			n.log.Warn("recording a player's latest event failed; it will not be resent on connecting", "error", err)
		case <-timeout.C:
			n.log.Warn("recording players' latest events timed out; they may not be resent on connecting")
			return
		case <-ctx.Done():
			return
		}
	}
}

// parallel runs fn for every id, notifierParallel at a time.
func (n *Notifier) parallel(ids []string, fn func(string)) {
	sem := make(chan struct{}, notifierParallel)
	var wg sync.WaitGroup
	for _, id := range ids {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(id)
		})
	}
	wg.Wait()
}

// Latest returns the frame to send first to a player who connects: its
// latest matchmaking event, if its ticket is active or ended within the
// resume window.
func (n *Notifier) Latest(ctx context.Context, playerID string) ([]byte, bool) {
	rec, _, err := engine.Get[LatestEvent](ctx, n.cfg.Latest, latestKey(playerID))
	if err != nil {
		if !errors.Is(err, engine.ErrNotFound) {
			n.log.Warn("reading a player's latest event failed", "player", playerID, "error", err)
		}
		return nil, false
	}
	if rec.Ended && n.cfg.Now().Sub(rec.At) > n.cfg.ResumeWindow {
		return nil, false
	}
	msg, err := n.cfg.Stream.GetMsg(ctx, rec.Seq)
	if err != nil {
		n.log.Warn("reading a player's latest event from the stream failed", "player", playerID, "seq", rec.Seq, "error", err)
		return nil, false
	}
	frame := make([]byte, 0, len(msg.Data)+10)
	frame = append(frame, `{"event":`...)
	frame = append(frame, msg.Data...)
	return append(frame, '}'), true
}

// latestKey is a player's key in rp_player_events: player ids are free
// text, keys are not.
func latestKey(playerID string) string {
	return "p." + base64.RawURLEncoding.EncodeToString([]byte(playerID))
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

type notifierMetrics struct {
	events, pushed, offline, failed prometheus.Counter
	delay                           prometheus.Histogram
}

func newNotifierMetrics(reg prometheus.Registerer) *notifierMetrics {
	m := &notifierMetrics{
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rallypoint_notifier_events_total",
			Help: "Matchmaking events the notifier read from the stream on this node.",
		}),
		pushed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rallypoint_notifier_pushes_total",
			Help: "Events handed to the gateway for a player (each of its connections receives it).",
		}),
		offline: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rallypoint_notifier_offline_total",
			Help: "Events for a player who held no connection (it gets its latest event when it connects).",
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "rallypoint_notifier_push_failures_total",
			Help: "Events the gateway could not push to a player (the registry could not be read).",
		}),
		delay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "rallypoint_notifier_delay_seconds",
			Help:    "Time from an event's publication on the stream to its push.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
	}
	if reg != nil {
		reg.MustRegister(m.events, m.pushed, m.offline, m.failed, m.delay)
	}
	return m
}
