package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// codec is one wire protocol's encoding of inputs, outputs and errors.
type codec interface {
	name() string
	contentType() string
	decode(body []byte, into any) error
	encode(v any) ([]byte, error)
}

// The CBOR modes are fixed configuration, built once.
var (
	cborDec = mustDecMode(cbor.DecOptions{
		// Duplicate keys make "which value wins" ambiguous; refuse them.
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:   32,
		MaxArrayElements:  65536,
		MaxMapPairs:       65536,
		FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
	})
	// Floats stay float64: the AWS SDKs do not read half-precision floats.
	cborEnc = mustEncMode(cbor.EncOptions{ShortestFloat: cbor.ShortestFloatNone})
)

func mustDecMode(o cbor.DecOptions) cbor.DecMode {
	m, err := o.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}

func mustEncMode(o cbor.EncOptions) cbor.EncMode {
	m, err := o.EncMode()
	if err != nil {
		panic(err)
	}
	return m
}

type cborCodec struct{}

func (cborCodec) name() string        { return "rpc-v2-cbor" }
func (cborCodec) contentType() string { return "application/cbor" }

func (cborCodec) decode(body []byte, into any) error {
	if len(body) == 0 {
		return nil
	}
	if err := cborDec.Unmarshal(body, into); err != nil {
		var ct *cbor.UnmarshalTypeError
		if errors.As(err, &ct) {
			return describeCBORTypeError(body, reflect.TypeOf(into))
		}
		return describeDecodeError(err)
	}
	return nil
}

// describeCBORTypeError names the member whose value has the wrong type.
// The CBOR library reports only the outermost struct field (as a Go name,
// "api.CreateFleetInput.Locations"), so the member's own value is decoded
// again into the field's type until the innermost failing member is found:
// the path then reads as encoding/json's does ("Locations.Location").
func describeCBORTypeError(body []byte, t reflect.Type) error {
	var (
		path     []string
		last     *cbor.UnmarshalTypeError
		lastType reflect.Type
	)
	for {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		var ct *cbor.UnmarshalTypeError
		if !errors.As(cborDec.Unmarshal(body, reflect.New(t).Interface()), &ct) {
			break
		}
		last, lastType = ct, t
		if ct.StructFieldName == "" || t.Kind() != reflect.Struct {
			break
		}
		name := ct.StructFieldName[strings.LastIndexByte(ct.StructFieldName, '.')+1:]
		field, ok := t.FieldByName(name) // Go field names are the member names
		if !ok {
			break
		}
		path = append(path, name)
		// Keys of any type: the struct decoder skips the ones that are
		// not member names.
		var members map[any]cbor.RawMessage
		if cborDec.Unmarshal(body, &members) != nil {
			break
		}
		body, t = members[name], field.Type
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			// Follow the first element that does not decode.
			var elems []cbor.RawMessage
			if t.Kind() == reflect.Map {
				var m map[string]cbor.RawMessage
				if cborDec.Unmarshal(body, &m) != nil {
					break
				}
				for _, e := range m {
					elems = append(elems, e)
				}
			} else if cborDec.Unmarshal(body, &elems) != nil {
				break
			}
			t = t.Elem()
			for _, e := range elems {
				if cborDec.Unmarshal(e, reflect.New(t).Interface()) != nil {
					body = e
					break
				}
			}
		}
	}
	if last == nil {
		return errors.New("malformed request body")
	}
	want := wireKind(goTypeByName(last.GoType))
	got := "a CBOR " + last.CBORType
	switch {
	case last.CBORType == "primitives":
		got = "a CBOR float, boolean or other simple value"
	case want == "an integer" && strings.HasSuffix(last.CBORType, "integer"):
		got = "an integer out of range"
	}
	if lastType.Kind() == reflect.Struct && last.StructFieldName == "" && want == "a string" {
		// A structure failed on a string, but not in a member: a key.
		want = "member names that are text strings"
	}
	if len(path) == 0 {
		return fmt.Errorf("expected %s, got %s", want, got)
	}
	return fmt.Errorf("member %s: expected %s, got %s", strings.Join(path, "."), want, got)
}

func (cborCodec) encode(v any) ([]byte, error) { return cborEnc.Marshal(v) }

type jsonCodec struct{}

func (jsonCodec) name() string        { return "awsJson1_1" }
func (jsonCodec) contentType() string { return "application/x-amz-json-1.1" }

