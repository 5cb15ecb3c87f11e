package beacon_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rallypoint/rallypoint/sdk/beacon"
)

// patient waits long enough that a probe on loopback is lost only if its
// datagram really is: tests that count answers must not depend on how
// busy the machine is.
var patient = beacon.Prober{Timeout: 30 * time.Second}

// startBeacon serves a beacon on a loopback port until the test ends, and
// checks that it stopped cleanly.
func startBeacon(t testing.TB) string {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- beacon.Serve(ctx, conn) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve returned %v after its context ended", err)
		}
		conn.Close()
	})
	return conn.LocalAddr().String()
}

// probe builds a probe as the package comment describes it, with padding
// bytes of padding.
func probe(nonce uint64, seq uint32, padding int) []byte {
	b := make([]byte, 0, 17+padding)
	b = append(b, "RPB1P"...)
	b = binary.BigEndian.AppendUint64(b, nonce)
	b = binary.BigEndian.AppendUint32(b, seq)
	for i := range padding {
		b = append(b, byte(i))
	}
	return b
}

// echoOf is what a beacon answers to p.
func echoOf(p []byte) []byte {
	e := bytes.Clone(p)
	e[4] = 'E'
	return e
}

// listenUDP opens a loopback UDP socket that the test closes at its end.
func listenUDP(t testing.TB) *net.UDPConn {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// read returns the next datagram on c; the deadline only keeps a broken
// beacon from hanging the test.
func read(t *testing.T, c *net.UDPConn) ([]byte, net.Addr) {
	t.Helper()
	buf := make([]byte, 2048)
	_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
	n, from, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no datagram: %v", err)
	}
	return buf[:n], from
}

func TestProbeMeasuresRoundTrips(t *testing.T) {
	addr := startBeacon(t)
	res, err := patient.Probe(context.Background(), addr, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Samples) != 5 || res.Lost != 0 {
		t.Fatalf("%d answered, %d lost; want 5 and 0", len(res.Samples), res.Lost)
	}
	sorted := slices.Sorted(slices.Values(res.Samples))
	if sorted[0] <= 0 {
		t.Errorf("samples %v: a round trip takes some time", res.Samples)
	}
	if res.Min != sorted[0] || res.Median != sorted[2] {
		t.Errorf("min %v, median %v of samples %v", res.Min, res.Median, res.Samples)
	}
}

// TestBeaconAnswersOnlyProbes sends each datagram followed by a valid
// probe: the beacon answers in order, so if the first reply is the valid
// probe's echo, the datagram before it went unanswered.
func TestBeaconAnswersOnlyProbes(t *testing.T) {
	addr, err := net.ResolveUDPAddr("udp", startBeacon(t))
	if err != nil {
		t.Fatal(err)
	}
	client := listenUDP(t)
	sentinel := probe(42, 7, 0)
	withKind := func(kind byte) []byte { p := probe(1, 1, 0); p[4] = kind; return p }
	for _, tc := range []struct {
		name   string
		in     []byte
		answer bool
	}{
		{"a probe", probe(1, 2, 0), true},
		{"a probe padded to 64 bytes", probe(1, 3, 47), true},
		{"65 bytes", probe(1, 4, 48), false},
		{"1200 bytes", probe(1, 5, 1183), false},
		{"16 bytes", probe(1, 6, 0)[:16], false},
		{"empty", []byte{}, false},
		{"another magic", append([]byte("RPB2"), probe(1, 7, 0)[4:]...), false},
		{"an echo", withKind('E'), false},
		{"an unknown kind", withKind('Q'), false},
		{"text", []byte("PING\n"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, d := range [][]byte{tc.in, sentinel} {
				if _, err := client.WriteTo(d, addr); err != nil {
					t.Fatal(err)
				}
			}
			got, _ := read(t, client)
			if tc.answer {
				if !bytes.Equal(got, echoOf(tc.in)) {
					t.Fatalf("reply %q, want the echo %q", got, echoOf(tc.in))
				}
				got, _ = read(t, client)
			}
			if !bytes.Equal(got, echoOf(sentinel)) {
				t.Fatalf("reply %q, want the echo of the probe sent after it", got)
			}
		})
	}
}

