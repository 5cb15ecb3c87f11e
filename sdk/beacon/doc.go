// Package beacon is a UDP ping beacon and the client that measures latency
// to it.
//
// Matchmaking and game session placement choose a location by each
// player's latency to it (PlayerLatencies, latencyInMs). The latency that
// matters is the one game traffic sees, which is UDP, and ICMP pings are
// often handled differently along the way; so each location runs a beacon,
// an endpoint that answers small UDP datagrams, and game clients time the
// round trips. GameLift runs beacons for its own locations and lists them in
// ListLocations (PingBeacon.UDPEndpoint); a rallypoint custom location
// declares the beacon its operator runs (the rallypoint:ping-beacon tag of
// CreateLocation), and rallypoint lists it in the same place.
//
// A beacon is run by `rallypoint serve --ping-beacon host:port`, by the
// arena example's -ping-beacon flag, or by any program with Serve or
// ListenAndServe. A client measures with Probe:
//
//	res, err := beacon.Probe(ctx, "beacon.eu.example.com:7770", 5)
//	if err != nil { ... } // unreachable: leave the location out
//	latencyMs := float32(res.Median) / float32(time.Millisecond)
//
// # Wire format
//
// A probe is one UDP datagram of 17 to 64 bytes:
//
//	offset  size  field
//	0       4     magic "RPB1" (rallypoint ping beacon, version 1)
//	4       1     kind: 'P' (0x50) for a probe
//	5       8     nonce: random bytes the client picks for one measurement
//	13      4     sequence number, big-endian, the probe's number within it
//	17      0-47  padding, any bytes
//
// The beacon answers a probe with a datagram of the same bytes, except that
// kind is 'E' (0x45, echo), sent to the address the probe came from. It
// answers nothing else: a datagram that is shorter than 17 bytes, longer
// than 64, has another magic or another kind, or comes from a port below
// 1024 is dropped without a word.
//
// Those rules keep a beacon, which must answer anyone on the internet, from
// being of use to an attacker who forges a victim's source address: an
// answer is never larger than the datagram that caused it, so the beacon
// amplifies nothing; a beacon never answers an echo, so two beacons cannot
// be set bouncing datagrams between each other forever; and nothing is sent
// to the well-known ports of services that answer anything (echo, DNS, ...).
//
// The client sends its probes one after another, each after the previous
// one's echo or timeout, and takes as the answer to a probe only the echo
// carrying its nonce and sequence number from the address it probed: the
// late echo of a probe that already timed out, or a datagram from anyone
// else, is ignored.
package beacon
