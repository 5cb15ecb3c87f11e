package flexmatch

import (
	"fmt"
	"strings"

	"github.com/rallypoint/rallypoint/flexmatch/internal/expr"
)

// The FlexMatch limits the parser enforces.
const (
	// maxBodyLen is the longest RuleSetBody CreateMatchmakingRuleSet takes.
	maxBodyLen = 65535
	// maxMatchPlayers is the most players any match can hold.
	maxMatchPlayers = 200
	// largeMatchOver: a rule set whose teams hold more players than this
	// makes large matches.
	largeMatchOver = 40
)

// parser builds a RuleSet from a decoded document, collecting errors as it
// goes so that one pass reports every problem.
type parser struct {
	checker
	rs *RuleSet
}

func parseRuleSet(body []byte) (*RuleSet, ValidationErrors) {
	if len(body) > maxBodyLen {
		return nil, ValidationErrors{{Reason: fmt.Sprintf("the rule set is %d bytes long; GameLift takes at most %d", len(body), maxBodyLen)}}
	}
	if strings.TrimSpace(string(body)) == "" {
		return nil, ValidationErrors{{Reason: "the rule set is empty"}}
	}
	tree, err := decodeJSON(body)
	if err != nil {
		return nil, ValidationErrors{{Reason: "not valid JSON: " + err.Error()}}
	}
	p := &parser{rs: &RuleSet{}}
	p.ruleSet(tree)
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return p.rs, nil
}

func (p *parser) ruleSet(tree any) {
	top, ok := p.object("", tree, "the rule set",
		"name", "ruleLanguageVersion", "playerAttributes", "algorithm", "teams", "rules", "expansions")
	if !ok {
		return
	}
	if v, ok := top["name"]; ok {
		p.rs.name, _ = p.str("name", v, "name")
	}
	if v, ok := top["ruleLanguageVersion"]; !ok {
		p.addf("ruleLanguageVersion", `ruleLanguageVersion is required and must be "1.0"`)
	} else if s, ok := p.str("ruleLanguageVersion", v, "ruleLanguageVersion"); ok && s != "1.0" {
		p.addf("ruleLanguageVersion", `ruleLanguageVersion must be "1.0", the only version FlexMatch has, not %q`, s)
	}
	if v, ok := top["playerAttributes"]; ok {
		p.playerAttributes(v)
	}
	teamsOK := false
	if v, ok := top["teams"]; ok {
		teamsOK = p.teams(v)
	} else {
		p.addf("teams", "teams is required: a rule set defines at least one team")
	}
	if !teamsOK {
		// Rules, expansions and the algorithm all refer to teams; checking
		// them against a broken team list would only add noise.
		return
	}
	p.buildEnv()
	p.algorithm(top["algorithm"], top["algorithm"] != nil)
	if v, ok := top["rules"]; ok {
		p.rules(v)
	}
	if v, ok := top["expansions"]; ok {
		p.expansions(v)
	}
	if len(p.errs) == 0 {
		p.finish()
	}
}

func (p *parser) playerAttributes(v any) {
	list, ok := p.list("playerAttributes", v, "playerAttributes")
	if !ok {
		return
	}
	seen := map[string]int{}
	for i, item := range list {
		path := index("playerAttributes", i)
		m, ok := p.object(path, item, "a player attribute", "name", "type", "default")
		if !ok {
			continue
		}
		name, nameOK := p.nonEmpty(m, path, "name", "the attribute name")
		if nameOK {
			if j, dup := seen[name]; dup {
				p.addf(join(path, "name"), "attribute %q is already declared at playerAttributes[%d]", name, j)
				nameOK = false
			} else {
				seen[name] = i
			}
		}
		var typ AttributeType
		if tv, ok := m["type"]; !ok {
			p.addf(join(path, "type"), "the attribute type is required")
		} else if s, ok := p.str(join(path, "type"), tv, "the attribute type"); ok {
			if typ, ok = parseAttributeType(s); !ok {
				p.addf(join(path, "type"), `the attribute type must be one of "string", "number", "string_list", "string_number_map", not %q`, s)
			}
		}
		if typ == 0 || !nameOK {
			continue
		}
		a := attrDecl{name: name, typ: typ}
		if dv, ok := m["default"]; ok {
			if def, ok := p.attributeValue(join(path, "default"), dv, typ); ok {
				a.def = &def
				a.defVal = exprValue(def)
			}
		}
		p.rs.attrs = append(p.rs.attrs, a)
	}
}

