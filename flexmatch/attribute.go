package flexmatch

import (
	"fmt"
	"math"
)

// AttributeType is the type of a player attribute, as declared in a rule
// set's playerAttributes and as sent in a ticket.
type AttributeType uint8

// The four attribute types of FlexMatch. In GameLift's AttributeValue they
// are the members S, N, SL and SDM.
const (
	AttributeString          AttributeType = iota + 1 // "string", S
	AttributeNumber                                   // "number", N
	AttributeStringList                               // "string_list", SL
	AttributeStringNumberMap                          // "string_number_map", SDM
)

// String returns the type's name as a rule set spells it.
func (t AttributeType) String() string {
	switch t {
	case AttributeString:
		return "string"
	case AttributeNumber:
		return "number"
	case AttributeStringList:
		return "string_list"
	case AttributeStringNumberMap:
		return "string_number_map"
	}
	return fmt.Sprintf("AttributeType(%d)", uint8(t))
}

func parseAttributeType(s string) (AttributeType, bool) {
	for t := AttributeString; t <= AttributeStringNumberMap; t++ {
		if t.String() == s {
			return t, true
		}
	}
	return 0, false
}

// AttributeValue is one player attribute: the field matching Type holds the
// value.
type AttributeValue struct {
	Type AttributeType
	S    string
	N    float64
	SL   []string
	SDM  map[string]float64
}

// StringAttr returns a string attribute value.
func StringAttr(s string) AttributeValue { return AttributeValue{Type: AttributeString, S: s} }

// NumberAttr returns a number attribute value.
func NumberAttr(n float64) AttributeValue { return AttributeValue{Type: AttributeNumber, N: n} }

// StringListAttr returns a string list attribute value.
func StringListAttr(ss ...string) AttributeValue {
	return AttributeValue{Type: AttributeStringList, SL: ss}
}

// StringNumberMapAttr returns a string-to-number map attribute value.
func StringNumberMapAttr(m map[string]float64) AttributeValue {
	return AttributeValue{Type: AttributeStringNumberMap, SDM: m}
}

// The limits GameLift puts on attribute values in matchmaking requests.
const (
	maxStringLen      = 100
	maxStringListLen  = 100
	maxMapLen         = 10
	maxAttrsPerPlayer = 10
)

// check reports why v is not a value GameLift would accept, or nil.
func (v AttributeValue) check() error {
	switch v.Type {
	case AttributeString:
		if len(v.S) > maxStringLen {
			return fmt.Errorf("string is %d characters long; the limit is %d", len(v.S), maxStringLen)
		}
	case AttributeNumber:
		if math.IsNaN(v.N) || math.IsInf(v.N, 0) {
			return fmt.Errorf("number %v is not finite", v.N)
		}
	case AttributeStringList:
		if len(v.SL) > maxStringListLen {
			return fmt.Errorf("string list has %d entries; the limit is %d", len(v.SL), maxStringListLen)
		}
		for _, s := range v.SL {
			if len(s) > maxStringLen {
				return fmt.Errorf("string list entry is %d characters long; the limit is %d", len(s), maxStringLen)
			}
		}
	case AttributeStringNumberMap:
		if len(v.SDM) > maxMapLen {
			return fmt.Errorf("string-number map has %d entries; the limit is %d", len(v.SDM), maxMapLen)
		}
		for k, n := range v.SDM {
			if math.IsNaN(n) || math.IsInf(n, 0) {
				return fmt.Errorf("map value for %q is not finite", k)
			}
		}
	default:
		return fmt.Errorf("attribute value has no type")
	}
	return nil
}
