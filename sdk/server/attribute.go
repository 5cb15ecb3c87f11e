package server

import (
	"encoding/json"
	"fmt"
)

// AttributeType is the type of an AttributeValue, as named on the wire.
type AttributeType string

// Attribute types.
const (
	AttributeString          AttributeType = "STRING"
	AttributeDouble          AttributeType = "DOUBLE"
	AttributeStringList      AttributeType = "STRING_LIST"
	AttributeStringDoubleMap AttributeType = "STRING_DOUBLE_MAP"
)

// AttributeValue is a player attribute for matchmaking: a string (S), a
// number (N), a list of strings (SL) or a map of strings to numbers (SDM).
// Type says which one is used; the others are ignored. The constructors
// StringAttribute, NumberAttribute, StringListAttribute and
// StringDoubleMapAttribute fill Type in.
//
// On the wire it is {"AttrType":"STRING","S":"..."} with only the member of
// its type, so a number 0 is sent as "N":0 rather than dropped.
type AttributeValue struct {
	Type AttributeType
	S    string
	N    float64
	SL   []string
	SDM  map[string]float64
}

// StringAttribute returns a STRING attribute.
func StringAttribute(s string) AttributeValue { return AttributeValue{Type: AttributeString, S: s} }

// NumberAttribute returns a DOUBLE attribute.
func NumberAttribute(n float64) AttributeValue { return AttributeValue{Type: AttributeDouble, N: n} }

// StringListAttribute returns a STRING_LIST attribute.
func StringListAttribute(sl ...string) AttributeValue {
	return AttributeValue{Type: AttributeStringList, SL: sl}
}

// StringDoubleMapAttribute returns a STRING_DOUBLE_MAP attribute.
func StringDoubleMapAttribute(sdm map[string]float64) AttributeValue {
	return AttributeValue{Type: AttributeStringDoubleMap, SDM: sdm}
}

// wireAttribute is AttributeValue as sent: pointers so that exactly the
// member of the type is present, zero values included.
type wireAttribute struct {
	AttrType AttributeType       `json:"AttrType"`
	S        *string             `json:"S,omitempty"`
	N        *float64            `json:"N,omitempty"`
	SL       *[]string           `json:"SL,omitempty"`
	SDM      *map[string]float64 `json:"SDM,omitempty"`
}

// MarshalJSON encodes the value in GameLift's wire shape.
func (a AttributeValue) MarshalJSON() ([]byte, error) {
	w := wireAttribute{AttrType: a.Type}
	switch a.Type {
	case AttributeString:
		w.S = &a.S
	case AttributeDouble:
		w.N = &a.N
	case AttributeStringList:
		sl := a.SL
		if sl == nil {
			sl = []string{}
		}
		w.SL = &sl
	case AttributeStringDoubleMap:
		sdm := a.SDM
		if sdm == nil {
			sdm = map[string]float64{}
		}
		w.SDM = &sdm
	default:
		return nil, fmt.Errorf("attribute type %q is not one of STRING, DOUBLE, STRING_LIST, STRING_DOUBLE_MAP", a.Type)
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes GameLift's wire shape. Without AttrType the type is
// taken from the member that is present.
func (a *AttributeValue) UnmarshalJSON(data []byte) error {
	var w wireAttribute
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	v := AttributeValue{Type: w.AttrType}
	if w.S != nil {
		v.S = *w.S
	}
	if w.N != nil {
		v.N = *w.N
	}
	if w.SL != nil {
		v.SL = *w.SL
	}
	if w.SDM != nil {
		v.SDM = *w.SDM
	}
	if v.Type == "" {
		switch {
		case w.S != nil:
			v.Type = AttributeString
		case w.N != nil:
			v.Type = AttributeDouble
		case w.SL != nil:
			v.Type = AttributeStringList
		case w.SDM != nil:
			v.Type = AttributeStringDoubleMap
		}
	}
	*a = v
	return nil
}
