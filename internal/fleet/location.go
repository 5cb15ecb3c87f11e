package fleet

import (
	"context"
	"errors"
	"fmt"
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

func locationKey(name string) string { return "location." + name }

// CreateLocation adds a custom location. Names are unique.
func (s *Service) CreateLocation(ctx context.Context, name string, tags []Tag) (Location, error) {
	if !strings.HasPrefix(name, "custom-") {
		return Location{}, newError(ErrInvalidRequest, "Location name %s must start with custom-.", name)
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