func TestProbeCountsLostProbes(t *testing.T) {
	closed := listenUDP(t)
	closedAddr := closed.LocalAddr().String()
	closed.Close()
	silent := listenUDP(t) // bound, so the host says nothing, and never read
	for name, addr := range map[string]string{
		"nothing listens":      closedAddr,
		"a socket that is mum": silent.LocalAddr().String(),
	} {
		t.Run(name, func(t *testing.T) {
			p := beacon.Prober{Timeout: 50 * time.Millisecond}
			res, err := p.Probe(context.Background(), addr, 3)
			if !errors.Is(err, beacon.ErrNoReply) {
				t.Errorf("err = %v, want ErrNoReply", err)
			}
			if res.Lost != 3 || len(res.Samples) != 0 || res.Median != 0 || res.Min != 0 {
				t.Errorf("result %+v, want 3 lost and nothing measured", res)
			}
		})
	}
}

// TestProbeIgnoresLateAndForeignReplies plays a beacon that answers the
// first probe only wrongly (from another socket, with the wrong nonce, as a
// probe, padded) and the second one rightly but after a late echo of the
// first: the first must count as lost, the second as answered.
func TestProbeIgnoresLateAndForeignReplies(t *testing.T) {
	fake := listenUDP(t)
	other := listenUDP(t)
	go func() {
		buf := make([]byte, 2048)
		var first []byte
		for seq := 0; seq < 2; seq++ {
			n, from, err := fake.ReadFrom(buf)
			if err != nil {
				return
			}
			p := bytes.Clone(buf[:n])
			if seq == 0 {
				first = p
				wrongNonce := echoOf(p)
				wrongNonce[5] ^= 0xff
				padded := append(echoOf(p), 0)
				other.WriteTo(echoOf(p), from) // right bytes, wrong sender
				fake.WriteTo(wrongNonce, from)
				fake.WriteTo(p, from)
				fake.WriteTo(padded, from)
				continue
			}
			fake.WriteTo(echoOf(first), from) // late: the first probe timed out
			fake.WriteTo(echoOf(p), from)
		}
	}()
	// The first probe times out after the default second; the second must
	// not, however busy the machine, so the timeout is not shortened.
	res, err := beacon.Probe(context.Background(), fake.LocalAddr().String(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if res.Lost != 1 || len(res.Samples) != 1 {
		t.Fatalf("%d answered, %d lost; want 1 and 1", len(res.Samples), res.Lost)
	}
}

func TestConcurrentProbesOfOneBeacon(t *testing.T) {
	addr := startBeacon(t)
	const clients, probes = 32, 5
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for range clients {
		wg.Go(func() {
			res, err := patient.Probe(context.Background(), addr, probes)
			switch {
			case err != nil:
				errs <- err
			case len(res.Samples) != probes || res.Lost != 0:
				errs <- fmt.Errorf("%d answered, %d lost; want %d and 0", len(res.Samples), res.Lost, probes)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestServeStopsWhenContextEnds(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- beacon.Serve(ctx, conn) }()
	if _, err := patient.Probe(ctx, conn.LocalAddr().String(), 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v, want nil once its context ended", err)
	}
}

func TestServeReportsAFailedSocket(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if err := beacon.Serve(context.Background(), conn); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Serve on a closed socket = %v, want net.ErrClosed", err)
	}
}

func TestListenAndServe(t *testing.T) {
	// A port that was free a moment ago, so the test knows where to probe.
	c := listenUDP(t)
	addr := c.LocalAddr().String()
	c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- beacon.ListenAndServe(ctx, addr) }()
	// Probes sent before the beacon binds are refused; wait until it has.
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := patient.Probe(ctx, addr, 1)
		if err == nil {
			break
		}
		if !errors.Is(err, beacon.ErrNoReply) || time.Now().After(deadline) {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			t.Fatalf("ListenAndServe ended: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ListenAndServe = %v, want nil once its context ended", err)
	}

	if err := beacon.ListenAndServe(context.Background(), "127.0.0.1"); err == nil {
		t.Fatal("ListenAndServe without a port: no error")
	}
}

func TestProbeStopsWhenContextEnds(t *testing.T) {
	mum := listenUDP(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		p := beacon.Prober{Timeout: time.Hour}
		_, err := p.Probe(ctx, mum.LocalAddr().String(), 3)
		done <- err
	}()
	read(t, mum) // the first probe is out, and waits for its echo
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Probe = %v, want context.Canceled", err)
	}
}

func TestProbeRefusals(t *testing.T) {
	addr := startBeacon(t)
	for name, tc := range map[string]struct {
		addr string
		n    int
	}{
		"no probes":      {addr, 0},
		"negative count": {addr, -1},
		"no port":        {"127.0.0.1", 3},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := beacon.Probe(context.Background(), tc.addr, tc.n); err == nil || errors.Is(err, beacon.ErrNoReply) {
				t.Fatalf("err = %v, want a refusal", err)
			}
		})
	}
}
