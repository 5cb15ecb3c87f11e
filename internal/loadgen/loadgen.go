// Package loadgen drives a running rallypoint with simulated players through
// the whole flow, and measures it: each player gets a token (a developer
// identity, as a studio's backend vouches for its own players), opens a
// socket, asks for a match with its latency per location, waits for the
// pushed MatchmakingSucceeded, and presents its player session id to the
// game server named in it, which accepts it through the server SDK. The
// game servers run in the load generator's process, as server SDK
// processes of an Anywhere fleet; each hosts one game, then ends and is
// replaced, as real ones are.
//
// The time that matters is from the request (startMatchmaking sent) to the
// push (MatchmakingSucceeded received). It includes the matchmaker's cycle
// (serve --matchmaking-interval) and the rule set's own waiting.
package loadgen

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rallypoint/rallypoint/internal/sigv4"
)

// Options say what load to make.
type Options struct {
	// Endpoint is the public listener (http://host:port), Admin the admin
	// listener; AccessKey signs control-plane calls (zero for a server run
	// with --insecure-dev).
	Endpoint  string
	Admin     string
	AccessKey sigv4.Credentials
	// Players is how many players arrive, Rate how many a second.
	Players int
	Rate    float64
	// TeamSize makes a rule set of two teams of this many players (and no
	// other rule); RuleSet, when set, is a rule set body to use instead.
	TeamSize int
	RuleSet  string
	// Locations is how many custom locations the fleet has; each player
	// has a random latency to each.
	Locations int
	// Servers is how many game server processes run per location at any
	// time, each hosting one game session.
	Servers int
	// Wait bounds how long a player waits for its match.
	Wait time.Duration
	// Prefix names what loadgen creates (locations, fleet, queue, rule
	// set, configuration, identity pool); a second run reuses them.
	Prefix string
	// Out receives a progress line each second; nil discards them.
	Out io.Writer
	// HTTPClient makes every HTTP call; nil means a client with a large
	// connection pool.
	HTTPClient *http.Client
}

func (o *Options) defaults() error {
	if o.Endpoint == "" || o.Admin == "" {
		return errors.New("loadgen: the public and admin endpoints are required")
	}
	o.Endpoint = strings.TrimRight(o.Endpoint, "/")
	o.Admin = strings.TrimRight(o.Admin, "/")
	switch {
	case o.Players <= 0:
		return errors.New("loadgen: players must be positive")
	case o.Rate <= 0:
		return errors.New("loadgen: rate must be positive")
	}
	o.TeamSize = cmp.Or(o.TeamSize, 2)
	o.Locations = cmp.Or(o.Locations, 2)
	o.Servers = cmp.Or(o.Servers, 50)
	o.Wait = cmp.Or(o.Wait, 2*time.Minute)
	o.Prefix = cmp.Or(o.Prefix, "loadgen")
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.HTTPClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 1024, 1024
		o.HTTPClient = &http.Client{Transport: t, Timeout: 30 * time.Second}
	}
	return nil
}

// Report is what a run measured.
type Report struct {
	Players  int
	Matched  int
	Joined   int
	Elapsed  time.Duration
	Duration Durations
	// Errors counts failed players by what failed.
	Errors map[string]int
	// ServerCPU is the CPU time the server used during the run (seconds
	// of CPU per second of the run), ServerRSS its resident memory at the
	// end; zero when its metrics could not be read.
	ServerCPU float64
	ServerRSS int64
}

// Durations are request-to-push times.
type Durations struct{ P50, P90, P99, Max time.Duration }

// MatchedPerSecond is the rate at which players were matched, over the
// run.
func (r Report) MatchedPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Matched) / r.Elapsed.Seconds()
}

