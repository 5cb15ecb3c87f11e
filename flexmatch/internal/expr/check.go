package expr

import (
	"fmt"
	"strings"
)

// Leaf is the element type at the bottom of a value's lists.
type Leaf uint8

// The leaf types. Map is a string_number_map attribute, which no function
// accepts; only sort rules read maps, and they do not use expressions.
const (
	LeafNumber Leaf = iota + 1
	LeafString
	LeafPlayer
	LeafMap
)

func (l Leaf) String() string {
	switch l {
	case LeafNumber:
		return "number"
	case LeafString:
		return "string"
	case LeafPlayer:
		return "player"
	case LeafMap:
		return "string_number_map"
	}
	return "?"
}

// Type is the static shape of an expression: how many list levels wrap
// which kind of leaf. List<List<number>> is Type{Depth: 2, Leaf: LeafNumber}.
type Type struct {
	Depth int
	Leaf  Leaf
}

func (t Type) String() string {
	s := t.Leaf.String()
	for range t.Depth {
		s = "List<" + s + ">"
	}
	return s
}

// AttrDecl is a declared player attribute as the checker sees it: a number
// or string attribute has depth 0, a string_list attribute is a list of
// strings.
type AttrDecl struct {
	Name string
	Type Type
}

// TeamDecl is a name an expression may use inside teams[...]. A team
// defined with quantity N answers to its own name (meaning all N copies) and
// to each copy's name (red_1, red_2, ...); Slots lists the team slots the
// name covers.
type TeamDecl struct {
	Name  string
	Slots []int
}

// Env is what the checker knows about the rule set: its attributes and team
// names, and how many team slots a match has.
type Env struct {
	Attrs    []AttrDecl
	Teams    []TeamDecl
	NumSlots int

	// intern maps a canonical form of each subexpression parsed against
	// this Env to its node, so that the measurement and reference value of
	// a rule share the subexpressions they have in common.
	intern map[string]*node
}

// internTree replaces n's subtrees by identical ones parsed earlier and
// returns the node that stands for n.
func (e *Env) internTree(n *node) *node {
	if e.intern == nil {
		e.intern = map[string]*node{}
	}
	var key string
	switch n.op {
	case opNumber:
		key = fmt.Sprintf("n%v", n.num)
	case opPath:
		key = fmt.Sprintf("p%v|%d|%d|%v|%v", n.teams, n.field, n.attrIdx, n.grouped, n.flat)
	case opCall:
		if n.fn == FuncFlatten && n.arg.op == opPath && n.arg.grouped {
			// flatten of a team path is the path read as one list: fuse the
			// two so evaluation builds no per-team lists.
			fused := *n.arg
			fused.flat = true
			fused.typ = n.typ
			return e.internTree(&fused)
		}
		n.arg = e.internTree(n.arg)
		key = fmt.Sprintf("c%d|%d", n.fn, n.arg.id)
	}
	if old, ok := e.intern[key]; ok {
		old.shared = true
		return old
	}
	n.id = len(e.intern) + 1
	e.intern[key] = n
	return n
}

func (e *Env) attr(name string) (int, bool) {
	for i, a := range e.Attrs {
		if a.Name == name {
			return i, true
		}
	}
	return 0, false
}

func (e *Env) team(name string) ([]int, bool) {
	for _, t := range e.Teams {
		if t.Name == name {
			return t.Slots, true
		}
	}
	return nil, false
}

// Expr is a parsed and type-checked expression, ready to evaluate.
type Expr struct {
	src  string
	root *node

	// Type is the shape of the value the expression produces.
	Type Type
	// SizeDependent is set when the value depends on how many players a team
	// has (count and sum), so adding players can change a failing rule into a
	// passing one.
	SizeDependent bool
	// PlacementFree is set when the value does not depend on which team each
	// player is on, only on who is in the match: flatten(teams[*]...) and
	// literals. Such a value is the same for every team a ticket could join.
	PlacementFree bool
	// Aggregates is set when a function reduces a list (avg, min, ...), so the
	// value of a partial match can move in either direction as players join.
	Aggregates bool
}

// String returns the source text.
func (x *Expr) String() string { return x.src }

// CheckError is a type error: the expression parses but does not make sense
// for this rule set.
type CheckError struct {
	Pos int
	Msg string
}

func (e *CheckError) Error() string {
	return fmt.Sprintf("at character %d: %s", e.Pos+1, e.Msg)
}

// Parse reads and type-checks an expression against the rule set described
// by env. Errors are *SyntaxError or *CheckError.
func Parse(src string, env *Env) (*Expr, error) {
	root, err := parse(src)
	if err != nil {
		return nil, err
	}
	x := &Expr{src: src, root: root}
	c := checker{env: env}
	if err := c.check(root); err != nil {
		return nil, err
	}
	x.Type = root.typ
	x.SizeDependent = c.sizeDependent
	x.Aggregates = c.aggregates
	x.PlacementFree = placement(root, env) == placeFree
	x.root = env.internTree(root)
	return x, nil
}

// Syntax checks only that src parses. Fuzzing and editors use it.
func Syntax(src string) error {
	_, err := parse(src)
	return err
}

type checker struct {
	env           *Env
	sizeDependent bool
	aggregates    bool
}

