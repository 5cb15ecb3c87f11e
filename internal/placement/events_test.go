package placement_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rallypoint/rallypoint/internal/events"
)

// placementEvent is a queue placement event as GameLift documents it.
type placementEvent struct {
	Version    string   `json:"version"`
	ID         string   `json:"id"`
	DetailType string   `json:"detail-type"`
	Source     string   `json:"source"`
	Account    string   `json:"account"`
	Time       string   `json:"time"`
	Region     string   `json:"region"`
	Resources  []string `json:"resources"`
	Detail     struct {
		Type                 string `json:"type"`
		PlacementID          string `json:"placementId"`
		Port                 string `json:"port"`
		GameSessionARN       string `json:"gameSessionArn"`
		IPAddress            string `json:"ipAddress"`
		DNSName              string `json:"dnsName"`
		StartTime            string `json:"startTime"`
		EndTime              string `json:"endTime"`
		GameSessionRegion    string `json:"gameSessionRegion"`
		CustomEventData      string `json:"customEventData"`
		PlacedPlayerSessions []struct {
			PlayerID        string `json:"playerId"`
			PlayerSessionID string `json:"playerSessionId"`
		} `json:"placedPlayerSessions"`
	} `json:"detail"`
	subject string
}

// events follows the placement events on the node's event stream.
func (w *world) events() <-chan placementEvent {
	w.T.Helper()
	nc, err := nats.Connect(w.N.NATSURL())
	if err != nil {
		w.T.Fatal(err)
	}
	w.T.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		w.T.Fatal(err)
	}
	ctx := context.Background()
	cons, err := js.OrderedConsumer(ctx, "RP_EVENTS", jetstream.OrderedConsumerConfig{FilterSubjects: []string{"rp.events.placement.>"}})
	if err != nil {
		w.T.Fatal(err)
	}
	out := make(chan placementEvent, 100)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		var ev placementEvent
		if err := json.Unmarshal(m.Data(), &ev); err != nil {
			w.T.Errorf("undecodable event on %s: %v", m.Subject(), err)
			return
		}
		ev.subject = m.Subject()
		out <- ev
	})
	if err != nil {
		w.T.Fatal(err)
	}
	w.T.Cleanup(cc.Stop)
	return out
}

func nextEvent(t *testing.T, c <-chan placementEvent) placementEvent {
	t.Helper()
	select {
	case ev := <-c:
		return ev
	case <-time.After(30 * time.Second):
		t.Fatal("no placement event arrived")
		return placementEvent{}
	}
}

// Each ended placement emits its event on RP_EVENTS, in GameLift's JSON.
func TestPlacementEvents(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	evs := w.events()
	f := w.fleet("f", "", "custom-a")
	w.servers(f, "custom-a", 1)
	q := w.queue(gamelift.CreateGameSessionQueueInput{
		Name: aws.String("evq"), Destinations: destinations(f), TimeoutInSeconds: aws.Int32(10),
		CustomEventData: aws.String("studio-data"),
	})

	pl := w.fulfilledIn(w.place("evq", "ev-1", nil, "u1", "u2"), "custom-a", "u1", "u2")
	ev := nextEvent(t, evs)
	if ev.subject != "rp.events.placement.evq.PlacementFulfilled" || ev.DetailType != "GameLift Queue Placement Event" || ev.Source != "aws.gamelift" ||
		ev.Version != "0" || ev.ID == "" || ev.Region != "local" || len(ev.Resources) != 1 || ev.Resources[0] != aws.ToString(q.GameSessionQueueArn) {
		t.Fatalf("fulfilled event envelope: %+v", ev)
	}
	d := ev.Detail
	if d.Type != "PlacementFulfilled" || d.PlacementID != "ev-1" || d.GameSessionARN != aws.ToString(pl.GameSessionArn) ||
		d.IPAddress != "127.0.0.1" || d.Port != "7000" || d.GameSessionRegion != "custom-a" || d.CustomEventData != "studio-data" ||
		len(d.PlacedPlayerSessions) != 2 || d.PlacedPlayerSessions[0].PlayerSessionID != aws.ToString(pl.PlacedPlayerSessions[0].PlayerSessionId) {
		t.Fatalf("fulfilled event detail: %+v", d)
	}
	for _, ts := range []string{d.StartTime, d.EndTime} {
		if _, err := time.Parse("2006-01-02T15:04:05.000Z", ts); err != nil {
			t.Fatalf("event time %q is not ISO-8601 with milliseconds: %v", ts, err)
		}
	}

	// No capacity is left: one placement is stopped, one times out.
	w.place("evq", "ev-2", nil)
	if _, err := w.C.StopGameSessionPlacement(context.Background(), &gamelift.StopGameSessionPlacementInput{PlacementId: aws.String("ev-2")}); err != nil {
		t.Fatal(err)
	}
	if ev := nextEvent(t, evs); ev.Detail.Type != "PlacementCancelled" || ev.Detail.PlacementID != "ev-2" || ev.Detail.GameSessionARN != "" || ev.Detail.EndTime == "" {
		t.Fatalf("cancelled event: %+v", ev)
	}
	w.place("evq", "ev-3", nil)
	if ev := nextEvent(t, evs); ev.Detail.Type != "PlacementTimedOut" || ev.Detail.PlacementID != "ev-3" || ev.subject != "rp.events.placement.evq.PlacementTimedOut" {
		t.Fatalf("timed-out event: %+v", ev)
	}
}

