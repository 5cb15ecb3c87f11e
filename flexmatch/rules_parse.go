package flexmatch

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/rallypoint/rallypoint/flexmatch/internal/expr"
)

type ruleKind uint8

const (
	kindBatchDistance ruleKind = iota + 1
	kindComparison
	kindDistance
	kindCollection
	kindCompound
	kindLatency
	kindAbsoluteSort
	kindDistanceSort
)

var ruleKindNames = []string{"batchDistance", "comparison", "distance", "collection", "compound", "latency", "absoluteSort", "distanceSort"}

func (k ruleKind) String() string { return ruleKindNames[k-1] }

// partyAgg is how a rule combines the values of a ticket's players.
type partyAgg uint8

const (
	aggAvg partyAgg = iota
	aggMin
	aggMax
	aggUnion
	aggIntersection
	numAggs
)

type refKind uint8

const (
	refNone refKind = iota
	refLiteral
	refExpr
)

// rule is a compiled rule. Numeric properties and literal reference values
// live in RuleSet.base (as slots), so expansions can change them.
type rule struct {
	name  string
	index int
	kind  ruleKind
	agg   partyAgg

	measures []*expr.Expr
	refKind  refKind
	refSlot  int
	refExpr  *expr.Expr
	refType  expr.Type // of the reference, for literal and expression alike

	op string // comparison or collection operation

	// Slots in RuleSet.base; the value there is Undefined when the rule
	// does not set the property (an expansion may still set it later).
	minSlot, maxSlot int // min/maxDistance or min/maxCount
	latSlot          int // maxLatency
	distRefMin       bool

	attr       int // batch or sort attribute
	latIndex   int // index among the latency rules
	descending bool
	mapKeyMax  bool
	stmt       *statement

	props map[string]int // expandable property -> slot

	inCompound    bool // counts only inside the compound rules naming it
	deferrable    bool // may fail while a match is short of players and pass once it is full
	placementFree bool // same result whichever team a ticket joins
}

var ruleMembers = map[ruleKind][]string{
	kindBatchDistance: {"batchAttribute", "maxDistance", "partyAggregation"},
	kindComparison:    {"measurements", "referenceValue", "operation", "partyAggregation"},
	kindDistance:      {"measurements", "referenceValue", "minDistance", "maxDistance", "partyAggregation"},
	kindCollection:    {"measurements", "referenceValue", "operation", "minCount", "maxCount", "partyAggregation"},
	kindCompound:      {"statement"},
	kindLatency:       {"maxLatency", "maxDistance", "distanceReference", "partyAggregation"},
	kindAbsoluteSort:  {"sortDirection", "sortAttribute", "mapKey", "partyAggregation"},
	kindDistanceSort:  {"sortDirection", "sortAttribute", "mapKey", "partyAggregation"},
}