func (c *checker) check(n *node) error {
	switch n.op {
	case opNumber:
		n.typ = Type{Depth: 0, Leaf: LeafNumber}
		return nil
	case opPath:
		return c.path(n)
	case opCall:
		if err := c.check(n.arg); err != nil {
			return err
		}
		return c.call(n)
	}
	return &CheckError{Pos: n.pos, Msg: "unknown expression"}
}

func (c *checker) path(n *node) error {
	if n.all {
		for i := range c.env.NumSlots {
			n.teams = append(n.teams, i)
		}
		n.grouped = true
	} else {
		seen := map[int]bool{}
		for _, name := range n.names {
			slots, ok := c.env.team(name)
			if !ok {
				return &CheckError{Pos: n.pos, Msg: fmt.Sprintf("unknown team %q (teams are %s)", name, c.teamList())}
			}
			for _, s := range slots {
				if seen[s] {
					return &CheckError{Pos: n.pos, Msg: fmt.Sprintf("team %q is named twice in teams[...]", name)}
				}
				seen[s] = true
				n.teams = append(n.teams, s)
			}
		}
		n.grouped = len(n.names) > 1 || len(n.teams) > 1
	}
	depth := 0
	if n.grouped {
		depth = 1
	}
	switch n.field {
	case fieldTeam:
		return &CheckError{Pos: n.pos, Msg: "a team selection must go on to .players, .players.attributes[name] or .players[playerId]"}
	case fieldPlayers:
		n.typ = Type{Depth: depth + 1, Leaf: LeafPlayer}
	case fieldPlayerID:
		n.typ = Type{Depth: depth + 1, Leaf: LeafString}
	case fieldAttr:
		i, ok := c.env.attr(n.attr)
		if !ok {
			return &CheckError{Pos: n.pos, Msg: fmt.Sprintf("attribute %q is not declared in playerAttributes", n.attr)}
		}
		n.attrIdx = i
		at := c.env.Attrs[i].Type
		n.typ = Type{Depth: depth + 1 + at.Depth, Leaf: at.Leaf}
	}
	return nil
}

func (c *checker) teamList() string {
	var names []string
	for _, t := range c.env.Teams {
		names = append(names, t.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func (c *checker) call(n *node) error {
	at := n.arg.typ
	switch n.fn {
	case FuncMin, FuncMax, FuncAvg, FuncMedian, FuncSum, FuncStddev:
		if at.Leaf != LeafNumber {
			return &CheckError{Pos: n.pos, Msg: fmt.Sprintf("%s needs numbers, but its argument is %s", n.fn, at)}
		}
		c.aggregates = true
		if n.fn == FuncSum {
			c.sizeDependent = true
		}
		// A bare number is read as a list of one; nested lists are mapped
		// over, one result per inner list.
		n.mapLevels = max(at.Depth-1, 0)
		n.typ = Type{Depth: n.mapLevels, Leaf: LeafNumber}
	case FuncCount:
		if at.Depth == 0 {
			return &CheckError{Pos: n.pos, Msg: fmt.Sprintf("count needs a list, but its argument is a single %s", at)}
		}
		c.sizeDependent = true
		c.aggregates = true
		n.mapLevels = at.Depth - 1
		n.typ = Type{Depth: n.mapLevels, Leaf: LeafNumber}
	case FuncFlatten:
		if at.Depth == 0 {
			return &CheckError{Pos: n.pos, Msg: fmt.Sprintf("flatten needs a list of lists, but its argument is a single %s", at)}
		}
		if at.Depth == 1 {
			// Already flat: flatten leaves it alone.
			n.typ = at
		} else {
			n.typ = Type{Depth: at.Depth - 1, Leaf: at.Leaf}
		}
	case FuncSetIntersection:
		if at.Leaf != LeafString {
			return &CheckError{Pos: n.pos, Msg: fmt.Sprintf("set_intersection needs lists of strings, but its argument is %s", at)}
		}
		if at.Depth < 1 {
			return &CheckError{Pos: n.pos, Msg: "set_intersection needs lists of strings, but its argument is a single string"}
		}
		c.aggregates = true
		if at.Depth == 1 {
			// One list: its own intersection.
			n.typ = at
		} else {
			n.mapLevels = at.Depth - 2
			n.typ = Type{Depth: at.Depth - 1, Leaf: LeafString}
		}
	}
	if n.fn != FuncFlatten && n.fn != FuncCount && at.Leaf == LeafPlayer {
		return &CheckError{Pos: n.pos, Msg: fmt.Sprintf("%s cannot read players; use .players.attributes[name]", n.fn)}
	}
	if at.Leaf == LeafMap {
		return &CheckError{Pos: n.pos, Msg: fmt.Sprintf("%s cannot read string_number_map attributes; only sort rules use them", n.fn)}
	}
	return nil
}

type place uint8

const (
	placeFree    place = iota // same value whatever the team assignment
	placeGrouped              // grouped by team at the outermost level
	placeDepends              // depends on the team assignment
)

func placement(n *node, env *Env) place {
	switch n.op {
	case opNumber:
		return placeFree
	case opPath:
		if !n.grouped {
			if env.NumSlots == 1 {
				return placeFree
			}
			return placeDepends
		}
		if len(n.teams) == env.NumSlots {
			return placeGrouped
		}
		return placeDepends
	}
	inner := placement(n.arg, env)
	switch {
	case inner == placeFree:
		return placeFree
	case n.fn == FuncFlatten && inner == placeGrouped && n.arg.typ.Depth > 1:
		return placeFree
	}
	return placeDepends
}
