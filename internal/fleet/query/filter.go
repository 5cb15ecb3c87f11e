package query

import (
	"cmp"
	"strconv"
	"strings"
)

// Filter is a parsed SearchGameSessions FilterExpression. A nil *Filter
// matches every session, as a request without a filter does.
type Filter struct {
	root *node
}

// ParseFilter parses a FilterExpression. Every error is a *SyntaxError.
func ParseFilter(s string) (*Filter, error) {
	return parseFilter(s, MaxLength, MaxDepth)
}

// parseFilter is ParseFilter with adjustable limits, so that tests can
// round-trip canonical forms that outgrow them.
func parseFilter(s string, maxLen, maxDepth int) (*Filter, error) {
	if err := checkSource(s, "filter expression", "maximumSessions >= 10", maxLen); err != nil {
		return nil, err
	}
	p := &parser{lx: lexer{src: s}, maxDepth: maxDepth}
	if err := p.advance(); err != nil {
		return nil, err
	}
	root, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	switch p.tok.kind {
	case tokEOF:
		return &Filter{root: root}, nil
	case tokRParen:
		return nil, errorf(p.tok.pos, "unexpected ')' with no matching '('")
	default:
		return nil, errorf(p.tok.pos, "expected AND, OR or end of expression, found %s", p.tok.describe())
	}
}

// Match reports whether a session satisfies the filter.
func (f *Filter) Match(x Fields) bool {
	if f == nil {
		return true
	}
	return f.root.match(&x)
}

// String returns the filter in canonical form: keywords in upper case,
// single spaces, only the parentheses precedence needs, strings quoted with
// the quote that needs fewer escapes. It parses back to a filter that
// matches the same sessions, though the spaces it adds can take it past
// MaxLength. It is meant for logs and error messages.
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	var b strings.Builder
	f.root.write(&b)
	return b.String()
}

// node is one node of a parsed filter. It is a single concrete type, not an
// interface per kind, so that Match's *Fields does not escape and matching
// allocates nothing.
type node struct {
	kind nodeKind
	kids []*node // nodeOr, nodeAnd: two or more; nodeNot: one
	op   operand // conditions
	cmp  cmpOp   // conditions
	num  int64   // nodeInt
	str  string  // nodeString
	b    bool    // nodeBool
}

type nodeKind uint8

const (
	// nodeOr and nodeAnd are flattened: no child of an OR is an OR, no
	// child of an AND an AND.
	nodeOr nodeKind = iota
	nodeAnd
	nodeNot
	nodeInt    // an integer operand compared with num
	nodeBool   // hasAvailablePlayerSessions compared with b
	nodeString // a string operand or a property compared with str
)

func (n *node) match(x *Fields) bool {
	switch n.kind {
	case nodeOr:
		for _, c := range n.kids {
			if c.match(x) {
				return true
			}
		}
		return false
	case nodeAnd:
		for _, c := range n.kids {
			if !c.match(x) {
				return false
			}
		}
		return true
	case nodeNot:
		return !n.kids[0].match(x)
	case nodeInt:
		return n.cmp.holds(cmp.Compare(n.op.intValue(x), n.num))
	case nodeBool:
		return (x.HasAvailablePlayerSessions == n.b) == (n.cmp == cmpEq)
	default:
		// A property the session does not have makes the condition false.
		v, ok := n.op.stringValue(x)
		return ok && n.cmp.holds(strings.Compare(v, n.str))
	}
}

func (n *node) write(b *strings.Builder) {
	switch n.kind {
	case nodeOr, nodeAnd:
		sep := " OR "
		if n.kind == nodeAnd {
			sep = " AND "
		}
		for i, c := range n.kids {
			if i > 0 {
				b.WriteString(sep)
			}
			// An OR under an AND needs parentheses; nothing else under
			// OR or AND does.
			writeGrouped(b, c, n.kind == nodeAnd && c.kind == nodeOr)
		}
	case nodeNot:
		b.WriteString("NOT ")
		c := n.kids[0]
		writeGrouped(b, c, c.kind == nodeOr || c.kind == nodeAnd)
	default:
		b.WriteString(n.op.String())
		b.WriteByte(' ')
		b.WriteString(n.cmp.String())
		b.WriteByte(' ')
		switch n.kind {
		case nodeInt:
			b.WriteString(strconv.FormatInt(n.num, 10))
		case nodeBool:
			b.WriteString(strconv.FormatBool(n.b))
		default:
			writeQuoted(b, n.str)
		}
	}
}

func writeGrouped(b *strings.Builder, n *node, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	n.write(b)
	if paren {
		b.WriteByte(')')
	}
}

