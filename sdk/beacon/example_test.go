package beacon_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/rallypoint/rallypoint/sdk/beacon"
)

// A location's beacon, and a game client measuring its latency to it. The
// median of a few probes is the latency to report, in milliseconds, as a
// PlayerLatency for the location (StartGameSessionPlacement,
// StartMatchmaking).
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The beacon: on a real location, `rallypoint serve --ping-beacon
	// 0.0.0.0:7770`, or beacon.ListenAndServe(ctx, ":7770").
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	go beacon.Serve(ctx, conn)

	// The client: the address comes from ListLocations'
	// PingBeacon.UDPEndpoint (Domain and Port).
	res, err := beacon.Probe(ctx, conn.LocalAddr().String(), 5)
	if err != nil {
		fmt.Println("unreachable, leave the location out:", err)
		return
	}
	latencyMs := float32(res.Median) / float32(time.Millisecond)
	fmt.Printf("%d answered, %d lost, latency measured: %v\n", len(res.Samples), res.Lost, latencyMs > 0)
	// Output: 5 answered, 0 lost, latency measured: true
}
