package api

import (
	"fmt"
	"strconv"

	"github.com/rallypoint/rallypoint/internal/fleet"
)

// Wire types shared by several operations. Go field names are GameLift's
// member names; the json tag (which the CBOR codec also reads) carries
// omitempty so absent members stay absent.

// Tag is a resource tag.
type Tag struct {
	Key   *string `json:"Key,omitempty"`
	Value *string `json:"Value,omitempty"`
}

func tagsIn(tags []Tag) []fleet.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]fleet.Tag, len(tags))
	for i, t := range tags {
		out[i] = fleet.Tag{Key: deref(t.Key), Value: deref(t.Value)}
	}
	return out
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// optString returns nil for "", so an empty domain value is an absent
// member.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// fmtMember names the i-th element of a list member the way AWS validation
// messages do ("locations.1.member.location").
func fmtMember(list string, i int, member string) string {
	s := list + "." + strconv.Itoa(i+1) + ".member"
	if member != "" {
		s += "." + member
	}
	return s
}

// indexKey is a sortable key for the i-th item of a list in its own order.
func indexKey(i int) string { return fmt.Sprintf("%08d", i) }