func (p *parser) rules(v any) {
	list, ok := p.list("rules", v, "rules")
	if !ok {
		return
	}
	seen := map[string]int{}
	type pending struct {
		r    *rule
		path string
		text string
	}
	var compounds []pending
	for i, item := range list {
		path := index("rules", i)
		m, ok := item.(map[string]any)
		if !ok {
			p.addf(path, "a rule must be an object, not %s", describe(item))
			continue
		}
		name, nameOK := p.nonEmpty(m, path, "name", "the rule name")
		if nameOK {
			if j, dup := seen[name]; dup {
				p.addf(join(path, "name"), "rule %q is already defined at rules[%d]", name, j)
			} else {
				seen[name] = i
			}
		}
		tv, ok := m["type"]
		if !ok {
			p.addf(join(path, "type"), "the rule type is required (one of %s)", quoteAll(ruleKindNames))
			continue
		}
		ts, ok := p.str(join(path, "type"), tv, "the rule type")
		if !ok {
			continue
		}
		k := ruleKind(slices.Index(ruleKindNames, ts) + 1)
		if k == 0 {
			if s := suggest(ts, ruleKindNames); s != "" {
				p.addf(join(path, "type"), "unknown rule type %q; did you mean %q?", ts, s)
			} else {
				p.addf(join(path, "type"), "unknown rule type %q (FlexMatch has %s)", ts, quoteAll(ruleKindNames))
			}
			continue
		}
		allowed := append([]string{"name", "description", "type"}, ruleMembers[k]...)
		p.object(path, m, "a "+ts+" rule", allowed...)
		if d, ok := m["description"]; ok {
			p.str(join(path, "description"), d, "description")
		}
		if p.rs.large && k != kindLatency && k != kindBatchDistance {
			p.addf(join(path, "type"), "a large match (teams holding more than %d players) can only use latency and batchDistance rules, not %s", largeMatchOver, ts)
			continue
		}
		r := &rule{name: name, index: len(p.rs.rules), kind: k, minSlot: -1, maxSlot: -1, latSlot: -1, refSlot: -1, attr: -1, props: map[string]int{}}
		switch k {
		case kindBatchDistance:
			p.batchDistance(path, m, r)
		case kindComparison:
			p.comparison(path, m, r)
		case kindDistance:
			p.distance(path, m, r)
		case kindCollection:
			p.collection(path, m, r)
		case kindLatency:
			p.latency(path, m, r)
		case kindAbsoluteSort, kindDistanceSort:
			p.sortRule(path, m, r)
		case kindCompound:
			if s, ok := p.nonEmpty(m, path, "statement", "the compound statement"); ok {
				compounds = append(compounds, pending{r, join(path, "statement"), s})
			}
		}
		p.rs.rules = append(p.rs.rules, r)
	}
	for _, c := range compounds {
		c.r.stmt = p.statement(c.path, c.text, c.r)
	}
	for _, r := range p.rs.rules {
		switch {
		case r.kind == kindAbsoluteSort || r.kind == kindDistanceSort:
			p.rs.sortRules = append(p.rs.sortRules, r)
		case !r.inCompound:
			p.rs.topRules = append(p.rs.topRules, r)
		}
		switch r.kind {
		case kindBatchDistance:
			p.rs.batchRules = append(p.rs.batchRules, r)
		case kindLatency:
			r.latIndex = len(p.rs.latencyRules)
			p.rs.latencyRules = append(p.rs.latencyRules, r)
		}
	}
}

// aggregation reads partyAggregation, which takes min/max/avg in numeric
// rules and union/intersection in collection rules.
func (p *parser) aggregation(path string, m map[string]any, r *rule, collection bool) {
	v, ok := m["partyAggregation"]
	if !ok {
		if collection {
			r.agg = aggUnion
		}
		return
	}
	path = join(path, "partyAggregation")
	if collection {
		if s, ok := p.enum(path, v, "partyAggregation of a collection rule", "union", "intersection"); ok {
			r.agg = map[string]partyAgg{"union": aggUnion, "intersection": aggIntersection}[s]
		}
		return
	}
	if s, ok := p.enum(path, v, "partyAggregation", "avg", "min", "max"); ok {
		r.agg = map[string]partyAgg{"avg": aggAvg, "min": aggMin, "max": aggMax}[s]
	}
}

// numberProp reads an optional non-negative number and gives it a slot,
// set or not, so an expansion can target it.
func (p *parser) numberProp(path string, m map[string]any, r *rule, member string) int {
	slot := p.addBase(expr.Value{})
	r.props[member] = slot
	if v, ok := m[member]; ok {
		if f, ok := p.nonNegative(join(path, member), v, member); ok {
			p.rs.base[slot] = expr.Num(f)
		}
	}
	return slot
}

func (p *parser) set(slot int) bool { return p.rs.base[slot].Kind == expr.Number }

