package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// event is the integration event as a studio's handler decodes it.
type event struct {
	RequestContext struct {
		RouteKey         string `json:"routeKey"`
		EventType        string `json:"eventType"`
		ConnectionID     string `json:"connectionId"`
		IdentityID       string `json:"identityId"`
		RequestID        string `json:"requestId"`
		MessageID        string `json:"messageId"`
		ConnectedAt      int64  `json:"connectedAt"`
		RequestTimeEpoch int64  `json:"requestTimeEpoch"`
		SourceIP         string `json:"sourceIp"`
	} `json:"requestContext"`
	Body            *string `json:"body"`
	IsBase64Encoded bool    `json:"isBase64Encoded"`
}

// backend is a studio's HTTP integration on loopback: it records events
// and answers with what answer returns.
type backend struct {
	*httptest.Server
	mu     sync.Mutex
	events []event
}

func newBackend(t *testing.T, answer func(e event) (int, string)) *backend {
	b := &backend{}
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var e event
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, &e); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad event", http.StatusBadRequest)
			return
		}
		b.mu.Lock()
		b.events = append(b.events, e)
		b.mu.Unlock()
		status, out := answer(e)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, out)
	}))
	t.Cleanup(b.Close)
	return b
}

func (b *backend) of(eventType string) []event {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []event
	for _, e := range b.events {
		if e.RequestContext.EventType == eventType {
			out = append(out, e)
		}
	}
	return out
}

func TestHTTPIntegrations(t *testing.T) {
	w := newWorld(t)
	chat := newBackend(t, func(e event) (int, string) {
		var f struct{ Text string }
		_ = json.Unmarshal([]byte(*e.Body), &f)
		switch f.Text {
		case "fail":
			return http.StatusInternalServerError, "boom"
		case "quiet":
			return http.StatusOK, ""
		}
		return http.StatusOK, `{"echo":` + fmt.Sprintf("%q", f.Text) + `}`
	})
	fallback := newBackend(t, func(e event) (int, string) { return http.StatusOK, `{"route":"` + e.RequestContext.RouteKey + `"}` })
	lifecycle := newBackend(t, func(e event) (int, string) { return http.StatusOK, "" })
	n := w.node("a", func(c *cfgT) {
		c.Routes = map[string]string{"chat": chat.URL, "$default": fallback.URL, "$connect": lifecycle.URL, "$disconnect": lifecycle.URL}
	})
	p := w.player()
	c := n.connect(t, p)
	id := w.recordsOf(p.id)[0]

	frame := `{"action":"chat","requestId":"c1","text":"hi"}`
	c.send(frame)
	if got := string(c.read()); got != `{"echo":"hi"}` {
		t.Fatalf("integration answer %q", got)
	}
	e := chat.of("MESSAGE")[0]
	rc := e.RequestContext
	if rc.RouteKey != "chat" || rc.ConnectionID != id || rc.IdentityID != p.id || rc.SourceIP != "127.0.0.1" ||
		rc.RequestID == "" || rc.MessageID == "" || rc.ConnectedAt == 0 || rc.RequestTimeEpoch < rc.ConnectedAt || e.Body == nil || *e.Body != frame || e.IsBase64Encoded {
		t.Errorf("event %+v body %v", rc, e.Body)
	}

	// Messages of one connection are handled in order.
	for i := range 5 {
		c.send(fmt.Sprintf(`{"action":"chat","text":"m%d"}`, i))
	}
	for i := range 5 {
		if got, want := string(c.read()), fmt.Sprintf(`{"echo":"m%d"}`, i); got != want {
			t.Fatalf("answer %d: %q, want %q", i, got, want)
		}
	}

	// An empty answer sends nothing; a failure is an error reply.
	c.send(`{"action":"chat","text":"quiet"}`)
	r := c.call(`{"action":"chat","requestId":"c2","text":"fail"}`)
	if r.OK || r.Error.Code != "IntegrationFailure" || string(r.RequestID) != `"c2"` || !strings.Contains(r.Error.Message, "500") {
		t.Errorf("failed integration: %+v", r)
	}

	// Unknown actions, frames without action and non-JSON frames go to
	// $default; built-ins stay built in.
	for _, f := range []string{`{"action":"dance"}`, `{"text":"no action"}`, `not json`, `{"action":"$connect"}`} {
		c.send(f)
		if got := string(c.read()); got != `{"route":"$default"}` {
			t.Errorf("%s: answer %q, want $default's", f, got)
		}
	}
	c.ping()

	if got := lifecycle.of("CONNECT"); len(got) != 1 || got[0].RequestContext.ConnectionID != id || got[0].RequestContext.RouteKey != "$connect" {
		t.Errorf("$connect events %+v", got)
	}
	_ = c.c.CloseNow()
	eventually(t, "$disconnect", func() bool { return len(lifecycle.of("DISCONNECT")) == 1 })
	if got := lifecycle.of("DISCONNECT")[0].RequestContext; got.ConnectionID != id || got.RouteKey != "$disconnect" {
		t.Errorf("$disconnect event %+v", got)
	}
	if len(w.recordsOf(p.id)) != 0 {
		t.Error("records kept after disconnect")
	}
}

// A $connect integration that answers non-2xx refuses the upgrade with
// 403, leaving no record.
func TestConnectIntegrationCanRefuse(t *testing.T) {
	w := newWorld(t)
	gate := newBackend(t, func(e event) (int, string) { return http.StatusUnauthorized, "no" })
	n := w.node("a", func(c *cfgT) { c.Routes = map[string]string{"$connect": gate.URL} })
	p := w.player()
	_, resp, err := n.dial(t, dialOpts{header: http.Header{"Authorization": {"Bearer " + p.token}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("dial: %v %s, want 403", err, status(resp))
	}
	if len(gate.of("CONNECT")) != 1 || len(w.records()) != 0 {
		t.Errorf("events %d, records %v", len(gate.of("CONNECT")), w.records())
	}
}

// A $connect integration that cannot be reached refuses the upgrade with
// 502, leaving no record.
func TestConnectIntegrationUnreachable(t *testing.T) {
	w := newWorld(t)
	gone := newBackend(t, func(e event) (int, string) { return http.StatusOK, "" })
	url := gone.URL
	gone.Close() // nothing listens there now
	n := w.node("a", func(c *cfgT) { c.Routes = map[string]string{"$connect": url} })
	p := w.player()
	_, resp, err := n.dial(t, dialOpts{header: http.Header{"Authorization": {"Bearer " + p.token}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("dial: %v %s, want 502", err, status(resp))
	}
	if len(w.records()) != 0 {
		t.Errorf("records left: %v", w.records())
	}
}

// The resume frame is the first a connecting player gets, before any push
// queued while it was being fetched.
func TestResumeFrameComesFirst(t *testing.T) {
	w := newWorld(t)
	var n *node
	n = w.node("a", func(c *cfgT) {
		c.Resume = func(ctx context.Context, playerID string) ([]byte, bool) {
			// A push arrives while the resume frame is being looked up.
			if err := n.g.PushToPlayer(ctx, playerID, []byte(`{"event":"pushed"}`)); err != nil {
				t.Errorf("PushToPlayer during resume: %v", err)
			}
			return []byte(`{"event":"latest"}`), true
		}
	})
	c := n.connect(t, w.player())
	for _, want := range []string{`{"event":"latest"}`, `{"event":"pushed"}`} {
		if got := string(c.read()); got != want {
			t.Fatalf("frame %q, want %q", got, want)
		}
	}
}
