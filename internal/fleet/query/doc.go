// Package query parses and evaluates the filter and sort expressions of
// GameLift's SearchGameSessions, for example
//
//	maximumSessions>=10 AND hasAvailablePlayerSessions=true
//	NOT (gameSessionProperties.mode = 'ffa' OR playerSessionCount > 8)
//	creationTimeMillis ASC
//
// The control plane parses a request's FilterExpression and SortExpression
// once, runs [Filter.Match] over the ACTIVE game sessions of the fleet, and
// orders the matches with [slices.SortStableFunc] and [Sort.Compare]. The
// package is pure: it knows nothing of storage or of the wire, only of the
// [Fields] of one session. Parsed expressions are immutable and safe for
// concurrent use.
//
// # Grammar
//
//	filter  := or
//	or      := and ("OR" and)*
//	and     := not ("AND" not)*
//	not     := "NOT" not | "(" or ")" | cond
//	cond    := operand ("=" | "<>" | "<" | ">" | "<=" | ">=") value
//	operand := gameSessionName | gameSessionId | maximumSessions
//	         | creationTimeMillis | playerSessionCount
//	         | hasAvailablePlayerSessions | gameSessionProperties.<key>
//	sort    := operand ("ASC" | "DESC")
//
// Precedence, tightest first: comparisons, parentheses, NOT, AND, OR; equal
// operators group left to right, so NOT a = 1 AND b = 2 is (NOT a = 1) AND
// b = 2.
//
// # Choices where GameLift's documentation is silent or ambiguous
//
// Case. Operand names are case-sensitive, exactly as GameLift spells them
// (maximumSessions, not MaximumSessions); a wrong-case name is an error
// that suggests the right spelling. Property keys are case-sensitive, like
// the GameProperties they look up. The keywords AND, OR, NOT, ASC and DESC
// and the values true and false are case-insensitive.
//
// Operand types. gameSessionName and gameSessionId are strings and
// hasAvailablePlayerSessions is a boolean: they allow only = and <>.
// maximumSessions, creationTimeMillis and playerSessionCount are integers
// and allow every comparator. gameSessionProperties.<key> values are
// strings and allow every comparator; < and > compare bytewise (Go string
// order), so '10' < '9'.
//
// Values. Integer operands take a decimal integer with an optional sign
// (no fractions, no exponents, within int64). The boolean operand takes
// true or false, unquoted. String operands, properties included, take a
// quoted string: single or double quotes, with the escapes \', \" and \\
// only. A bare number or true/false given for a property is an error that
// suggests quoting it: GameLift compares property values as strings, and
// silently turning 10 into '10' would make gameSessionProperties.level > 9
// false for level '10' without a hint why. Comparing one operand to
// another (playerSessionCount = maximumSessions) is an error.
//
// Properties. A condition on a property the session does not have is
// false, whatever the comparator, so NOT of it is true. A key is 1 to 32
// characters, any except whitespace, control characters, '.', and the
// characters the grammar reserves: ( ) = < > ! ' " and backslash. GameLift
// itself cannot search keys that contain '.'.
//
// Sorting. A session without the sorted property has a null sort key and
// comes after every session that has one, in both ASC and DESC. false sorts
// before true. Every other value is non-null; an empty gameSessionName is
// the empty string, not null.
//
// Limits. An expression is 1 to [MaxLength] characters, as in GameLift, and
// nests parentheses and NOT at most [MaxDepth] deep. Whitespace around
// tokens is optional where tokens are unambiguous (maximumSessions>=10).
//
// Errors. Every parse error is a [*SyntaxError] with the byte offset of the
// problem and a message that says what was expected and what was found.
package query
