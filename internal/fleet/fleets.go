package fleet

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// Fleet statuses rallypoint uses; an Anywhere fleet goes NEW -> ACTIVE on
// creation and ACTIVE -> DELETING when deleted.
const (
	StatusNew      = "NEW"
	StatusActive   = "ACTIVE"
	StatusDeleting = "DELETING"
)

// ComputeTypeAnywhere is the only compute type rallypoint runs.
const ComputeTypeAnywhere = "ANYWHERE"

// Protection policies.
const (
	ProtectionNone = "NoProtection"
	ProtectionFull = "FullProtection"
)

// Fleet is a set of computes in one or more locations that host one game.
type Fleet struct {
	ID          string          `json:"id"`
	ARN         string          `json:"arn"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	ComputeType string          `json:"computeType"`
	Status      string          `json:"status"`
	CreatedAt   time.Time       `json:"createdAt"`
	Locations   []FleetLocation `json:"locations"`
	// AnywhereCost is the fleet's hourly cost as GameLift's
	// AnywhereConfiguration.Cost states it (a decimal string); queues
	// order destinations by it when COST is in their priority order.
	AnywhereCost     string               `json:"anywhereCost,omitempty"`
	ProtectionPolicy string               `json:"protectionPolicy"`
	CreationLimit    *CreationLimitPolicy `json:"creationLimit,omitempty"`
	MetricGroups     []string             `json:"metricGroups,omitempty"`
	Tags             []Tag                `json:"tags,omitempty"`
}

// FleetLocation is one location of a fleet. The first is always the home
// region, where no compute can register (as on GameLift Anywhere).
type FleetLocation struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

// CreationLimitPolicy limits how many game sessions one creator may start
// in a period.
type CreationLimitPolicy struct {
	NewGameSessionsPerCreator int32 `json:"newGameSessionsPerCreator"`
	PolicyPeriodInMinutes     int32 `json:"policyPeriodInMinutes"`
}

func (f *Fleet) hasLocation(name string) bool {
	return slices.ContainsFunc(f.Locations, func(l FleetLocation) bool { return l.Name == name })
}

// CustomLocations are the fleet's locations other than its home region.
func (f *Fleet) CustomLocations() []string {
	var out []string
	for _, l := range f.Locations[1:] {
		out = append(out, l.Name)
	}
	return out
}

func fleetKey(id string) string { return "fleet." + id }

// CreateFleetInput holds what CreateFleet takes.
type CreateFleetInput struct {
	Name             string
	Description      string
	ComputeType      string
	Locations        []string
	AnywhereCost     string
	ProtectionPolicy string
	CreationLimit    *CreationLimitPolicy
	MetricGroups     []string
	Tags             []Tag
}

// CreateFleet creates an Anywhere fleet over existing custom locations. The
// returned fleet shows status NEW, as GameLift's response does; the fleet
// is ACTIVE, and takes computes, by the time the call returns.
func (s *Service) CreateFleet(ctx context.Context, in CreateFleetInput) (Fleet, error) {
	if in.ComputeType != ComputeTypeAnywhere {
		return Fleet{}, newError(ErrInvalidRequest, "ComputeType must be ANYWHERE: rallypoint runs game servers on computes you register, not on managed EC2 instances (got %q).", in.ComputeType)
	}
	if len(in.Locations) == 0 {
		return Fleet{}, newError(ErrInvalidRequest, "An Anywhere fleet needs at least one custom location in Locations.")
	}
	locs, err := s.customLocations(ctx, in.Locations)
	if err != nil {
		return Fleet{}, err
	}
	if in.ProtectionPolicy == "" {
		in.ProtectionPolicy = ProtectionNone
	}
	if len(in.MetricGroups) == 0 {
		in.MetricGroups = []string{"default"}
	}
	id := "fleet-" + uuid.NewString()
	f := Fleet{
		ID:               id,
		ARN:              s.arn("fleet/" + id),
		Name:             in.Name,
		Description:      in.Description,
		ComputeType:      ComputeTypeAnywhere,
		Status:           StatusNew,
		CreatedAt:        s.now(),
		AnywhereCost:     in.AnywhereCost,
		ProtectionPolicy: in.ProtectionPolicy,
		CreationLimit:    in.CreationLimit,
		MetricGroups:     in.MetricGroups,
		Tags:             in.Tags,
	}
	f.Locations = append(f.Locations, FleetLocation{Name: s.cfg.Region, Status: StatusNew})
	for _, l := range locs {
		f.Locations = append(f.Locations, FleetLocation{Name: l, Status: StatusNew})
	}
	rev, err := engine.Create(ctx, s.cfg.Config, fleetKey(id), f)
	if err != nil {
		return Fleet{}, fmt.Errorf("create fleet %s: %w", id, err)
	}
	created := f
	created.Locations = slices.Clone(f.Locations)

	// An Anywhere fleet has nothing to provision: it activates at once.
	f.Status = StatusActive
	for i := range f.Locations {
		f.Locations[i].Status = StatusActive
	}
	if _, err := engine.Update(ctx, s.cfg.Config, fleetKey(id), f, rev); err != nil {
		return Fleet{}, fmt.Errorf("activate fleet %s: %w", id, err)
	}
	s.log.Info("fleet created", "fleet", id, "name", f.Name, "locations", locs)
	return created, nil
}

// customLocations checks that every name is an existing custom location,
// listed once, and returns them in order.
func (s *Service) customLocations(ctx context.Context, names []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		if n == s.cfg.Region {
			return nil, newError(ErrInvalidRequest, "Location %s is the home region, which every fleet has; list custom locations only.", n)
		}
		if !strings.HasPrefix(n, "custom-") {
			return nil, newError(ErrInvalidRequest, "Location %s is not a custom location: Anywhere fleets use locations created with CreateLocation (custom-...).", n)
		}
		if seen[n] {
			return nil, newError(ErrInvalidRequest, "Location %s is listed twice.", n)
		}
		seen[n] = true
		if _, err := s.Location(ctx, n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// Fleet returns one fleet by id or ARN.
func (s *Service) Fleet(ctx context.Context, idOrARN string) (Fleet, error) {
	f, _, err := s.getFleet(ctx, idOrARN)
	return f, err
}

func (s *Service) getFleet(ctx context.Context, idOrARN string) (Fleet, uint64, error) {
	id := idFromARN(idOrARN, "fleet")
	return load[Fleet](ctx, s.cfg.Config, fleetKey(id), "Fleet", id, "")
}

// Fleets returns every fleet ordered by id.
func (s *Service) Fleets(ctx context.Context) ([]Fleet, error) {
	return s.listFleets(ctx)
}

func (s *Service) listFleets(ctx context.Context) ([]Fleet, error) {
	fleets, err := listSorted(ctx, s.cfg.Config, "fleet.>", func(f Fleet) string { return f.ID })
	if err != nil {
		return nil, fmt.Errorf("list fleets: %w", err)
	}
	return fleets, nil
}

// UpdateFleetInput holds what UpdateFleetAttributes may change; nil
// members are left as they are.
type UpdateFleetInput struct {
	Name             *string
	Description      *string
	ProtectionPolicy *string
	CreationLimit    *CreationLimitPolicy
	MetricGroups     []string
	AnywhereCost     *string
}

// UpdateFleet changes a fleet's attributes.
func (s *Service) UpdateFleet(ctx context.Context, idOrARN string, in UpdateFleetInput) (Fleet, error) {
	id := idFromARN(idOrARN, "fleet")
	f, err := engine.Mutate(ctx, s.cfg.Config, fleetKey(id), func(f *Fleet) error {
		if f.Status != StatusActive {
			return newError(ErrInvalidFleetStatus, "Fleet %s is %s; only ACTIVE fleets can be updated.", id, f.Status)
		}
		if in.Name != nil {
			f.Name = *in.Name
		}
		if in.Description != nil {
			f.Description = *in.Description
		}
		if in.ProtectionPolicy != nil {
			f.ProtectionPolicy = *in.ProtectionPolicy
		}
		if in.CreationLimit != nil {
			f.CreationLimit = in.CreationLimit
		}
		if in.MetricGroups != nil {
			f.MetricGroups = in.MetricGroups
		}
		if in.AnywhereCost != nil {
			f.AnywhereCost = *in.AnywhereCost
		}
		return nil
	})
	if err != nil {
		return Fleet{}, s.fleetWriteError(id, "update", err)
	}
	return f, nil
}

// DeleteFleet deletes a fleet that has no registered computes, as GameLift
// requires for Anywhere fleets. The fleet is DELETING while computes are
// checked, so no compute can register into it meanwhile.
func (s *Service) DeleteFleet(ctx context.Context, idOrARN string) error {
	id := idFromARN(idOrARN, "fleet")
	var previous string
	f, err := engine.Mutate(ctx, s.cfg.Config, fleetKey(id), func(f *Fleet) error {
		if f.Status == StatusDeleting {
			return newError(ErrInvalidFleetStatus, "Fleet %s is already being deleted.", id)
		}
		previous = f.Status
		f.Status = StatusDeleting
		return nil
	})
	if err != nil {
		return s.fleetWriteError(id, "delete", err)
	}
	computes, err := s.listComputes(ctx, id)
	if err == nil && len(computes) > 0 {
		names := make([]string, 0, len(computes))
		for _, c := range computes {
			names = append(names, c.Name)
		}
		err = newError(ErrInvalidFleetStatus, "Fleet %s has %d registered compute(s) (%s); deregister them before deleting the fleet.", id, len(computes), strings.Join(names, ", "))
	}
	if err != nil {
		// Put the fleet back as it was; the caller sees why it stays.
		if _, rerr := engine.Mutate(ctx, s.cfg.Config, fleetKey(id), func(f *Fleet) error {
			f.Status = previous
			return nil
		}); rerr != nil {
			s.log.Error("could not restore fleet status after a refused delete", "fleet", id, "error", rerr)
		}
		return err
	}
	_, rev, err := s.getFleet(ctx, id)
	if err != nil {
		return err
	}
	if err := engine.Delete(ctx, s.cfg.Config, fleetKey(id), rev); err != nil {
		return fmt.Errorf("delete fleet %s: %w", id, err)
	}
	s.log.Info("fleet deleted", "fleet", id, "name", f.Name)
	return nil
}

// AddFleetLocations adds custom locations to a fleet and returns the fleet
// as it was when they were added (new locations NEW, as GameLift reports
// them; they are ACTIVE when the call returns).
func (s *Service) AddFleetLocations(ctx context.Context, idOrARN string, names []string) (Fleet, []FleetLocation, error) {
	id := idFromARN(idOrARN, "fleet")
	locs, err := s.customLocations(ctx, names)
	if err != nil {
		return Fleet{}, nil, err
	}
	var added []FleetLocation
	f, err := engine.Mutate(ctx, s.cfg.Config, fleetKey(id), func(f *Fleet) error {
		if f.Status != StatusActive {
			return newError(ErrInvalidFleetStatus, "Fleet %s is %s; locations can be added to ACTIVE fleets only.", id, f.Status)
		}
		added = added[:0]
		for _, l := range locs {
			if f.hasLocation(l) {
				return newError(ErrInvalidRequest, "Fleet %s already has location %s.", id, l)
			}
			added = append(added, FleetLocation{Name: l, Status: StatusNew})
			f.Locations = append(f.Locations, FleetLocation{Name: l, Status: StatusActive})
		}
		return nil
	})
	if err != nil {
		return Fleet{}, nil, s.fleetWriteError(id, "add locations to", err)
	}
	return f, added, nil
}

// RemoveFleetLocations removes custom locations from a fleet. A location
// with registered computes stays until they deregister.
func (s *Service) RemoveFleetLocations(ctx context.Context, idOrARN string, names []string) (Fleet, []FleetLocation, error) {
	id := idFromARN(idOrARN, "fleet")
	computes, err := s.listComputes(ctx, id)
	if err != nil {
		return Fleet{}, nil, err
	}
	var removed []FleetLocation
	f, err := engine.Mutate(ctx, s.cfg.Config, fleetKey(id), func(f *Fleet) error {
		removed = removed[:0]
		for _, n := range names {
			if n == f.Locations[0].Name {
				return newError(ErrInvalidRequest, "Location %s is fleet %s's home region and cannot be removed.", n, id)
			}
			if !f.hasLocation(n) {
				return newError(ErrInvalidRequest, "Fleet %s has no location %s.", id, n)
			}
			for _, c := range computes {
				if c.Location == n {
					return newError(ErrInvalidRequest, "Location %s of fleet %s has registered compute %s; deregister it first.", n, id, c.Name)
				}
			}
			removed = append(removed, FleetLocation{Name: n, Status: StatusDeleting})
		}
		f.Locations = slices.DeleteFunc(f.Locations, func(l FleetLocation) bool {
			return slices.ContainsFunc(removed, func(r FleetLocation) bool { return r.Name == l.Name })
		})
		return nil
	})
	if err != nil {
		return Fleet{}, nil, s.fleetWriteError(id, "remove locations from", err)
	}
	return f, removed, nil
}

// fleetWriteError turns a storage error of a fleet mutation into the
// caller-facing error.
func (s *Service) fleetWriteError(id, doing string, err error) error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return err
	case errors.Is(err, engine.ErrNotFound):
		return newError(ErrNotFound, "Fleet %s not found.", id)
	case errors.Is(err, engine.ErrStale):
		return newError(ErrConflict, "Fleet %s is being changed by another request; retry.", id)
	}
	return fmt.Errorf("%s fleet %s: %w", doing, id, err)
}
