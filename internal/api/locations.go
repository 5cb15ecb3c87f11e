package api

import (
	"context"
	"slices"
	"strings"

	"github.com/rallypoint/rallypoint/internal/fleet"
)

// LocationModel is a custom location on the wire.
type LocationModel struct {
	LocationName *string     `json:"LocationName,omitempty"`
	LocationArn  *string     `json:"LocationArn,omitempty"`
	PingBeacon   *PingBeacon `json:"PingBeacon,omitempty"`
}

// PingBeacon is where game clients measure their latency to a location:
// GameLift's shape, filled from the location's fleet.PingBeaconTag.
type PingBeacon struct {
	UDPEndpoint *UDPEndpoint `json:"UDPEndpoint,omitempty"`
}

type UDPEndpoint struct {
	Domain *string `json:"Domain,omitempty"`
	Port   *int32  `json:"Port,omitempty"`
}

func locationOut(l fleet.Location) LocationModel {
	m := LocationModel{LocationName: ptr(l.Name), LocationArn: ptr(l.ARN)}
	if host, port, ok := l.PingBeacon(); ok {
		m.PingBeacon = &PingBeacon{UDPEndpoint: &UDPEndpoint{Domain: ptr(host), Port: ptr(int32(port))}}
	}
	return m
}

type CreateLocationInput struct {
	LocationName *string `json:"LocationName,omitempty"`
	Tags         []Tag   `json:"Tags,omitempty"`
}

func (in *CreateLocationInput) validate(c *checker) {
	c.requiredStr("LocationName", in.LocationName, 8, 64, patCustomLocation)
	c.tags(in.Tags)
}

type CreateLocationOutput struct {
	Location *LocationModel `json:"Location,omitempty"`
}

func (s *Server) createLocation(ctx context.Context, in *CreateLocationInput) (*CreateLocationOutput, error) {
	l, err := s.cfg.Fleets.CreateLocation(ctx, *in.LocationName, tagsIn(in.Tags))
	if err != nil {
		return nil, err
	}
	out := locationOut(l)
	return &CreateLocationOutput{Location: &out}, nil
}

type ListLocationsInput struct {
	Filters   []string `json:"Filters,omitempty"`
	Limit     *int32   `json:"Limit,omitempty"`
	NextToken *string  `json:"NextToken,omitempty"`
}

func (in *ListLocationsInput) validate(c *checker) {
	c.listLen("Filters", len(in.Filters), in.Filters != nil, 1, 2)
	for _, f := range in.Filters {
		c.enum("Filters.member", f, "AWS", "CUSTOM")
	}
	c.page(in.Limit, 200, in.NextToken)
}

type ListLocationsOutput struct {
	Locations []LocationModel `json:"Locations"`
	NextToken *string         `json:"NextToken,omitempty"`
}

func (s *Server) listLocations(ctx context.Context, in *ListLocationsInput) (*ListLocationsOutput, error) {
	custom, aws := len(in.Filters) == 0, len(in.Filters) == 0
	for _, f := range in.Filters {
		custom = custom || f == "CUSTOM"
		aws = aws || f == "AWS"
	}
	var all []LocationModel
	if aws {
		// The home region stands in for GameLift's AWS Regions.
		region := s.cfg.Fleets.Region()
		all = append(all, LocationModel{LocationName: ptr(region)})
	}
	if custom {
		locs, err := s.cfg.Fleets.ListLocations(ctx)
		if err != nil {
			return nil, err
		}
		for _, l := range locs {
			all = append(all, locationOut(l))
		}
	}
	slices.SortFunc(all, func(a, b LocationModel) int { return strings.Compare(deref(a.LocationName), deref(b.LocationName)) })
	page, next, err := paginate(all, func(l LocationModel) string { return deref(l.LocationName) }, in.Limit, 100, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ListLocationsOutput{Locations: page, NextToken: next}, nil
}

type DeleteLocationInput struct {
	LocationName *string `json:"LocationName,omitempty"`
}

func (in *DeleteLocationInput) validate(c *checker) {
	c.requiredStr("LocationName", in.LocationName, 1, 128, patCustomLocOrARN)
}

func (s *Server) deleteLocation(ctx context.Context, in *DeleteLocationInput) (*struct{}, error) {
	return nil, s.cfg.Fleets.DeleteLocation(ctx, *in.LocationName)
}
