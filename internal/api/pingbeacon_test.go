package api_test

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/sdk/beacon"
)

const beaconTag = "rallypoint:ping-beacon"

// beaconOf is a location's ping beacon as host:port, or "" for none.
func beaconOf(t *testing.T, l *types.LocationModel) string {
	t.Helper()
	if l.PingBeacon == nil {
		return ""
	}
	e := l.PingBeacon.UDPEndpoint
	if e == nil || e.Domain == nil || e.Port == nil {
		t.Fatalf("%s: PingBeacon %+v has no complete UDPEndpoint", aws.ToString(l.LocationName), l.PingBeacon)
	}
	return net.JoinHostPort(*e.Domain, strconv.Itoa(int(*e.Port)))
}

// onlyLocation is the one location of a decoded ListLocations answer.
func onlyLocation(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	locs, _ := body["Locations"].([]any)
	if len(locs) != 1 {
		t.Fatalf("Locations = %v, want one", body["Locations"])
	}
	l, ok := locs[0].(map[string]any)
	if !ok {
		t.Fatalf("Locations[0] = %v", locs[0])
	}
	return l
}

// TestLocationPingBeacons declares beacons on CreateLocation with the tag
// and reads them back as GameLift's PingBeacon through the AWS SDK.
func TestLocationPingBeacons(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	want := map[string]string{
		"custom-eu-west": "beacon.eu.example.com:7770",
		"custom-lab":     "[2001:db8::7]:7770",
		"custom-us-east": "", // no beacon
	}
	for name, b := range want {
		in := &gamelift.CreateLocationInput{LocationName: aws.String(name), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("ops")}}}
		if b != "" {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String(beaconTag), Value: aws.String(b)})
		}
		out, err := c.CreateLocation(ctx, in)
		if err != nil {
			t.Fatalf("CreateLocation %s: %v", name, err)
		}
		if got := beaconOf(t, out.Location); got != b {
			t.Errorf("CreateLocation %s: ping beacon %q, want %q", name, got, b)
		}
	}
	out, err := c.ListLocations(ctx, &gamelift.ListLocationsInput{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range out.Locations {
		got[aws.ToString(l.LocationName)] = beaconOf(t, &l)
	}
	want["local"] = "" // the home region: rallypoint runs no beacon for it
	for name, b := range want {
		if g, ok := got[name]; !ok || g != b {
			t.Errorf("ListLocations: %s has ping beacon %q (listed: %v), want %q", name, g, ok, b)
		}
	}
	if eu := out.Locations[slices.IndexFunc(out.Locations, func(l types.LocationModel) bool { return aws.ToString(l.LocationName) == "custom-eu-west" })]; aws.ToString(eu.PingBeacon.UDPEndpoint.Domain) != "beacon.eu.example.com" || aws.ToInt32(eu.PingBeacon.UDPEndpoint.Port) != 7770 {
		t.Errorf("custom-eu-west: UDPEndpoint %+v", eu.PingBeacon.UDPEndpoint)
	}
}

// TestLocationPingBeaconWireNames reads the beacon in both encodings, by
// member name, as clients that are not the Go SDK would.
func TestLocationPingBeaconWireNames(t *testing.T) {
	n := startNode(t, "")
	if _, err := n.sdk().CreateLocation(context.Background(), &gamelift.CreateLocationInput{LocationName: aws.String("custom-eu-west"),
		Tags: []types.Tag{{Key: aws.String(beaconTag), Value: aws.String("beacon.eu.example.com:7770")}}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range protocols {
		t.Run(string(p), func(t *testing.T) {
			r := n.call(t, p, "ListLocations", map[string]any{"Filters": []any{"CUSTOM"}})
			if r.Status != 200 {
				t.Fatalf("ListLocations: %d %s", r.Status, r.Raw)
			}
			l := onlyLocation(t, r.Body)
			domain, _ := lookup(l, "PingBeacon.UDPEndpoint.Domain")
			port, _ := lookup(l, "PingBeacon.UDPEndpoint.Port")
			if domain != "beacon.eu.example.com" || port != float64(7770) {
				t.Errorf("PingBeacon.UDPEndpoint = %v:%v in %v", domain, port, r.Body)
			}
		})
	}
}

// TestLocationPingBeaconRefusals: a tag no client could use is refused,
// naming the tag and what is wrong, and creates nothing.
func TestLocationPingBeaconRefusals(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	tag := func(v string) types.Tag { return types.Tag{Key: aws.String(beaconTag), Value: aws.String(v)} }
	for name, tc := range map[string]struct {
		tags []types.Tag
		why  string
	}{
		"no port":       {[]types.Tag{tag("beacon.eu.example.com")}, "not host:port"},
		"empty":         {[]types.Tag{tag("")}, "not host:port"},
		"no host":       {[]types.Tag{tag(":7770")}, "host is empty"},
		"port 0":        {[]types.Tag{tag("beacon.eu.example.com:0")}, "from 1 to 65535"},
		"port 65536":    {[]types.Tag{tag("beacon.eu.example.com:65536")}, "from 1 to 65535"},
		"named port":    {[]types.Tag{tag("beacon.eu.example.com:beacon")}, "from 1 to 65535"},
		"a URL":         {[]types.Tag{tag("udp://beacon.eu.example.com:7770")}, "not host:port"},
		"space in host": {[]types.Tag{tag("beacon eu:7770")}, "neither an IP address nor a DNS name"},
		"empty label":   {[]types.Tag{tag("beacon..example.com:7770")}, "neither an IP address nor a DNS name"},
		"two beacons":   {[]types.Tag{tag("a.example.com:7770"), tag("b.example.com:7770")}, "given twice"},
		"IPv6 bare":     {[]types.Tag{tag("2001:db8::7:7770")}, "in brackets"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.CreateLocation(ctx, &gamelift.CreateLocationInput{LocationName: aws.String("custom-refused"), Tags: tc.tags})
			e := wantAPIError[*types.InvalidRequestException](t, err)
			if msg := aws.ToString(e.Message); !strings.Contains(msg, beaconTag) || !strings.Contains(msg, tc.why) {
				t.Errorf("message %q does not name the tag and %q", msg, tc.why)
			}
		})
	}
	out, err := c.ListLocations(ctx, &gamelift.ListLocationsInput{Filters: []types.LocationFilter{types.LocationFilterCustom}})
	if err != nil || len(out.Locations) != 0 {
		t.Fatalf("after refusals: %+v, %v; want no custom location", out, err)
	}
}

// TestProbeTheListedBeacon walks what a game client does: read the
// beacons from ListLocations, probe each, and have a latency per location.
func TestProbeTheListedBeacon(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- beacon.Serve(ctx, conn) }()
	t.Cleanup(func() { cancel(); <-done; conn.Close() })

	n := startNode(t, "")
	c := n.sdk()
	if _, err := c.CreateLocation(ctx, &gamelift.CreateLocationInput{LocationName: aws.String("custom-lab"),
		Tags: []types.Tag{{Key: aws.String(beaconTag), Value: aws.String(conn.LocalAddr().String())}}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.ListLocations(ctx, &gamelift.ListLocationsInput{Filters: []types.LocationFilter{types.LocationFilterCustom}})
	if err != nil || len(out.Locations) != 1 {
		t.Fatalf("ListLocations: %+v, %v", out, err)
	}
	// A long per-probe timeout: a probe on loopback is lost only if its
	// datagram is, however busy the machine.
	p := beacon.Prober{Timeout: 30 * time.Second}
	res, err := p.Probe(ctx, beaconOf(t, &out.Locations[0]), 3)
	if err != nil || res.Lost != 0 || res.Median <= 0 {
		t.Fatalf("probing the listed beacon: %+v, %v", res, err)
	}
}

// TestAWSCLIPingBeacon declares a beacon the way the docs show, with the
// aws CLI over AWS JSON 1.1, and reads it back with the CLI.
func TestAWSCLIPingBeacon(t *testing.T) {
	t.Parallel() // the CLI is slow to start
	n := startNode(t, "")
	cli := newAWSCLI(t, n)
	loc := cli.ok("create-location", "--location-name", "custom-eu", "--tags", "Key="+beaconTag+",Value=beacon.eu.example.com:7770")
	if d := str(t, loc, "Location.PingBeacon.UDPEndpoint.Domain"); d != "beacon.eu.example.com" {
		t.Errorf("create-location: Domain = %s", d)
	}
	list := onlyLocation(t, cli.ok("list-locations", "--filters", "CUSTOM"))
	if d := str(t, list, "PingBeacon.UDPEndpoint.Domain"); d != "beacon.eu.example.com" {
		t.Errorf("list-locations: Domain = %s", d)
	}
	if p, _ := lookup(list, "PingBeacon.UDPEndpoint.Port"); p != float64(7770) {
		t.Errorf("list-locations: Port = %v", p)
	}
	_, stderr, code := cli.run(nil, "create-location", "--location-name", "custom-us", "--tags", "Key="+beaconTag+",Value=beacon.us.example.com:0")
	if code == 0 || !strings.Contains(stderr, "InvalidRequestException") || !strings.Contains(stderr, beaconTag) {
		t.Errorf("a bad beacon: exit %d, stderr %q; want InvalidRequestException naming the tag", code, stderr)
	}
}
