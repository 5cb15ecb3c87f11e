package beacon_test

import (
	"context"
	"testing"
)

// BenchmarkRoundTrip is one probe and its echo over loopback, on a socket
// that stays open: the cost of the beacon and the client per probe.
func BenchmarkRoundTrip(b *testing.B) {
	addr := startBeacon(b)
	b.ReportAllocs()
	b.ResetTimer()
	res, err := patient.Probe(context.Background(), addr, b.N)
	if err != nil || res.Lost != 0 {
		b.Fatalf("%d lost, %v", res.Lost, err)
	}
}

// BenchmarkProbe is a whole measurement of one location as a client makes
// it: a socket, five probes, the summary.
func BenchmarkProbe(b *testing.B) {
	addr := startBeacon(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := patient.Probe(ctx, addr, 5); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParallelProbes is many clients measuring one beacon at once.
func BenchmarkParallelProbes(b *testing.B) {
	addr := startBeacon(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := patient.Probe(ctx, addr, 1); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