func (p *parser) batchDistance(path string, m map[string]any, r *rule) {
	p.aggregation(path, m, r, false)
	r.maxSlot = p.numberProp(path, m, r, "maxDistance")
	r.placementFree = true
	av, ok := m["batchAttribute"]
	if !ok {
		p.addf(join(path, "batchAttribute"), "batchAttribute is required: the attribute that forms batches")
		return
	}
	k, ok := p.declaredAttr(join(path, "batchAttribute"), av, "batchAttribute", AttributeNumber, AttributeString)
	if !ok {
		return
	}
	r.attr = k
	_, hasMax := m["maxDistance"]
	switch {
	case p.rs.attrs[k].typ == AttributeNumber && !hasMax:
		p.addf(join(path, "maxDistance"), "maxDistance is required when batchAttribute %q is a number", p.rs.attrs[k].name)
	case p.rs.attrs[k].typ == AttributeString && hasMax:
		p.addf(join(path, "maxDistance"), "maxDistance only applies to number attributes; string attribute %q batches players with the same value", p.rs.attrs[k].name)
	}
}

// measurements reads the measurements member: one expression, or a list of
// them (the guide writes both).
func (p *parser) measurements(path string, m map[string]any, r *rule) bool {
	v, ok := m["measurements"]
	path = join(path, "measurements")
	if !ok {
		p.addf(path, "measurements is required: a property expression such as teams[*].players.attributes[skill]")
		return false
	}
	var srcs []string
	var paths []string
	switch v := v.(type) {
	case string:
		srcs, paths = []string{v}, []string{path}
	case []any:
		if len(v) == 0 {
			p.addf(path, "measurements needs at least one property expression")
			return false
		}
		for i, e := range v {
			s, ok := p.str(index(path, i), e, "a measurement")
			if !ok {
				return false
			}
			srcs = append(srcs, s)
			paths = append(paths, index(path, i))
		}
	default:
		p.addf(path, "measurements must be a property expression or a list of them, not %s", describe(v))
		return false
	}
	all := true
	for i, s := range srcs {
		x, err := expr.Parse(s, p.rs.env)
		if err != nil {
			p.addf(paths[i], "%v", err)
			all = false
			continue
		}
		r.measures = append(r.measures, x)
	}
	return all
}

// looksLikeExpression tells an expression in a reference value from a
// literal string: expressions start with a function call or a team path.
func looksLikeExpression(s string) bool {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	word := s[:i]
	rest := strings.TrimSpace(s[i:])
	if word == "" || rest == "" {
		return false
	}
	return rest[0] == '(' || (word == "teams" || word == "team") && rest[0] == '['
}

// reference reads referenceValue: a number, a string, a list of strings, or
// a property expression. leaf is the type the rule's measurements have, used
// to read a numeric string as a number when measurements are numbers.
func (p *parser) reference(path string, v any, r *rule, leaf expr.Leaf) bool {
	path = join(path, "referenceValue")
	r.props["referenceValue"] = -1
	switch v := v.(type) {
	case json.Number:
		f, _ := toNumber(v)
		r.refKind, r.refSlot, r.refType = refLiteral, p.addBase(expr.Num(f)), expr.Type{Leaf: expr.LeafNumber}
	case string:
		if looksLikeExpression(v) {
			x, err := expr.Parse(v, p.rs.env)
			if err != nil {
				p.addf(path, "%v", err)
				return false
			}
			r.refKind, r.refExpr, r.refType = refExpr, x, x.Type
			return true
		}
		if f, ok := toNumber(v); ok && leaf == expr.LeafNumber {
			r.refKind, r.refSlot, r.refType = refLiteral, p.addBase(expr.Num(f)), expr.Type{Leaf: expr.LeafNumber}
		} else {
			r.refKind, r.refSlot, r.refType = refLiteral, p.addBase(expr.Str(v)), expr.Type{Leaf: expr.LeafString}
		}
	case []any:
		ss := make([]string, 0, len(v))
		for i, e := range v {
			s, ok := p.str(index(path, i), e, "a reference list entry")
			if !ok {
				return false
			}
			ss = append(ss, s)
		}
		r.refKind, r.refSlot, r.refType = refLiteral, p.addBase(expr.Strings(dedupe(ss))), expr.Type{Depth: 1, Leaf: expr.LeafString}
	default:
		p.addf(path, "referenceValue must be a number, a string, a list of strings or a property expression, not %s", describe(v))
		return false
	}
	r.props["referenceValue"] = r.refSlot
	return true
}

