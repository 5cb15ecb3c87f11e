package flexmatch

import (
	"time"

	"github.com/rallypoint/rallypoint/flexmatch/internal/expr"
)

// RuleSet is a parsed and validated FlexMatch rule set. It is immutable, so
// one RuleSet may back any number of matchmakers.
type RuleSet struct {
	name     string
	attrs    []attrDecl
	teamDefs []teamDef
	slots    []teamSlot
	algo     algorithm
	rules    []*rule
	large    bool
	env      *expr.Env

	// Rules by role: top-level rules decide whether a match is acceptable
	// (rules named in a compound rule count only inside it); sort rules
	// order candidates; batch rules shape batches; latency rules pick the
	// locations a match can be placed in.
	topRules     []*rule
	sortRules    []*rule
	batchRules   []*rule
	latencyRules []*rule

	// base holds every value an expansion can change (and the other numeric
	// rule properties, so rules read all of them the same way); params is
	// base with the expansions applied, by age.
	base   []expr.Value
	exps   []expansion
	params paramTable
}

type attrDecl struct {
	name   string
	typ    AttributeType
	def    *AttributeValue
	defVal expr.Value
}

// teamDef is a team as the rule set defines it; with a quantity it stands
// for several team slots, which share its (expandable) sizes.
type teamDef struct {
	name              string
	quantity          int
	minSlot, maxSlot  int // indexes into RuleSet.base
	baseMin, baseMax  int
	slots             []int
	maxOverExpansions int
}

// teamSlot is one team of a match: a definition's only team, or one of its
// quantity copies (red_1, red_2...).
type teamSlot struct {
	name string
	def  int
}

type algorithm struct {
	balanced     bool
	batching     string
	sortBy       []int // attribute indexes
	balancedAttr int   // attribute index, or -1
	oldest       bool  // expansionAgeSelection oldest
	backfill     string
}

// Team is one team of a match as the rule set defines it, after quantity
// copies: a team "red" with quantity 2 is the teams red_1 and red_2.
type Team struct {
	Name       string
	MinPlayers int
	MaxPlayers int
}

// AttributeDecl is a player attribute the rule set declares.
type AttributeDecl struct {
	Name string
	Type AttributeType
	// Default is the value players get when a ticket does not give one, or
	// nil when players must give it.
	Default *AttributeValue
}

// Name returns the rule set's name member (a label, not the GameLift
// resource name); it is empty when the rule set has none.
func (rs *RuleSet) Name() string { return rs.name }

// LargeMatch reports whether the rule set makes large matches: its teams
// hold more than 40 players in all. FlexMatch builds those with a different
// algorithm and allows fewer rule types in them.
func (rs *RuleSet) LargeMatch() bool { return rs.large }

// Teams returns the teams of a match, in rule-set order, with quantity
// copies expanded, at their unexpanded sizes.
func (rs *RuleSet) Teams() []Team {
	out := make([]Team, len(rs.slots))
	for i, s := range rs.slots {
		d := rs.teamDefs[s.def]
		out[i] = Team{Name: s.name, MinPlayers: d.baseMin, MaxPlayers: d.baseMax}
	}
	return out
}

// MaxPlayers returns the most players a match can hold: the sum of every
// team's maxPlayers, taking expansions that raise maxPlayers into account.
func (rs *RuleSet) MaxPlayers() int {
	n := 0
	for _, d := range rs.teamDefs {
		n += d.maxOverExpansions * d.quantity
	}
	return n
}

// Attributes returns the declared player attributes, in rule-set order.
func (rs *RuleSet) Attributes() []AttributeDecl {
	out := make([]AttributeDecl, len(rs.attrs))
	for i, a := range rs.attrs {
		out[i] = AttributeDecl{Name: a.name, Type: a.typ, Default: a.def}
	}
	return out
}

// RuleNames returns the names of the rules, in rule-set order: the names
// FlexMatch events use in ruleEvaluationMetrics.
func (rs *RuleSet) RuleNames() []string {
	out := make([]string, len(rs.rules))
	for i, r := range rs.rules {
		out[i] = r.name
	}
	return out
}

// MaxExpansionWait returns the longest waitTimeSeconds of any expansion
// step, zero without expansions. FlexMatch requires it not to exceed the
// matchmaking configuration's RequestTimeoutSeconds.
func (rs *RuleSet) MaxExpansionWait() time.Duration {
	longest := 0.0
	for _, e := range rs.exps {
		for _, s := range e.steps {
			longest = max(longest, s.wait)
		}
	}
	return time.Duration(longest * float64(time.Second))
}

// ParseRuleSet parses and validates a rule set body. When the body is not
// valid, the error is a ValidationErrors listing every problem found.
func ParseRuleSet(body []byte) (*RuleSet, error) {
	rs, errs := parseRuleSet(body)
	if len(errs) > 0 {
		return nil, errs
	}
	return rs, nil
}

// ValidateRuleSet reports every problem in a rule set body, or nil when it
// is valid. It never panics, whatever the input.
func ValidateRuleSet(body []byte) []ValidationError {
	_, errs := parseRuleSet(body)
	return errs
}
