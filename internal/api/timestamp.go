package api

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// Timestamp is a point in time on the wire: epoch seconds (with
// milliseconds) as a JSON number in AWS JSON 1.1, and CBOR tag 1 around the
// same number in RPC v2 CBOR.
type Timestamp struct{ time.Time }

// NewTimestamp wraps t, or returns nil for the zero time so that the member
// is omitted.
func NewTimestamp(t time.Time) *Timestamp {
	if t.IsZero() {
		return nil
	}
	return &Timestamp{t}
}

func (t Timestamp) epochSeconds() float64 {
	return float64(t.UnixMilli()) / 1000
}

// MarshalJSON writes epoch seconds, e.g. 1767225600.123.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, t.epochSeconds(), 'f', -1, 64), nil
}

// UnmarshalJSON reads epoch seconds, integral or fractional.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("timestamp must be epoch seconds, got %s", b)
	}
	t.Time = fromEpochSeconds(f)
	return nil
}

// MarshalCBOR writes tag 1 (epoch-based date/time) around a float64, which
// the AWS SDKs read with millisecond precision.
func (t Timestamp) MarshalCBOR() ([]byte, error) {
	return cborEnc.Marshal(cbor.Tag{Number: 1, Content: t.epochSeconds()})
}

// UnmarshalCBOR reads tag 1 around an integer or a float.
func (t *Timestamp) UnmarshalCBOR(b []byte) error {
	var tag cbor.Tag
	if err := cborDec.Unmarshal(b, &tag); err != nil {
		return fmt.Errorf("timestamp must be CBOR tag 1: %w", err)
	}
	if tag.Number != 1 {
		return fmt.Errorf("timestamp must be CBOR tag 1, got tag %d", tag.Number)
	}
	switch v := tag.Content.(type) {
	case uint64:
		t.Time = time.Unix(int64(v), 0)
	case int64:
		t.Time = time.Unix(v, 0)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("timestamp is not finite")
		}
		t.Time = fromEpochSeconds(v)
	case float32:
		t.Time = fromEpochSeconds(float64(v))
	default:
		return fmt.Errorf("timestamp tag holds %T, want a number", v)
	}
	return nil
}

func fromEpochSeconds(f float64) time.Time {
	return time.UnixMilli(int64(math.Round(f * 1000)))
}