func leafOf(ms []*expr.Expr) expr.Leaf {
	if len(ms) == 0 {
		return 0
	}
	return ms[0].Type.Leaf
}

func (p *parser) comparison(path string, m map[string]any, r *rule) {
	p.aggregation(path, m, r, false)
	ok := p.measurements(path, m, r)
	for i, x := range r.measures {
		if l := x.Type.Leaf; l != expr.LeafNumber && l != expr.LeafString {
			p.addf(join(path, "measurements"), "comparison measurements must be numbers or strings, but measurement %d is %s", i, x.Type)
			ok = false
		} else if l != leafOf(r.measures) {
			p.addf(join(path, "measurements"), "comparison measurements mix numbers and strings")
			ok = false
		}
	}
	opv, hasOp := m["operation"]
	if !hasOp {
		p.addf(join(path, "operation"), `operation is required: one of "<", "<=", "=", "!=", ">", ">="`)
	} else {
		r.op, hasOp = p.enum(join(path, "operation"), opv, "operation", "<", "<=", "=", "!=", ">", ">=")
	}
	rv, hasRef := m["referenceValue"]
	if !hasRef {
		if hasOp && r.op != "=" && r.op != "!=" {
			p.addf(join(path, "operation"), "without a referenceValue a comparison rule compares players with each other, which only = and != can do; %q needs a referenceValue", r.op)
		}
		r.placementFree = allPlacementFree(r.measures)
		r.deferrable = anySizeDependent(r.measures)
		return
	}
	if !p.reference(path, rv, r, leafOf(r.measures)) || !ok {
		return
	}
	switch {
	case r.refType.Depth != 0:
		p.addf(join(path, "referenceValue"), "a comparison referenceValue must be a single value, but this is %s", r.refType)
	case len(r.measures) > 0 && r.refType.Leaf != leafOf(r.measures):
		p.addf(join(path, "referenceValue"), "referenceValue is a %s but the measurements are %ss", r.refType.Leaf, leafOf(r.measures))
	case r.refType.Leaf == expr.LeafString && hasOp && r.op != "=" && r.op != "!=":
		p.addf(join(path, "operation"), "strings can only be compared with = and !=, not %q", r.op)
	}
	r.finishRef()
}

func (r *rule) finishRef() {
	xs := r.measures
	if r.refExpr != nil {
		xs = append(slices.Clip(xs), r.refExpr)
	}
	r.placementFree = allPlacementFree(xs)
	r.deferrable = anySizeDependent(xs)
}

func allPlacementFree(xs []*expr.Expr) bool {
	for _, x := range xs {
		if !x.PlacementFree {
			return false
		}
	}
	return true
}

func anySizeDependent(xs []*expr.Expr) bool {
	for _, x := range xs {
		if x.SizeDependent {
			return true
		}
	}
	return false
}

