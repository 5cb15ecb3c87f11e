package flexmatch

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The oracle is a second, deliberately simple reading of FlexMatch rule
// sets, written without any of the engine's code: it decodes the rule set
// JSON into maps, evaluates property expressions by walking the text, and
// checks a finished match against every rule. The property test asks it to
// confirm each match the engine makes. Being slow and obvious is the point.

type oracle struct {
	doc       map[string]any
	attrTypes map[string]string
	defaults  map[string]any
	teams     []oTeam // slots, after quantity copies
	rules     map[string]map[string]any
	order     []string
	oldest    bool
}

type oTeam struct {
	name, def string
	min, max  float64
}

// oPlayer is a player as the oracle sees it: attribute values as JSON-ish
// Go values (float64, string, []any of strings), latencies by location.
type oPlayer struct {
	id      string
	ticket  *oTicket
	attrs   map[string]any
	latency map[string]float64
}

type oTicket struct {
	id       string
	backfill bool
	players  []*oPlayer
}

func stripCommentsSimply(s string) string {
	var b strings.Builder
	inStr := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inStr:
			b.WriteByte(c)
			if c == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			} else if c == '"' {
				inStr = false
			}
		case c == '"':
			inStr = true
			b.WriteByte(c)
		case strings.HasPrefix(s[i:], "//"):
			for i < len(s) && s[i] != '\n' {
				i++
			}
			b.WriteByte('\n')
		case strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			i += 2 + end + 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func num(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case string:
		f, _ := strconv.ParseFloat(v, 64)
		return f
	}
	return math.NaN()
}

