package api

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"
)

// checker collects validation failures of one request, worded as AWS
// services word them ("Value 'x' at 'name' failed to satisfy constraint:
// ..."), so that clients and people see what they would see from GameLift.
type checker struct {
	failures []string
}

// validator is implemented by inputs that have constraints beyond their
// types.
type validator interface {
	validate(c *checker)
}

func (c *checker) fail(member, value, constraint string) {
	c.failures = append(c.failures, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member must %s", value, wirePath(member), constraint))
}

// err returns the InvalidRequestException for the failures, or nil.
func (c *checker) err() error {
	switch n := len(c.failures); n {
	case 0:
		return nil
	case 1:
		return &Error{Status: http.StatusBadRequest, Type: CodeInvalidRequest, Message: "1 validation error detected: " + c.failures[0]}
	default:
		return &Error{Status: http.StatusBadRequest, Type: CodeInvalidRequest, Message: fmt.Sprintf("%d validation errors detected: %s", n, strings.Join(c.failures, "; "))}
	}
}

// required checks a member that must be present.
func (c *checker) required(member string, present bool) bool {
	if !present {
		c.fail(member, "null", "not be null")
	}
	return present
}

// str checks an optional string member's length (in characters) and, when
// pattern is non-nil, its form. A nil s is not checked.
func (c *checker) str(member string, s *string, min, max int, pattern *pattern) {
	if s == nil {
		return
	}
	n := utf8.RuneCountInString(*s)
	switch {
	case n < min:
		c.fail(member, quote(*s), fmt.Sprintf("have length greater than or equal to %d", min))
	case max > 0 && n > max:
		c.fail(member, quote(*s), fmt.Sprintf("have length less than or equal to %d", max))
	case pattern != nil && !pattern.whole.MatchString(*s):
		c.fail(member, quote(*s), "satisfy regular expression pattern: "+pattern.model)
	}
}

// requiredStr is str for a member that must be present.
func (c *checker) requiredStr(member string, s *string, min, max int, pattern *pattern) {
	if c.required(member, s != nil) {
		c.str(member, s, min, max, pattern)
	}
}

// intRange checks an optional integer member; max < min means no upper bound.
func (c *checker) intRange(member string, v *int32, min, max int32) {
	if v == nil {
		return
	}
	if *v < min {
		c.fail(member, fmt.Sprintf("'%d'", *v), fmt.Sprintf("have value greater than or equal to %d", min))
	} else if max >= min && *v > max {
		c.fail(member, fmt.Sprintf("'%d'", *v), fmt.Sprintf("have value less than or equal to %d", max))
	}
}

// enum checks an optional enum member ("" means absent).
func (c *checker) enum(member, v string, allowed ...string) {
	if v == "" {
		return
	}
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.fail(member, quote(v), "satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

// listLen checks the number of elements of a list member that is present.
func (c *checker) listLen(member string, n int, present bool, min, max int) {
	if !present {
		return
	}
	if n < min {
		c.fail(member, fmt.Sprintf("'[%d elements]'", n), fmt.Sprintf("have length greater than or equal to %d", min))
	} else if max > 0 && n > max {
		c.fail(member, fmt.Sprintf("'[%d elements]'", n), fmt.Sprintf("have length less than or equal to %d", max))
	}
}

// exactlyOne checks a group of members of which exactly one must be
// present, such as FleetId and AliasId. GameLift's model cannot state such a
// rule, so there is no AWS wording to copy; the failure names every member.
func (c *checker) exactlyOne(members []string, present ...bool) {
	if n := countTrue(present); n != 1 {
		c.failures = append(c.failures, fmt.Sprintf("exactly one of %s must be given, got %d", memberList(members), n))
	}
}

// atLeastOne checks a group of members of which one or more must be
// present.
func (c *checker) atLeastOne(members []string, present ...bool) {
	if countTrue(present) == 0 {
		c.failures = append(c.failures, fmt.Sprintf("one of %s must be given, got none", memberList(members)))
	}
}

func countTrue(bs []bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func memberList(members []string) string {
	q := make([]string, len(members))
	for i, m := range members {
		q[i] = "'" + wirePath(m) + "'"
	}
	return strings.Join(q, ", ")
}

// gameProperties checks a GameProperties list.
func (c *checker) gameProperties(props []GameProperty) {
	c.listLen("GameProperties", len(props), props != nil, 0, 16)
	for i, p := range props {
		c.requiredStr(fmtMember("GameProperties", i, "Key"), p.Key, 0, 32, nil)
		c.requiredStr(fmtMember("GameProperties", i, "Value"), p.Value, 0, 96, nil)
	}
}

// tags checks a Tags list as every GameLift Create* operation takes it.
func (c *checker) tags(tags []Tag) {
	c.listLen("Tags", len(tags), tags != nil, 0, 200)
	for i, t := range tags {
		m := fmt.Sprintf("Tags.%d.member.", i+1)
		c.requiredStr(m+"Key", t.Key, 1, 128, nil)
		c.requiredStr(m+"Value", t.Value, 0, 256, nil)
	}
}

// nextToken checks the NextToken and Limit members of a list operation.
func (c *checker) page(limit *int32, maxLimit int32, nextToken *string) {
	c.intRange("Limit", limit, 1, maxLimit)
	c.str("NextToken", nextToken, 1, 1024, nil)
}

func quote(s string) string {
	const max = 100
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max]) + "..."
	}
	return "'" + s + "'"
}

// wirePath writes a member path the way AWS validation messages do:
// each member name with a lower-case first letter.
func wirePath(member string) string {
	parts := strings.Split(member, ".")
	for i, p := range parts {
		if p != "" && p[0] >= 'A' && p[0] <= 'Z' && !isAllUpper(p) {
			parts[i] = strings.ToLower(p[:1]) + p[1:]
		}
	}
	return strings.Join(parts, ".")
}

func isAllUpper(s string) bool { return strings.ToUpper(s) == s }

// pattern is a member's regular expression as GameLift's model states it.
// AWS validation requires a value to match it whole (the model's patterns
// are mostly anchored at the start only): "custom-eu west" does not satisfy
// ^custom-[A-Za-z0-9\-]+.
type pattern struct {
	model string
	whole *regexp.Regexp
}

func mustPattern(expr string) *pattern {
	return &pattern{model: expr, whole: regexp.MustCompile(`^(?:` + expr + `)$`)}
}

// Patterns of GameLift's identifiers, as its API model states them.
var (
	patFleetIDOrARN      = mustPattern(`^[a-z]*fleet-[a-zA-Z0-9\-]+$|^arn:.*:[a-z]*fleet\/[a-z]*fleet-[a-zA-Z0-9\-]+$`)
	patFleetID           = mustPattern(`^[a-z]*fleet-[a-zA-Z0-9\-]+`)
	patLocation          = mustPattern(`^[A-Za-z0-9\-]+`)
	patCustomLocation    = mustPattern(`^custom-[A-Za-z0-9\-]+`)
	patCustomLocOrARN    = mustPattern(`^custom-[A-Za-z0-9\-]+|^arn:.*:location\/custom-\S+`)
	patComputeName       = mustPattern(`^[a-zA-Z0-9\-]+(\/[a-zA-Z0-9\-]+)?`)
	patComputeNameOrARN  = mustPattern(`^[a-zA-Z0-9\-]+(\/[a-zA-Z0-9\-]+)?$|^arn:.*:compute\/[a-zA-Z0-9\-]+(\/[a-zA-Z0-9\-]+)?`)
	patDNSName           = mustPattern(`^[0-9a-zA-Z_\-\.]+`)
	patIPAddress         = mustPattern(`^[0-9A-Fa-f\:\.]+`)
	patAliasIDOrARN      = mustPattern(`^alias-\S+|^arn:.*:alias\/alias-\S+`)
	patNonBlank          = mustPattern(`.*\S.*`)
	patNonNegativeDouble = mustPattern(`^\d{1,5}(?:\.\d{1,5})?$`)
	patARN               = mustPattern(`[a-zA-Z0-9:/-]+`)
	patIDString          = mustPattern(`[a-zA-Z0-9-]+`)
	patPlayerSessionID   = mustPattern(`^psess-\S+`)
)
