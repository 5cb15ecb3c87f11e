package query

import (
	"cmp"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Fields are what a filter or sort expression can refer to, for one game
// session.
type Fields struct {
	GameSessionName            string
	GameSessionID              string // the full ARN
	MaximumSessions            int    // MaximumPlayerSessionCount
	CreationTimeMillis         int64
	PlayerSessionCount         int // current player sessions
	HasAvailablePlayerSessions bool
	Properties                 map[string]string // GameProperties
}

// Limits GameLift puts on the expressions.
const (
	// MaxLength is the longest expression in characters (Unicode code
	// points), GameLift's limit on FilterExpression and SortExpression.
	MaxLength = 1024
	// MaxDepth bounds how deeply parentheses and NOT nest.
	MaxDepth = 32
	// MaxKeyLength is the longest GameProperty key GameLift stores.
	MaxKeyLength = 32
)

// propertiesPrefix is the operand name that takes a .<key>.
const propertiesPrefix = "gameSessionProperties"

// field names one operand.
type field uint8

const (
	fieldName field = iota
	fieldID
	fieldMaxSessions
	fieldCreationTime
	fieldPlayerCount
	fieldHasAvailable
	fieldProperty
)

// kind is an operand's value type; it decides the comparators and values
// an operand takes.
type kind uint8

const (
	kindString kind = iota
	kindInt
	kindBool
	kindProperty // a string that may be absent
)

// operands lists the operands other than gameSessionProperties.<key>, in
// the order GameLift documents them.
var operands = [...]struct {
	name  string
	field field
	kind  kind
}{
	{"gameSessionName", fieldName, kindString},
	{"gameSessionId", fieldID, kindString},
	{"maximumSessions", fieldMaxSessions, kindInt},
	{"creationTimeMillis", fieldCreationTime, kindInt},
	{"playerSessionCount", fieldPlayerCount, kindInt},
	{"hasAvailablePlayerSessions", fieldHasAvailable, kindBool},
}

// operandList is the list of operands for error messages.
const operandList = "gameSessionName, gameSessionId, maximumSessions, creationTimeMillis, " +
	"playerSessionCount, hasAvailablePlayerSessions or gameSessionProperties.<key>"

// operand is a resolved operand: a field and, for properties, the key.
type operand struct {
	field field
	kind  kind
	key   string
}

func (o operand) String() string {
	if o.field == fieldProperty {
		return propertiesPrefix + "." + o.key
	}
	for _, op := range operands {
		if op.field == o.field {
			return op.name
		}
	}
	return fmt.Sprintf("operand(%d)", o.field)
}

// intValue reads an integer operand.
func (o operand) intValue(x *Fields) int64 {
	switch o.field {
	case fieldMaxSessions:
		return int64(x.MaximumSessions)
	case fieldCreationTime:
		return x.CreationTimeMillis
	default:
		return int64(x.PlayerSessionCount)
	}
}

// stringValue reads a string operand; ok is false for a property the
// session does not have.
func (o operand) stringValue(x *Fields) (v string, ok bool) {
	switch o.field {
	case fieldName:
		return x.GameSessionName, true
	case fieldID:
		return x.GameSessionID, true
	default:
		v, ok = x.Properties[o.key]
		return v, ok
	}
}

// compare orders a and b by this operand, with a missing property after
// any present one. desc reverses the order of present values only.
func (o operand) compare(a, b *Fields, desc bool) int {
	var c int
	switch o.kind {
	case kindInt:
		c = cmp.Compare(o.intValue(a), o.intValue(b))
	case kindBool:
		c = compareBool(a.HasAvailablePlayerSessions, b.HasAvailablePlayerSessions)
	default:
		av, aok := o.stringValue(a)
		bv, bok := o.stringValue(b)
		switch {
		case !aok && !bok:
			return 0
		case !aok:
			return 1
		case !bok:
			return -1
		}
		c = strings.Compare(av, bv)
	}
	if desc {
		return -c
	}
	return c
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	default:
		return 1
	}
}

// resolveOperand turns an operand token into an operand, or explains why it
// is not one.
func resolveOperand(t token) (operand, error) {
	switch t.kind {
	case tokWord:
		for _, op := range operands {
			if t.text == op.name {
				return operand{field: op.field, kind: op.kind}, nil
			}
		}
		if t.text == propertiesPrefix {
			return operand{}, errorf(t.pos, "%s needs a key: write %s.<key>, such as %s.gameMode",
				propertiesPrefix, propertiesPrefix, propertiesPrefix)
		}
		if isKeyword(t.text) {
			return operand{}, errorf(t.pos, "expected an operand (%s), found %s", operandList, t.describe())
		}
		for _, op := range operands {
			if strings.EqualFold(t.text, op.name) {
				return operand{}, errorf(t.pos, "unknown operand %q; operand names are case-sensitive: did you mean %q?",
					t.text, op.name)
			}
		}
		if strings.EqualFold(t.text, propertiesPrefix) {
			return operand{}, errorf(t.pos, "unknown operand %q; operand names are case-sensitive: did you mean %q?",
				t.text, propertiesPrefix+".<key>")
		}
		return operand{}, errorf(t.pos, "unknown operand %q; expected %s", t.text, operandList)
	case tokProperty:
		prefix := t.text[:t.keyPos-1-t.pos]
		if prefix != propertiesPrefix {
			if strings.EqualFold(prefix, propertiesPrefix) {
				return operand{}, errorf(t.pos, "unknown operand %q; operand names are case-sensitive: did you mean %q?",
					t.text, propertiesPrefix+"."+t.str)
			}
			return operand{}, errorf(t.pos, "unknown operand %q; only %s takes a .<key>", t.text, propertiesPrefix)
		}
		key := t.str
		if key == "" {
			return operand{}, errorf(t.keyPos, "expected a property key after %q", propertiesPrefix+".")
		}
		if i := strings.IndexByte(key, '.'); i >= 0 {
			return operand{}, errorf(t.keyPos+i, "property key %q contains '.'; GameLift cannot search keys that contain a period", key)
		}
		if n := utf8.RuneCountInString(key); n > MaxKeyLength {
			return operand{}, errorf(t.keyPos, "property key is %d characters long; GameLift keys are at most %d", n, MaxKeyLength)
		}
		return operand{field: fieldProperty, kind: kindProperty, key: key}, nil
	default:
		return operand{}, errorf(t.pos, "expected an operand (%s), found %s", operandList, t.describe())
	}
}
