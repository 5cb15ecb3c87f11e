// Package expr is the FlexMatch property-expression language: the small
// language rule sets use in measurements and reference values, such as
// avg(teams[*].players.attributes[skill]).
//
// It sits between the rule-set parser (which hands it the text of each
// expression together with the declared attributes and teams) and the rule
// evaluator (which runs compiled expressions many thousands of times a
// matchmaking cycle). Parsing and type checking happen once, when a rule set
// is loaded; evaluation is allocation-free after warm-up because every list it
// builds lives in an Arena the caller resets between evaluations.
package expr

// Kind says what a Value holds.
type Kind uint8

// The kinds of value an expression can produce. Undefined is what an
// aggregate of an empty list yields (the average skill of a team nobody has
// joined yet); rules skip undefined values instead of failing on them.
const (
	Undefined Kind = iota
	Number
	String
	List
	Player
)

func (k Kind) String() string {
	switch k {
	case Number:
		return "number"
	case String:
		return "string"
	case List:
		return "list"
	case Player:
		return "player"
	}
	return "undefined"
}

// Value is the result of evaluating an expression, or an attribute value fed
// into one. Lists hold their elements in List; a string list attribute is a
// List of String values.
type Value struct {
	Kind Kind
	Num  float64
	Str  string
	List []Value
}

// Num returns a number value.
func Num(n float64) Value { return Value{Kind: Number, Num: n} }

// Str returns a string value.
func Str(s string) Value { return Value{Kind: String, Str: s} }

// Strings returns a list of string values; it allocates, so callers build
// attribute values once, when a ticket enters the pool.
func Strings(ss []string) Value {
	l := make([]Value, len(ss))
	for i, s := range ss {
		l[i] = Str(s)
	}
	return Value{Kind: List, List: l}
}

// Arena hands out the backing arrays of the lists an evaluation builds. The
// caller resets it between evaluations, so a warmed-up arena makes
// evaluation allocation-free. An Arena is not safe for concurrent use.
type Arena struct {
	chunks [][]Value
	cur    int
	off    int
	floats []float64

	// Values of shared subexpressions computed since the last Reset, by
	// node id; memoGen[id] == gen marks a value as current.
	memo    []Value
	memoGen []uint32
	gen     uint32
}

const chunkSize = 1024

// Reset makes every value handed out since the last Reset reusable. Values
// returned by earlier evaluations must not be used after it.
//
// Shared subexpressions are remembered until Reset, so one Reset must come
// between evaluations against different matches, or against the same match
// seen through a Context that reads different values.
func (a *Arena) Reset() {
	a.cur = 0
	a.off = 0
	a.gen++
	if a.gen == 0 {
		clear(a.memoGen)
		a.gen = 1
	}
}

func (a *Arena) remembered(id int) (Value, bool) {
	if id < len(a.memoGen) && a.memoGen[id] == a.gen && a.gen != 0 {
		return a.memo[id], true
	}
	return Value{}, false
}

func (a *Arena) remember(id int, v Value) {
	if id >= len(a.memoGen) {
		a.memo = append(a.memo, make([]Value, id+1-len(a.memo))...)
		a.memoGen = append(a.memoGen, make([]uint32, id+1-len(a.memoGen))...)
	}
	a.memo[id], a.memoGen[id] = v, a.gen
}

// alloc returns a zeroed slice of n values. Chunks never move, so slices
// handed out stay valid until Reset.
func (a *Arena) alloc(n int) []Value {
	if n == 0 {
		return nil
	}
	if n > chunkSize {
		// Oversized lists get their own array; they are rare (a list longer
		// than a thousand elements means a 200-player match flattened twice).
		return make([]Value, n)
	}
	for {
		if a.cur == len(a.chunks) {
			a.chunks = append(a.chunks, make([]Value, chunkSize))
		}
		c := a.chunks[a.cur]
		if a.off+n <= len(c) {
			s := c[a.off : a.off+n : a.off+n]
			a.off += n
			clear(s)
			return s
		}
		a.cur++
		a.off = 0
	}
}

// scratch returns a float slice of length n for median, valid until the next
// call to scratch.
func (a *Arena) scratch(n int) []float64 {
	if cap(a.floats) < n {
		a.floats = make([]float64, n)
	}
	return a.floats[:n]
}
