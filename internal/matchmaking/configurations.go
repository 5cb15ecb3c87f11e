package matchmaking

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/rallypoint/rallypoint/flexmatch"
	"github.com/rallypoint/rallypoint/internal/engine"
	"github.com/rallypoint/rallypoint/internal/events"
	"github.com/rallypoint/rallypoint/internal/placement"
)

func configKey(name string) string { return "mmconfig." + name }

// DefaultAcceptanceTimeoutSeconds is the acceptance timeout of a
// configuration that requires acceptance without saying how long to wait.
// GameLift's model leaves AcceptanceTimeoutSeconds optional and documents
// no default; a configuration that required acceptance with no timeout
// would hold its players' tickets until the request timeout, so one is
// chosen: long enough for a person to notice and click, short enough that
// the others are not kept waiting for someone who has left.
const DefaultAcceptanceTimeoutSeconds = 60

// Limits of a configuration's members, as GameLift's model states them.
const (
	maxDescriptionLen     = 1024
	maxGameProperties     = 16
	maxGamePropertyKey    = 32
	maxGamePropertyValue  = 96
	maxGameSessionDataLen = 4096
	maxCustomEventDataLen = 256
)

// CreateConfiguration creates a matchmaking configuration. Its rule set,
// queues and notification target must exist.
func (s *Service) CreateConfiguration(ctx context.Context, in ConfigurationInput) (Configuration, error) {
	if !validName(in.Name) {
		return Configuration{}, newError(ErrInvalidRequest, "Name %q must be 1 to 128 letters, digits, '-' and '.'.", in.Name)
	}
	for _, req := range []struct {
		member string
		given  bool
	}{
		{"RuleSetName", in.RuleSet != nil},
		{"RequestTimeoutSeconds", in.RequestTimeoutSeconds != nil},
		{"AcceptanceRequired", in.AcceptanceRequired != nil},
	} {
		if !req.given {
			return Configuration{}, newError(ErrInvalidRequest, "%s is required.", req.member)
		}
	}
	c := Configuration{
		Name:      in.Name,
		ARN:       s.arn("matchmakingconfiguration/" + in.Name),
		Tags:      in.Tags,
		CreatedAt: s.now(),
	}
	ref, err := s.resolveConfigInput(ctx, in)
	if err != nil {
		return Configuration{}, err
	}
	if err := s.applyConfigInput(ctx, &c, in, ref); err != nil {
		return Configuration{}, err
	}
	if _, err := engine.Create(ctx, s.cfg.Config, configKey(c.Name), c); err != nil {
		if errors.Is(err, engine.ErrExists) {
			// CreateMatchmakingConfiguration has no ConflictException.
			return Configuration{}, newError(ErrInvalidRequest, "Matchmaking configuration %s already exists.", c.Name)
		}
		return Configuration{}, fmt.Errorf("create matchmaking configuration %s: %w", c.Name, err)
	}
	s.log.Info("matchmaking configuration created", "configuration", c.Name, "ruleset", c.RuleSetName, "mode", c.FlexMatchMode)
	s.configChanged(c.Name)
	return c, nil
}

// UpdateConfiguration changes the members of in that are given (in.Name
// is the configuration's name or ARN). Tickets already searching keep
// their deadline; every other change applies to them from the owner's next
// cycle.
func (s *Service) UpdateConfiguration(ctx context.Context, in ConfigurationInput) (Configuration, error) {
	name := nameFromARN(in.Name, "matchmakingconfiguration")
	if !validName(name) {
		return Configuration{}, notFoundConfig(name)
	}
	ref, err := s.resolveConfigInput(ctx, in)
	if err != nil {
		return Configuration{}, err
	}
	c, err := engine.Mutate(ctx, s.cfg.Config, configKey(name), func(c *Configuration) error {
		return s.applyConfigInput(ctx, c, in, ref)
	})
	if errors.Is(err, engine.ErrNotFound) {
		return Configuration{}, notFoundConfig(name)
	}
	if err != nil {
		var me *Error
		if errors.As(err, &me) {
			return Configuration{}, err
		}
		if errors.Is(err, engine.ErrStale) {
			return Configuration{}, newError(ErrConflict, "Matchmaking configuration %s is being changed by other requests; retry.", name)
		}
		return Configuration{}, fmt.Errorf("update matchmaking configuration %s: %w", name, err)
	}
	s.log.Info("matchmaking configuration updated", "configuration", name)
	s.configChanged(name)
	return c, nil
}

