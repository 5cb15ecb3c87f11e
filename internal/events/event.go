// Package events builds rallypoint's event documents (GameLift's
// EventBridge-shaped JSON), publishes them on the RP_EVENTS stream, and
// delivers them to notification targets.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// HeaderNotificationTarget carries, on a stream message, the ARN of the
// notification target that should also receive the event.
const HeaderNotificationTarget = "Rp-Notification-Target"

// Event is one event to publish.
type Event struct {
	// Subject is the stream subject, rp.events.<source>.<name>.<type>
	// (see Subject).
	Subject string
	// NotificationTarget is the ARN of the notification target of the
	// resource the event is about (a queue's or a matchmaking
	// configuration's NotificationTarget); empty for none.
	NotificationTarget string
	Document           Document
}

// Document is an event as GameLift emits it through EventBridge and SNS.
type Document struct {
	Version    string   `json:"version"`
	ID         string   `json:"id"`
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Account    string   `json:"account"`
	Time       string   `json:"time"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Detail     any      `json:"detail"`
}

// Account is the account id events carry: rallypoint has no accounts, and
// GameLift's documents always have twelve digits here.
const Account = "000000000000"

// NewDocument returns a document with a fresh id.
func NewDocument(detailType, region string, resources []string, at time.Time, detail any) Document {
	return Document{
		Version:    "0",
		ID:         uuid.NewString(),
		DetailType: detailType,
		Source:     "aws.gamelift",
		Account:    Account,
		Time:       at.UTC().Format("2006-01-02T15:04:05Z"),
		Region:     region,
		Resources:  resources,
		Detail:     detail,
	}
}

// Subject names the stream subject of an event about the resource name
// (a queue, a matchmaking configuration) of source ("placement",
// "matchmaking").
func Subject(source, name, typ string) string {
	return engine.EventsSubjectPrefix + source + "." + name + "." + typ
}

// Publisher puts events on the RP_EVENTS stream.
type Publisher struct {
	js jetstream.JetStream
}

// NewPublisher returns a Publisher over js.
func NewPublisher(js jetstream.JetStream) *Publisher { return &Publisher{js: js} }

// PublishAsync hands the event to the stream without waiting for it to be
// stored; the future resolves with the stream's answer. Events handed
// over from one Publisher reach the stream in the order they were handed
// over (one connection carries them in order), which lets a busy
// publisher keep many in flight.
func (p *Publisher) PublishAsync(e Event) (jetstream.PubAckFuture, error) {
	msg, err := e.message()
	if err != nil {
		return nil, err
	}
	f, err := p.js.PublishMsgAsync(msg)
	if err != nil {
		return nil, fmt.Errorf("publish event %s: %w", e.Subject, err)
	}
	return f, nil
}

func (e Event) message() (*nats.Msg, error) {
	body, err := json.Marshal(e.Document)
	if err != nil {
		return nil, fmt.Errorf("encode event %s: %w", e.Subject, err)
	}
	msg := nats.NewMsg(e.Subject)
	msg.Data = body
	msg.Header.Set(jetstream.MsgIDHeader, e.Document.ID)
	if e.NotificationTarget != "" {
		msg.Header.Set(HeaderNotificationTarget, e.NotificationTarget)
	}
	return msg, nil
}

// Publish stores the event on the stream and returns once the stream has
// it. The document id doubles as the message id, so a publish retried
// after a lost acknowledgement is stored once.
func (p *Publisher) Publish(ctx context.Context, e Event) error {
	msg, err := e.message()
	if err != nil {
		return err
	}
	if _, err := p.js.PublishMsg(ctx, msg); err != nil {
		return fmt.Errorf("publish event %s: %w", e.Subject, err)
	}
	return nil
}