func newOracle(body string) (*oracle, error) {
	o := &oracle{attrTypes: map[string]string{}, defaults: map[string]any{}, rules: map[string]map[string]any{}}
	if err := json.Unmarshal([]byte(stripCommentsSimply(body)), &o.doc); err != nil {
		return nil, err
	}
	for _, a := range asList(o.doc["playerAttributes"]) {
		a := a.(map[string]any)
		o.attrTypes[a["name"].(string)] = a["type"].(string)
		if d, ok := a["default"]; ok {
			o.defaults[a["name"].(string)] = d
		}
	}
	for _, t := range asList(o.doc["teams"]) {
		t := t.(map[string]any)
		q := 1
		if v, ok := t["quantity"]; ok {
			q = int(num(v))
		}
		for i := 1; i <= q; i++ {
			name := t["name"].(string)
			if q > 1 {
				name = fmt.Sprintf("%s_%d", name, i)
			}
			o.teams = append(o.teams, oTeam{name: name, def: t["name"].(string), min: num(t["minPlayers"]), max: num(t["maxPlayers"])})
		}
	}
	for _, r := range asList(o.doc["rules"]) {
		r := r.(map[string]any)
		o.rules[r["name"].(string)] = r
		o.order = append(o.order, r["name"].(string))
	}
	if alg, ok := o.doc["algorithm"].(map[string]any); ok {
		o.oldest = alg["expansionAgeSelection"] == "oldest"
	}
	return o, nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// value returns what the rule set says property target ("rules[x].maxDistance",
// "teams[red].minPlayers") is at age seconds, with expansions applied.
func (o *oracle) value(component, name, prop string, base any, age float64) any {
	v := base
	for _, e := range asList(o.doc["expansions"]) {
		e := e.(map[string]any)
		target := e["target"].(string)
		open, end := strings.Index(target, "["), strings.LastIndex(target, "]")
		comp, names, p := target[:open], target[open+1:end], target[end+2:]
		if strings.TrimSuffix(comp, "s") != strings.TrimSuffix(component, "s") || p != prop {
			continue
		}
		hit := false
		for _, n := range strings.Split(names, ",") {
			hit = hit || strings.TrimSpace(n) == name
		}
		if !hit {
			continue
		}
		for _, s := range asList(e["steps"]) {
			s := s.(map[string]any)
			if num(s["waitTimeSeconds"]) <= age {
				v = s["value"]
			}
		}
	}
	return v
}

// attr is player p's value of attribute name as a rule with party
// aggregation agg sees it.
func (o *oracle) attr(p *oPlayer, name, agg string) any {
	own := p.attrs[name]
	t := p.ticket
	if t.backfill || len(t.players) == 1 {
		return own
	}
	switch o.attrTypes[name] {
	case "number":
		var vals []float64
		for _, q := range t.players {
			vals = append(vals, q.attrs[name].(float64))
		}
		switch agg {
		case "min":
			return slices.Min(vals)
		case "max":
			return slices.Max(vals)
		}
		sum := 0.0
		for _, v := range vals {
			sum += v
		}
		return sum / float64(len(vals))
	case "string_list":
		var out []any
		for i, q := range t.players {
			l := q.attrs[name].([]any)
			if agg == "intersection" {
				if i == 0 {
					out = slices.Clone(l)
					continue
				}
				out = slices.DeleteFunc(out, func(x any) bool { return !slices.Contains(l, x) })
				continue
			}
			for _, x := range l {
				if !slices.Contains(out, x) {
					out = append(out, x)
				}
			}
		}
		if out == nil {
			out = []any{}
		}
		return out
	}
	return own
}

var (
	reCall = regexp.MustCompile(`^(\w+)\((.*)\)$`)
	rePath = regexp.MustCompile(`^teams?\[([^\]]*)\](?:\.players(?:\.attributes\[([^\]]*)\]|\[(\w+)\])?)?$`)
)

// eval computes a property expression on match (players by team slot)
// and returns the value with its list depth.
func (o *oracle) eval(src string, match [][]*oPlayer, agg string) (any, int) {
	src = strings.Join(strings.Fields(src), "")
	if f, err := strconv.ParseFloat(src, 64); err == nil {
		return f, 0
	}
	if m := reCall.FindStringSubmatch(src); m != nil {
		v, d := o.eval(m[2], match, agg)
		return o.call(m[1], v, d)
	}
	m := rePath.FindStringSubmatch(src)
	if m == nil {
		panic("oracle cannot read " + src)
	}
	var slots []int
	for _, n := range strings.Split(m[1], ",") {
		for i, t := range o.teams {
			if n == "*" || t.name == n || t.def == n {
				slots = append(slots, i)
			}
		}
	}
	team := func(slot int) []any {
		out := []any{}
		for _, p := range match[slot] {
			switch {
			case m[2] != "":
				out = append(out, o.attr(p, m[2], agg))
			case m[3] != "":
				out = append(out, p.id)
			default:
				out = append(out, "player")
			}
		}
		return out
	}
	depth := 1
	if m[2] != "" && o.attrTypes[m[2]] == "string_list" {
		depth = 2
	}
	if m[1] != "*" && len(slots) == 1 {
		return team(slots[0]), depth
	}
	var out []any
	for _, s := range slots {
		out = append(out, team(s))
	}
	return out, depth + 1
}

func (o *oracle) call(fn string, v any, depth int) (any, int) {
	switch fn {
	case "flatten":
		if depth < 2 {
			return v, depth
		}
		out := []any{}
		for _, e := range v.([]any) {
			out = append(out, e.([]any)...)
		}
		return out, depth - 1
	case "set_intersection":
		if depth < 2 {
			return v, depth
		}
		if depth > 2 {
			return o.mapOver(fn, v, depth)
		}
		lists := v.([]any)
		if len(lists) == 0 {
			return nil, 1
		}
		out := []any{}
		for _, x := range lists[0].([]any) {
			all := !slices.Contains(out, x)
			for _, l := range lists[1:] {
				all = all && slices.Contains(l.([]any), x)
			}
			if all {
				out = append(out, x)
			}
		}
		return out, 1
	case "count":
		if depth > 1 {
			return o.mapOver(fn, v, depth)
		}
		if v == nil {
			return nil, 0
		}
		return float64(len(v.([]any))), 0
	}
	if depth > 1 {
		return o.mapOver(fn, v, depth)
	}
	var xs []float64
	if depth == 0 {
		if f, ok := v.(float64); ok {
			xs = []float64{f}
		}
	} else {
		for _, e := range v.([]any) {
			if f, ok := e.(float64); ok {
				xs = append(xs, f)
			}
		}
	}
	if len(xs) == 0 {
		if fn == "sum" {
			return 0.0, 0
		}
		return nil, 0
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	switch fn {
	case "min":
		return slices.Min(xs), 0
	case "max":
		return slices.Max(xs), 0
	case "sum":
		return sum, 0
	case "avg":
		return mean, 0
	case "median":
		s := slices.Sorted(slices.Values(xs))
		if len(s)%2 == 1 {
			return s[len(s)/2], 0
		}
		return (s[len(s)/2-1] + s[len(s)/2]) / 2, 0
	case "stddev":
		sq := 0.0
		for _, x := range xs {
			sq += (x - mean) * (x - mean)
		}
		return math.Sqrt(sq / float64(len(xs))), 0
	}
	panic("oracle: unknown function " + fn)
}

func (o *oracle) mapOver(fn string, v any, depth int) (any, int) {
	var out []any
	d := 0
	for _, e := range v.([]any) {
		var r any
		r, d = o.call(fn, e, depth-1)
		out = append(out, r)
	}
	if out == nil {
		out = []any{}
		d = depth - 2
	}
	return out, d + 1
}

// leafValues lists the numbers and strings in v, skipping undefined ones.
func leafValues(v any) []any {
	switch v := v.(type) {
	case []any:
		var out []any
		for _, e := range v {
			out = append(out, leafValues(e)...)
		}
		return out
	case float64, string:
		return []any{v}
	}
	return nil
}

func measures(r map[string]any) []string {
	switch m := r["measurements"].(type) {
	case string:
		return []string{m}
	case []any:
		var out []string
		for _, e := range m {
			out = append(out, e.(string))
		}
		return out
	}
	return nil
}

func aggOf(r map[string]any, def string) string {
	if a, ok := r["partyAggregation"].(string); ok {
		return a
	}
	return def
}

// reference evaluates a rule's referenceValue (after expansions); nil when
// it is an expression whose value is undefined.
func (o *oracle) reference(r map[string]any, match [][]*oPlayer, agg string, age float64) any {
	ref := o.value("rules", r["name"].(string), "referenceValue", r["referenceValue"], age)
	if s, ok := ref.(string); ok && (strings.Contains(s, "(") || strings.HasPrefix(s, "team")) {
		v, _ := o.eval(s, match, agg)
		return v
	}
	if s, ok := ref.(string); ok {
		if f, err := strconv.ParseFloat(s, 64); err == nil && o.leafIsNumber(r) {
			return f
		}
	}
	return ref
}

func (o *oracle) leafIsNumber(r map[string]any) bool {
	for _, m := range measures(r) {
		if strings.Contains(m, "attributes[") {
			name := m[strings.Index(m, "attributes[")+11:]
			name = name[:strings.Index(name, "]")]
			return o.attrTypes[name] == "number"
		}
	}
	return true
}

func within(x float64, lo, hi any) bool {
	if lo != nil && x < num(lo) {
		return false
	}
	return hi == nil || x <= num(hi)
}

// check evaluates rule name on the match at age; it reports whether the
// rule passes.
func (o *oracle) check(name string, match [][]*oPlayer, age float64) bool {
	r := o.rules[name]
	prop := func(p string) any { return o.value("rules", name, p, r[p], age) }
	switch r["type"] {
	case "absoluteSort", "distanceSort":
		return true
	case "compound":
		return o.statement(strings.Join(strings.Fields(r["statement"].(string)), ""), match, age)
	case "comparison":
		agg := aggOf(r, "avg")
		_, hasRef := r["referenceValue"]
		ref := o.reference(r, match, agg, age)
		if hasRef && ref == nil {
			return true
		}
		for _, m := range measures(r) {
			v, _ := o.eval(m, match, agg)
			xs := leafValues(v)
			for i, x := range xs {
				if !hasRef {
					if r["operation"] == "=" && x != xs[0] || r["operation"] == "!=" && slices.Contains(xs[:i], x) {
						return false
					}
					continue
				}
				if !compareAny(x, r["operation"].(string), ref) {
					return false
				}
			}
		}
		return true
	case "distance":
		agg := aggOf(r, "avg")
		ref, ok := o.reference(r, match, agg, age).(float64)
		if !ok {
			return true
		}
		for _, m := range measures(r) {
			v, _ := o.eval(m, match, agg)
			for _, x := range leafValues(v) {
				if !within(math.Abs(x.(float64)-ref), prop("minDistance"), prop("maxDistance")) {
					return false
				}
			}
		}
		return true
	case "collection":
		agg := aggOf(r, "union")
		ref := o.reference(r, match, agg, age)
		for _, m := range measures(r) {
			v, _ := o.eval(m, match, agg)
			lists := v.([]any)
			switch r["operation"] {
			case "intersection":
				if len(lists) == 0 {
					continue
				}
				common, _ := o.call("set_intersection", v, 2)
				if !within(float64(len(common.([]any))), prop("minCount"), prop("maxCount")) {
					return false
				}
			case "contains":
				n := 0
				for _, l := range lists {
					if slices.Contains(l.([]any), ref) {
						n++
					}
				}
				if !within(float64(n), prop("minCount"), prop("maxCount")) {
					return false
				}
			case "reference_intersection_count":
				if ref == nil {
					continue
				}
				var refs []any
				for _, x := range ref.([]any) {
					if !slices.Contains(refs, x) {
						refs = append(refs, x)
					}
				}
				for _, l := range lists {
					n := 0
					for _, x := range refs {
						if slices.Contains(l.([]any), x) {
							n++
						}
					}
					if !within(float64(n), prop("minCount"), prop("maxCount")) {
						return false
					}
				}
			}
		}
		return true
	case "latency":
		return o.latencyOK(r, match, age)
	case "batchDistance":
		attr := r["batchAttribute"].(string)
		var vals []any
		for _, team := range match {
			for _, p := range team {
				vals = append(vals, o.attr(p, attr, aggOf(r, "avg")))
			}
		}
		if o.attrTypes[attr] == "string" {
			for _, v := range vals {
				if v != vals[0] {
					return false
				}
			}
			return true
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range vals {
			lo, hi = math.Min(lo, v.(float64)), math.Max(hi, v.(float64))
		}
		return len(vals) == 0 || hi-lo <= num(prop("maxDistance"))
	}
	panic(fmt.Sprint("oracle: rule type ", r["type"]))
}

func compareAny(x any, op string, ref any) bool {
	if xs, ok := x.(string); ok {
		rs, _ := ref.(string)
		return op == "=" && xs == rs || op == "!=" && xs != rs
	}
	a, b := x.(float64), num(ref)
	switch op {
	case "<":
		return a < b
	case "<=":
		return a <= b
	case "=":
		return a == b
	case "!=":
		return a != b
	case ">":
		return a > b
	}
	return a >= b
}

func (o *oracle) latencyOK(r map[string]any, match [][]*oPlayer, age float64) bool {
	agg := aggOf(r, "avg")
	maxLat := o.value("rules", r["name"].(string), "maxLatency", r["maxLatency"], age)
	maxDist := o.value("rules", r["name"].(string), "maxDistance", r["maxDistance"], age)
	locs := map[string]bool{}
	for _, team := range match {
		for _, p := range team {
			for l := range p.latency {
				locs[l] = true
			}
		}
	}
	for loc := range locs {
		var lats []float64
		ok := true
		for _, team := range match {
			for _, p := range team {
				l, has := o.partyLatency(p, loc, agg)
				if !has || maxLat != nil && l > num(maxLat) {
					ok = false
				}
				lats = append(lats, l)
			}
		}
		if ok && maxDist != nil {
			ref := slices.Min(lats)
			if r["distanceReference"] != "min" {
				sum := 0.0
				for _, l := range lats {
					sum += l
				}
				ref = sum / float64(len(lats))
			}
			for _, l := range lats {
				if math.Abs(l-ref) > num(maxDist) {
					ok = false
				}
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (o *oracle) partyLatency(p *oPlayer, loc, agg string) (float64, bool) {
	t := p.ticket
	if t.backfill || len(t.players) == 1 {
		l, ok := p.latency[loc]
		return l, ok
	}
	var ls []float64
	for _, q := range t.players {
		l, ok := q.latency[loc]
		if !ok {
			return 0, false
		}
		ls = append(ls, l)
	}
	switch agg {
	case "min":
		return slices.Min(ls), true
	case "max":
		return slices.Max(ls), true
	}
	sum := 0.0
	for _, l := range ls {
		sum += l
	}
	return math.Trunc(sum / float64(len(ls))), true
}

func (o *oracle) statement(s string, match [][]*oPlayer, age float64) bool {
	open := strings.Index(s, "(")
	if open < 0 {
		return o.check(s, match, age)
	}
	op := s[:open]
	var args []string
	depth, start := 0, open+1
	for i := open + 1; i < len(s)-1; i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				args = append(args, s[start:i])
				start = i + 1
			}
		}
	}
	args = append(args, s[start:len(s)-1])
	trues := 0
	for _, a := range args {
		if o.statement(a, match, age) {
			trues++
		}
	}
	switch op {
	case "and":
		return trues == len(args)
	case "or":
		return trues > 0
	case "not":
		return trues == 0
	}
	return trues == 1
}

// verify checks a finished match: team sizes, parties kept together, every
// top-level rule. It returns what is wrong, or "".
func (o *oracle) verify(match [][]*oPlayer, tickets []*oTicket, age float64) string {
	backfill := false
	for _, t := range tickets {
		backfill = backfill || t.backfill
	}
	for i, team := range match {
		lo := num(o.value("teams", o.teams[i].def, "minPlayers", o.teams[i].min, age))
		hi := num(o.value("teams", o.teams[i].def, "maxPlayers", o.teams[i].max, age))
		if n := float64(len(team)); n > hi || n < lo && !backfill {
			return fmt.Sprintf("team %s has %v players, want %v to %v", o.teams[i].name, n, lo, hi)
		}
	}
	for _, t := range tickets {
		if t.backfill {
			continue
		}
		var slot = -1
		for i, team := range match {
			for _, p := range team {
				if p.ticket == t {
					if slot >= 0 && slot != i {
						return "party " + t.id + " split across teams"
					}
					slot = i
				}
			}
		}
	}
	inCompound := map[string]bool{}
	for _, name := range o.order {
		if s, ok := o.rules[name]["statement"].(string); ok {
			for _, other := range o.order {
				if strings.Contains(","+strings.NewReplacer("(", ",", ")", ",", " ", "").Replace(s)+",", ","+other+",") {
					inCompound[other] = true
				}
			}
		}
	}
	for _, name := range o.order {
		if !inCompound[name] && !o.check(name, match, age) {
			return "rule " + name + " fails"
		}
	}
	return ""
}
