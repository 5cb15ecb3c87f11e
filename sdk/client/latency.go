package client

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/rallypoint/rallypoint/sdk/beacon"
)

// Location is a location a matchmaking configuration can place games in,
// with its UDP ping beacon when it has one.
type Location struct {
	Location   string      `json:"location"`
	PingBeacon *PingBeacon `json:"pingBeacon,omitempty"`
}

// PingBeacon is where a location's UDP ping beacon answers (sdk/beacon).
type PingBeacon struct {
	UDPEndpoint struct {
		Domain string `json:"domain"`
		Port   int    `json:"port"`
	} `json:"udpEndpoint"`
}

// Address is the beacon's host:port.
func (b PingBeacon) Address() string {
	return net.JoinHostPort(b.UDPEndpoint.Domain, strconv.Itoa(b.UDPEndpoint.Port))
}

// DescribeLocations returns the locations the matchmaking configuration
// configurationName can place games in, with their ping beacons.
func (c *Conn) DescribeLocations(ctx context.Context, configurationName string) ([]Location, error) {
	var out struct {
		Locations []Location `json:"locations"`
	}
	if err := c.request(ctx, "describeLocations", map[string]any{"configurationName": configurationName}, &out); err != nil {
		return nil, fmt.Errorf("client: describe the locations of %s: %w", configurationName, err)
	}
	return out.Locations, nil
}

// MeasureLatencies measures the player's latency to each location of the
// matchmaking configuration configurationName that has a ping beacon,
// with MeasureBeacons, and returns it in milliseconds by location, ready
// for StartMatchmaking.
func (c *Conn) MeasureLatencies(ctx context.Context, configurationName string, probes int) (map[string]int, error) {
	locs, err := c.DescribeLocations(ctx, configurationName)
	if err != nil {
		return nil, err
	}
	beacons := make(map[string]string, len(locs))
	for _, l := range locs {
		if l.PingBeacon != nil {
			beacons[l.Location] = l.PingBeacon.Address()
		}
	}
	if len(beacons) == 0 {
		return map[string]int{}, nil
	}
	return MeasureBeacons(ctx, beacons, probes)
}

// MeasureBeacons probes each location's beacon (location -> host:port)
// probes times, all locations at once, and returns the median round trip
// of each location that answered, in whole milliseconds (at least 1). A
// location whose beacon does not answer is left out; the error says why
// when none answered.
func MeasureBeacons(ctx context.Context, beacons map[string]string, probes int) (map[string]int, error) {
	if probes < 1 {
		return nil, fmt.Errorf("client: measure latencies: %d probes asked for; send at least one", probes)
	}
	var (
		mu   sync.Mutex
		out  = make(map[string]int, len(beacons))
		errs []error
		wg   sync.WaitGroup
	)
	for loc, addr := range beacons {
		wg.Go(func() {
			res, err := beacon.Probe(ctx, addr, probes)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", loc, err))
				return
			}
			out[loc] = millis(res.Median)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return out, err
	}
	if len(out) == 0 && len(errs) > 0 {
		return out, fmt.Errorf("client: no ping beacon answered: %w", errors.Join(errs...))
	}
	return out, nil
}

// millis rounds a round trip up to whole milliseconds: matchmaking takes
// integers, and a latency of 0 would read as none.
func millis(d time.Duration) int {
	return max(1, int(math.Ceil(float64(d)/float64(time.Millisecond))))
}
