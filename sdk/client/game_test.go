package client_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/sdk/client"
)

// chatServer speaks the arena example's UDP protocol with the player
// sessions it was given, and drops the first datagram of every address,
// as a network may.
type chatServer struct {
	conn     *net.UDPConn
	sessions map[string]string // player session id -> player id

	mu      sync.Mutex
	seen    map[string]bool
	players map[string]string // address -> player id
}

func newChatServer(t *testing.T, sessions map[string]string) *chatServer {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	s := &chatServer{conn: conn, sessions: sessions, seen: map[string]bool{}, players: map[string]string{}}
	t.Cleanup(func() { conn.Close() })
	go s.serve()
	return s
}

func (s *chatServer) addr() string { return s.conn.LocalAddr().String() }

func (s *chatServer) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		s.mu.Lock()
		first := !s.seen[from.String()]
		s.seen[from.String()] = true
		player := s.players[from.String()]
		s.mu.Unlock()
		if first {
			continue
		}
		cmd, arg, _ := strings.Cut(string(buf[:n]), " ")
		switch cmd {
		case "JOIN":
			id, ok := s.sessions[arg]
			if !ok {
				s.send(from, "REFUSED Player session "+arg+" not found.")
				continue
			}
			s.mu.Lock()
			s.players[from.String()] = id
			s.mu.Unlock()
			s.send(from, "ACCEPTED "+id)
			s.broadcast(from, "JOINED "+id)
		case "MSG":
			s.broadcast(from, "MSG "+player+" "+arg)
		case "LEAVE":
			s.mu.Lock()
			delete(s.players, from.String())
			s.mu.Unlock()
			s.send(from, "BYE")
			s.broadcast(from, "LEFT "+player)
		}
	}
}

func (s *chatServer) send(to *net.UDPAddr, line string) {
	_, _ = s.conn.WriteToUDP([]byte(line+"\n"), to)
}

func (s *chatServer) broadcast(from *net.UDPAddr, line string) {
	s.mu.Lock()
	var to []string
	for a := range s.players {
		if a != from.String() {
			to = append(to, a)
		}
	}
	s.mu.Unlock()
	for _, a := range to {
		addr, _ := net.ResolveUDPAddr("udp", a)
		s.send(addr, line)
	}
}

func TestJoinGameServer(t *testing.T) {
	srv := newChatServer(t, map[string]string{"psess-1": "alice", "psess-2": "bob"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	alice, err := client.JoinGameServer(ctx, srv.addr(), "psess-1")
	if err != nil {
		t.Fatalf("alice joins: %v", err)
	}
	defer alice.Close()
	if alice.PlayerID() != "alice" {
		t.Fatalf("accepted as %q, want alice", alice.PlayerID())
	}
	bob, err := client.JoinGameServer(ctx, srv.addr(), "psess-2")
	if err != nil {
		t.Fatalf("bob joins: %v", err)
	}
	defer bob.Close()
	if got, err := alice.Receive(ctx); err != nil || got != "JOINED bob" {
		t.Fatalf("alice heard %q, %v; want JOINED bob", got, err)
	}
	if err := bob.Send("hello alice"); err != nil {
		t.Fatal(err)
	}
	if got, err := alice.Receive(ctx); err != nil || got != "MSG bob hello alice" {
		t.Fatalf("alice heard %q, %v", got, err)
	}
	if err := bob.Leave(ctx); err != nil {
		t.Fatalf("bob leaves: %v", err)
	}
	if got, err := alice.Receive(ctx); err != nil || got != "LEFT bob" {
		t.Fatalf("alice heard %q, %v; want LEFT bob", got, err)
	}
	if _, err := bob.Receive(ctx); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Receive after Leave: %v, want net.ErrClosed", err)
	}

	_, err = client.JoinGameServer(ctx, srv.addr(), "psess-forged")
	if !errors.Is(err, client.ErrRefused) || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("a player session the server does not know: %v, want ErrRefused with the reason", err)
	}

	// Nothing answers: the join gives up when its context ends.
	quiet, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer quiet.Close()
	short, cancelShort := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancelShort()
	if _, err := client.JoinGameServer(short, quiet.LocalAddr().String(), "psess-1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("joining a server that never answers: %v, want the context's deadline", err)
	}
}