func (p *parser) distance(path string, m map[string]any, r *rule) {
	p.aggregation(path, m, r, false)
	ok := p.measurements(path, m, r)
	for i, x := range r.measures {
		if x.Type.Leaf != expr.LeafNumber {
			p.addf(join(path, "measurements"), "distance measurements must be numbers, but measurement %d is %s", i, x.Type)
			ok = false
		}
	}
	r.minSlot = p.numberProp(path, m, r, "minDistance")
	r.maxSlot = p.numberProp(path, m, r, "maxDistance")
	if !p.set(r.minSlot) && !p.set(r.maxSlot) {
		if _, a := m["minDistance"]; !a {
			if _, b := m["maxDistance"]; !b {
				p.addf(join(path, "maxDistance"), "a distance rule needs maxDistance, minDistance or both")
			}
		}
	}
	if p.set(r.minSlot) && p.set(r.maxSlot) && p.rs.base[r.minSlot].Num > p.rs.base[r.maxSlot].Num {
		p.addf(join(path, "minDistance"), "minDistance (%v) is more than maxDistance (%v)", p.rs.base[r.minSlot].Num, p.rs.base[r.maxSlot].Num)
	}
	rv, hasRef := m["referenceValue"]
	if !hasRef {
		p.addf(join(path, "referenceValue"), "referenceValue is required: the number or expression distances are measured from")
		return
	}
	if !p.reference(path, rv, r, expr.LeafNumber) || !ok {
		return
	}
	if r.refType != (expr.Type{Leaf: expr.LeafNumber}) {
		p.addf(join(path, "referenceValue"), "a distance referenceValue must be a single number, but this is %s", r.refType)
	}
	r.finishRef()
}

func (p *parser) collection(path string, m map[string]any, r *rule) {
	p.aggregation(path, m, r, true)
	ok := p.measurements(path, m, r)
	for i, x := range r.measures {
		if x.Type != (expr.Type{Depth: 2, Leaf: expr.LeafString}) {
			p.addf(join(path, "measurements"), "collection measurements must be a list of string lists, such as flatten(teams[*].players.attributes[name]) of a string_list attribute, but measurement %d is %s", i, x.Type)
			ok = false
		}
	}
	r.minSlot = p.numberProp(path, m, r, "minCount")
	r.maxSlot = p.numberProp(path, m, r, "maxCount")
	_, hasMin := m["minCount"]
	_, hasMax := m["maxCount"]
	if !hasMin && !hasMax {
		p.addf(join(path, "maxCount"), "a collection rule needs minCount, maxCount or both")
	}
	if p.set(r.minSlot) && p.set(r.maxSlot) && p.rs.base[r.minSlot].Num > p.rs.base[r.maxSlot].Num {
		p.addf(join(path, "minCount"), "minCount (%v) is more than maxCount (%v)", p.rs.base[r.minSlot].Num, p.rs.base[r.maxSlot].Num)
	}
	opv, hasOp := m["operation"]
	if !hasOp {
		p.addf(join(path, "operation"), `operation is required: one of "intersection", "contains", "reference_intersection_count"`)
		return
	}
	op, okOp := p.enum(join(path, "operation"), opv, "operation", "intersection", "contains", "reference_intersection_count")
	if !okOp {
		return
	}
	r.op = op
	rv, hasRef := m["referenceValue"]
	switch op {
	case "intersection":
		if hasRef {
			p.addf(join(path, "referenceValue"), "the intersection operation compares players with each other and takes no referenceValue")
		}
	case "contains":
		if !hasRef {
			p.addf(join(path, "referenceValue"), "the contains operation needs a referenceValue, the string to look for")
		} else if p.reference(path, rv, r, expr.LeafString) && r.refType != (expr.Type{Leaf: expr.LeafString}) {
			p.addf(join(path, "referenceValue"), "the contains operation looks for one string, but referenceValue is %s", r.refType)
		}
	case "reference_intersection_count":
		if !hasRef {
			p.addf(join(path, "referenceValue"), "reference_intersection_count needs a referenceValue: a list of strings or an expression giving one")
		} else if p.reference(path, rv, r, expr.LeafString) && r.refType != (expr.Type{Depth: 1, Leaf: expr.LeafString}) {
			p.addf(join(path, "referenceValue"), "reference_intersection_count compares each list with a list of strings, but referenceValue is %s", r.refType)
		}
	}
	if !ok {
		return
	}
	r.finishRef()
	// A count of lists holding a value only grows as players join, so a
	// minimum on it can fail while a match is still short of players.
	if op == "contains" && hasMin {
		r.deferrable = true
	}
}

