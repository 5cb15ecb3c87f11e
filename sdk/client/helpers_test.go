package client_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/testworld"
	"github.com/rallypoint/rallypoint/sdk/client"
)

// arena is a real node with a ping beacon, a location custom-eu that
// names it, a fleet there (and in custom-us, which has no beacon and no
// servers) with in-process game servers, a queue, a
// one-versus-one configuration "duel" and a guest identity pool.
type arena struct {
	w    *testworld.World
	pool string
	cfg  client.Config
}

func newArena(t *testing.T, tune func(*node.Config)) *arena {
	t.Helper()
	w := testworld.New(t, func(c *node.Config) {
		c.MatchmakingInterval = 100 * time.Millisecond
		c.PingBeacon = "127.0.0.1:0"
		if tune != nil {
			tune(c)
		}
	})
	ctx := context.Background()
	if _, err := w.C.CreateLocation(ctx, &gamelift.CreateLocationInput{
		LocationName: aws.String("custom-eu"),
		Tags:         []types.Tag{{Key: aws.String("rallypoint:ping-beacon"), Value: aws.String(w.N.PingBeaconAddr())}},
	}); err != nil {
		t.Fatalf("CreateLocation: %v", err)
	}
	fleet := w.Fleet("arena", "custom-eu", "custom-us")
	w.Servers(fleet, "custom-eu", 2)
	w.Duel("duel", fleet)
	return &arena{w: w, pool: w.GuestPool("arena-players"), cfg: client.Config{Endpoint: "http://" + w.N.PublicAddr(), Region: "local", Logger: testworld.Logger()}}
}

// guest signs a new guest in and connects it.
func (a *arena) guest(t *testing.T, cfg client.Config, opts ...client.Option) *client.Conn {
	t.Helper()
	ctx := context.Background()
	id, err := client.SignInGuest(ctx, cfg, a.pool, "")
	if err != nil {
		t.Fatalf("SignInGuest: %v", err)
	}
	c, err := client.Connect(ctx, cfg, id, opts...)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// awaitEvent waits for an event of type typ naming ticket, and returns
// it; it fails on an ended ticket of another type.
func awaitEvent(t *testing.T, c *client.Conn, ticket, typ string) client.Event {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatalf("Events closed while waiting for %s (Err: %v)", typ, c.Err())
			}
			if !ev.ForTicket(ticket) {
				continue
			}
			if ev.Type == typ {
				return ev
			}
			if ev.Ended() {
				t.Fatalf("ticket %s ended with %s (%s), want %s", ticket, ev.Type, ev.Message, typ)
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %s of ticket %s", typ, ticket)
		}
	}
}

// proxy is a TCP proxy in front of the node's public listener that a
// test can cut, block and freeze, as a network would.
type proxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	conns   []net.Conn
	blocked bool          // refuse new connections
	frozen  chan struct{} // while not nil, data waits until it is closed
	held    int           // reads waiting on frozen
	changed chan struct{}
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, changed: make(chan struct{})}
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.unfreeze()
		p.cut()
	})
	return p
}

func (p *proxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		blocked := p.blocked
		p.mu.Unlock()
		if blocked {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go p.pipe(c, s)
		go p.pipe(s, c)
	}
}

func (p *proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			frozen := p.frozen
			if frozen != nil {
				p.held++
				p.signal()
			}
			p.mu.Unlock()
			if frozen != nil {
				<-frozen
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	src.Close()
	dst.Close()
}

// signal wakes waiters; p.mu is held.
func (p *proxy) signal() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// cut closes every connection going through the proxy.
func (p *proxy) cut() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

func (p *proxy) block(b bool) {
	p.mu.Lock()
	p.blocked = b
	p.mu.Unlock()
}

// freeze holds the data going through from now on.
func (p *proxy) freeze() {
	p.mu.Lock()
	p.frozen, p.held = make(chan struct{}), 0
	p.mu.Unlock()
}

func (p *proxy) unfreeze() {
	p.mu.Lock()
	if p.frozen != nil {
		close(p.frozen)
		p.frozen = nil
	}
	p.mu.Unlock()
}

// awaitHeld waits until some data is held by a freeze.
func (p *proxy) awaitHeld(t *testing.T) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		p.mu.Lock()
		held, ch := p.held, p.changed
		p.mu.Unlock()
		if held > 0 {
			return
		}
		select {
		case <-ch:
		case <-timeout:
			t.Fatal("timed out waiting for data to reach the frozen proxy")
		}
	}
}
