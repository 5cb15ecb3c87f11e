package beacon

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"slices"
	"syscall"
	"time"
)

// DefaultTimeout is how long a probe waits for its echo when
// Prober.Timeout is zero. A second is far beyond any round trip a player
// would play with, so a probe that takes longer is as good as lost.
const DefaultTimeout = time.Second

// ErrNoReply is returned, wrapped, by Probe when not one probe was
// answered: nothing answers at the address, or nothing gets through.
var ErrNoReply = errors.New("no probe was answered")

// Result is what one measurement found.
type Result struct {
	// Median is the median round trip of the answered probes (the mean of
	// the middle two for an even count), and Min the shortest. Both are
	// zero when none was answered.
	Median time.Duration
	Min    time.Duration
	// Samples are the round trips of the answered probes, in the order the
	// probes were sent.
	Samples []time.Duration
	// Lost counts the probes that got no echo in time.
	Lost int
}

// A Prober measures round trips to beacons. Its zero value is ready to use,
// and one Prober may be used by many goroutines at once.
type Prober struct {
	// Timeout is how long each probe waits for its echo; zero means
	// DefaultTimeout.
	Timeout time.Duration
}

// Probe measures the round trip to the beacon at addr (host:port) with n
// probes, using a zero Prober.
func Probe(ctx context.Context, addr string, n int) (Result, error) {
	var p Prober
	return p.Probe(ctx, addr, n)
}

// Probe sends n probes to the beacon at addr (host:port), one after
// another, each when the previous one was answered or timed out, and
// returns the round trips measured. The median of a few (3 to 5) is the
// latency to report: one probe can be slowed by anything on the way.
//
// If no probe was answered, the error wraps ErrNoReply and Result counts
// them all lost. If ctx ends, Probe returns what it measured so far with
// ctx's error.
func (p *Prober) Probe(ctx context.Context, addr string, n int) (Result, error) {
	if n < 1 {
		return Result{}, fmt.Errorf("probe %s: %d probes asked for; send at least one", addr, n)
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	var d net.Dialer
	// A connected socket receives only from addr, so the kernel already
	// drops datagrams from anyone else.
	conn, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return Result{}, fmt.Errorf("probe %s: %w", addr, err)
	}
	defer conn.Close()
	// Reads take no context; a deadline in the past is what ends a read
	// that is waiting when ctx ends.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	var req [headerSize]byte
	copy(req[:], magic)
	req[offKind] = kindProbe
	if _, err := rand.Read(req[offNonce:offSeq]); err != nil {
		return Result{}, fmt.Errorf("probe %s: nonce: %w", addr, err)
	}
	res := Result{Samples: make([]time.Duration, 0, n)}
	var buf [maxSize + 1]byte
	for seq := range n {
		binary.BigEndian.PutUint32(req[offSeq:], uint32(seq))
		rtt, answered, err := roundTrip(ctx, conn, req[:], buf[:], timeout)
		if err != nil {
			return res.summarize(), fmt.Errorf("probe %s: %w", addr, err)
		}
		if answered {
			res.Samples = append(res.Samples, rtt)
		} else {
			res.Lost++
		}
	}
	res = res.summarize()
	if len(res.Samples) == 0 {
		return res, fmt.Errorf("probe %s: %d of %d lost: %w", addr, res.Lost, n, ErrNoReply)
	}
	return res, nil
}

// roundTrip sends one probe and waits for its echo. It reports a probe
// that got none as not answered; an error means the measurement must stop.
func roundTrip(ctx context.Context, conn net.Conn, req, buf []byte, timeout time.Duration) (time.Duration, bool, error) {
	sent := time.Now()
	if err := conn.SetReadDeadline(sent.Add(timeout)); err != nil {
		return 0, false, err
	}
	// Checked after the deadline is set: had ctx ended just before, the
	// deadline set above would have undone the one that ends the read.
	if err := ctx.Err(); err != nil {
		return 0, false, err
	}
	if _, err := conn.Write(req); err != nil {
		if lost(err) {
			return 0, false, nil
		}
		return 0, false, err
	}
	for {
		n, err := conn.Read(buf)
		switch {
		case ctx.Err() != nil:
			return 0, false, ctx.Err()
		case err != nil && lost(err):
			return 0, false, nil
		case err != nil:
			return 0, false, err
		}
		if isEchoOf(buf[:n], req) {
			return time.Since(sent), true, nil
		}
		// The late echo of an earlier probe, or not an echo at all: the
		// probe's own may still come.
	}
}

// lost reports whether an error only means that the probe went
// unanswered: its time ran out, or the host said nothing listens on the
// port (an ICMP port unreachable, which some systems report on the next
// read or write of a connected socket).
func lost(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.ECONNREFUSED)
}

// isEchoOf reports whether b is the beacon's echo of probe req.
func isEchoOf(b, req []byte) bool {
	return len(b) == len(req) && b[offKind] == kindEcho &&
		string(b[:offKind]) == string(req[:offKind]) && string(b[offNonce:]) == string(req[offNonce:])
}

// summarize fills Median and Min from Samples.
func (r Result) summarize() Result {
	if len(r.Samples) == 0 {
		return r
	}
	sorted := slices.Clone(r.Samples)
	slices.Sort(sorted)
	r.Min = sorted[0]
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		r.Median = sorted[mid]
	} else {
		r.Median = (sorted[mid-1] + sorted[mid]) / 2
	}
	return r
}