func (p *parser) latency(path string, m map[string]any, r *rule) {
	p.aggregation(path, m, r, false)
	r.placementFree = true
	r.latSlot = p.numberProp(path, m, r, "maxLatency")
	r.maxSlot = p.numberProp(path, m, r, "maxDistance")
	_, hasLat := m["maxLatency"]
	_, hasDist := m["maxDistance"]
	dv, hasRef := m["distanceReference"]
	if p.rs.large {
		if !hasLat {
			p.addf(join(path, "maxLatency"), "a latency rule in a large match needs maxLatency")
		}
		if hasDist {
			p.addf(join(path, "maxDistance"), "a latency rule in a large match can only set maxLatency")
		}
		if hasRef {
			p.addf(join(path, "distanceReference"), "a latency rule in a large match can only set maxLatency")
		}
		delete(r.props, "maxDistance")
		return
	}
	if !hasLat && !hasDist {
		p.addf(join(path, "maxLatency"), "a latency rule needs maxLatency, maxDistance or both")
	}
	if hasRef {
		if s, ok := p.enum(join(path, "distanceReference"), dv, "distanceReference", "min", "avg"); ok {
			r.distRefMin = s == "min"
		}
		if !hasDist {
			p.addf(join(path, "distanceReference"), "distanceReference is only used with maxDistance")
		}
	}
}

func (p *parser) sortRule(path string, m map[string]any, r *rule) {
	p.aggregation(path, m, r, false)
	if v, ok := m["sortDirection"]; !ok {
		p.addf(join(path, "sortDirection"), `sortDirection is required: "ascending" or "descending"`)
	} else if s, ok := p.enum(join(path, "sortDirection"), v, "sortDirection", "ascending", "descending"); ok {
		r.descending = s == "descending"
	}
	av, ok := m["sortAttribute"]
	if !ok {
		p.addf(join(path, "sortAttribute"), "sortAttribute is required: the attribute to sort tickets by")
		return
	}
	k, ok := p.declaredAttr(join(path, "sortAttribute"), av, "sortAttribute", AttributeNumber, AttributeStringNumberMap)
	if !ok {
		return
	}
	r.attr = k
	mv, hasKey := m["mapKey"]
	switch {
	case p.rs.attrs[k].typ == AttributeStringNumberMap && !hasKey:
		p.addf(join(path, "mapKey"), `sortAttribute %q is a string_number_map, so mapKey ("minValue" or "maxValue") is required`, p.rs.attrs[k].name)
	case p.rs.attrs[k].typ == AttributeNumber && hasKey:
		p.addf(join(path, "mapKey"), "mapKey only applies to string_number_map attributes; %q is a number", p.rs.attrs[k].name)
	case hasKey:
		if s, ok := p.enum(join(path, "mapKey"), mv, "mapKey", "minValue", "maxValue"); ok {
			r.mapKeyMax = s == "maxValue"
		}
	}
}

// statement is a compound rule's logic: an operator over rules and nested
// statements.
type statement struct {
	op   string // and, or, not, xor; "" for a rule reference
	rule *rule
	args []*statement
}

