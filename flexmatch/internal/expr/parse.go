package expr

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxDepth bounds how deeply function calls may nest. FlexMatch documents no
// limit; real rule sets nest two or three deep (max(avg(teams[*]...))), and a
// bound keeps a hostile rule set from exhausting the stack.
const MaxDepth = 32

// MaxLength bounds the text of one expression, for the same reason.
const MaxLength = 4096

// Func names an aggregation function.
type Func uint8

// The aggregation functions FlexMatch documents.
const (
	FuncMin Func = iota + 1
	FuncMax
	FuncAvg
	FuncMedian
	FuncSum
	FuncCount
	FuncStddev
	FuncFlatten
	FuncSetIntersection
)

var funcNames = map[string]Func{
	"min":              FuncMin,
	"max":              FuncMax,
	"avg":              FuncAvg,
	"median":           FuncMedian,
	"sum":              FuncSum,
	"count":            FuncCount,
	"stddev":           FuncStddev,
	"flatten":          FuncFlatten,
	"set_intersection": FuncSetIntersection,
}

func (f Func) String() string {
	for n, g := range funcNames {
		if g == f {
			return n
		}
	}
	return "?"
}

// field says how far a team path reaches.
type field uint8

const (
	fieldTeam     field = iota // teams[red]
	fieldPlayers               // teams[red].players
	fieldAttr                  // teams[red].players.attributes[skill]
	fieldPlayerID              // teams[red].players[playerId]
)

type opKind uint8

const (
	opPath opKind = iota + 1
	opCall
	opNumber
)

// node is one element of a parsed expression. Resolution (Compile) fills in
// the fields after the blank line.
type node struct {
	op    opKind
	pos   int // byte offset in the source, for error messages
	fn    Func
	arg   *node
	all   bool     // teams[*]
	names []string // teams[a,b]
	field field
	attr  string
	num   float64

	teams     []int // resolved team slots
	grouped   bool  // the path yields one list per team
	flat      bool  // a grouped path read through flatten: one list for all teams
	attrIdx   int
	mapLevels int // how many list levels a function maps over
	typ       Type

	// Interning (see Env): id numbers the distinct subexpressions of a rule
	// set; shared is set when one appears more than once, so evaluations
	// remember its value instead of computing it twice.
	id     int
	shared bool
}

// SyntaxError reports where an expression stops making sense.
type SyntaxError struct {
	Pos int // byte offset into the expression
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("at character %d: %s", e.Pos+1, e.Msg)
}

type parser struct {
	src   string
	pos   int
	depth int
}

// parse turns source text into a tree, checking only the syntax.
func parse(src string) (*node, error) {
	if len(src) > MaxLength {
		return nil, &SyntaxError{Pos: 0, Msg: fmt.Sprintf("expression is longer than %d characters", MaxLength)}
	}
	p := &parser{src: src}
	p.space()
	if p.pos == len(p.src) {
		return nil, &SyntaxError{Pos: 0, Msg: "expression is empty"}
	}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	p.space()
	if p.pos != len(p.src) {
		return nil, p.errf("unexpected %q after the end of the expression", p.rest())
	}
	return n, nil
}

func (p *parser) errf(format string, args ...any) error {
	return &SyntaxError{Pos: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) rest() string {
	r := p.src[p.pos:]
	if len(r) > 20 {
		r = r[:20] + "..."
	}
	return r
}

func (p *parser) space() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) expect(c byte) error {
	p.space()
	if p.peek() != c {
		if p.pos >= len(p.src) {
			return p.errf("expected %q but the expression ended", c)
		}
		return p.errf("expected %q but found %q", c, p.rest())
	}
	p.pos++
	return nil
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *parser) ident() string {
	start := p.pos
	for p.pos < len(p.src) && isIdentByte(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *parser) expr() (*node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > MaxDepth {
		return nil, p.errf("functions nest more than %d deep", MaxDepth)
	}
	p.space()
	start := p.pos
	c := p.peek()
	if c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9' {
		return p.number()
	}
	word := p.ident()
	if word == "" {
		if p.pos >= len(p.src) {
			return nil, p.errf("expected a function, a team path or a number but the expression ended")
		}
		return nil, p.errf("expected a function, a team path or a number but found %q", p.rest())
	}
	p.space()
	switch {
	case p.peek() == '(':
		fn, ok := funcNames[word]
		if !ok {
			return nil, &SyntaxError{Pos: start, Msg: fmt.Sprintf("unknown function %q (FlexMatch has min, max, avg, median, sum, count, stddev, flatten, set_intersection)", word)}
		}
		p.pos++
		arg, err := p.expr()
		if err != nil {
			return nil, err
		}
		p.space()
		if p.peek() == ',' {
			return nil, p.errf("%s takes exactly one argument", word)
		}
		if err := p.expect(')'); err != nil {
			return nil, err
		}
		return &node{op: opCall, pos: start, fn: fn, arg: arg}, nil
	case word == "teams" || word == "team":
		return p.path(start)
	default:
		return nil, &SyntaxError{Pos: start, Msg: fmt.Sprintf("unknown name %q: an expression starts with a function, teams[...] or a number", word)}
	}
}

func (p *parser) number() (*node, error) {
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' {
			p.pos++
			continue
		}
		break
	}
	f, err := strconv.ParseFloat(p.src[start:p.pos], 64)
	if err != nil {
		return nil, &SyntaxError{Pos: start, Msg: fmt.Sprintf("%q is not a number", p.src[start:p.pos])}
	}
	return &node{op: opNumber, pos: start, num: f}, nil
}

// bracket reads the text between '[' and ']'. Names may hold any character
// but brackets (attribute names such as "monster-kills" are common).
func (p *parser) bracket() (string, error) {
	if err := p.expect('['); err != nil {
		return "", err
	}
	start := p.pos
	for p.pos < len(p.src) && p.src[p.pos] != ']' {
		if p.src[p.pos] == '[' {
			return "", p.errf("unexpected '[' inside brackets")
		}
		p.pos++
	}
	if p.pos >= len(p.src) {
		return "", &SyntaxError{Pos: start - 1, Msg: "'[' is never closed"}
	}
	s := p.src[start:p.pos]
	p.pos++
	return s, nil
}

func (p *parser) path(start int) (*node, error) {
	n := &node{op: opPath, pos: start}
	p.space()
	sel, err := p.bracket()
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(sel) == "*" {
		n.all = true
	} else {
		for _, name := range strings.Split(sel, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				return nil, &SyntaxError{Pos: start, Msg: fmt.Sprintf("empty team name in teams[%s]", sel)}
			}
			n.names = append(n.names, name)
		}
	}
	p.space()
	if p.peek() != '.' {
		return n, nil
	}
	p.pos++
	p.space()
	if w := p.ident(); w != "players" {
		return nil, p.errf("expected .players after teams[...], found %q", w+p.rest())
	}
	n.field = fieldPlayers
	p.space()
	switch p.peek() {
	case '[':
		key, err := p.bracket()
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(strings.TrimSpace(key), "playerId") {
			return nil, p.errf("players[...] only takes playerId, not %q", key)
		}
		n.field = fieldPlayerID
	case '.':
		p.pos++
		p.space()
		if w := p.ident(); w != "attributes" {
			return nil, p.errf("expected .attributes[...] after .players, found %q", w+p.rest())
		}
		p.space()
		name, err := p.bracket()
		if err != nil {
			return nil, err
		}
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, p.errf("attributes[] needs an attribute name")
		}
		n.field = fieldAttr
		n.attr = name
	}
	return n, nil
}
