package api_test

import (
	"bytes"
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
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/internal/events"
)

// The notification target operations are rallypoint's own, so no AWS
// client knows them: these tests send them signed, in both protocols, as
// raw requests.

// targetARN is the ARN of a target on a test node (home region "local").
func targetARN(name string) string { return "arn:rallypoint:sns:local::" + name }

func member(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	v, ok := m[key].(map[string]any)
	if !ok {
		t.Fatalf("response has no %s structure: %v", key, m)
	}
	return v
}

func wantOK(t *testing.T, r rawResponse) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %s: %s", r.Status, r.ErrorType(), r.Message())
	}
}

func wantError(t *testing.T, r rawResponse, errType string, mention ...string) {
	t.Helper()
	if r.Status != http.StatusBadRequest || r.ErrorType() != errType || r.Header.Get("X-Amzn-Errortype") != errType {
		t.Fatalf("got status %d, __type %q, header %q (%s); want 400 %s", r.Status, r.ErrorType(), r.Header.Get("X-Amzn-Errortype"), r.Message(), errType)
	}
	if r.Body["Message"] != r.Message() {
		t.Errorf("Message member %q differs from message %q", r.Body["Message"], r.Message())
	}
	for _, m := range mention {
		if !strings.Contains(r.Message(), m) {
			t.Errorf("message %q does not mention %q", r.Message(), m)
		}
	}
}

func TestNotificationTargetOperations(t *testing.T) {
	n := startNode(t, "")
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			name := "hooks-" + strings.ReplaceAll(string(p), "_", "-")
			before := time.Now().Add(-time.Second)
			r := n.call(t, p, "CreateNotificationTarget", map[string]any{
				"Name": name, "Endpoint": "https://hooks.example.com/" + name, "Description": "studio backend",
			})
			wantOK(t, r)
			tg := member(t, r.Body, "NotificationTarget")
			if tg["Name"] != name || tg["NotificationTargetArn"] != targetARN(name) ||
				tg["Endpoint"] != "https://hooks.example.com/"+name || tg["Description"] != "studio backend" {
				t.Errorf("created %v", tg)
			}
			created, ok := tg["CreationTime"].(float64)
			if !ok || created < float64(before.Unix()) {
				t.Errorf("CreationTime %v (%T) is not the time of the call in epoch seconds", tg["CreationTime"], tg["CreationTime"])
			}
			secret, _ := r.Body["Secret"].(string)
			if len(secret) != 43 {
				t.Errorf("Secret %q is not 32 bytes in unpadded base64url", secret)
			}
			if _, ok := tg["Secret"]; ok {
				t.Error("the secret is also inside NotificationTarget")
			}

			// Described by name or ARN, never with the secret.
			r = n.call(t, p, "DescribeNotificationTargets", map[string]any{"Names": []string{targetARN(name), name, "nobody"}})
			wantOK(t, r)
			list, _ := r.Body["NotificationTargets"].([]any)
			if len(list) != 1 || list[0].(map[string]any)["Name"] != name {
				t.Fatalf("described %v, want %s once", r.Body, name)
			}
			if bytes.Contains(r.Raw, []byte(secret)) || bytes.Contains(r.Raw, []byte("Secret")) {
				t.Error("DescribeNotificationTargets returned the secret")
			}

			r = n.call(t, p, "CreateNotificationTarget", map[string]any{"Name": name, "Endpoint": "https://other.example.com/"})
			wantError(t, r, "ConflictException", name)

			r = n.call(t, p, "UpdateNotificationTarget", map[string]any{
				"Name": targetARN(name), "Endpoint": "http://127.0.0.1:8080/hooks", "Secret": "a-secret-of-my-own-choosing", "Description": "",
			})
			wantOK(t, r)
			tg = member(t, r.Body, "NotificationTarget")
			if tg["Endpoint"] != "http://127.0.0.1:8080/hooks" || tg["Description"] != nil || tg["CreationTime"] != created {
				t.Errorf("updated %v", tg)
			}
			if bytes.Contains(r.Raw, []byte("a-secret-of-my-own-choosing")) {
				t.Error("UpdateNotificationTarget returned the secret")
			}

			r = n.call(t, p, "DeleteNotificationTarget", map[string]any{"Name": name})
			wantOK(t, r)
			r = n.call(t, p, "DeleteNotificationTarget", map[string]any{"Name": name})
			wantError(t, r, "NotFoundException", name)
			r = n.call(t, p, "UpdateNotificationTarget", map[string]any{"Name": name, "Description": "x"})
			wantError(t, r, "NotFoundException", name)
			r = n.call(t, p, "DescribeNotificationTargets", map[string]any{"Names": []string{name}})
			wantOK(t, r)
			if list, _ := r.Body["NotificationTargets"].([]any); len(list) != 0 {
				t.Errorf("described a deleted target: %v", list)
			}
		})
	}
}

