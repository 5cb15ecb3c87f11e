package matchmaking_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/internal/events"
)

// A configuration whose NotificationTarget is a rallypoint notification
// target gets each matchmaking event POSTed to the target's endpoint,
// signed, in the order the stream has them.
func TestMatchmakingEventsReachTheConfigurationsWebhook(t *testing.T) {
	s := newStage(t, 1)
	type delivery struct {
		typ string
		err error
	}
	got := make(chan delivery, 20)
	secret := make(chan []byte, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		key := <-secret
		secret <- key
		var doc struct {
			DetailType string `json:"detail-type"`
			Detail     struct {
				Type string `json:"type"`
			} `json:"detail"`
		}
		err := json.Unmarshal(body, &doc)
		if err == nil {
			err = events.Verify(key, r.Header.Get(events.HeaderTimestamp), r.Header.Get(events.HeaderSignature), body)
		}
		got <- delivery{typ: doc.Detail.Type, err: err}
	}))
	t.Cleanup(hook.Close)
	target, err := s.N.Targets().Create(context.Background(), events.TargetInput{Name: "studio-backend", Endpoint: hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	secret <- []byte(target.Secret)
	s.ruleSet("duel", duel)
	s.config("hooked", "duel", func(in *gamelift.CreateMatchmakingConfigurationInput) {
		in.NotificationTarget = aws.String(target.ARN)
	})
	s.config("quiet", "duel", nil)

	s.start("quiet", player("qa", 10, eu), player("qb", 10, eu))
	ids := s.start("hooked", player("ha", 10, eu), player("hb", 10, eu))
	s.await(types.MatchmakingConfigurationStatusCompleted, ids...)

	// Two MatchmakingSearching (one per ticket), then the match's
	// PotentialMatchCreated and MatchmakingSucceeded; nothing of "quiet".
	want := []string{"MatchmakingSearching", "MatchmakingSearching", "PotentialMatchCreated", "MatchmakingSucceeded"}
	for i, typ := range want {
		select {
		case d := <-got:
			if d.err != nil {
				t.Fatalf("delivery %d: %v", i, d.err)
			}
			if d.typ != typ {
				t.Fatalf("delivery %d is %s, want %s", i, d.typ, typ)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("delivery %d (%s) did not arrive", i, typ)
		}
	}
	select {
	case d := <-got:
		t.Fatalf("an extra delivery: %s", d.typ)
	case <-time.After(300 * time.Millisecond):
	}
}
