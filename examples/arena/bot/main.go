// Command bot runs game clients that play the arena example through the
// Go client SDK (sdk/client), each as a real player would: it signs in as
// a guest, connects to the player socket, measures its latency to each
// location's ping beacon, asks for a match, waits for the match to be
// placed, joins the arena game server with its player session id,
// exchanges a few chat lines with the other players, and leaves.
//
//	go run ./examples/arena/bot --endpoint http://127.0.0.1:7400 \
//	    --pool us-east-1:... --configuration demo-2v2 --bots 8
//
// `rallypoint serve --demo` sets up an identity pool, locations, a fleet
// and a configuration for it, and prints this command and the arena
// servers' commands. Each bot prints a line per step; the last line sums
// up, and the exit status is 1 if any bot failed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	endpoint, region, pool, configuration string
	bots, probes, messages                int
	sigv4                                 bool
	timeout                               time.Duration
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("bot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `bot: game clients that play the arena example through sdk/client.

Usage: bot --pool ID --configuration NAME [flags]

Each bot signs in as a guest of the identity pool, connects to the player
socket, measures its latency to the configuration's locations, asks for a
match, joins the arena server the match is placed on, chats and leaves.
Run as many arena servers as the matches need (one game session each).

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.endpoint, "endpoint", "http://127.0.0.1:7400", "rallypoint's public listener")
	fs.StringVar(&c.region, "region", "", "region to sign the socket URL for (any works; default us-east-1)")
	fs.StringVar(&c.pool, "pool", "", "identity pool id (it must allow guests)")
	fs.StringVar(&c.configuration, "configuration", "", "matchmaking configuration name")
	fs.IntVar(&c.bots, "bots", 8, "number of bots")
	fs.IntVar(&c.probes, "probes", 3, "latency probes per location")
	fs.IntVar(&c.messages, "messages", 3, "chat lines each bot sends in the game")
	fs.BoolVar(&c.sigv4, "sigv4", false, "open sockets with SigV4-presigned URLs instead of bearer tokens")
	fs.DurationVar(&c.timeout, "timeout", 2*time.Minute, "how long each bot may take, from sign-in to leaving")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	case c.pool == "" || c.configuration == "":
		return c, errors.New("--pool and --configuration are required (see --help)")
	case c.bots < 1 || c.probes < 1 || c.messages < 1:
		return c, errors.New("--bots, --probes and --messages must be at least 1")
	}
	return c, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "bot:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return playAll(ctx, cfg, stdout)
}

// playAll runs the bots at once and prints a summary; it returns the exit
// status.
func playAll(ctx context.Context, cfg config, stdout io.Writer) int {
	out := &lines{w: stdout}
	start := time.Now()
	errs := make([]error, cfg.bots)
	var wg sync.WaitGroup
	for i := range cfg.bots {
		wg.Go(func() {
			b := &bot{n: i + 1, cfg: cfg, out: out}
			ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
			defer cancel()
			if errs[i] = b.play(ctx); errs[i] != nil {
				b.say("FAILED: %v", errs[i])
			}
		})
	}
	wg.Wait()
	failed := 0
	for _, err := range errs {
		if err != nil {
			failed++
		}
	}
	out.printf("summary: %d of %d bots played and left, %d failed, in %s", cfg.bots-failed, cfg.bots, failed, time.Since(start).Round(time.Millisecond))
	if failed > 0 {
		return 1
	}
	return 0
}

// lines writes whole lines from many goroutines.
type lines struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lines) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", args...)
}