func TestNotificationTargetPages(t *testing.T) {
	n := startNode(t, "")
	names := []string{"a-hooks", "b-hooks", "c-hooks"}
	for _, name := range []string{names[2], names[0], names[1]} {
		wantOK(t, n.call(t, protoJSON, "CreateNotificationTarget", map[string]any{"Name": name, "Endpoint": "https://example.com/" + name}))
	}
	for _, p := range protocols {
		var got []string
		input := map[string]any{"Limit": 2}
		for {
			r := n.call(t, p, "DescribeNotificationTargets", input)
			wantOK(t, r)
			for _, tg := range r.Body["NotificationTargets"].([]any) {
				got = append(got, tg.(map[string]any)["Name"].(string))
			}
			next, ok := r.Body["NextToken"].(string)
			if !ok {
				break
			}
			input["NextToken"] = next
		}
		if strings.Join(got, " ") != strings.Join(names, " ") {
			t.Errorf("%s: pages gave %v, want %v", p, got, names)
		}
	}
}

func TestNotificationTargetRefusals(t *testing.T) {
	n := startNode(t, "")
	cases := []struct {
		name    string
		op      string
		input   map[string]any
		mention []string
	}{
		{"no Name", "CreateNotificationTarget", map[string]any{"Endpoint": "https://example.com/"}, []string{"'name'", "not be null"}},
		{"no Endpoint", "CreateNotificationTarget", map[string]any{"Name": "refused"}, []string{"'endpoint'", "not be null"}},
		{"Name with a dot", "CreateNotificationTarget", map[string]any{"Name": "a.b", "Endpoint": "https://example.com/"}, []string{"'name'", "pattern"}},
		{"Name 257 characters", "CreateNotificationTarget", map[string]any{"Name": strings.Repeat("n", 257), "Endpoint": "https://example.com/"}, []string{"'name'", "less than or equal to 256"}},
		{"ftp Endpoint", "CreateNotificationTarget", map[string]any{"Name": "refused", "Endpoint": "ftp://example.com/"}, []string{"Endpoint", "http"}},
		{"relative Endpoint", "CreateNotificationTarget", map[string]any{"Name": "refused", "Endpoint": "/hooks"}, []string{"Endpoint"}},
		{"Endpoint with user info", "CreateNotificationTarget", map[string]any{"Name": "refused", "Endpoint": "https://user:pw@example.com/"}, []string{"Endpoint", "user information"}},
		{"short Secret", "CreateNotificationTarget", map[string]any{"Name": "refused", "Endpoint": "https://example.com/", "Secret": "short"}, []string{"'secret'", "greater than or equal to 16"}},
		{"Secret with a space", "CreateNotificationTarget", map[string]any{"Name": "refused", "Endpoint": "https://example.com/", "Secret": "a secret with spaces"}, []string{"'secret'", "pattern"}},
		{"Limit 0", "DescribeNotificationTargets", map[string]any{"Limit": 0}, []string{"'limit'"}},
		{"foreign NextToken", "DescribeNotificationTargets", map[string]any{"NextToken": "!!"}, []string{"NextToken"}},
		{"update without Name", "UpdateNotificationTarget", map[string]any{"Endpoint": "https://example.com/"}, []string{"'name'", "not be null"}},
		{"update to a bad Endpoint", "UpdateNotificationTarget", map[string]any{"Name": "kept", "Endpoint": "gopher://example.com/"}, []string{"Endpoint"}},
		{"delete without Name", "DeleteNotificationTarget", map[string]any{}, []string{"'name'", "not be null"}},
	}
	wantOK(t, n.call(t, protoJSON, "CreateNotificationTarget", map[string]any{"Name": "kept", "Endpoint": "https://example.com/kept"}))
	for _, p := range protocols {
		for _, c := range cases {
			t.Run(string(p)+"/"+c.name, func(t *testing.T) {
				wantError(t, n.call(t, p, c.op, c.input), "InvalidRequestException", c.mention...)
			})
		}
	}
	r := n.call(t, protoJSON, "DescribeNotificationTargets", map[string]any{})
	wantOK(t, r)
	list := r.Body["NotificationTargets"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["Endpoint"] != "https://example.com/kept" {
		t.Errorf("after the refusals: %v, want only kept, unchanged", list)
	}
}

// TestNotificationTargetDelivery follows a placement event from a queue
// whose NotificationTarget is a target's ARN to the target's endpoint.
func TestNotificationTargetDelivery(t *testing.T) {
	type request struct {
		header http.Header
		body   []byte
	}
	got := make(chan request, 16)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- request{r.Header.Clone(), body}
	}))
	t.Cleanup(hook.Close)

	h := newQueueHost(t)
	r := h.n.call(t, protoCBOR, "CreateNotificationTarget", map[string]any{"Name": "studio", "Endpoint": hook.URL + "/gamelift"})
	wantOK(t, r)
	secret := r.Body["Secret"].(string)
	arn := member(t, r.Body, "NotificationTarget")["NotificationTargetArn"].(string)

	ctx := context.Background()
	if _, err := h.c.CreateGameSessionQueue(ctx, &gamelift.CreateGameSessionQueueInput{
		Name:               aws.String("arena-main"),
		Destinations:       []types.GameSessionQueueDestination{{DestinationArn: aws.String(h.fleetArn)}},
		NotificationTarget: aws.String(arn),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.StartGameSessionPlacement(ctx, &gamelift.StartGameSessionPlacementInput{
		PlacementId: aws.String("p-hooked"), GameSessionQueueName: aws.String("arena-main"), MaximumPlayerSessionCount: aws.Int32(2),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.c.StopGameSessionPlacement(ctx, &gamelift.StopGameSessionPlacementInput{PlacementId: aws.String("p-hooked")}); err != nil {
		t.Fatal(err)
	}

	var req request
	select {
	case req = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("the endpoint received nothing")
	}
	if err := events.Verify([]byte(secret), req.header.Get(events.HeaderTimestamp), req.header.Get(events.HeaderSignature), req.body); err != nil {
		t.Error(err)
	}
	if req.header.Get(events.HeaderTarget) != arn || req.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", req.header)
	}
	var doc struct {
		ID         string `json:"id"`
		DetailType string `json:"detail-type"`
		Detail     struct {
			Type        string `json:"type"`
			PlacementID string `json:"placementId"`
		} `json:"detail"`
	}
	if err := json.Unmarshal(req.body, &doc); err != nil {
		t.Fatalf("body %s: %v", req.body, err)
	}
	if doc.DetailType != "GameLift Queue Placement Event" || doc.Detail.Type != "PlacementCancelled" || doc.Detail.PlacementID != "p-hooked" {
		t.Errorf("delivered %s", req.body)
	}
	if req.header.Get(events.HeaderEventID) != doc.ID {
		t.Errorf("%s %q, document id %q", events.HeaderEventID, req.header.Get(events.HeaderEventID), doc.ID)
	}
}