// attributeValue reads a default value of the declared type.
func (p *parser) attributeValue(path string, v any, typ AttributeType) (AttributeValue, bool) {
	var out AttributeValue
	switch typ {
	case AttributeNumber:
		n, ok := p.number(path, v, "a number attribute's default")
		if !ok {
			return out, false
		}
		out = NumberAttr(n)
	case AttributeString:
		s, ok := p.str(path, v, "a string attribute's default")
		if !ok {
			return out, false
		}
		out = StringAttr(s)
	case AttributeStringList:
		l, ok := p.list(path, v, "a string_list attribute's default")
		if !ok {
			return out, false
		}
		ss := make([]string, 0, len(l))
		for i, e := range l {
			s, ok := p.str(index(path, i), e, "a string_list entry")
			if !ok {
				return out, false
			}
			ss = append(ss, s)
		}
		out = StringListAttr(ss...)
	case AttributeStringNumberMap:
		m, ok := v.(map[string]any)
		if !ok {
			p.addf(path, "a string_number_map attribute's default must be an object of numbers, not %s", describe(v))
			return out, false
		}
		sdm := make(map[string]float64, len(m))
		for k, e := range m {
			n, ok := p.number(join(path, k), e, "a string_number_map value")
			if !ok {
				return out, false
			}
			sdm[k] = n
		}
		out = StringNumberMapAttr(sdm)
	}
	if err := out.check(); err != nil {
		p.addf(path, "%v", err)
		return out, false
	}
	return out, true
}

func (p *parser) teams(v any) bool {
	list, ok := p.list("teams", v, "teams")
	if !ok {
		return false
	}
	if len(list) == 0 {
		p.addf("teams", "a rule set defines at least one team")
		return false
	}
	seen := map[string]int{}
	for i, item := range list {
		path := index("teams", i)
		m, ok := p.object(path, item, "a team", "name", "minPlayers", "maxPlayers", "quantity")
		if !ok {
			continue
		}
		name, nameOK := p.nonEmpty(m, path, "name", "the team name")
		if nameOK {
			if j, dup := seen[name]; dup {
				p.addf(join(path, "name"), "team %q is already defined at teams[%d]", name, j)
			}
			seen[name] = i
		}
		d := teamDef{name: name, quantity: 1}
		minOK, maxOK := false, false
		if mv, ok := m["maxPlayers"]; !ok {
			p.addf(join(path, "maxPlayers"), "maxPlayers is required")
		} else {
			d.baseMax, maxOK = p.integer(join(path, "maxPlayers"), mv, "maxPlayers", 1, maxMatchPlayers)
		}
		if mv, ok := m["minPlayers"]; !ok {
			p.addf(join(path, "minPlayers"), "minPlayers is required")
		} else {
			d.baseMin, minOK = p.integer(join(path, "minPlayers"), mv, "minPlayers", 0, maxMatchPlayers)
		}
		if minOK && maxOK && d.baseMin > d.baseMax {
			p.addf(join(path, "minPlayers"), "minPlayers (%d) is more than maxPlayers (%d)", d.baseMin, d.baseMax)
		}
		if qv, ok := m["quantity"]; ok {
			d.quantity, _ = p.integer(join(path, "quantity"), qv, "quantity", 1, maxMatchPlayers)
		}
		p.rs.teamDefs = append(p.rs.teamDefs, d)
	}
	// Sizes can be wrong and the rules still be checked against the teams;
	// a missing or repeated name or a bad quantity leaves nothing to check
	// them against.
	for _, d := range p.rs.teamDefs {
		if d.name == "" || d.quantity < 1 {
			return false
		}
	}
	if len(seen) != len(p.rs.teamDefs) {
		return false
	}
	// Copies of a team with a quantity are named <name>_1, <name>_2...;
	// those names must not clash with another team.
	total := 0
	names := map[string]int{}
	for i := range p.rs.teamDefs {
		d := &p.rs.teamDefs[i]
		d.minSlot = p.addBase(expr.Num(float64(d.baseMin)))
		d.maxSlot = p.addBase(expr.Num(float64(d.baseMax)))
		d.maxOverExpansions = d.baseMax
		total += d.baseMax * d.quantity
		for q := 1; q <= d.quantity; q++ {
			name := d.name
			if d.quantity > 1 {
				name = fmt.Sprintf("%s_%d", d.name, q)
			}
			if j, dup := names[name]; dup {
				p.addf(join(index("teams", i), "name"), "team name %q clashes with a copy of teams[%d] (a team with a quantity is named <name>_1, <name>_2...)", name, j)
			}
			names[name] = i
			d.slots = append(d.slots, len(p.rs.slots))
			p.rs.slots = append(p.rs.slots, teamSlot{name: name, def: i})
		}
	}
	if total > maxMatchPlayers {
		p.addf("teams", "the teams hold %d players in all; a match holds at most %d", total, maxMatchPlayers)
		return false
	}
	p.rs.large = total > largeMatchOver
	return true
}

