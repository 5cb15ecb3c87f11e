package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/fxamacker/cbor/v2"

	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/sigv4"
)

// The access key every test node trusts.
var testKey = sigv4.Credentials{AccessKeyID: "RPAKTESTKEY0000000001", SecretAccessKey: "test-secret-key-with-enough-characters-0"}

const testRegion = "us-east-1"

// testNode is a real rallypoint node on loopback ports with its own data
// directory.
type testNode struct {
	*node.Node
	dir string
}

// startNode starts a node on dir (a fresh temporary directory when empty)
// and stops it when the test ends.
func startNode(t testing.TB, dir string) *testNode {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := node.Start(ctx, node.Config{
		DataDir:     dir,
		Listen:      "127.0.0.1:0",
		AdminListen: "127.0.0.1:0",
		NodeID:      "test",
		AccessKeys:  []sigv4.Credentials{testKey},
		Logger:      slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("start node: %v", err)
	}
	t.Cleanup(func() { _ = n.Shutdown(context.Background()) })
	return &testNode{Node: n, dir: dir}
}

// adminURL is the control plane's base URL.
func (n *testNode) adminURL() string { return "http://" + n.AdminAddr() }

// client is the official AWS SDK GameLift client pointed at the node,
// signing with creds.
func (n *testNode) client(creds sigv4.Credentials) *gamelift.Client {
	return gamelift.New(gamelift.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(n.adminURL()),
		Credentials:  credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		// Errors in these tests are asserted, not retried.
		RetryMaxAttempts: 1,
	})
}

// sdk is the client with the node's valid key.
func (n *testNode) sdk() *gamelift.Client { return n.client(testKey) }

// protocol is one of the two wire protocols, for tests that drive both.
type protocol string

const (
	protoJSON protocol = "awsJson1_1"
	protoCBOR protocol = "rpc-v2-cbor"
)

var protocols = []protocol{protoJSON, protoCBOR}

// rawResponse is a decoded response of either protocol, with CBOR values
// normalised to what JSON would hold (numbers as float64, timestamps as
// epoch seconds) so results can be compared across protocols.
type rawResponse struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// ErrorType is the __type of an error response.
func (r rawResponse) ErrorType() string { s, _ := r.Body["__type"].(string); return s }

// Message is the message of an error response.
func (r rawResponse) Message() string { s, _ := r.Body["message"].(string); return s }

// call sends one operation with input encoded for p, signed with testKey.
func (n *testNode) call(t testing.TB, p protocol, op string, input any) rawResponse {
	t.Helper()
	var body []byte
	var err error
	switch p {
	case protoJSON:
		body, err = json.Marshal(input)
	case protoCBOR:
		body, err = cbor.Marshal(input)
	}
	if err != nil {
		t.Fatal(err)
	}
	return n.callRaw(t, p, op, body, true)
}

// callRaw sends a body as is; sign says whether to sign it.
func (n *testNode) callRaw(t testing.TB, p protocol, op string, body []byte, sign bool) rawResponse {
	t.Helper()
	req := newProtocolRequest(t, n.adminURL(), p, op, body)
	if sign {
		signRequest(t, req, body, testKey, time.Now())
	}
	return doRaw(t, req, p)
}

func newProtocolRequest(t testing.TB, base string, p protocol, op string, body []byte) *http.Request {
	t.Helper()
	var req *http.Request
	var err error
	switch p {
	case protoJSON:
		req, err = http.NewRequest(http.MethodPost, base+"/", bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			req.Header.Set("X-Amz-Target", "GameLift."+op)
		}
	case protoCBOR:
		req, err = http.NewRequest(http.MethodPost, base+"/service/GameLift/operation/"+op, bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/cbor")
			req.Header.Set("Accept", "application/cbor")
			req.Header.Set("smithy-protocol", "rpc-v2-cbor")
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func signRequest(t testing.TB, req *http.Request, body []byte, key sigv4.Credentials, at time.Time) {
	t.Helper()
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "gamelift", testRegion, at); err != nil {
		t.Fatal(err)
	}
}

func doRaw(t testing.TB, req *http.Request, p protocol) rawResponse {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := rawResponse{Status: resp.StatusCode, Header: resp.Header, Raw: raw, Body: map[string]any{}}
	if len(raw) == 0 {
		return out
	}
	switch p {
	case protoJSON:
		if err := json.Unmarshal(raw, &out.Body); err != nil {
			t.Fatalf("response is not a JSON object: %v: %q", err, raw)
		}
	case protoCBOR:
		var v map[string]any
		if err := cbor.Unmarshal(raw, &v); err != nil {
			t.Fatalf("response is not a CBOR map: %v: %x", err, raw)
		}
		out.Body = normalizeCBOR(v).(map[string]any)
	}
	return out
}

// normalizeCBOR turns a decoded CBOR tree into the shape a JSON decoder
// gives for the same document.
func normalizeCBOR(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = normalizeCBOR(e)
		}
		return m
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k.(string)] = normalizeCBOR(e)
		}
		return m
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normalizeCBOR(e)
		}
		return out
	case time.Time:
		return float64(v.UnixMilli()) / 1000
	case uint64:
		return float64(v)
	case int64:
		return float64(v)
	case float32:
		return float64(v)
	}
	return v
}
