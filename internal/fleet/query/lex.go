package query

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SyntaxError is why an expression does not parse.
type SyntaxError struct {
	Pos int    // 0-based byte offset in the expression
	Msg string // what was expected and what was found
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("at position %d: %s", e.Pos, e.Msg)
}

func errorf(pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// checkSource applies the rules every expression shares: valid UTF-8, not
// blank, at most maxLen characters. what names the expression in messages.
func checkSource(s, what, example string, maxLen int) error {
	if !utf8.ValidString(s) {
		for i, r := range s {
			if r == utf8.RuneError {
				if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
					return errorf(i, "invalid UTF-8 byte 0x%02x", s[i])
				}
			}
		}
	}
	if strings.TrimLeft(s, whitespace) == "" {
		return errorf(0, "empty %s; expected something like %s", what, example)
	}
	n := 0
	for i := range s {
		if n == maxLen {
			return errorf(i, "%s is %d characters long; the limit is %d", what, utf8.RuneCountInString(s), maxLen)
		}
		n++
	}
	return nil
}

// whitespace separates tokens. Other Unicode spaces are errors rather than
// separators, so that a key never silently contains or loses one.
const whitespace = " \t\n\r\f\v"

type tokKind uint8

const (
	tokEOF      tokKind = iota
	tokLParen           // (
	tokRParen           // )
	tokCmp              // = <> < > <= >=
	tokWord             // an operand name, keyword, true or false
	tokProperty         // <word>.<key>
	tokString           // a quoted string
	tokNumber           // an integer
)

// cmpOp is a comparator.
type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpNe
	cmpLt
	cmpGt
	cmpLe
	cmpGe
)

var cmpNames = [...]string{cmpEq: "=", cmpNe: "<>", cmpLt: "<", cmpGt: ">", cmpLe: "<=", cmpGe: ">="}

func (c cmpOp) String() string { return cmpNames[c] }

// holds reports whether the comparator accepts the result r of comparing
// the operand's value with the expression's value (-1, 0 or +1).
func (c cmpOp) holds(r int) bool {
	switch c {
	case cmpEq:
		return r == 0
	case cmpNe:
		return r != 0
	case cmpLt:
		return r < 0
	case cmpGt:
		return r > 0
	case cmpLe:
		return r <= 0
	default:
		return r >= 0
	}
}

type token struct {
	kind   tokKind
	pos    int    // byte offset of the token's first byte
	text   string // the token as written
	str    string // tokString: the unescaped value; tokProperty: the key
	keyPos int    // tokProperty: byte offset of the key
	num    int64  // tokNumber
	cmp    cmpOp  // tokCmp
}

// describe names a token for "found ..." in error messages.
func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of expression"
	case tokString:
		return "string " + shorten(t.text)
	case tokNumber:
		return "number " + shorten(t.text)
	default:
		return "'" + shorten(t.text) + "'"
	}
}