// A queue whose NotificationTarget is a rallypoint notification target
// gets each placement event POSTed to the target's endpoint, signed.
func TestPlacementEventsReachTheQueuesWebhook(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	type delivery struct {
		body []byte
		err  error
	}
	got := make(chan delivery, 10)
	var secret []byte
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- delivery{body: body, err: events.Verify(secret, r.Header.Get(events.HeaderTimestamp), r.Header.Get(events.HeaderSignature), body)}
	}))
	t.Cleanup(hook.Close)
	target, err := w.N.Targets().Create(context.Background(), events.TargetInput{Name: "studio-backend", Endpoint: hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	secret = []byte(target.Secret)
	f := w.fleet("f", "", "custom-a")
	w.queue(gamelift.CreateGameSessionQueueInput{Name: aws.String("hooked"), Destinations: destinations(f), NotificationTarget: aws.String(target.ARN)})
	w.queue(gamelift.CreateGameSessionQueueInput{Name: aws.String("quiet"), Destinations: destinations(f)})

	// An event of a queue without the target is not delivered to it: the
	// first delivery must be the later event of the hooked queue.
	w.place("quiet", "other", nil)
	if _, err := w.C.StopGameSessionPlacement(context.Background(), &gamelift.StopGameSessionPlacementInput{PlacementId: aws.String("other")}); err != nil {
		t.Fatal(err)
	}
	w.servers(f, "custom-a", 1)
	pl := w.fulfilledIn(w.place("hooked", "hooked-1", nil, "u1"), "custom-a", "u1")
	select {
	case d := <-got:
		if d.err != nil {
			t.Fatalf("the delivery's signature does not verify: %v", d.err)
		}
		var ev placementEvent
		if err := json.Unmarshal(d.body, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Detail.Type != "PlacementFulfilled" || ev.Detail.PlacementID != "hooked-1" || ev.Detail.GameSessionARN != aws.ToString(pl.GameSessionArn) {
			t.Fatalf("delivered event: %+v", ev.Detail)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the webhook received nothing")
	}
	// Both show on /metrics.
	for _, want := range []string{
		`rallypoint_notifications_delivered_total{target="studio-backend"} 1`,
		`rallypoint_placements_ended_total{queue="hooked",status="FULFILLED"} 1`,
		`rallypoint_placements_ended_total{queue="quiet",status="CANCELLED"} 1`,
	} {
		eventually(t, want+" on /metrics", func() bool { return strings.Contains(w.metrics(), want) })
	}
}

// metrics is the node's /metrics page.
func (w *world) metrics() string {
	w.T.Helper()
	resp, err := http.Get("http://" + w.N.AdminAddr() + "/metrics")
	if err != nil {
		w.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.T.Fatal(err)
	}
	return string(b)
}
