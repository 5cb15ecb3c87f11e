// Command socket is a line-based client for rallypoint's player socket, for
// trying the protocol by hand: each line read from stdin is sent as one
// text frame, and each frame received is printed on its own line.
//
// It authenticates with a player's OpenID token (GetOpenIdToken, or a
// studio's developer token) as a bearer token:
//
//	socket --url ws://127.0.0.1:7400/ws --token "$TOKEN"
//	{"action":"ping","requestId":"r1"}
//	{"requestId":"r1","ok":true}
//
// When the server closes the socket, it prints the close code and reason
// and exits with status 1.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/coder/websocket"
)

func main() {
	url := flag.String("url", "ws://127.0.0.1:7400/ws", "the player socket's URL")
	token := flag.String("token", "", "the player's OpenID token (required)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: socket --url ws://host:port/ws --token TOKEN\n\n"+
			"Sends each line of stdin as a text frame; prints each frame received.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *token == "" {
		fmt.Fprintln(os.Stderr, "socket: --token is required (get one with GetOpenIdToken)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *url, *token, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "socket:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, url, token string, stdin io.Reader, stdout io.Writer) error {
	conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {"Bearer " + token}},
	})
	if err != nil {
		if resp != nil {
			return fmt.Errorf("connect: HTTP %d: %w", resp.StatusCode, err)
		}
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)

	closed := make(chan error, 1)
	go func() {
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				closed <- err
				return
			}
			fmt.Fprintln(stdout, string(b))
		}
	}()
	lines := make(chan string)
	go func() {
		in := bufio.NewScanner(stdin)
		in.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for in.Scan() {
			lines <- in.Text()
		}
		close(lines)
	}()
	for {
		select {
		case <-ctx.Done():
			return conn.Close(websocket.StatusNormalClosure, "bye")
		case err := <-closed:
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return fmt.Errorf("closed by the server: %d %s", ce.Code, ce.Reason)
			}
			return err
		case line, ok := <-lines:
			if !ok {
				// Input ended: wait for the replies and events still
				// coming until interrupted or closed.
				lines = nil
				continue
			}
			if line == "" {
				continue
			}
			if err := conn.Write(ctx, websocket.MessageText, []byte(line)); err != nil {
				return fmt.Errorf("send: %w", err)
			}
		}
	}
}