// Print writes the report as a table.
func (r Report) Print(w io.Writer) {
	fmt.Fprintf(w, "\n%-28s %d\n", "players", r.Players)
	fmt.Fprintf(w, "%-28s %d (%.0f/s over %.1fs)\n", "matched", r.Matched, r.MatchedPerSecond(), r.Elapsed.Seconds())
	fmt.Fprintf(w, "%-28s %d\n", "joined their game server", r.Joined)
	fmt.Fprintf(w, "%-28s p50 %s  p90 %s  p99 %s  max %s\n", "request to push", ms(r.Duration.P50), ms(r.Duration.P90), ms(r.Duration.P99), ms(r.Duration.Max))
	if len(r.Errors) == 0 {
		fmt.Fprintf(w, "%-28s none\n", "errors")
	} else {
		kinds := make([]string, 0, len(r.Errors))
		for k := range r.Errors {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		for i, k := range kinds {
			label := ""
			if i == 0 {
				label = "errors"
			}
			fmt.Fprintf(w, "%-28s %s: %d\n", label, k, r.Errors[k])
		}
	}
	if r.ServerCPU > 0 || r.ServerRSS > 0 {
		fmt.Fprintf(w, "%-28s %.2f cores, %d MiB resident\n", "server", r.ServerCPU, r.ServerRSS>>20)
	} else {
		fmt.Fprintf(w, "%-28s not readable (metrics)\n", "server")
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

// stats gathers the run's outcomes as they come.
type stats struct {
	started, matched, joined atomic.Int64

	mu     sync.Mutex
	times  []time.Duration
	errors map[string]int
}

func (s *stats) fail(kind string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errors[kind]++
}

func (s *stats) matchedIn(d time.Duration) {
	s.matched.Add(1)
	s.mu.Lock()
	s.times = append(s.times, d)
	s.mu.Unlock()
}

func (s *stats) durations() Durations {
	s.mu.Lock()
	t := slices.Clone(s.times)
	s.mu.Unlock()
	if len(t) == 0 {
		return Durations{}
	}
	slices.Sort(t)
	at := func(q float64) time.Duration { return t[min(len(t)-1, int(q*float64(len(t))))] }
	return Durations{P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: t[len(t)-1]}
}

func (s *stats) failures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.errors {
		n += v
	}
	return n
}

// Run sets up what the load needs, runs it, and reports.
func Run(ctx context.Context, o Options) (Report, error) {
	if err := o.defaults(); err != nil {
		return Report{}, err
	}
	env, err := setup(ctx, o)
	if err != nil {
		return Report{}, err
	}
	servers, err := startServers(ctx, o, env)
	if err != nil {
		return Report{}, err
	}
	defer servers.stop()

	cpu0, _, _ := serverUsage(ctx, o)
	st := &stats{errors: map[string]int{}}
	start := time.Now()
	progressDone := make(chan struct{})
	var printing sync.WaitGroup
	printing.Go(func() { progress(o, st, start, progressDone) })

	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / o.Rate)
	run := fmt.Sprintf("%x", rand.Uint32())
	for i := range o.Players {
		// Arrivals keep to the rate from the start, so a slow moment is
		// caught up rather than stretching the run.
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
		if ctx.Err() != nil {
			break
		}
		st.started.Add(1)
		wg.Go(func() { play(ctx, o, env, servers, st, fmt.Sprintf("%s-%s-%d", o.Prefix, run, i)) })
	}
	wg.Wait()
	elapsed := time.Since(start)
	// Out is the caller's again once Run returns.
	close(progressDone)
	printing.Wait()

	r := Report{
		Players: int(st.started.Load()), Matched: int(st.matched.Load()), Joined: int(st.joined.Load()),
		Elapsed: elapsed, Duration: st.durations(), Errors: st.errors,
	}
	if cpu1, rss, err := serverUsage(ctx, o); err == nil && cpu0 > 0 {
		r.ServerCPU = (cpu1 - cpu0) / elapsed.Seconds()
		r.ServerRSS = rss
	}
	return r, nil
}

// progress prints a line each second until done.
func progress(o Options, st *stats, start time.Time, done <-chan struct{}) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var lastMatched int64
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		m := st.matched.Load()
		d := st.durations()
		fmt.Fprintf(o.Out, "[%3.0fs] started %d  matched %d (%d/s)  joined %d  errors %d  request-to-push p50 %s p99 %s\n",
			time.Since(start).Seconds(), st.started.Load(), m, m-lastMatched, st.joined.Load(), st.failures(), ms(d.P50), ms(d.P99))
		lastMatched = m
	}
}