// Configurations returns the named configurations (names or ARNs; as in
// GameLift's DescribeMatchmakingConfigurations, unknown ones are left
// out), or every configuration when names is empty, ordered by name. A
// non-empty ruleSet (name or ARN) keeps only the configurations that use
// it.
func (s *Service) Configurations(ctx context.Context, names []string, ruleSet string) ([]Configuration, error) {
	var out []Configuration
	if len(names) == 0 {
		all, err := engine.List[Configuration](ctx, s.cfg.Config, "mmconfig.>")
		if err != nil {
			return nil, fmt.Errorf("list matchmaking configurations: %w", err)
		}
		out = all
	} else {
		seen := map[string]bool{}
		for _, n := range names {
			name := nameFromARN(n, "matchmakingconfiguration")
			if seen[name] {
				continue
			}
			seen[name] = true
			c, _, err := s.loadConfiguration(ctx, name)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	if ruleSet != "" {
		rsName := nameFromARN(ruleSet, "matchmakingruleset")
		out = slices.DeleteFunc(out, func(c Configuration) bool { return c.RuleSetName != rsName })
	}
	slices.SortFunc(out, func(a, b Configuration) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// DeleteConfiguration deletes a configuration that has no active tickets,
// as GameLift requires.
func (s *Service) DeleteConfiguration(ctx context.Context, nameOrARN string) error {
	c, rev, err := s.loadConfiguration(ctx, nameOrARN)
	if err != nil {
		return err
	}
	if n := s.activeTickets(c.Name); n > 0 {
		noun := "ticket"
		if n > 1 {
			noun = "tickets"
		}
		return newError(ErrInvalidRequest, "Matchmaking configuration %s has %d active %s; stop them (StopMatchmaking) or let them end before deleting it.", c.Name, n, noun)
	}
	if err := engine.Delete(ctx, s.cfg.Config, configKey(c.Name), rev); err != nil {
		if errors.Is(err, engine.ErrStale) {
			return newError(ErrConflict, "Matchmaking configuration %s changed while it was being deleted; retry.", c.Name)
		}
		return fmt.Errorf("delete matchmaking configuration %s: %w", c.Name, err)
	}
	s.log.Info("matchmaking configuration deleted", "configuration", c.Name)
	s.configChanged(c.Name)
	return nil
}

// loadConfiguration reads a configuration by name or ARN, with its
// revision.
func (s *Service) loadConfiguration(ctx context.Context, nameOrARN string) (Configuration, uint64, error) {
	name := nameFromARN(nameOrARN, "matchmakingconfiguration")
	if !validName(name) {
		return Configuration{}, 0, notFoundConfig(name)
	}
	c, rev, err := engine.Get[Configuration](ctx, s.cfg.Config, configKey(name))
	if errors.Is(err, engine.ErrNotFound) {
		return Configuration{}, 0, notFoundConfig(name)
	}
	if err != nil {
		return Configuration{}, 0, fmt.Errorf("read matchmaking configuration %s: %w", name, err)
	}
	return c, rev, nil
}

func notFoundConfig(name string) error {
	return newError(ErrNotFound, "Matchmaking configuration %s not found.", name)
}

// configRefs are the resources a ConfigurationInput names, looked up once
// before its compare-and-set (which may run more than once).
type configRefs struct {
	ruleSet *RuleSet
	parsed  *flexmatch.RuleSet
	queues  []string // the queues' ARNs, in the order given
	target  string   // the notification target's ARN
}

// resolveConfigInput checks the members of in that need no other state
// and looks up the resources it names.
func (s *Service) resolveConfigInput(ctx context.Context, in ConfigurationInput) (configRefs, error) {
	var ref configRefs
	if err := checkConfigMembers(in); err != nil {
		return ref, err
	}
	if in.RuleSet != nil {
		rs, parsed, err := s.loadRuleSet(ctx, *in.RuleSet)
		if err != nil {
			var me *Error
			if errors.As(err, &me) {
				return ref, newError(me.Kind, "RuleSetName %s: %s", *in.RuleSet, me.Msg)
			}
			return ref, err
		}
		ref.ruleSet, ref.parsed = &rs, parsed
	}
	if in.GameSessionQueueARNs != nil {
		ref.queues = make([]string, 0, len(in.GameSessionQueueARNs))
		for _, q := range in.GameSessionQueueARNs {
			queue, err := s.cfg.Placements.Queue(ctx, q)
			if errors.Is(err, placement.ErrNotFound) {
				return ref, newError(ErrNotFound, "GameSessionQueueArns: game session queue %s not found.", q)
			}
			if err != nil {
				return ref, fmt.Errorf("read game session queue %s: %w", q, err)
			}
			if slices.Contains(ref.queues, queue.ARN) {
				return ref, newError(ErrInvalidRequest, "GameSessionQueueArns lists the game session queue %s twice.", queue.Name)
			}
			ref.queues = append(ref.queues, queue.ARN)
		}
	}
	if in.NotificationTarget != nil && *in.NotificationTarget != "" {
		ref.target = *in.NotificationTarget
		if s.cfg.Targets != nil {
			// Events go to a target by its ARN; store that, whichever
			// form the caller used, so that they reach it.
			tg, err := s.cfg.Targets.Get(ctx, *in.NotificationTarget)
			if errors.Is(err, events.ErrNotFound) {
				return ref, newError(ErrNotFound, "NotificationTarget %s is not a notification target here; create it first with CreateNotificationTarget.", *in.NotificationTarget)
			}
			if err != nil {
				return ref, fmt.Errorf("read notification target %s: %w", *in.NotificationTarget, err)
			}
			ref.target = tg.ARN
		}
	}
	return ref, nil
}

// checkConfigMembers checks the ranges, lengths and values of the members
// given, each on its own.
func checkConfigMembers(in ConfigurationInput) error {
	if p := in.Description; p != nil && utf8.RuneCountInString(*p) > maxDescriptionLen {
		return newError(ErrInvalidRequest, "Description must be at most %d characters.", maxDescriptionLen)
	}
	if p := in.FlexMatchMode; p != nil && *p != ModeWithQueue && *p != ModeStandalone {
		return newError(ErrInvalidRequest, "FlexMatchMode %q must be %s or %s.", *p, ModeWithQueue, ModeStandalone)
	}
	if p := in.RequestTimeoutSeconds; p != nil && (*p < 1 || *p > MaxRequestTimeoutSeconds) {
		return newError(ErrInvalidRequest, "RequestTimeoutSeconds %d must be 1 to %d.", *p, MaxRequestTimeoutSeconds)
	}
	if p := in.AcceptanceTimeoutSeconds; p != nil && (*p < 1 || *p > MaxAcceptanceTimeoutSeconds) {
		return newError(ErrInvalidRequest, "AcceptanceTimeoutSeconds %d must be 1 to %d.", *p, MaxAcceptanceTimeoutSeconds)
	}
	if p := in.AdditionalPlayerCount; p != nil && *p < 0 {
		return newError(ErrInvalidRequest, "AdditionalPlayerCount %d must be 0 or more.", *p)
	}
	if p := in.BackfillMode; p != nil && *p != BackfillAutomatic && *p != BackfillManual {
		return newError(ErrInvalidRequest, "BackfillMode %q must be %s or %s.", *p, BackfillAutomatic, BackfillManual)
	}
	if len(in.GameProperties) > maxGameProperties {
		return newError(ErrInvalidRequest, "GameProperties holds %d properties; the most is %d.", len(in.GameProperties), maxGameProperties)
	}
	for i, p := range in.GameProperties {
		if utf8.RuneCountInString(p.Key) > maxGamePropertyKey {
			return newError(ErrInvalidRequest, "GameProperties[%d].Key must be at most %d characters.", i, maxGamePropertyKey)
		}
		if utf8.RuneCountInString(p.Value) > maxGamePropertyValue {
			return newError(ErrInvalidRequest, "GameProperties[%d].Value must be at most %d characters.", i, maxGamePropertyValue)
		}
	}
	if p := in.GameSessionData; p != nil && utf8.RuneCountInString(*p) > maxGameSessionDataLen {
		return newError(ErrInvalidRequest, "GameSessionData must be at most %d characters.", maxGameSessionDataLen)
	}
	if p := in.CustomEventData; p != nil && utf8.RuneCountInString(*p) > maxCustomEventDataLen {
		return newError(ErrInvalidRequest, "CustomEventData must be at most %d characters.", maxCustomEventDataLen)
	}
	return nil
}

// applyConfigInput sets the members of in that are given on c, fills the
// defaults, and checks the result as a whole: members that are valid on
// their own may still not go together (a request timeout shorter than the
// rule set's expansions, queues on a STANDALONE configuration).
func (s *Service) applyConfigInput(ctx context.Context, c *Configuration, in ConfigurationInput, ref configRefs) error {
	parsed := ref.parsed
	if ref.ruleSet != nil {
		c.RuleSetName, c.RuleSetARN = ref.ruleSet.Name, ref.ruleSet.ARN
	} else {
		var err error
		if _, parsed, err = s.loadRuleSet(ctx, c.RuleSetName); err != nil {
			if errors.Is(err, ErrNotFound) {
				return newError(ErrInvalidRequest, "The configuration's rule set %s no longer exists; give RuleSetName with the update.", c.RuleSetName)
			}
			return err
		}
	}
	if in.Description != nil {
		c.Description = *in.Description
	}
	if in.FlexMatchMode != nil {
		c.FlexMatchMode = *in.FlexMatchMode
	}
	if c.FlexMatchMode == "" {
		c.FlexMatchMode = ModeWithQueue
	}
	if in.GameSessionQueueARNs != nil {
		c.GameSessionQueueARNs = ref.queues
	}
	if in.RequestTimeoutSeconds != nil {
		c.RequestTimeoutSeconds = *in.RequestTimeoutSeconds
	}
	if in.AcceptanceRequired != nil {
		c.AcceptanceRequired = *in.AcceptanceRequired
	}
	if in.AcceptanceTimeoutSeconds != nil {
		c.AcceptanceTimeoutSeconds = *in.AcceptanceTimeoutSeconds
	}
	if c.AcceptanceRequired && c.AcceptanceTimeoutSeconds == 0 {
		c.AcceptanceTimeoutSeconds = DefaultAcceptanceTimeoutSeconds
	}
	if in.AdditionalPlayerCount != nil {
		c.AdditionalPlayerCount = *in.AdditionalPlayerCount
	}
	if in.BackfillMode != nil {
		c.BackfillMode = *in.BackfillMode
	}
	if c.BackfillMode == "" {
		c.BackfillMode = BackfillManual
	}
	if in.GameProperties != nil {
		c.GameProperties = slices.Clone(in.GameProperties)
		if len(c.GameProperties) == 0 {
			c.GameProperties = nil
		}
	}
	if in.GameSessionData != nil {
		c.GameSessionData = *in.GameSessionData
	}
	if in.CustomEventData != nil {
		c.CustomEventData = *in.CustomEventData
	}
	if in.NotificationTarget != nil {
		c.NotificationTarget = ref.target
	}

	switch c.FlexMatchMode {
	case ModeWithQueue:
		if len(c.GameSessionQueueARNs) == 0 {
			return newError(ErrInvalidRequest, "GameSessionQueueArns must name at least one game session queue when FlexMatchMode is %s.", ModeWithQueue)
		}
		// AdditionalPlayerCount only shapes matches that are placed into
		// game sessions ("not used" in STANDALONE), so it is checked
		// against the rule set in this mode only.
		if c.AdditionalPlayerCount > 0 {
			if _, err := flexmatch.New(flexmatch.Config{RuleSet: parsed, AdditionalPlayerCount: c.AdditionalPlayerCount}); err != nil {
				return newError(ErrInvalidRequest, "AdditionalPlayerCount %d leaves the teams of rule set %s fewer slots than their minPlayers need (the rule set holds at most %d players).",
					c.AdditionalPlayerCount, c.RuleSetName, parsed.MaxPlayers())
			}
		}
	case ModeStandalone:
		if len(c.GameSessionQueueARNs) > 0 {
			return newError(ErrInvalidRequest, "GameSessionQueueArns must be empty when FlexMatchMode is %s: its matches are not placed into game sessions (give an empty list to remove them).", ModeStandalone)
		}
		if c.BackfillMode == BackfillAutomatic {
			return newError(ErrInvalidRequest, "BackfillMode %s is not available when FlexMatchMode is %s; use %s.", BackfillAutomatic, ModeStandalone, BackfillManual)
		}
	}
	if wait := parsed.MaxExpansionWait(); time.Duration(c.RequestTimeoutSeconds)*time.Second < wait {
		return newError(ErrInvalidRequest, "RequestTimeoutSeconds %d is shorter than the %d seconds the last expansion of rule set %s waits; tickets would time out before it applies.",
			c.RequestTimeoutSeconds, int((wait+time.Second-1)/time.Second), c.RuleSetName)
	}
	return nil
}
