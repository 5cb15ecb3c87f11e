package fleet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// Location is a custom location: a named place where computes run (a data
// centre, a studio office, a cloud region of another provider).
type Location struct {
	Name      string    `json:"name"`
	ARN       string    `json:"arn"`
	CreatedAt time.Time `json:"createdAt"`
	Tags      []Tag     `json:"tags,omitempty"`
}

// PingBeaconTag is the tag with which a custom location declares its UDP
// ping beacon, as host:port. GameLift runs the beacons of its own locations
// and knows where they are; a custom location's beacon is run by whoever
// runs the location, so they say where it is. A tag needs nothing new from
// CreateLocation's clients (the aws CLI, the SDKs).
const PingBeaconTag = "rallypoint:ping-beacon"

// PingBeacon is where the location's UDP ping beacon answers (see
// sdk/beacon), or ok is false when the location declares none.
func (l Location) PingBeacon() (host string, port int, ok bool) {
	for _, t := range l.Tags {
		if t.Key == PingBeaconTag {
			// Checked at creation; a record that fails now has no beacon
			// rather than a broken one.
			host, port, err := parsePingBeacon(t.Value)
			return host, port, err == nil
		}
	}
	return "", 0, false
}

// parsePingBeacon reads a ping beacon's host:port; the error says what is
// wrong with it.
func parsePingBeacon(v string) (string, int, error) {
	host, portText, err := net.SplitHostPort(v)
	if err != nil {
		if strings.Count(v, ":") > 1 && !strings.HasPrefix(v, "[") {
			return "", 0, errors.New("it is not host:port (an IPv6 host goes in brackets: [2001:db8::1]:7770)")
		}
		return "", 0, errors.New("it is not host:port")
	}
	if host == "" {
		return "", 0, errors.New("the host is empty")
	}
	if net.ParseIP(host) == nil && !validHostName(host) {
		return "", 0, fmt.Errorf("the host %q is neither an IP address nor a DNS name", host)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("the port %q is not a number from 1 to 65535", portText)
	}
	return host, port, nil
}

// validHostName reports whether h is a DNS name: dot-separated labels of
// letters, digits, '-' and '_', as resolvers accept them.
func validHostName(h string) bool {
	if len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// checkPingBeacon refuses a ping beacon tag that clients could not use, and
// a second one (which of the two would be the beacon?).
func checkPingBeacon(tags []Tag) error {
	seen := false
	for _, t := range tags {
		if t.Key != PingBeaconTag {
			continue
		}
		if seen {
			return newError(ErrInvalidRequest, "Tag %s is given twice; a location has one ping beacon.", PingBeaconTag)
		}
		seen = true
		if _, _, err := parsePingBeacon(t.Value); err != nil {
			return newError(ErrInvalidRequest, "Tag %s = %q must be the host:port of the location's UDP ping beacon (for example beacon.eu.example.com:7770), but %v.", PingBeaconTag, t.Value, err)
		}
	}
	return nil
}

func locationKey(name string) string { return "location." + name }

// CreateLocation adds a custom location. Names are unique. A location may
// declare its ping beacon with the tag PingBeaconTag.
func (s *Service) CreateLocation(ctx context.Context, name string, tags []Tag) (Location, error) {
	if !strings.HasPrefix(name, "custom-") {
		return Location{}, newError(ErrInvalidRequest, "Location name %s must start with custom-.", name)
	}
	if err := checkPingBeacon(tags); err != nil {
		return Location{}, err
	}
	loc := Location{Name: name, ARN: s.arn("location/" + name), CreatedAt: s.now(), Tags: tags}
	if _, err := engine.Create(ctx, s.cfg.Config, locationKey(name), loc); err != nil {
		if errors.Is(err, engine.ErrExists) {
			return Location{}, newError(ErrConflict, "Location %s already exists.", name)
		}
		return Location{}, fmt.Errorf("create location %s: %w", name, err)
	}
	s.log.Info("location created", "location", name)
	return loc, nil
}

// Location returns one custom location.
func (s *Service) Location(ctx context.Context, name string) (Location, error) {
	loc, _, err := load[Location](ctx, s.cfg.Config, locationKey(name), "Location", name, "")
	return loc, err
}

// ListLocations returns the custom locations ordered by name.
func (s *Service) ListLocations(ctx context.Context) ([]Location, error) {
	locs, err := listSorted(ctx, s.cfg.Config, "location.>", func(l Location) string { return l.Name })
	if err != nil {
		return nil, fmt.Errorf("list locations: %w", err)
	}
	return locs, nil
}

// DeleteLocation removes a custom location that no fleet uses. It accepts
// the name or the ARN.
func (s *Service) DeleteLocation(ctx context.Context, nameOrARN string) error {
	name := idFromARN(nameOrARN, "location")
	_, rev, err := load[Location](ctx, s.cfg.Config, locationKey(name), "Location", name, "")
	if err != nil {
		return err
	}
	fleets, err := s.listFleets(ctx)
	if err != nil {
		return err
	}
	for _, f := range fleets {
		if f.hasLocation(name) {
			return newError(ErrInvalidRequest, "Location %s is used by fleet %s; remove it from the fleet first.", name, f.ID)
		}
	}
	if err := remove(ctx, s.cfg.Config, locationKey(name), rev, "Location", name); err != nil {
		return err
	}
	s.log.Info("location deleted", "location", name)
	return nil
}