// writeQuoted quotes s with whichever quote s contains fewer of.
func writeQuoted(b *strings.Builder, s string) {
	q := byte('\'')
	if strings.Count(s, `"`) < strings.Count(s, `'`) {
		q = '"'
	}
	b.WriteByte(q)
	for i := 0; i < len(s); i++ {
		if s[i] == q || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte(q)
}

// parser is a recursive-descent parser over a lexer with one token of
// lookahead. Recursion happens only through '(' and NOT, both counted in
// depth, so the stack stays bounded by maxDepth.
type parser struct {
	lx       lexer
	tok      token // the current, not yet consumed, token
	depth    int
	maxDepth int
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) enter(pos int) error {
	if p.depth == p.maxDepth {
		return errorf(pos, "expression nests too deeply: at most %d levels of parentheses and NOT", p.maxDepth)
	}
	p.depth++
	return nil
}

func (p *parser) parseOr() (*node, error) {
	x, err := p.parseAnd()
	if err != nil || !p.tok.isWord("OR") {
		return x, err
	}
	list := &node{kind: nodeOr, kids: flatten(nil, nodeOr, x)}
	for p.tok.isWord("OR") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		y, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		list.kids = flatten(list.kids, list.kind, y)
	}
	return list, nil
}

func (p *parser) parseAnd() (*node, error) {
	x, err := p.parseNot()
	if err != nil || !p.tok.isWord("AND") {
		return x, err
	}
	list := &node{kind: nodeAnd, kids: flatten(nil, nodeAnd, x)}
	for p.tok.isWord("AND") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		y, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		list.kids = flatten(list.kids, list.kind, y)
	}
	return list, nil
}

// flatten appends x to the children of an OR or AND, splicing in x's
// children if x is itself of the same kind (a parenthesized a OR (b OR c)).
func flatten(kids []*node, kind nodeKind, x *node) []*node {
	if x.kind == kind {
		return append(kids, x.kids...)
	}
	return append(kids, x)
}

func (p *parser) parseNot() (*node, error) {
	switch {
	case p.tok.isWord("NOT"):
		if err := p.enter(p.tok.pos); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		p.depth--
		return &node{kind: nodeNot, kids: []*node{x}}, nil
	case p.tok.kind == tokLParen:
		open := p.tok.pos
		if err := p.enter(open); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tokRParen {
			return nil, errorf(p.tok.pos, "expected AND, OR or ')' to close the '(' at position %d, found %s",
				open, p.tok.describe())
		}
		p.depth--
		return x, p.advance()
	default:
		return p.parseCond()
	}
}

func (p *parser) parseCond() (*node, error) {
	if p.tok.kind == tokEOF || p.tok.kind == tokRParen || p.tok.kind == tokCmp {
		return nil, errorf(p.tok.pos, "expected a condition (an operand such as maximumSessions), '(' or NOT, found %s",
			p.tok.describe())
	}
	op, err := resolveOperand(p.tok)
	if err != nil {
		return nil, err
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tokCmp {
		return nil, errorf(p.tok.pos, "expected a comparator (=, <>, <, >, <=, >=) after %s, found %s",
			op, p.tok.describe())
	}
	c := p.tok
	if (op.kind == kindString || op.kind == kindBool) && c.cmp != cmpEq && c.cmp != cmpNe {
		typ := "a string"
		if op.kind == kindBool {
			typ = "a boolean"
		}
		return nil, errorf(c.pos, "%s is %s and allows only = and <>, found '%s'", op, typ, c.cmp)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	v := p.tok
	if err := checkValue(op, c, v); err != nil {
		return nil, err
	}
	n := &node{op: op, cmp: c.cmp}
	switch op.kind {
	case kindInt:
		n.kind, n.num = nodeInt, v.num
	case kindBool:
		n.kind, n.b = nodeBool, v.isWord("true")
	default:
		n.kind, n.str = nodeString, v.str
	}
	return n, p.advance()
}

// checkValue reports whether v is a value op can be compared with.
func checkValue(op operand, c, v token) error {
	switch v.kind {
	case tokEOF, tokLParen, tokRParen, tokCmp:
		return errorf(v.pos, "expected a value after '%s', found %s", c.cmp, v.describe())
	case tokProperty:
		return errorf(v.pos, "cannot compare %s with another operand (%s); the value must be a number, true, false or a quoted string",
			op, v.describe())
	case tokWord:
		if _, err := resolveOperand(v); err == nil {
			return errorf(v.pos, "cannot compare %s with another operand (%s); the value must be a number, true, false or a quoted string",
				op, v.describe())
		}
	}
	isBool := v.isWord("true") || v.isWord("false")
	switch op.kind {
	case kindInt:
		if v.kind != tokNumber {
			return errorf(v.pos, "%s takes an integer, found %s", op, v.describe())
		}
	case kindBool:
		if !isBool {
			return errorf(v.pos, "%s takes true or false, found %s", op, v.describe())
		}
	case kindString:
		if v.kind != tokString {
			return errorf(v.pos, "%s takes a quoted string, found %s; write it in quotes: %s",
				op, v.describe(), quoted(v.text))
		}
	case kindProperty:
		if v.kind != tokString {
			return errorf(v.pos, "%s compares as a string, found %s; write it in quotes: %s",
				op, v.describe(), quoted(v.text))
		}
	}
	return nil
}

func quoted(s string) string {
	var b strings.Builder
	writeQuoted(&b, s)
	return shorten(b.String())
}
