package testworld

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/coder/websocket"

	"github.com/rallypoint/rallypoint/internal/node"
)

// Cognito returns the Cognito identity client for the node's admin
// listener (signed with Key: pool management, developer identities).
func Cognito(n *node.Node) *cognitoidentity.Client {
	return cognitoidentity.New(cognitoidentity.Options{
		Region:           "local",
		BaseEndpoint:     aws.String("http://" + n.AdminAddr()),
		Credentials:      credentials.NewStaticCredentialsProvider(Key.AccessKeyID, Key.SecretAccessKey, ""),
		RetryMaxAttempts: 3,
	})
}

// PublicCognito returns the Cognito identity client for the node's public
// listener, unsigned, as game clients call GetId and
// GetCredentialsForIdentity.
func PublicCognito(n *node.Node) *cognitoidentity.Client {
	return cognitoidentity.New(cognitoidentity.Options{
		Region:           "local",
		BaseEndpoint:     aws.String("http://" + n.PublicAddr()),
		Credentials:      aws.AnonymousCredentials{},
		RetryMaxAttempts: 3,
	})
}

// GuestPool creates an identity pool that allows guests and returns its id.
func (w *World) GuestPool(name string) string {
	w.T.Helper()
	out, err := Cognito(w.N).CreateIdentityPool(context.Background(), &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName:               aws.String(name),
		AllowUnauthenticatedIdentities: true,
	})
	if err != nil {
		w.T.Fatalf("CreateIdentityPool: %v", err)
	}
	return aws.ToString(out.IdentityPoolId)
}

// Player is a game client with a guest identity and an open socket.
type Player struct {
	T  testing.TB
	ID string // the identity id, which is the player id
	// Creds are the temporary credentials the socket was signed with.
	Creds aws.Credentials
	conn  *websocket.Conn
	next  atomic.Int64

	mu      sync.Mutex
	replies map[string]map[string]any
	frames  [][]byte // every frame received, in order
	closed  error
	changed chan struct{}
}

// Guest gets a guest identity and its credentials from n's public
// listener with the Cognito SDK, then opens a socket with a SigV4
// presigned URL.
func Guest(t testing.TB, n *node.Node, pool string) *Player {
	t.Helper()
	ctx := context.Background()
	c := PublicCognito(n)
	id, err := c.GetId(ctx, &cognitoidentity.GetIdInput{IdentityPoolId: aws.String(pool)})
	if err != nil {
		t.Fatalf("GetId: %v", err)
	}
	creds, err := c.GetCredentialsForIdentity(ctx, &cognitoidentity.GetCredentialsForIdentityInput{IdentityId: id.IdentityId})
	if err != nil {
		t.Fatalf("GetCredentialsForIdentity: %v", err)
	}
	p := &Player{T: t, ID: aws.ToString(id.IdentityId), Creds: aws.Credentials{
		AccessKeyID:     aws.ToString(creds.Credentials.AccessKeyId),
		SecretAccessKey: aws.ToString(creds.Credentials.SecretKey),
		SessionToken:    aws.ToString(creds.Credentials.SessionToken),
	}}
	p.Connect(n)
	return p
}

// PresignedURL is the socket URL of n signed with creds, as API Gateway
// clients make it.
func PresignedURL(t testing.TB, n *node.Node, creds aws.Credentials) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+n.PublicAddr()+node.GatewayPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := req.URL.Query()
	q.Set("X-Amz-Expires", "300")
	req.URL.RawQuery = q.Encode()
	u, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, emptySHA256, "execute-api", "local", time.Now())
	if err != nil {
		t.Fatalf("presign: %v", err)
	}
	return "ws" + u[len("http"):]
}

const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// Connect opens (again) the player's socket on n.
func (p *Player) Connect(n *node.Node) {
	p.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, PresignedURL(p.T, n, p.Creds), nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		p.T.Fatalf("open socket (HTTP %d): %v", status, err)
	}
	conn.SetReadLimit(1 << 20)
	p.mu.Lock()
	p.conn, p.replies, p.frames, p.closed, p.changed = conn, map[string]map[string]any{}, nil, nil, make(chan struct{})
	p.mu.Unlock()
	p.T.Cleanup(func() { conn.CloseNow() })
	go p.read(conn)
}

func (p *Player) read(conn *websocket.Conn) {
	for {
		_, b, err := conn.Read(context.Background())
		p.mu.Lock()
		if p.conn != conn {
			p.mu.Unlock()
			return
		}
		if err != nil {
			p.closed = err
		} else {
			p.frames = append(p.frames, b)
			var m map[string]any
			if json.Unmarshal(b, &m) == nil {
				if id, ok := m["requestId"].(string); ok {
					p.replies[id] = m
				}
			}
		}
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// Close closes the socket normally.
func (p *Player) Close() {
	p.mu.Lock()
	conn := p.conn
	p.mu.Unlock()
	_ = conn.Close(websocket.StatusNormalClosure, "bye")
}

// Do sends a frame with a fresh requestId and returns the reply.
func (p *Player) Do(frame map[string]any) map[string]any {
	p.T.Helper()
	id := fmt.Sprintf("r%d", p.next.Add(1))
	frame["requestId"] = id
	p.Send(frame)
	var reply map[string]any
	p.wait("reply "+id, func() bool { reply = p.replies[id]; return reply != nil })
	return reply
}

// Send sends a frame.
func (p *Player) Send(frame any) {
	p.T.Helper()
	b, err := json.Marshal(frame)
	if err != nil {
		p.T.Fatal(err)
	}
	p.mu.Lock()
	conn := p.conn
	p.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
		p.T.Fatalf("send: %v", err)
	}
}

// Events are the event documents received on the current socket, in order.
func (p *Player) Events() []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []map[string]any
	for _, f := range p.frames {
		var m struct {
			Event map[string]any `json:"event"`
		}
		if json.Unmarshal(f, &m) == nil && m.Event != nil {
			out = append(out, m.Event)
		}
	}
	return out
}

// Frames are the raw frames received on the current socket, in order.
func (p *Player) Frames() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.frames...)
}

// Event waits for an event of type typ and returns its document.
func (p *Player) Event(typ string) map[string]any {
	p.T.Helper()
	var ev map[string]any
	p.wait("event "+typ, func() bool {
		for _, f := range p.frames {
			var m struct {
				Event map[string]any `json:"event"`
			}
			if json.Unmarshal(f, &m) == nil && EventType(m.Event) == typ {
				ev = m.Event
				return true
			}
		}
		return false
	})
	return ev
}

// Closed waits for the server to close the socket and returns the close
// status and reason.
func (p *Player) Closed() (websocket.StatusCode, string) {
	p.T.Helper()
	var err error
	p.wait("the socket to close", func() bool { err = p.closed; return err != nil })
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return ce.Code, ce.Reason
	}
	return -1, err.Error()
}

// wait blocks until cond (called with p.mu held) holds.
func (p *Player) wait(what string, cond func() bool) {
	p.T.Helper()
	deadline := time.After(60 * time.Second)
	for {
		p.mu.Lock()
		ok := cond()
		ch := p.changed
		closed := p.closed
		p.mu.Unlock()
		if ok {
			return
		}
		if closed != nil && what != "the socket to close" {
			p.T.Fatalf("waiting for %s: socket closed: %v", what, closed)
		}
		select {
		case <-ch:
		case <-deadline:
			p.T.Fatalf("timed out waiting for %s", what)
		}
	}
}

// EventType is an event document's detail.type.
func EventType(doc map[string]any) string {
	d, _ := doc["detail"].(map[string]any)
	s, _ := d["type"].(string)
	return s
}