// shorten keeps error messages readable when a token is long.
func shorten(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

func isKeyword(w string) bool {
	for _, k := range [...]string{"AND", "OR", "NOT", "ASC", "DESC"} {
		if strings.EqualFold(w, k) {
			return true
		}
	}
	return false
}

func (t token) isWord(w string) bool {
	return t.kind == tokWord && strings.EqualFold(t.text, w)
}

// lexer splits an expression into tokens on demand, so that a parser that
// has seen enough (a sort expression) need not tokenize the rest.
type lexer struct {
	src string
	pos int
}

func (l *lexer) skipSpace() {
	for l.pos < len(l.src) && strings.IndexByte(whitespace, l.src[l.pos]) >= 0 {
		l.pos++
	}
}

func (l *lexer) next() (token, error) {
	l.skipSpace()
	start := l.pos
	if start == len(l.src) {
		return token{kind: tokEOF, pos: start}, nil
	}
	s := l.src
	c := s[start]
	tok := func(k tokKind, n int) token {
		l.pos = start + n
		return token{kind: k, pos: start, text: s[start:l.pos]}
	}
	peek := byte(0)
	if start+1 < len(s) {
		peek = s[start+1]
	}
	switch {
	case c == '(':
		return tok(tokLParen, 1), nil
	case c == ')':
		return tok(tokRParen, 1), nil
	case c == '=':
		if peek == '=' {
			return token{}, errorf(start, "'==' is not a comparator; use '=' for equal")
		}
		t := tok(tokCmp, 1)
		t.cmp = cmpEq
		return t, nil
	case c == '<':
		t := tok(tokCmp, 1)
		t.cmp = cmpLt
		switch peek {
		case '>':
			t = tok(tokCmp, 2)
			t.cmp = cmpNe
		case '=':
			t = tok(tokCmp, 2)
			t.cmp = cmpLe
		}
		return t, nil
	case c == '>':
		t := tok(tokCmp, 1)
		t.cmp = cmpGt
		if peek == '=' {
			t = tok(tokCmp, 2)
			t.cmp = cmpGe
		}
		return t, nil
	case c == '!' && peek == '=':
		return token{}, errorf(start, "'!=' is not a comparator; use '<>' for not equal")
	case c == '\'' || c == '"':
		return l.lexString()
	case isDigit(c) || (c == '-' || c == '+') && isDigit(peek):
		return l.lexNumber()
	case isWordStart(c):
		return l.lexWord()
	}
	r, _ := utf8.DecodeRuneInString(s[start:])
	return token{}, errorf(start, "unexpected character %q", r)
}

func isDigit(c byte) bool     { return '0' <= c && c <= '9' }
func isWordStart(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }
func isWordByte(c byte) bool  { return isWordStart(c) || isDigit(c) }

// isKeyRune reports whether r may appear in a property key in an
// expression. '.' is allowed here so that the parser can reject a dotted
// key with a precise message instead of stopping at the dot.
func isKeyRune(r rune) bool {
	if unicode.IsSpace(r) || unicode.IsControl(r) {
		return false
	}
	return !strings.ContainsRune(`()=<>!'"\`, r)
}

func (l *lexer) lexWord() (token, error) {
	s, start := l.src, l.pos
	i := start
	for i < len(s) && isWordByte(s[i]) {
		i++
	}
	if i == len(s) || s[i] != '.' {
		l.pos = i
		return token{kind: tokWord, pos: start, text: s[start:i]}, nil
	}
	keyPos := i + 1
	i = keyPos
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isKeyRune(r) {
			break
		}
		i += size
	}
	l.pos = i
	return token{kind: tokProperty, pos: start, text: s[start:i], str: s[keyPos:i], keyPos: keyPos}, nil
}

func (l *lexer) lexNumber() (token, error) {
	s, start := l.src, l.pos
	i := start + 1
	// Take letters, digits and dots too, so that 1.5 or 10AND is reported
	// as one bad number rather than as a number and a puzzling remainder.
	for i < len(s) && (isWordByte(s[i]) || s[i] == '.') {
		i++
	}
	l.pos = i
	text := s[start:i]
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return token{}, errorf(start, "number %s is out of range", shorten(text))
		}
		return token{}, errorf(start, "invalid number %q; expected an integer such as 10", shorten(text))
	}
	return token{kind: tokNumber, pos: start, text: text, num: n}, nil
}

func (l *lexer) lexString() (token, error) {
	s, start := l.src, l.pos
	q := s[start]
	var b strings.Builder
	plain := start + 1 // start of the run not yet copied into b
	for i := start + 1; i < len(s); i++ {
		switch s[i] {
		case q:
			l.pos = i + 1
			t := token{kind: tokString, pos: start, text: s[start:l.pos]}
			if plain == start+1 {
				t.str = s[start+1 : i]
			} else {
				b.WriteString(s[plain:i])
				t.str = b.String()
			}
			return t, nil
		case '\\':
			if i+1 == len(s) {
				break
			}
			e := s[i+1]
			if e != '\'' && e != '"' && e != '\\' {
				r, _ := utf8.DecodeRuneInString(s[i+1:])
				if !unicode.IsPrint(r) {
					return token{}, errorf(i, `backslash followed by %q in string; only \', \" and \\ are allowed`, r)
				}
				return token{}, errorf(i, `unknown escape sequence "\%c" in string; only \', \" and \\ are allowed`, r)
			}
			b.WriteString(s[plain:i])
			b.WriteByte(e)
			i++
			plain = i + 1
		}
	}
	return token{}, errorf(start, "unterminated string: no closing %c for the quote here", q)
}
