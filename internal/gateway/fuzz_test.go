package gateway

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

var frameSeeds = []string{
	`{"action":"ping","requestId":"r5"}`,
	`{"action":"startMatchmaking","requestId":"r1","configurationName":"ranked-2v2","playerAttributes":{"skill":{"N":23}},"latencyInMs":{"custom-eu":40}}`,
	`{"action":"acceptMatch","requestId":2,"ticketId":"t","acceptanceType":"ACCEPT"}`,
	`{"action":"chat","text":"hi"}`,
	`{"action":"$connect"}`,
	`{"action":null,"requestId":null}`,
	`{"action":5}`,
	`{"requestId":{"nested":true}}`,
	`[1,2]`,
	`not json`,
	`{"action":`,
	``,
	`{"action":"a","action":"b"}`,
}

// FuzzDecodeFrame: decoding never panics; a decoded frame's action is
// valid text and its requestId, when kept, is JSON that can be echoed.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range frameSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := decodeFrame(b)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if !json.Valid(b) {
			t.Fatalf("decoded invalid JSON %q", b)
		}
		if !utf8.ValidString(fr.Action) && json.Valid(b) {
			// encoding/json replaces invalid UTF-8 with U+FFFD, so an
			// action is always valid text.
			t.Fatalf("action %q is not UTF-8", fr.Action)
		}
		if len(fr.RequestID) > 0 {
			if !json.Valid(fr.RequestID) {
				t.Fatalf("requestId %q is not JSON", fr.RequestID)
			}
			out, err := json.Marshal(reply{RequestID: fr.RequestID, OK: true})
			if err != nil || !json.Valid(out) {
				t.Fatalf("reply with requestId %q: %s %v", fr.RequestID, out, err)
			}
		}
	})
}

// FuzzSelectRoute: a message goes to a built-in action, to a configured
// route other than $connect and $disconnect, or nowhere; built-ins win;
// $default takes whatever nothing else does.
func FuzzSelectRoute(f *testing.F) {
	for _, s := range frameSeeds {
		f.Add([]byte(s), "chat", true, true)
		f.Add([]byte(s), "startMatchmaking", false, false)
		f.Add([]byte(s), "$connect", true, false)
	}
	f.Fuzz(func(t *testing.T, b []byte, routeKey string, withDefault, builtins bool) {
		routes := map[string]string{routeKey: "http://127.0.0.1:1/", routeConnect: "http://127.0.0.1:1/c", routeDisconnect: "http://127.0.0.1:1/d"}
		if withDefault {
			routes[routeDefault] = "http://127.0.0.1:1/default"
		}
		fr, err := decodeFrame(b)
		route, builtin := selectRoute(fr, err, routes, builtins)
		switch {
		case builtin:
			if !builtins || !isBuiltin(route) || route != fr.Action || err != nil {
				t.Fatalf("built-in %q for action %q (builtins %v, err %v)", route, fr.Action, builtins, err)
			}
		case route == "":
			if withDefault {
				t.Fatalf("nothing took %q although $default is configured", b)
			}
		default:
			if _, ok := routes[route]; !ok {
				t.Fatalf("selected unconfigured route %q", route)
			}
			if route == routeConnect || route == routeDisconnect || (strings.HasPrefix(route, "$") && route != routeDefault) {
				t.Fatalf("a message selected %q", route)
			}
			if builtins && err == nil && isBuiltin(fr.Action) {
				t.Fatalf("action %q is built in but went to %q", fr.Action, route)
			}
			if route != routeDefault && (err != nil || route != fr.Action) {
				t.Fatalf("route %q for action %q (err %v)", route, fr.Action, err)
			}
		}
	})
}

func TestConnectionIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 10000 {
		id := newConnectionID()
		if len(id) != 16 || !validConnectionID(id) || id[0] == '-' || id[0] == '_' || seen[id] {
			t.Fatalf("connection id %q", id)
		}
		seen[id] = true
	}
}