func (p *parser) statement(path, text string, self *rule) *statement {
	sp := stmtParser{src: text}
	st, err := sp.parse()
	if err != nil {
		p.addf(path, "%v", err)
		return nil
	}
	if st.op == "" {
		p.addf(path, "a compound statement starts with and(, or(, not( or xor(")
		return nil
	}
	ok := true
	deferrable, free := false, true
	var resolve func(s *statement)
	resolve = func(s *statement) {
		if s.op != "" {
			for _, a := range s.args {
				resolve(a)
			}
			return
		}
		name := s.rule.name
		var target *rule
		for _, r := range p.rs.rules {
			if r.name == name {
				target = r
				break
			}
		}
		switch {
		case name == self.name:
			p.addf(path, "compound rule %q cannot name itself", name)
			ok = false
		case target == nil || target.index > self.index:
			p.addf(path, "rule %q is not defined before this compound rule (the rules a compound rule names must come earlier in the rule set)", name)
			ok = false
		case target.kind == kindBatchDistance:
			p.addf(path, "compound rules cannot use batchDistance rules such as %q", name)
			ok = false
		case target.kind == kindAbsoluteSort || target.kind == kindDistanceSort:
			p.addf(path, "%q is a sort rule; sort rules order tickets and are never true or false, so compound rules cannot use them", name)
			ok = false
		default:
			target.inCompound = true
			s.rule = target
			deferrable = deferrable || target.deferrable
			free = free && target.placementFree
		}
	}
	resolve(st)
	if !ok {
		return nil
	}
	self.deferrable, self.placementFree = deferrable, free
	return st
}

type stmtParser struct {
	src   string
	pos   int
	depth int
}

func (sp *stmtParser) errf(format string, args ...any) error {
	return fmt.Errorf("at character %d: %s", sp.pos+1, fmt.Sprintf(format, args...))
}

func (sp *stmtParser) space() {
	for sp.pos < len(sp.src) && strings.ContainsRune(" \t\r\n", rune(sp.src[sp.pos])) {
		sp.pos++
	}
}

func (sp *stmtParser) parse() (*statement, error) {
	s, err := sp.term()
	if err != nil {
		return nil, err
	}
	sp.space()
	if sp.pos != len(sp.src) {
		return nil, sp.errf("unexpected %q after the end of the statement", sp.src[sp.pos:])
	}
	return s, nil
}

func (sp *stmtParser) term() (*statement, error) {
	sp.depth++
	defer func() { sp.depth-- }()
	if sp.depth > expr.MaxDepth {
		return nil, sp.errf("statements nest more than %d deep", expr.MaxDepth)
	}
	sp.space()
	start := sp.pos
	for sp.pos < len(sp.src) && !strings.ContainsRune("(), \t\r\n", rune(sp.src[sp.pos])) {
		sp.pos++
	}
	word := sp.src[start:sp.pos]
	if word == "" {
		if sp.pos >= len(sp.src) {
			return nil, sp.errf("expected a rule name or an operator but the statement ended")
		}
		return nil, sp.errf("expected a rule name or an operator, found %q", sp.src[sp.pos:sp.pos+1])
	}
	sp.space()
	if sp.pos >= len(sp.src) || sp.src[sp.pos] != '(' {
		return &statement{rule: &rule{name: word}}, nil
	}
	if word != "and" && word != "or" && word != "not" && word != "xor" {
		return nil, fmt.Errorf("at character %d: unknown operator %q (compound rules use and, or, not, xor)", start+1, word)
	}
	sp.pos++
	s := &statement{op: word}
	for {
		a, err := sp.term()
		if err != nil {
			return nil, err
		}
		s.args = append(s.args, a)
		sp.space()
		if sp.pos >= len(sp.src) {
			return nil, sp.errf("%s( is never closed", word)
		}
		if sp.src[sp.pos] == ',' {
			sp.pos++
			continue
		}
		if sp.src[sp.pos] != ')' {
			return nil, sp.errf("expected ',' or ')' in %s(...), found %q", word, sp.src[sp.pos:sp.pos+1])
		}
		sp.pos++
		break
	}
	if word == "not" && len(s.args) != 1 {
		return nil, fmt.Errorf("at character %d: not takes exactly one argument, not %d", start+1, len(s.args))
	}
	if word != "not" && len(s.args) < 2 {
		return nil, fmt.Errorf("at character %d: %s takes at least two arguments", start+1, word)
	}
	return s, nil
}
