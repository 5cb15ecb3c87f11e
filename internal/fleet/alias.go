package fleet

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/rallypoint/rallypoint/internal/engine"
)

// Routing strategy types.
const (
	RoutingSimple   = "SIMPLE"
	RoutingTerminal = "TERMINAL"
)

// Alias is a stable name that routes to a fleet (SIMPLE) or tells clients
// the game is unavailable (TERMINAL), so a backend can switch fleets
// without changing its configuration.
type Alias struct {
	ID          string          `json:"id"`
	ARN         string          `json:"arn"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Routing     RoutingStrategy `json:"routing"`
	CreatedAt   time.Time       `json:"createdAt"`
	UpdatedAt   time.Time       `json:"updatedAt"`
	Tags        []Tag           `json:"tags,omitempty"`
}

// RoutingStrategy says where an alias leads.
type RoutingStrategy struct {
	Type    string `json:"type"`
	FleetID string `json:"fleetId,omitempty"`
	Message string `json:"message,omitempty"`
}

func aliasKey(id string) string { return "alias." + id }

// checkRouting validates a routing strategy; a SIMPLE one must name an
// existing fleet.
func (s *Service) checkRouting(ctx context.Context, r *RoutingStrategy) error {
	switch r.Type {
	case RoutingSimple:
		if r.FleetID == "" {
			return newError(ErrInvalidRequest, "A SIMPLE routing strategy needs a FleetId.")
		}
		r.FleetID = idFromARN(r.FleetID, "fleet")
		if _, err := s.Fleet(ctx, r.FleetID); err != nil {
			if errors.Is(err, ErrNotFound) {
				return newError(ErrInvalidRequest, "RoutingStrategy.FleetId: fleet %s not found.", r.FleetID)
			}
			return err
		}
		r.Message = ""
	case RoutingTerminal:
		if r.FleetID != "" {
			return newError(ErrInvalidRequest, "A TERMINAL routing strategy routes to no fleet; remove FleetId.")
		}
	default:
		return newError(ErrInvalidRequest, "RoutingStrategy.Type must be SIMPLE or TERMINAL.")
	}
	return nil
}

// CreateAlias creates an alias. Alias names need not be unique, as on
// GameLift.
func (s *Service) CreateAlias(ctx context.Context, name, description string, routing RoutingStrategy, tags []Tag) (Alias, error) {
	if err := s.checkRouting(ctx, &routing); err != nil {
		return Alias{}, err
	}
	id := "alias-" + uuid.NewString()
	now := s.now()
	a := Alias{ID: id, ARN: s.arn("alias/" + id), Name: name, Description: description, Routing: routing, CreatedAt: now, UpdatedAt: now, Tags: tags}
	if _, err := engine.Create(ctx, s.cfg.Config, aliasKey(id), a); err != nil {
		return Alias{}, fmt.Errorf("create alias %s: %w", id, err)
	}
	s.log.Info("alias created", "alias", id, "name", name, "routing", routing.Type, "fleet", routing.FleetID)
	return a, nil
}

// Alias returns one alias by id or ARN.
func (s *Service) Alias(ctx context.Context, idOrARN string) (Alias, error) {
	id := idFromARN(idOrARN, "alias")
	a, _, err := load[Alias](ctx, s.cfg.Config, aliasKey(id), "Alias", id, "")
	return a, err
}

// Aliases lists aliases ordered by id, optionally only those with a name
// or a routing type.
func (s *Service) Aliases(ctx context.Context, name, routingType string) ([]Alias, error) {
	all, err := listSorted(ctx, s.cfg.Config, "alias.>", func(a Alias) string { return a.ID })
	if err != nil {
		return nil, fmt.Errorf("list aliases: %w", err)
	}
	out := all[:0]
	for _, a := range all {
		if (name == "" || a.Name == name) && (routingType == "" || a.Routing.Type == routingType) {
			out = append(out, a)
		}
	}
	return out, nil
}

// UpdateAlias changes an alias; nil members are left as they are.
func (s *Service) UpdateAlias(ctx context.Context, idOrARN string, name, description *string, routing *RoutingStrategy) (Alias, error) {
	id := idFromARN(idOrARN, "alias")
	if routing != nil {
		if err := s.checkRouting(ctx, routing); err != nil {
			return Alias{}, err
		}
	}
	a, err := engine.Mutate(ctx, s.cfg.Config, aliasKey(id), func(a *Alias) error {
		if name != nil {
			a.Name = *name
		}
		if description != nil {
			a.Description = *description
		}
		if routing != nil {
			a.Routing = *routing
		}
		a.UpdatedAt = s.now()
		return nil
	})
	switch {
	case errors.Is(err, engine.ErrNotFound):
		return Alias{}, newError(ErrNotFound, "Alias %s not found.", id)
	case errors.Is(err, engine.ErrStale):
		return Alias{}, newError(ErrConflict, "Alias %s is being changed by another request; retry.", id)
	case err != nil:
		return Alias{}, fmt.Errorf("update alias %s: %w", id, err)
	}
	return a, nil
}

// ResolveAlias returns the fleet a SIMPLE alias routes to; a TERMINAL
// alias gives ErrTerminalRoutingStrategy with its message.
func (s *Service) ResolveAlias(ctx context.Context, idOrARN string) (Fleet, error) {
	a, err := s.Alias(ctx, idOrARN)
	if err != nil {
		return Fleet{}, err
	}
	if a.Routing.Type == RoutingTerminal {
		msg := a.Routing.Message
		if msg == "" {
			msg = fmt.Sprintf("Alias %s is terminal.", a.ID)
		}
		return Fleet{}, newError(ErrTerminalRoutingStrategy, "%s", msg)
	}
	return s.Fleet(ctx, a.Routing.FleetID)
}

// DeleteAlias removes an alias.
func (s *Service) DeleteAlias(ctx context.Context, idOrARN string) error {
	id := idFromARN(idOrARN, "alias")
	_, rev, err := load[Alias](ctx, s.cfg.Config, aliasKey(id), "Alias", id, "")
	if err != nil {
		return err
	}
	if err := remove(ctx, s.cfg.Config, aliasKey(id), rev, "Alias", id); err != nil {
		return err
	}
	s.log.Info("alias deleted", "alias", id)
	return nil
}