func (jsonCodec) decode(body []byte, into any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var whole json.RawMessage
	if err := dec.Decode(&whole); err != nil {
		return describeDecodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("request body holds more than one JSON value")
	}
	exact, err := exactMembers(whole, reflect.TypeOf(into))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(exact, into); err != nil {
		return describeDecodeError(err)
	}
	return nil
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// exactMembers rewrites a well-formed JSON value so that encoding/json
// decodes it into a value of type t as the CBOR codec would: member names
// match case-sensitively (encoding/json would take "limit" for Limit, where
// AWS services ignore it as an unknown member), and an object that repeats
// a key is refused instead of the last value silently winning. Members that
// are not part of t are dropped; values of the wrong kind are kept for the
// decoder to report.
func exactMembers(v json.RawMessage, t reflect.Type) (json.RawMessage, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if len(v) == 0 || reflect.PointerTo(t).Implements(jsonUnmarshaler) {
		return v, nil
	}
	switch {
	case v[0] == '[' && t.Kind() == reflect.Slice:
		var elems []json.RawMessage
		if err := json.Unmarshal(v, &elems); err != nil {
			return nil, describeDecodeError(err)
		}
		for i, e := range elems {
			var err error
			if elems[i], err = exactMembers(e, t.Elem()); err != nil {
				return nil, err
			}
		}
		return json.Marshal(elems)
	case v[0] == '{' && (t.Kind() == reflect.Struct || t.Kind() == reflect.Map):
		dec := json.NewDecoder(bytes.NewReader(v))
		if _, err := dec.Token(); err != nil {
			return nil, describeDecodeError(err)
		}
		out := []byte{'{'}
		seen := map[string]bool{}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return nil, describeDecodeError(err)
			}
			key, _ := tok.(string)
			var val json.RawMessage
			if err := dec.Decode(&val); err != nil {
				return nil, describeDecodeError(err)
			}
			if seen[key] {
				return nil, fmt.Errorf("JSON object repeats the key %s", key)
			}
			seen[key] = true
			var vt reflect.Type
			if t.Kind() == reflect.Struct {
				f, ok := fieldByMember(t, key)
				if !ok {
					continue
				}
				vt = f.Type
			} else {
				vt = t.Elem()
			}
			val, err = exactMembers(val, vt)
			if err != nil {
				return nil, err
			}
			k, _ := json.Marshal(key)
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = append(append(append(out, k...), ':'), val...)
		}
		return append(out, '}'), nil
	}
	return v, nil
}

// fieldByMember finds the field of struct t whose wire name is exactly
// member.
func fieldByMember(t reflect.Type, member string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if name == member && name != "-" && f.IsExported() {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func (jsonCodec) encode(v any) ([]byte, error) { return json.Marshal(v) }

// describeDecodeError turns a decoder's error into a message that names the
// member and says what was expected, without Go type names. (CBOR type
// errors are described by describeCBORTypeError.)
func describeDecodeError(err error) error {
	var jt *json.UnmarshalTypeError
	if errors.As(err, &jt) {
		if jt.Field == "" {
			return fmt.Errorf("expected %s, got a JSON %s", wireKind(jt.Type), jt.Value)
		}
		return fmt.Errorf("member %s: expected %s, got a JSON %s", memberPath(jt.Field), wireKind(jt.Type), jt.Value)
	}
	var js *json.SyntaxError
	if errors.As(err, &js) {
		return fmt.Errorf("malformed JSON at byte %d: %s", js.Offset, js.Error())
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errors.New("request body is truncated")
	}
	var dup *cbor.DupMapKeyError
	if errors.As(err, &dup) {
		return fmt.Errorf("CBOR map repeats the key %v", dup.Key)
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "cbor: ")
	msg = strings.TrimPrefix(msg, "json: ")
	return fmt.Errorf("malformed request body: %s", msg)
}

// memberPath keeps the wire member names of a decoder's dotted Go path (our
// Go field names are the GameLift member names).
func memberPath(p string) string {
	if p == "" {
		return "(body)"
	}
	return p
}

// goTypeByName only distinguishes the kinds we name in messages; the CBOR
// library reports the Go type as a string.
func goTypeByName(name string) reflect.Type {
	switch {
	case strings.Contains(name, "int"):
		return reflect.TypeFor[int64]()
	case strings.Contains(name, "float"):
		return reflect.TypeFor[float64]()
	case strings.Contains(name, "bool"):
		return reflect.TypeFor[bool]()
	case strings.HasPrefix(name, "[]"), strings.HasPrefix(name, "*[]"):
		return reflect.TypeFor[[]string]()
	case strings.HasPrefix(name, "map["):
		return reflect.TypeFor[map[string]string]()
	case name == "string", name == "*string":
		return reflect.TypeFor[string]()
	}
	return reflect.TypeFor[struct{}]()
}

func wireKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[Timestamp]() {
		return "a timestamp"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map:
		return "a map"
	case reflect.Struct:
		return "a structure"
	}
	return "a value"
}