func (p *parser) addBase(v expr.Value) int {
	p.rs.base = append(p.rs.base, v)
	return len(p.rs.base) - 1
}

// buildEnv tells the expression checker about attributes and teams.
func (p *parser) buildEnv() {
	env := &expr.Env{NumSlots: len(p.rs.slots)}
	for _, a := range p.rs.attrs {
		var t expr.Type
		switch a.typ {
		case AttributeNumber:
			t = expr.Type{Leaf: expr.LeafNumber}
		case AttributeString:
			t = expr.Type{Leaf: expr.LeafString}
		case AttributeStringList:
			t = expr.Type{Depth: 1, Leaf: expr.LeafString}
		case AttributeStringNumberMap:
			t = expr.Type{Leaf: expr.LeafMap}
		}
		env.Attrs = append(env.Attrs, expr.AttrDecl{Name: a.name, Type: t})
	}
	for _, d := range p.rs.teamDefs {
		env.Teams = append(env.Teams, expr.TeamDecl{Name: d.name, Slots: d.slots})
		if d.quantity > 1 {
			for _, s := range d.slots {
				env.Teams = append(env.Teams, expr.TeamDecl{Name: p.rs.slots[s].name, Slots: []int{s}})
			}
		}
	}
	p.rs.env = env
}

func (p *parser) attrIndex(name string) (int, bool) {
	for i, a := range p.rs.attrs {
		if a.name == name {
			return i, true
		}
	}
	return -1, false
}

// declaredAttr reads a member naming a declared attribute of one of the
// given types.
func (p *parser) declaredAttr(path string, v any, what string, types ...AttributeType) (int, bool) {
	name, ok := p.str(path, v, what)
	if !ok {
		return -1, false
	}
	i, ok := p.attrIndex(name)
	if !ok {
		p.addf(path, "%s %q is not declared in playerAttributes", what, name)
		return -1, false
	}
	for _, t := range types {
		if p.rs.attrs[i].typ == t {
			return i, true
		}
	}
	want := make([]string, len(types))
	for k, t := range types {
		want[k] = t.String()
	}
	p.addf(path, "%s %q is a %s attribute; it must be %s", what, name, p.rs.attrs[i].typ, strings.Join(want, " or "))
	return -1, false
}

