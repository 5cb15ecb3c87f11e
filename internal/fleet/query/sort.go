package query

import "strings"

// Sort is a parsed SearchGameSessions SortExpression: one operand and an
// order. A nil *Sort considers all sessions equal, so a stable sort keeps
// their order.
type Sort struct {
	op   operand
	desc bool
}

// ParseSort parses a SortExpression such as "creationTimeMillis ASC". Every
// error is a *SyntaxError.
func ParseSort(s string) (*Sort, error) {
	if err := checkSource(s, "sort expression", "creationTimeMillis ASC", MaxLength); err != nil {
		return nil, err
	}
	lx := lexer{src: s}
	t, err := lx.next()
	if err != nil {
		return nil, err
	}
	if t.isWord("ASC") || t.isWord("DESC") {
		return nil, errorf(t.pos, "expected an operand before %s, such as creationTimeMillis %s",
			t.text, strings.ToUpper(t.text))
	}
	op, err := resolveOperand(t)
	if err != nil {
		return nil, err
	}
	o, err := lx.next()
	if err != nil {
		return nil, err
	}
	if !o.isWord("ASC") && !o.isWord("DESC") {
		return nil, errorf(o.pos, "expected ASC or DESC after %s, found %s", op, o.describe())
	}
	lx.skipSpace()
	if lx.pos < len(s) {
		return nil, errorf(lx.pos, "a sort expression is exactly one operand and ASC or DESC; found %q after %s",
			shorten(s[lx.pos:]), o.text)
	}
	return &Sort{op: op, desc: o.isWord("DESC")}, nil
}

// Compare orders a and b for [slices.SortStableFunc]. A session without
// the sorted property comes after every session that has it, in both
// orders.
func (s *Sort) Compare(a, b Fields) int {
	if s == nil {
		return 0
	}
	return s.op.compare(&a, &b, s.desc)
}

// String returns the sort expression in canonical form.
func (s *Sort) String() string {
	if s == nil {
		return ""
	}
	if s.desc {
		return s.op.String() + " DESC"
	}
	return s.op.String() + " ASC"
}
