package flexmatch

import (
	"errors"
	"strings"
)

// ValidationError is one problem in a rule set: where it is, as a JSON path
// such as rules[2].maxDistance, and what is wrong, for a person to read.
type ValidationError struct {
	Path   string
	Reason string
}

func (e ValidationError) Error() string {
	if e.Path == "" {
		return e.Reason
	}
	return e.Path + ": " + e.Reason
}

// ValidationErrors is every problem found in a rule set, in document order.
// ParseRuleSet returns it as its error.
type ValidationErrors []ValidationError

func (es ValidationErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return "invalid rule set: " + strings.Join(lines, "; ")
}

// Errors a Matchmaker returns; Add wraps them with the details.
var (
	// ErrDuplicateTicket means a ticket with the same ID is already in the
	// pool.
	ErrDuplicateTicket = errors.New("flexmatch: ticket already in the pool")
	// ErrInvalidTicket means the ticket cannot be matched with this rule set:
	// a missing or mistyped attribute, a party larger than any team, a
	// backfill player on an unknown team.
	ErrInvalidTicket = errors.New("flexmatch: invalid ticket")
)
