package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrRefused is returned, wrapped with the server's reason, by
// JoinGameServer when the game server refuses the player session.
var ErrRefused = errors.New("client: the game server refused the player")

const (
	// joinTimeout bounds JoinGameServer and Leave when their context has
	// no deadline.
	joinTimeout = 10 * time.Second
	// resendEvery is how long a JOIN or LEAVE waits for its answer before
	// it is sent again: a datagram can be lost.
	resendEvery = 500 * time.Millisecond
	// gameLinesKept is how many received lines wait for Receive before
	// new ones are dropped, as a full socket buffer would.
	gameLinesKept = 256
)

// GameConn is a player's connection to a game server that speaks the
// arena example's UDP protocol (examples/arena): lines of text, one per
// datagram. After JoinGameServer, Send sends chat lines, Receive returns
// what the server sends (MSG <player> <text>, JOINED <player>, LEFT
// <player>, END <reason>, ...), and Leave ends the player's session.
type GameConn struct {
	conn     *net.UDPConn
	playerID string
	lines    chan string
	bye      chan struct{} // closed once the server said BYE or END
	byeOnce  sync.Once
	closed   chan struct{}
	close    sync.Once
	dropped  atomic.Int64
	done     chan struct{} // closed when the reading goroutine returns
}

// JoinGameServer connects to the game server at addr (host:port, from
// MatchmakingSucceeded's GameSessionInfo.Address) and presents the
// player's session id (JOIN). It returns once the server accepted it; a
// refusal is an error wrapping ErrRefused. The JOIN is sent again while
// no answer comes, until ctx ends (or for 10 s, if ctx has no deadline).
func JoinGameServer(ctx context.Context, addr, playerSessionID string) (*GameConn, error) {
	if playerSessionID == "" {
		return nil, errors.New("client: join game server: no player session id")
	}
	ctx, cancel := withDefaultTimeout(ctx, joinTimeout)
	defer cancel()
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("client: join game server %s: %w", addr, err)
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return nil, fmt.Errorf("client: join game server %s: %w", addr, err)
	}
	g := &GameConn{conn: conn, lines: make(chan string, gameLinesKept), bye: make(chan struct{}), closed: make(chan struct{}), done: make(chan struct{})}
	// Reads take no context; a deadline in the past ends one when ctx
	// does.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	join := []byte("JOIN " + playerSessionID)
	buf := make([]byte, 1500)
	for {
		if _, err := conn.Write(join); err != nil && !lostDatagram(err) {
			conn.Close()
			return nil, fmt.Errorf("client: join game server %s: %w", addr, err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(resendEvery))
		if ctx.Err() != nil {
			conn.Close()
			return nil, fmt.Errorf("client: join game server %s: no answer: %w", addr, ctx.Err())
		}
		for {
			n, err := conn.Read(buf)
			if ctx.Err() != nil {
				conn.Close()
				return nil, fmt.Errorf("client: join game server %s: no answer: %w", addr, ctx.Err())
			}
			if err != nil {
				if lostDatagram(err) {
					break // send the JOIN again
				}
				conn.Close()
				return nil, fmt.Errorf("client: join game server %s: %w", addr, err)
			}
			cmd, arg, _ := strings.Cut(strings.TrimSpace(string(buf[:n])), " ")
			switch cmd {
			case "ACCEPTED":
				_ = conn.SetReadDeadline(time.Time{})
				g.playerID = arg
				go g.read()
				return g, nil
			case "REFUSED":
				conn.Close()
				return nil, fmt.Errorf("%w: %s", ErrRefused, arg)
			}
		}
	}
}

// lostDatagram reports whether err only means that nothing came in time,
// or that nothing listens at the address yet (an ICMP port unreachable).
func lostDatagram(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.ECONNREFUSED)
}

func withDefaultTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// read receives lines until the GameConn is closed.
func (g *GameConn) read() {
	defer close(g.done)
	buf := make([]byte, 1500)
	for {
		n, err := g.conn.Read(buf)
		if err != nil {
			select {
			case <-g.closed:
				return
			default:
			}
			if lostDatagram(err) {
				continue
			}
			return
		}
		line := strings.TrimSpace(string(buf[:n]))
		if line == "BYE" || strings.HasPrefix(line, "BYE ") || strings.HasPrefix(line, "END") {
			g.byeOnce.Do(func() { close(g.bye) })
		}
		select {
		case g.lines <- line:
		default:
			g.dropped.Add(1)
		}
	}
}

// PlayerID is the player id the game server accepted the player as.
func (g *GameConn) PlayerID() string { return g.playerID }

// Send sends a chat line (MSG <text>) to the other players.
func (g *GameConn) Send(text string) error {
	if _, err := g.conn.Write([]byte("MSG " + text)); err != nil {
		return fmt.Errorf("client: send to the game server: %w", err)
	}
	return nil
}

// Receive returns the next line the game server sent, waiting for one
// until ctx ends. Once the GameConn is closed (or left) it returns
// net.ErrClosed.
func (g *GameConn) Receive(ctx context.Context) (string, error) {
	select {
	case <-g.closed:
		return "", net.ErrClosed
	default:
	}
	select {
	case line := <-g.lines:
		return line, nil
	case <-ctx.Done():
		return "", ctx.Err()
	case <-g.closed:
		return "", net.ErrClosed
	}
}

// Dropped counts the lines that came while gameLinesKept were already
// waiting for Receive, and were dropped.
func (g *GameConn) Dropped() int64 { return g.dropped.Load() }

// Leave tells the game server the player leaves (LEAVE), waits for its
// BYE (sending LEAVE again while none comes, until ctx ends or for 10 s),
// and closes the GameConn. A game that already ended (END) is left at
// once.
func (g *GameConn) Leave(ctx context.Context) error {
	defer g.Close()
	ctx, cancel := withDefaultTimeout(ctx, joinTimeout)
	defer cancel()
	t := time.NewTicker(resendEvery)
	defer t.Stop()
	for {
		if _, err := g.conn.Write([]byte("LEAVE")); err != nil && !lostDatagram(err) {
			return fmt.Errorf("client: leave the game server: %w", err)
		}
		select {
		case <-g.bye:
			return nil
		case <-ctx.Done():
			return fmt.Errorf("client: leave the game server: no BYE: %w", ctx.Err())
		case <-g.closed:
			return net.ErrClosed
		case <-t.C:
		}
	}
}

// Close closes the connection without telling the server, which drops
// the player after its idle timeout.
func (g *GameConn) Close() error {
	var err error
	g.close.Do(func() {
		close(g.closed)
		err = g.conn.Close()
		<-g.done
	})
	return err
}