func (p *parser) algorithm(v any, present bool) {
	a := &p.rs.algo
	a.balancedAttr = -1
	a.backfill = "normal"
	a.balanced = p.rs.large
	if !present {
		a.batching = "random"
		if a.balanced {
			a.batching = "largestPopulation"
			p.addf("algorithm", "a large match (teams holding more than %d players) needs an algorithm with strategy \"balanced\" and a balancedAttribute", largeMatchOver)
		}
		return
	}
	m, ok := p.object("algorithm", v, "the algorithm",
		"strategy", "batchingPreference", "sortByAttributes", "sortbyAttributes",
		"balancedAttribute", "expansionAgeSelection", "backfillPriority")
	if !ok {
		return
	}
	if sv, ok := m["strategy"]; ok {
		if s, ok := p.enum("algorithm.strategy", sv, "strategy", "exhaustiveSearch", "balanced"); ok {
			a.balanced = s == "balanced"
			if p.rs.large && !a.balanced {
				p.addf("algorithm.strategy", "a large match (teams holding more than %d players) must use the balanced strategy", largeMatchOver)
			}
		}
	}
	if a.balanced {
		a.batching = "largestPopulation"
	} else {
		a.batching = "random"
	}
	if bv, ok := m["batchingPreference"]; ok {
		if s, ok := p.enum("algorithm.batchingPreference", bv, "batchingPreference", "random", "sorted", "largestPopulation", "fastestRegion"); ok {
			switch {
			case a.balanced && (s == "random" || s == "sorted"):
				p.addf("algorithm.batchingPreference", "batchingPreference %q only goes with the exhaustiveSearch strategy; the balanced strategy takes \"largestPopulation\" or \"fastestRegion\"", s)
			case !a.balanced && (s == "largestPopulation" || s == "fastestRegion"):
				p.addf("algorithm.batchingPreference", "batchingPreference %q only goes with the balanced strategy; exhaustiveSearch takes \"random\" or \"sorted\"", s)
			default:
				a.batching = s
			}
		}
	}
	sortKey := "sortByAttributes"
	sv, hasSort := m[sortKey]
	if alt, ok := m["sortbyAttributes"]; ok {
		// The guide spells it this way once; accept both spellings.
		if hasSort {
			p.addf("algorithm.sortbyAttributes", "give sortByAttributes once")
		}
		sortKey, sv, hasSort = "sortbyAttributes", alt, true
	}
	if hasSort {
		path := join("algorithm", sortKey)
		if a.batching != "sorted" {
			p.addf(path, "sortByAttributes is only used with batchingPreference \"sorted\"")
		} else if l, ok := p.list(path, sv, "sortByAttributes"); ok {
			if len(l) == 0 {
				p.addf(path, "sortByAttributes needs at least one attribute")
			}
			for i, e := range l {
				if k, ok := p.declaredAttr(index(path, i), e, "sort attribute", AttributeNumber, AttributeString); ok {
					a.sortBy = append(a.sortBy, k)
				}
			}
		}
	} else if a.batching == "sorted" {
		p.addf("algorithm.sortByAttributes", "batchingPreference \"sorted\" needs sortByAttributes, the attributes to sort by")
	}
	if bv, ok := m["balancedAttribute"]; ok {
		if !a.balanced {
			p.addf("algorithm.balancedAttribute", "balancedAttribute is only used with the balanced strategy")
		} else if k, ok := p.declaredAttr("algorithm.balancedAttribute", bv, "balancedAttribute", AttributeNumber); ok {
			a.balancedAttr = k
		}
	} else if a.balanced {
		p.addf("algorithm.balancedAttribute", "the balanced strategy needs balancedAttribute, a number attribute to balance teams on")
	}
	if ev, ok := m["expansionAgeSelection"]; ok {
		if s, ok := p.enum("algorithm.expansionAgeSelection", ev, "expansionAgeSelection", "newest", "oldest"); ok {
			a.oldest = s == "oldest"
		}
	}
	if bv, ok := m["backfillPriority"]; ok {
		if s, ok := p.enum("algorithm.backfillPriority", bv, "backfillPriority", "normal", "high", "low"); ok {
			a.backfill = s
		}
	}
}

// exprValue converts an attribute value into the form expressions read.
func exprValue(v AttributeValue) expr.Value {
	switch v.Type {
	case AttributeNumber:
		return expr.Num(v.N)
	case AttributeString:
		return expr.Str(v.S)
	case AttributeStringList:
		return expr.Strings(dedupe(v.SL))
	}
	// Maps are only read by sort rules, which use the AttributeValue.
	return expr.Value{}
}

// dedupe drops repeated strings: GameLift ignores repeats in a string list.
func dedupe(ss []string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		dup := false
		for _, o := range out {
			if o == s {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}
