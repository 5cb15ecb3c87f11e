package flexmatch

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/rallypoint/rallypoint/flexmatch/internal/expr"
)

// expansion relaxes one property over time: from each step's
// waitTimeSeconds on, the property takes the step's value.
type expansion struct {
	path  string
	slot  int
	rule  *rule // the rule it relaxes, or nil for a team size
	team  int   // the team definition it relaxes, or -1
	steps []step
}

type step struct {
	wait float64
	val  expr.Value
}

// paramTable holds the property values in force at every age. Waits are
// absolute ("expansions are not compounded"), so the values only change at
// the distinct waitTimeSeconds of all steps; tables[k] holds the values from
// breaks[k-1] seconds on, tables[0] the values before any expansion.
type paramTable struct {
	breaks    []float64
	tables    [][]expr.Value
	ruleSteps [][]int // per table, per rule: expansion steps applied to it
	teamSteps [][]int // per table, per team definition
}

// level returns the table in force at age seconds.
func (t *paramTable) level(age float64) int {
	return sort.Search(len(t.breaks), func(i int) bool { return t.breaks[i] > age })
}

func (p *parser) expansions(v any) {
	list, ok := p.list("expansions", v, "expansions")
	if !ok {
		return
	}
	owner := map[int]string{} // slot -> path of the expansion that owns it
	for i, item := range list {
		path := index("expansions", i)
		m, ok := p.object(path, item, "an expansion", "target", "steps")
		if !ok {
			continue
		}
		target, ok := p.nonEmpty(m, path, "target", "the expansion target")
		if !ok {
			continue
		}
		var exps []expansion
		if strings.HasPrefix(target, "rules[") || strings.HasPrefix(target, "rule[") {
			e, ok := p.ruleTarget(join(path, "target"), target)
			if !ok {
				continue
			}
			exps = append(exps, e)
		} else if strings.HasPrefix(target, "teams[") || strings.HasPrefix(target, "team[") {
			exps = p.teamTargets(join(path, "target"), target)
			if exps == nil {
				continue
			}
		} else {
			p.addf(join(path, "target"), "target %q must be rules[<rule name>].<property> or teams[<team names>].minPlayers or .maxPlayers", target)
			continue
		}
		sv, ok := m["steps"]
		if !ok {
			p.addf(join(path, "steps"), "steps is required: a list of {waitTimeSeconds, value}")
			continue
		}
		steps, ok := p.steps(join(path, "steps"), sv, exps[0])
		if !ok {
			continue
		}
		for _, e := range exps {
			if prev, dup := owner[e.slot]; dup {
				p.addf(join(path, "target"), "%s is already expanded by %s", target, prev)
				continue
			}
			owner[e.slot] = path
			e.path = path
			e.steps = steps
			p.rs.exps = append(p.rs.exps, e)
		}
	}
}

// splitTarget splits "rules[name].property" into name and property.
func splitTarget(target string) (names, property string, ok bool) {
	open := strings.IndexByte(target, '[')
	end := strings.LastIndexByte(target, ']')
	if open < 0 || end < open || !strings.HasPrefix(target[end+1:], ".") {
		return "", "", false
	}
	return target[open+1 : end], target[end+2:], true
}

var expandable = map[ruleKind][]string{
	kindBatchDistance: {"maxDistance"},
	kindComparison:    {"referenceValue"},
	kindDistance:      {"referenceValue", "minDistance", "maxDistance"},
	kindCollection:    {"referenceValue", "minCount", "maxCount"},
	kindLatency:       {"maxLatency", "maxDistance"},
}

func (p *parser) ruleTarget(path, target string) (expansion, bool) {
	name, prop, ok := splitTarget(target)
	if !ok {
		p.addf(path, "target %q must look like rules[<rule name>].<property>", target)
		return expansion{}, false
	}
	name = strings.TrimSpace(name)
	var r *rule
	for _, x := range p.rs.rules {
		if x.name == name {
			r = x
		}
	}
	if r == nil {
		p.addf(path, "target %q names rule %q, which the rule set does not define", target, name)
		return expansion{}, false
	}
	switch r.kind {
	case kindCompound:
		p.addf(path, "compound rule %q cannot be expanded; expand the rules it names instead", name)
		return expansion{}, false
	case kindAbsoluteSort, kindDistanceSort:
		p.addf(path, "sort rule %q has nothing to expand", name)
		return expansion{}, false
	}
	slot, ok := r.props[prop]
	if !ok || !slices.Contains(expandable[r.kind], prop) {
		p.addf(path, "a %s rule has no expandable property %q (it has %s)", r.kind, prop, strings.Join(expandableOf(r), ", "))
		return expansion{}, false
	}
	if slot < 0 {
		p.addf(path, "rule %q's referenceValue is a property expression; only a literal referenceValue can be expanded", name)
		return expansion{}, false
	}
	return expansion{slot: slot, rule: r, team: -1}, true
}

