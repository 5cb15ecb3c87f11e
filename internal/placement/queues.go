package placement

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/fleet"
)

func queueKey(name string) string { return "queue." + name }

// queueName accepts a queue name or ARN and returns the name.
func queueName(nameOrARN string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		if i := strings.LastIndex(nameOrARN, ":gamesessionqueue/"); i >= 0 {
			return nameOrARN[i+len(":gamesessionqueue/"):]
		}
	}
	return nameOrARN
}

func validName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for _, c := range name {
		if !(c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// CreateQueue creates a game session queue. Its destinations must exist.
func (s *Service) CreateQueue(ctx context.Context, in QueueInput) (Queue, error) {
	if !validName(in.Name) {
		return Queue{}, newError(ErrInvalidRequest, "Queue name %q must be 1 to 128 letters, digits and '-'.", in.Name)
	}
	q := Queue{
		Name:           in.Name,
		ARN:            s.arn("gamesessionqueue/" + in.Name),
		TimeoutSeconds: int(DefaultTimeout.Seconds()),
		Tags:           in.Tags,
		CreatedAt:      s.now(),
	}
	if err := s.applyQueueInput(ctx, &q, in); err != nil {
		return Queue{}, err
	}
	if _, err := engine.Create(ctx, s.cfg.Config, queueKey(q.Name), q); err != nil {
		if errors.Is(err, engine.ErrExists) {
			return Queue{}, newError(ErrInvalidRequest, "Game session queue %s already exists.", q.Name)
		}
		return Queue{}, fmt.Errorf("create queue %s: %w", q.Name, err)
	}
	s.log.Info("game session queue created", "queue", q.Name, "destinations", len(q.Destinations))
	s.queueChanged(q.Name)
	return q, nil
}

// applyQueueInput sets the members of in that are given on q and checks
// the result.
func (s *Service) applyQueueInput(ctx context.Context, q *Queue, in QueueInput) error {
	if in.Destinations != nil {
		dests := make([]string, 0, len(in.Destinations))
		for _, d := range in.Destinations {
			if slices.Contains(dests, d) {
				return newError(ErrInvalidRequest, "Destinations lists %s twice.", d)
			}
			if _, err := s.resolveDestination(ctx, d); err != nil {
				return err
			}
			dests = append(dests, d)
		}
		q.Destinations = dests
	}
	if in.PlayerLatencyPolicies != nil {
		for i, p := range in.PlayerLatencyPolicies {
			if p.MaximumIndividualPlayerLatencyMilliseconds < 0 {
				return newError(ErrInvalidRequest, "PlayerLatencyPolicies[%d].MaximumIndividualPlayerLatencyMilliseconds must be 0 or more.", i)
			}
			if p.PolicyDurationSeconds != nil && *p.PolicyDurationSeconds < 0 {
				return newError(ErrInvalidRequest, "PlayerLatencyPolicies[%d].PolicyDurationSeconds must be 0 or more.", i)
			}
		}
		q.PlayerLatencyPolicies = slices.Clone(in.PlayerLatencyPolicies)
	}
	if in.Priority != nil {
		seen := map[string]bool{}
		for _, c := range in.Priority.PriorityOrder {
			if !slices.Contains(DefaultPriorityOrder, c) {
				return newError(ErrInvalidRequest, "PriorityConfiguration.PriorityOrder holds %q; it takes LATENCY, COST, DESTINATION and LOCATION.", c)
			}
			if seen[c] {
				return newError(ErrInvalidRequest, "PriorityConfiguration.PriorityOrder lists %s twice.", c)
			}
			seen[c] = true
		}
		if seen[PriorityLocation] && len(in.Priority.LocationOrder) == 0 {
			return newError(ErrInvalidRequest, "PriorityConfiguration.LocationOrder is required when PriorityOrder includes LOCATION.")
		}
		if dup := firstDuplicate(in.Priority.LocationOrder); dup != "" {
			return newError(ErrInvalidRequest, "PriorityConfiguration.LocationOrder lists %s twice.", dup)
		}
		q.PriorityOrder = slices.Clone(in.Priority.PriorityOrder)
		q.LocationOrder = slices.Clone(in.Priority.LocationOrder)
	}
	if in.FilterGiven {
		if in.AllowedLocations == nil {
			q.AllowedLocations = nil
		} else {
			q.AllowedLocations = slices.Clone(in.AllowedLocations)
		}
	}
	if in.TimeoutSeconds != nil {
		if *in.TimeoutSeconds < 0 {
			return newError(ErrInvalidRequest, "TimeoutInSeconds must be 0 or more.")
		}
		q.TimeoutSeconds = *in.TimeoutSeconds
	}
	if in.NotificationTarget != nil {
		q.NotificationTarget = *in.NotificationTarget
	}
	if in.CustomEventData != nil {
		q.CustomEventData = *in.CustomEventData
	}
	return nil
}

func firstDuplicate(list []string) string {
	seen := make(map[string]bool, len(list))
	for _, v := range list {
		if seen[v] {
			return v
		}
		seen[v] = true
	}
	return ""
}

// resolveDestination finds the fleet a destination (fleet or alias, id or
// ARN) leads to now.
func (s *Service) resolveDestination(ctx context.Context, dest string) (fleet.Fleet, error) {
	var (
		f   fleet.Fleet
		err error
	)
	if strings.Contains(dest, ":alias/") || strings.HasPrefix(dest, "alias-") {
		f, err = s.cfg.Fleets.ResolveAlias(ctx, dest)
	} else {
		f, err = s.cfg.Fleets.Fleet(ctx, dest)
	}
	if errors.Is(err, fleet.ErrNotFound) {
		return f, newError(ErrNotFound, "Destination %s: %s", dest, err.Error())
	}
	return f, err
}

// Locations lists the locations a queue may place game sessions in: its
// destinations' custom locations, within its filter, each once, in the
// order the destinations list them.
func (s *Service) Locations(ctx context.Context, nameOrARN string) ([]string, error) {
	q, err := s.Queue(ctx, nameOrARN)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, dest := range q.Destinations {
		f, err := s.resolveDestination(ctx, dest)
		if errors.Is(err, ErrNotFound) {
			continue // a destination gone since: nothing is placed there
		}
		if err != nil {
			return nil, err
		}
		for _, loc := range f.CustomLocations() {
			if q.AllowedLocations != nil && !slices.Contains(q.AllowedLocations, loc) {
				continue
			}
			if !slices.Contains(out, loc) {
				out = append(out, loc)
			}
		}
	}
	return out, nil
}

// Queue returns one queue by name or ARN.
func (s *Service) Queue(ctx context.Context, nameOrARN string) (Queue, error) {
	q, _, err := s.loadQueue(ctx, nameOrARN)
	return q, err
}

func (s *Service) loadQueue(ctx context.Context, nameOrARN string) (Queue, uint64, error) {
	name := queueName(nameOrARN)
	q, rev, err := engine.Get[Queue](ctx, s.cfg.Config, queueKey(name))
	if errors.Is(err, engine.ErrNotFound) {
		return q, 0, newError(ErrNotFound, "Game session queue %s not found.", name)
	}
	if err != nil {
		return q, 0, fmt.Errorf("read queue %s: %w", name, err)
	}
	return q, rev, nil
}

// Queues returns the named queues (names or ARNs; unknown ones are left
// out), or every queue when names is empty, ordered by name.
func (s *Service) Queues(ctx context.Context, names []string) ([]Queue, error) {
	if len(names) == 0 {
		all, err := engine.List[Queue](ctx, s.cfg.Config, "queue.>")
		if err != nil {
			return nil, fmt.Errorf("list queues: %w", err)
		}
		slices.SortFunc(all, func(a, b Queue) int { return cmp.Compare(a.Name, b.Name) })
		return all, nil
	}
	var out []Queue
	seen := map[string]bool{}
	for _, n := range names {
		name := queueName(n)
		if seen[name] {
			continue
		}
		seen[name] = true
		q, err := s.Queue(ctx, name)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	slices.SortFunc(out, func(a, b Queue) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// UpdateQueue changes the members of in that are set. Placements already
// pending keep their deadline; every other change applies to them from
// their next attempt.
func (s *Service) UpdateQueue(ctx context.Context, nameOrARN string, in QueueInput) (Queue, error) {
	name := queueName(nameOrARN)
	if !validName(name) {
		return Queue{}, newError(ErrNotFound, "Game session queue %s not found.", name)
	}
	q, err := engine.Mutate(ctx, s.cfg.Config, queueKey(name), func(q *Queue) error {
		return s.applyQueueInput(ctx, q, in)
	})
	if errors.Is(err, engine.ErrNotFound) {
		return Queue{}, newError(ErrNotFound, "Game session queue %s not found.", name)
	}
	if err != nil {
		var pe *Error
		if errors.As(err, &pe) {
			return Queue{}, err
		}
		return Queue{}, fmt.Errorf("update queue %s: %w", name, err)
	}
	s.log.Info("game session queue updated", "queue", name)
	s.queueChanged(name)
	return q, nil
}

// DeleteQueue deletes a queue. Its pending placements fail (with a
// PlacementFailed event) once its owner notices.
func (s *Service) DeleteQueue(ctx context.Context, nameOrARN string) error {
	q, rev, err := s.loadQueue(ctx, nameOrARN)
	if err != nil {
		return err
	}
	if err := engine.Delete(ctx, s.cfg.Config, queueKey(q.Name), rev); err != nil {
		if errors.Is(err, engine.ErrStale) {
			return newError(ErrConflict, "Game session queue %s changed while it was being deleted; retry.", q.Name)
		}
		return fmt.Errorf("delete queue %s: %w", q.Name, err)
	}
	s.log.Info("game session queue deleted", "queue", q.Name)
	s.queueChanged(q.Name)
	return nil
}
