package flexmatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// stripComments blanks out // and /* */ comments outside strings. The rule
// sets in the FlexMatch guide carry comments, and the guide says to copy them
// as they are, so they must parse. Comments become spaces, which keeps the
// byte offsets of everything else, and so the line and column in a syntax
// error, unchanged.
func stripComments(data []byte) []byte {
	if !bytes.Contains(data, []byte("/")) {
		return data
	}
	out := slices.Clone(data)
	inString := false
	for i := 0; i < len(out); i++ {
		c := out[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch {
		case c == '"':
			inString = true
		case c == '/' && i+1 < len(out) && out[i+1] == '/':
			for i < len(out) && out[i] != '\n' {
				out[i] = ' '
				i++
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '*':
			out[i], out[i+1] = ' ', ' '
			i += 2
			for i < len(out) && !(out[i] == '*' && i+1 < len(out) && out[i+1] == '/') {
				if out[i] != '\n' {
					out[i] = ' '
				}
				i++
			}
			if i < len(out) {
				out[i], out[i+1] = ' ', ' '
				i++
			}
		}
	}
	return out
}

// decodeJSON parses a JSON document into maps, slices, json.Number, string,
// bool and nil. A member repeated in one object keeps its last value, as
// most JSON parsers do (example 7 of the FlexMatch guide repeats "target").
func decodeJSON(data []byte) (any, error) {
	data = stripComments(data)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, syntaxError(data, dec, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		off := int(dec.InputOffset())
		line, col := lineCol(data, off)
		return nil, fmt.Errorf("line %d, column %d: unexpected content after the JSON document", line, col)
	}
	return v, nil
}

func syntaxError(data []byte, dec *json.Decoder, err error) error {
	off := int(dec.InputOffset())
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off = int(se.Offset) - 1 // the offset is just past the offending byte
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		off = len(data)
		err = errors.New("the document ends too early")
	}
	line, col := lineCol(data, off)
	return fmt.Errorf("line %d, column %d: %v", line, col, strings.TrimPrefix(err.Error(), "json: "))
}

func lineCol(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	col = off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// checker collects validation errors while walking a decoded document.
type checker struct {
	errs ValidationErrors
}

func (c *checker) addf(path, format string, args ...any) {
	c.errs = append(c.errs, ValidationError{Path: path, Reason: fmt.Sprintf(format, args...)})
}

func join(path, member string) string {
	if path == "" {
		return member
	}
	return path + "." + member
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "the number " + v.String()
	case string:
		return fmt.Sprintf("the string %q", v)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// object checks that v is an object whose members are all among allowed.
// Unknown members are errors: a misspelt "maxDistnace" would otherwise be
// silently ignored and the rule would not do what its author meant.
func (c *checker) object(path string, v any, what string, allowed ...string) (map[string]any, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.addf(path, "%s must be an object, not %s", what, describe(v))
		return nil, false
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			if s := suggest(k, allowed); s != "" {
				c.addf(join(path, k), "unknown member %q in %s; did you mean %q?", k, what, s)
			} else {
				c.addf(join(path, k), "unknown member %q in %s (allowed: %s)", k, what, strings.Join(allowed, ", "))
			}
		}
	}
	return m, true
}

// suggest returns the allowed name closest to k when it is close enough to
// be a typo.
func suggest(k string, allowed []string) string {
	best, bestD := "", 3
	for _, a := range allowed {
		if d := editDistance(strings.ToLower(k), strings.ToLower(a)); d < bestD {
			best, bestD = a, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func (c *checker) str(path string, v any, what string) (string, bool) {
	s, ok := v.(string)
	if !ok {
		c.addf(path, "%s must be a string, not %s", what, describe(v))
	}
	return s, ok
}

// nonEmpty reads a required, non-empty string member.
func (c *checker) nonEmpty(m map[string]any, path, member, what string) (string, bool) {
	v, ok := m[member]
	if !ok {
		c.addf(join(path, member), "%s is required", what)
		return "", false
	}
	s, ok := c.str(join(path, member), v, what)
	if ok && strings.TrimSpace(s) == "" {
		c.addf(join(path, member), "%s must not be empty", what)
		return "", false
	}
	return s, ok
}

// toNumber reads a JSON number, or a string holding one: the guide's own
// batchDistance example writes "maxDistance":"500".
func toNumber(v any) (float64, bool) {
	var s string
	switch v := v.(type) {
	case json.Number:
		s = v.String()
	case string:
		s = strings.TrimSpace(v)
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

func (c *checker) number(path string, v any, what string) (float64, bool) {
	f, ok := toNumber(v)
	if !ok {
		c.addf(path, "%s must be a number, not %s", what, describe(v))
	}
	return f, ok
}

func (c *checker) nonNegative(path string, v any, what string) (float64, bool) {
	f, ok := c.number(path, v, what)
	if ok && f < 0 {
		c.addf(path, "%s must not be negative, but is %v", what, f)
		return 0, false
	}
	return f, ok
}

func (c *checker) integer(path string, v any, what string, lo, hi int) (int, bool) {
	f, ok := c.number(path, v, what)
	if !ok {
		return 0, false
	}
	if f != math.Trunc(f) {
		c.addf(path, "%s must be a whole number, not %v", what, f)
		return 0, false
	}
	if f < float64(lo) || f > float64(hi) {
		c.addf(path, "%s must be between %d and %d, not %v", what, lo, hi, f)
		return 0, false
	}
	return int(f), true
}

func (c *checker) list(path string, v any, what string) ([]any, bool) {
	l, ok := v.([]any)
	if !ok {
		c.addf(path, "%s must be a list, not %s", what, describe(v))
	}
	return l, ok
}

// enum reads a string member that must be one of values.
func (c *checker) enum(path string, v any, what string, values ...string) (string, bool) {
	s, ok := c.str(path, v, what)
	if !ok {
		return "", false
	}
	if !slices.Contains(values, s) {
		c.addf(path, "%s must be one of %s, not %q", what, quoteAll(values), s)
		return "", false
	}
	return s, true
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}
