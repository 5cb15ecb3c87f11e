package matchmaking

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/events"
)

// asyncPublisher is a Publisher that can also hand an event over without
// waiting for the stream to store it.
type asyncPublisher interface {
	Publisher
	PublishAsync(e events.Event) (jetstream.PubAckFuture, error)
}

// Sizes of the outbox: how many events may wait to be handed over, and
// how many may be in flight to the stream at once.
const (
	outboxSize   = 1 << 16
	outboxWindow = 512
)

// runOutbox publishes the events owners emit, in the order they emit
// them, so that an owner's loop does not wait for the stream: it hands a
// batch over asynchronously, then waits for the stream's answers, and
// publishes again (with the same document id, which the stream uses to
// drop a duplicate) any event the stream did not take. It returns once
// out is closed and everything in it has been published or ctx ended.
func (s *Service) runOutbox(ctx context.Context, pub asyncPublisher, out <-chan events.Event) {
	type inFlight struct {
		ev  events.Event
		fut jetstream.PubAckFuture
	}
	var batch []inFlight
	settle := func() {
		for _, f := range batch {
			if f.fut != nil {
				select {
				case <-f.fut.Ok():
					continue
				case err := <-f.fut.Err():
					s.log.Debug("an event was not stored; publishing it again", "subject", f.ev.Subject, "error", err)
				case <-ctx.Done():
					return
				}
			}
			s.publishNow(ctx, f.ev)
		}
		batch = batch[:0]
	}
	for {
		ev, ok := <-out
		if !ok {
			settle()
			return
		}
		fut, err := pub.PublishAsync(ev)
		if err != nil {
			fut = nil
		}
		batch = append(batch, inFlight{ev: ev, fut: fut})
		if len(batch) >= outboxWindow || len(out) == 0 {
			settle()
		}
	}
}

// publishNow publishes one event and waits, retrying a few times.
func (s *Service) publishNow(ctx context.Context, ev events.Event) {
	var err error
	for attempt := range 5 {
		if err = s.cfg.Events.Publish(ctx, ev); err == nil || ctx.Err() != nil {
			break
		}
		sleep(ctx, time.Duration(100<<attempt)*time.Millisecond)
	}
	if err != nil {
		s.log.Error("could not publish a matchmaking event", "subject", ev.Subject, "error", err)
	}
}

// claimRelease is a claim to delete once its ticket has ended.
type claimRelease struct{ key, id string }

// runReleases deletes the claims of ended tickets in the background: a
// claim left behind only delays nothing, since a new request takes over a
// claim whose ticket has ended.
func (s *Service) runReleases(ctx context.Context, in <-chan claimRelease) {
	for {
		select {
		case <-ctx.Done():
			return
		case r := <-in:
			s.releaseClaim(ctx, r.key, r.id)
		}
	}
}

// releaseLater queues a claim for deletion, or deletes it now when the
// queue is full or not running.
func (s *Service) releaseLater(ctx context.Context, key, id string) {
	if s.releases != nil {
		select {
		case s.releases <- claimRelease{key: key, id: id}:
			return
		default:
		}
	}
	s.releaseClaim(ctx, key, id)
}
