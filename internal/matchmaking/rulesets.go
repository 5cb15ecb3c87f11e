package matchmaking

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rallypoint/rallypoint/flexmatch"
	"github.com/rallypoint/rallypoint/internal/engine"
)

func ruleSetKey(name string) string { return "ruleset." + name }

// CreateRuleSet stores a rule set. Rule sets cannot be changed once
// created (GameLift has no UpdateMatchmakingRuleSet), so the body is
// checked in full here and every configuration can trust it later.
func (s *Service) CreateRuleSet(ctx context.Context, name, body string, tags []Tag) (RuleSet, error) {
	if !validName(name) {
		return RuleSet{}, newError(ErrInvalidRequest, "Rule set name %q must be 1 to 128 letters, digits, '-' and '.'.", name)
	}
	if _, err := parseRuleSet(body); err != nil {
		return RuleSet{}, err
	}
	rs := RuleSet{
		Name:      name,
		ARN:       s.arn("matchmakingruleset/" + name),
		Body:      body,
		Tags:      tags,
		CreatedAt: s.now(),
	}
	if _, err := engine.Create(ctx, s.cfg.Config, ruleSetKey(name), rs); err != nil {
		if errors.Is(err, engine.ErrExists) {
			// GameLift refuses a duplicate name with InvalidRequestException:
			// CreateMatchmakingRuleSet has no ConflictException.
			return RuleSet{}, newError(ErrInvalidRequest, "Matchmaking rule set %s already exists.", name)
		}
		return RuleSet{}, fmt.Errorf("create rule set %s: %w", name, err)
	}
	s.log.Info("matchmaking rule set created", "ruleset", name)
	return rs, nil
}

// ValidateRuleSet checks a rule set body as CreateRuleSet would: nil when
// it is valid, an ErrInvalidRequest error naming every problem otherwise.
func (s *Service) ValidateRuleSet(body string) error {
	_, err := parseRuleSet(body)
	return err
}

// parseRuleSet parses a body, turning its problems into one caller-facing
// error. Every problem is listed, each with its JSON path, so that a
// person fixing a rule set sees all of them at once rather than one per
// attempt.
func parseRuleSet(body string) (*flexmatch.RuleSet, error) {
	if body == "" {
		return nil, newError(ErrInvalidRequest, "RuleSetBody is empty.")
	}
	if len(body) > MaxRuleSetBodyBytes {
		return nil, newError(ErrInvalidRequest, "RuleSetBody is %d bytes; the most a rule set may hold is %d.", len(body), MaxRuleSetBodyBytes)
	}
	rs, err := flexmatch.ParseRuleSet([]byte(body))
	if err == nil {
		return rs, nil
	}
	var verrs flexmatch.ValidationErrors
	if !errors.As(err, &verrs) {
		return nil, newError(ErrInvalidRequest, "RuleSetBody is not a valid rule set: %v", err)
	}
	problems := make([]string, len(verrs))
	for i, v := range verrs {
		if v.Path == "" {
			problems[i] = v.Reason
		} else {
			problems[i] = v.Path + ": " + v.Reason
		}
	}
	noun := "problem"
	if len(problems) > 1 {
		noun = "problems"
	}
	return nil, newError(ErrInvalidRequest, "RuleSetBody is not a valid rule set (%d %s): %s", len(problems), noun, strings.Join(problems, "; "))
}

// RuleSets returns the named rule sets (names or ARNs), or every rule set
// when names is empty, ordered by name. As GameLift's
// DescribeMatchmakingRuleSets does, a name that matches no rule set is an
// ErrNotFound.
func (s *Service) RuleSets(ctx context.Context, names []string) ([]RuleSet, error) {
	if len(names) == 0 {
		all, err := engine.List[RuleSet](ctx, s.cfg.Config, "ruleset.>")
		if err != nil {
			return nil, fmt.Errorf("list rule sets: %w", err)
		}
		slices.SortFunc(all, func(a, b RuleSet) int { return cmp.Compare(a.Name, b.Name) })
		return all, nil
	}
	var out []RuleSet
	seen := map[string]bool{}
	for _, n := range names {
		name := nameFromARN(n, "matchmakingruleset")
		if seen[name] {
			continue
		}
		seen[name] = true
		rs, _, err := s.getRuleSet(ctx, name)
		if err != nil {
			return nil, err
		}
		out = append(out, rs)
	}
	slices.SortFunc(out, func(a, b RuleSet) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// getRuleSet reads a stored rule set by name and its revision.
func (s *Service) getRuleSet(ctx context.Context, name string) (RuleSet, uint64, error) {
	if !validName(name) {
		// A name the bucket could not hold was never stored.
		return RuleSet{}, 0, newError(ErrNotFound, "Matchmaking rule set %s not found.", name)
	}
	rs, rev, err := engine.Get[RuleSet](ctx, s.cfg.Config, ruleSetKey(name))
	if errors.Is(err, engine.ErrNotFound) {
		return RuleSet{}, 0, newError(ErrNotFound, "Matchmaking rule set %s not found.", name)
	}
	if err != nil {
		return RuleSet{}, 0, fmt.Errorf("read rule set %s: %w", name, err)
	}
	return rs, rev, nil
}

// loadRuleSet reads a rule set by name or ARN and parses its body.
func (s *Service) loadRuleSet(ctx context.Context, nameOrARN string) (RuleSet, *flexmatch.RuleSet, error) {
	name := nameFromARN(nameOrARN, "matchmakingruleset")
	rs, _, err := s.getRuleSet(ctx, name)
	if err != nil {
		return RuleSet{}, nil, err
	}
	parsed, err := flexmatch.ParseRuleSet([]byte(rs.Body))
	if err != nil {
		// It was valid when stored; a parser that has since become
		// stricter is this service's problem, not the caller's.
		return RuleSet{}, nil, fmt.Errorf("parse stored rule set %s: %w", name, err)
	}
	return rs, parsed, nil
}

// DeleteRuleSet deletes a rule set that no configuration uses.
//
// The check and the delete are two steps: a configuration created with
// the rule set in between would be left naming a deleted rule set. Its
// tickets then fail when its owner cannot load the rule set, and
// UpdateMatchmakingConfiguration can point it at another one.
func (s *Service) DeleteRuleSet(ctx context.Context, nameOrARN string) error {
	name := nameFromARN(nameOrARN, "matchmakingruleset")
	_, rev, err := s.getRuleSet(ctx, name)
	if err != nil {
		return err
	}
	configs, err := s.Configurations(ctx, nil, name)
	if err != nil {
		return err
	}
	if len(configs) > 0 {
		users := make([]string, len(configs))
		for i, c := range configs {
			users[i] = c.Name
		}
		noun := "configuration"
		if len(users) > 1 {
			noun = "configurations"
		}
		return newError(ErrInvalidRequest, "Matchmaking rule set %s is used by matchmaking %s %s; delete them or change their rule set first.",
			name, noun, strings.Join(users, ", "))
	}
	if err := engine.Delete(ctx, s.cfg.Config, ruleSetKey(name), rev); err != nil {
		if errors.Is(err, engine.ErrStale) {
			return newError(ErrConflict, "Matchmaking rule set %s changed while it was being deleted; retry.", name)
		}
		return fmt.Errorf("delete rule set %s: %w", name, err)
	}
	s.log.Info("matchmaking rule set deleted", "ruleset", name)
	return nil
}
