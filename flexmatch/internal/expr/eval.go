package expr

import (
	"math"
	"slices"
)

// Context is the potential match an expression reads. Team slots are the
// rule set's teams after quantity copies, in order; players are numbered
// from zero within their team.
type Context interface {
	// TeamLen returns how many players team slot has.
	TeamLen(slot int) int
	// Attr returns attribute attr (an index into Env.Attrs) of player i of
	// team slot. The caller decides how a party's values are combined.
	Attr(slot, i, attr int) Value
	// FillAttr stores attribute attr of every player of team slot in dst,
	// which has TeamLen(slot) elements: Attr for a whole team in one call.
	FillAttr(slot, attr int, dst []Value)
	// PlayerID returns the ID of player i of team slot.
	PlayerID(slot, i int) string
}

// Eval computes the expression for the match in ctx. Lists in the result
// live in a and stay valid until a is reset.
func (x *Expr) Eval(ctx Context, a *Arena) Value {
	return eval(x.root, ctx, a)
}

func eval(n *node, ctx Context, a *Arena) Value {
	if n.shared {
		if v, ok := a.remembered(n.id); ok {
			return v
		}
		v := evalNode(n, ctx, a)
		a.remember(n.id, v)
		return v
	}
	return evalNode(n, ctx, a)
}

func evalNode(n *node, ctx Context, a *Arena) Value {
	switch n.op {
	case opNumber:
		return Num(n.num)
	case opPath:
		if !n.grouped {
			return teamList(n, n.teams[0], ctx, a)
		}
		if n.flat {
			// flatten(teams[...]...): one list of every selected player.
			total := 0
			for _, slot := range n.teams {
				total += ctx.TeamLen(slot)
			}
			out := a.alloc(total)
			k := 0
			for _, slot := range n.teams {
				size := ctx.TeamLen(slot)
				fillTeam(n, slot, ctx, out[k:k+size])
				k += size
			}
			return Value{Kind: List, List: out}
		}
		out := a.alloc(len(n.teams))
		for k, slot := range n.teams {
			out[k] = teamList(n, slot, ctx, a)
		}
		return Value{Kind: List, List: out}
	case opCall:
		return apply(n, eval(n.arg, ctx, a), n.mapLevels, a)
	}
	return Value{}
}

func teamList(n *node, slot int, ctx Context, a *Arena) Value {
	l := a.alloc(ctx.TeamLen(slot))
	fillTeam(n, slot, ctx, l)
	return Value{Kind: List, List: l}
}

func fillTeam(n *node, slot int, ctx Context, l []Value) {
	switch n.field {
	case fieldPlayers:
		for i := range l {
			l[i] = Value{Kind: Player}
		}
	case fieldPlayerID:
		for i := range l {
			l[i] = Str(ctx.PlayerID(slot, i))
		}
	case fieldAttr:
		ctx.FillAttr(slot, n.attrIdx, l)
	}
}

func apply(n *node, v Value, levels int, a *Arena) Value {
	if levels > 0 {
		if v.Kind != List {
			return Value{}
		}
		out := a.alloc(len(v.List))
		for i, e := range v.List {
			out[i] = apply(n, e, levels-1, a)
		}
		return Value{Kind: List, List: out}
	}
	switch n.fn {
	case FuncCount:
		if v.Kind != List {
			return Value{}
		}
		return Num(float64(len(v.List)))
	case FuncFlatten:
		return flatten(v, n.arg.typ.Depth > 1, a)
	case FuncSetIntersection:
		if n.arg.typ.Depth == 1 {
			return v
		}
		return intersect(v, a)
	}
	return aggregate(n.fn, v, a)
}

func flatten(v Value, nested bool, a *Arena) Value {
	if v.Kind != List || !nested {
		return v
	}
	total := 0
	for _, e := range v.List {
		if e.Kind == List {
			total += len(e.List)
		} else {
			total++
		}
	}
	out := a.alloc(total)
	k := 0
	for _, e := range v.List {
		if e.Kind == List {
			k += copy(out[k:], e.List)
		} else {
			out[k] = e
			k++
		}
	}
	return Value{Kind: List, List: out}
}

// intersect returns the strings found in every list of v, in the order of
// the first list, without repeats. With no lists at all there is nothing to
// intersect, and the result is undefined rather than empty.
func intersect(v Value, a *Arena) Value {
	if v.Kind != List || len(v.List) == 0 {
		return Value{}
	}
	first := v.List[0]
	if first.Kind != List {
		return Value{}
	}
	out := a.alloc(len(first.List))
	k := 0
next:
	for _, s := range first.List {
		for _, prev := range out[:k] {
			if prev.Str == s.Str {
				continue next
			}
		}
		for _, other := range v.List[1:] {
			if !containsStr(other, s.Str) {
				continue next
			}
		}
		out[k] = s
		k++
	}
	return Value{Kind: List, List: out[:k]}
}

func containsStr(list Value, s string) bool {
	if list.Kind != List {
		return false
	}
	for _, e := range list.List {
		if e.Kind == String && e.Str == s {
			return true
		}
	}
	return false
}

// aggregate reduces a list of numbers. Undefined elements (the average of an
// empty team) are skipped; a list with no numbers left has no minimum,
// maximum, average, median or deviation, but its sum is zero.
func aggregate(fn Func, v Value, a *Arena) Value {
	var items []Value
	switch v.Kind {
	case Number:
		items = []Value{v}
	case List:
		items = v.List
	default:
		return Value{}
	}
	n := 0
	sum := 0.0
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, e := range items {
		if e.Kind != Number {
			continue
		}
		n++
		sum += e.Num
		lo = min(lo, e.Num)
		hi = max(hi, e.Num)
	}
	if n == 0 {
		if fn == FuncSum {
			return Num(0)
		}
		return Value{}
	}
	switch fn {
	case FuncMin:
		return Num(lo)
	case FuncMax:
		return Num(hi)
	case FuncSum:
		return Num(sum)
	case FuncAvg:
		return Num(sum / float64(n))
	case FuncStddev:
		// Population standard deviation: the list is the whole match, not a
		// sample of some larger population.
		mean := sum / float64(n)
		sq := 0.0
		for _, e := range items {
			if e.Kind == Number {
				d := e.Num - mean
				sq += d * d
			}
		}
		return Num(math.Sqrt(sq / float64(n)))
	case FuncMedian:
		fs := a.scratch(n)[:0]
		for _, e := range items {
			if e.Kind == Number {
				fs = append(fs, e.Num)
			}
		}
		slices.Sort(fs)
		if n%2 == 1 {
			return Num(fs[n/2])
		}
		return Num((fs[n/2-1] + fs[n/2]) / 2)
	}
	return Value{}
}
