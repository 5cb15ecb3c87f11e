package matchmaking_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/engine/enginetest"
	"github.com/rallypoint/rallypoint/internal/events"
	"github.com/rallypoint/rallypoint/internal/fleet"
	"github.com/rallypoint/rallypoint/internal/matchmaking"
	"github.com/rallypoint/rallypoint/internal/placement"
	"github.com/rallypoint/rallypoint/internal/testworld"
)

// lostEvents stands for an owner that stored its changes and stopped
// before it published their events.
type lostEvents struct{}

func (lostEvents) Publish(context.Context, events.Event) error { return nil }

// A new owner publishes the events of recent changes its predecessor did
// not publish: the search of a searching ticket, the success of a match.
func TestNewOwnerPublishesWhatItsPredecessorDidNot(t *testing.T) {
	ctx := context.Background()
	e := enginetest.Open(t)
	fleets, err := fleet.New(ctx, fleet.Config{
		Config: e.Bucket(engine.BucketConfig), Computes: e.Bucket(engine.BucketComputes), Sessions: e.Bucket(engine.BucketSessions),
		ServiceSDKEndpoint: "ws://127.0.0.1:1/serversdk",
	})
	if err != nil {
		t.Fatal(err)
	}
	places, err := placement.New(placement.Config{Config: e.Bucket(engine.BucketConfig), Sessions: e.Bucket(engine.BucketSessions), Fleets: fleets})
	if err != nil {
		t.Fatal(err)
	}
	service := func(pub matchmaking.Publisher) *matchmaking.Service {
		s, err := matchmaking.New(matchmaking.Config{
			Config: e.Bucket(engine.BucketConfig), Tickets: e.Bucket(engine.BucketTickets),
			Fleets: fleets, Placements: places, Events: pub, CycleInterval: 50 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	first := service(lostEvents{})
	if _, err := first.CreateRuleSet(ctx, "duel", duel, nil); err != nil {
		t.Fatal(err)
	}
	mode, timeout, acceptance := matchmaking.ModeStandalone, 60, false
	if _, err := first.CreateConfiguration(ctx, matchmaking.ConfigurationInput{
		Name: "solo", RuleSet: ptr("duel"), FlexMatchMode: &mode, RequestTimeoutSeconds: &timeout, AcceptanceRequired: &acceptance,
	}); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { _ = first.Run(runCtx); close(done) }()
	var ids []string
	for _, p := range []string{"ann", "bea", "cid"} {
		tk, err := first.StartMatchmaking(ctx, matchmaking.StartInput{Configuration: "solo", Players: []matchmaking.Player{{PlayerID: p}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tk.ID)
	}
	statuses := func(s *matchmaking.Service) []string {
		got, err := s.Tickets(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tk := range got {
			out = append(out, tk.Status)
		}
		slices.Sort(out)
		return out
	}
	testworld.Eventually(t, "two tickets to complete and one to search", func() bool {
		return slices.Equal(statuses(first), []string{"COMPLETED", "COMPLETED", "SEARCHING"})
	})
	stop()
	<-done

	// The stream has none of those events; the next owner publishes them.
	second := service(events.NewPublisher(e.JetStream()))
	runCtx, stop = context.WithCancel(ctx)
	defer stop()
	go func() { _ = second.Run(runCtx) }()
	cons, err := e.JetStream().OrderedConsumer(ctx, "RP_EVENTS", jetstream.OrderedConsumerConfig{FilterSubjects: []string{"rp.events.matchmaking.>"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	tickets := map[string][]string{}
	for len(got) < 2 {
		msg, err := cons.Next(jetstream.FetchMaxWait(30 * time.Second))
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		var doc struct {
			Detail struct {
				Type    string `json:"type"`
				Tickets []struct {
					TicketID string `json:"ticketId"`
				} `json:"tickets"`
			} `json:"detail"`
		}
		if err := json.Unmarshal(msg.Data(), &doc); err != nil {
			t.Fatal(err)
		}
		got = append(got, doc.Detail.Type)
		for _, tk := range doc.Detail.Tickets {
			tickets[doc.Detail.Type] = append(tickets[doc.Detail.Type], tk.TicketID)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"MatchmakingSearching", "MatchmakingSucceeded"}) {
		t.Fatalf("the new owner published %v", got)
	}
	if len(tickets["MatchmakingSucceeded"]) != 2 || len(tickets["MatchmakingSearching"]) != 1 {
		t.Errorf("tickets of the events: %v", tickets)
	}
	if !slices.Equal(statuses(second), []string{"COMPLETED", "COMPLETED", "SEARCHING"}) {
		t.Errorf("statuses after the new owner started: %v", statuses(second))
	}
}

func ptr[T any](v T) *T { return &v }