func expandableOf(r *rule) []string {
	var out []string
	for _, prop := range expandable[r.kind] {
		if _, ok := r.props[prop]; ok {
			out = append(out, prop)
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

func (p *parser) teamTargets(path, target string) []expansion {
	names, prop, ok := splitTarget(target)
	if !ok {
		p.addf(path, "target %q must look like teams[<team names>].minPlayers", target)
		return nil
	}
	if prop != "minPlayers" && prop != "maxPlayers" {
		p.addf(path, "a team expansion changes minPlayers or maxPlayers, not %q", prop)
		return nil
	}
	var out []expansion
	for _, name := range strings.Split(names, ",") {
		name = strings.TrimSpace(name)
		idx := -1
		for i, d := range p.rs.teamDefs {
			if d.name == name {
				idx = i
			}
		}
		if idx < 0 {
			hint := ""
			for _, s := range p.rs.slots {
				if s.name == name {
					hint = fmt.Sprintf(" (an expansion changes every copy of a team with a quantity: use %q)", p.rs.teamDefs[s.def].name)
				}
			}
			p.addf(path, "target %q names team %q, which the rule set does not define%s", target, name, hint)
			return nil
		}
		slot := p.rs.teamDefs[idx].minSlot
		if prop == "maxPlayers" {
			slot = p.rs.teamDefs[idx].maxSlot
		}
		out = append(out, expansion{slot: slot, team: idx})
	}
	return out
}

func (p *parser) steps(path string, v any, e expansion) ([]step, bool) {
	list, ok := p.list(path, v, "steps")
	if !ok {
		return nil, false
	}
	if len(list) == 0 {
		p.addf(path, "an expansion needs at least one step")
		return nil, false
	}
	base := p.rs.base[e.slot]
	var out []step
	for i, item := range list {
		sp := index(path, i)
		m, ok := p.object(sp, item, "an expansion step", "waitTimeSeconds", "value")
		if !ok {
			return nil, false
		}
		wv, ok := m["waitTimeSeconds"]
		if !ok {
			p.addf(join(sp, "waitTimeSeconds"), "waitTimeSeconds is required")
			return nil, false
		}
		wait, ok := p.nonNegative(join(sp, "waitTimeSeconds"), wv, "waitTimeSeconds")
		if !ok {
			return nil, false
		}
		if len(out) > 0 && wait <= out[len(out)-1].wait {
			p.addf(join(sp, "waitTimeSeconds"), "waitTimeSeconds must grow from step to step (waits are absolute: %v is not after %v)", wait, out[len(out)-1].wait)
			return nil, false
		}
		vv, ok := m["value"]
		if !ok {
			p.addf(join(sp, "value"), "value is required")
			return nil, false
		}
		val, ok := p.stepValue(join(sp, "value"), vv, e, base)
		if !ok {
			return nil, false
		}
		out = append(out, step{wait: wait, val: val})
	}
	return out, true
}

func (p *parser) stepValue(path string, v any, e expansion, base expr.Value) (expr.Value, bool) {
	if e.team >= 0 {
		n, ok := p.integer(path, v, "a team size", 0, maxMatchPlayers)
		return expr.Num(float64(n)), ok
	}
	switch {
	case base.Kind == expr.String:
		s, ok := p.str(path, v, "the value (referenceValue is a string)")
		return expr.Str(s), ok
	case base.Kind == expr.List:
		l, ok := p.list(path, v, "the value (referenceValue is a list of strings)")
		if !ok {
			return expr.Value{}, false
		}
		ss := make([]string, 0, len(l))
		for i, x := range l {
			s, ok := p.str(index(path, i), x, "a list entry")
			if !ok {
				return expr.Value{}, false
			}
			ss = append(ss, s)
		}
		return expr.Strings(dedupe(ss)), true
	case e.rule != nil && e.slot == e.rule.refSlot:
		n, ok := p.number(path, v, "the value")
		return expr.Num(n), ok
	}
	n, ok := p.nonNegative(path, v, "the value")
	return expr.Num(n), ok
}

// finish builds the parameter table and checks what only shows once
// expansions are applied: team sizes that cross, and a match that would
// change size class.
func (p *parser) finish() {
	rs := p.rs
	var breaks []float64
	for _, e := range rs.exps {
		for _, s := range e.steps {
			breaks = append(breaks, s.wait)
		}
	}
	slices.Sort(breaks)
	breaks = slices.Compact(breaks)
	t := paramTable{breaks: breaks}
	for k := 0; k <= len(breaks); k++ {
		vals := slices.Clone(rs.base)
		rsteps := make([]int, len(rs.rules))
		tsteps := make([]int, len(rs.teamDefs))
		for _, e := range rs.exps {
			n := 0
			for _, s := range e.steps {
				if k > 0 && s.wait <= breaks[k-1] {
					vals[e.slot] = s.val
					n++
				}
			}
			if e.rule != nil {
				rsteps[e.rule.index] = max(rsteps[e.rule.index], n)
			} else {
				tsteps[e.team] = max(tsteps[e.team], n)
			}
		}
		t.tables = append(t.tables, vals)
		t.ruleSteps = append(t.ruleSteps, rsteps)
		t.teamSteps = append(t.teamSteps, tsteps)
	}
	rs.params = t
	for i := range rs.teamDefs {
		d := &rs.teamDefs[i]
		for k, vals := range t.tables {
			lo, hi := int(vals[d.minSlot].Num), int(vals[d.maxSlot].Num)
			d.maxOverExpansions = max(d.maxOverExpansions, hi)
			if lo > hi {
				at := "before any expansion"
				if k > 0 {
					at = fmt.Sprintf("from %v seconds", t.breaks[k-1])
				}
				p.addf(p.teamExpansionPath(i), "%s team %q would need at least %d players but hold at most %d", at, d.name, lo, hi)
				break
			}
			if hi == 0 {
				p.addf(p.teamExpansionPath(i), "team %q would hold no players", d.name)
				break
			}
		}
	}
	if total := rs.MaxPlayers(); total > maxMatchPlayers {
		p.addf("expansions", "with its expansions a match would hold %d players; the most is %d", total, maxMatchPlayers)
	} else if (total > largeMatchOver) != rs.large {
		p.addf("expansions", "expanding maxPlayers would take the match across the %d-player line between small and large matches, which use different algorithms", largeMatchOver)
	}
}

func (p *parser) teamExpansionPath(team int) string {
	for _, e := range p.rs.exps {
		if e.team == team {
			return join(e.path, "steps")
		}
	}
	return "teams"
}
