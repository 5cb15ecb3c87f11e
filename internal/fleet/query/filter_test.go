package query

import (
	"errors"
	"strings"
	"testing"
)

// sessions are the game sessions the filter tests match against, by label.
var sessions = []struct {
	label string
	f     Fields
}{
	{"s1", Fields{
		GameSessionName:            "Bob's Game",
		GameSessionID:              "arn:aws:gamelift:us-west-2::gamesession/fleet-1/gs-1",
		MaximumSessions:            10,
		CreationTimeMillis:         1000,
		PlayerSessionCount:         3,
		HasAvailablePlayerSessions: true,
		Properties:                 map[string]string{"mode": "ffa", "gameMode": "brawl", "level": "10"},
	}},
	{"s2", Fields{
		GameSessionName:            "Alice",
		GameSessionID:              "arn:aws:gamelift:us-west-2::gamesession/fleet-1/gs-2",
		MaximumSessions:            12,
		CreationTimeMillis:         2000,
		PlayerSessionCount:         12,
		HasAvailablePlayerSessions: false,
		Properties:                 map[string]string{"mode": "team", "path": `C:\games`},
	}},
	{"s3", Fields{
		GameSessionName:            "",
		GameSessionID:              "arn:aws:gamelift:us-west-2::gamesession/fleet-1/gs-3",
		MaximumSessions:            4,
		CreationTimeMillis:         3000,
		PlayerSessionCount:         0,
		HasAvailablePlayerSessions: true,
	}},
	{"s4", Fields{
		GameSessionName:            "bob's game",
		GameSessionID:              "arn:aws:gamelift:us-west-2::gamesession/fleet-1/gs-4",
		MaximumSessions:            20,
		CreationTimeMillis:         500,
		PlayerSessionCount:         9,
		HasAvailablePlayerSessions: true,
		Properties:                 map[string]string{"gameMode": "brawl", "level": "9", "régión": "eu"},
	}},
}

func matching(f *Filter) string {
	var got []string
	for _, s := range sessions {
		if f.Match(s.f) {
			got = append(got, s.label)
		}
	}
	return strings.Join(got, " ")
}

func TestParseFilterMatch(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want string // labels of the matching sessions
	}{
		// The reference's examples.
		{"doc open slot", "maximumSessions>=10 AND hasAvailablePlayerSessions=true", "s1 s4"},
		{"doc escaped quote", `gameSessionName = 'Bob\'s Game'`, "s1"},
		{"doc not or", "NOT (gameSessionProperties.mode = 'ffa' OR playerSessionCount > 8)", "s3"},
		{"doc double quotes", `gameSessionProperties.gameMode = "brawl"`, "s1 s4"},

		{"keywords any case", "maximumSessions >= 10 and hasAvailablePlayerSessions = TRUE", "s1 s4"},
		{"false any case", "hasAvailablePlayerSessions = False", "s2"},
		{"AND binds tighter than OR", "playerSessionCount = 0 OR maximumSessions = 10 AND hasAvailablePlayerSessions = false", "s3"},
		{"parentheses", "(playerSessionCount = 0 OR maximumSessions = 10) AND hasAvailablePlayerSessions = true", "s1 s3"},
		{"NOT binds tighter than AND", "NOT playerSessionCount = 0 AND hasAvailablePlayerSessions = true", "s1 s4"},
		{"NOT NOT", "NOT NOT playerSessionCount = 0", "s3"},
		{"NOT before paren", "NOT(playerSessionCount = 0 OR playerSessionCount = 12)", "s1 s4"},
		{"OR chain", "playerSessionCount = 0 OR playerSessionCount = 3 OR playerSessionCount = 9", "s1 s3 s4"},
		{"nested parentheses", "((maximumSessions = 4))", "s3"},
		{"full ARN", "gameSessionId = 'arn:aws:gamelift:us-west-2::gamesession/fleet-1/gs-2'", "s2"},
		{"id not equal", "gameSessionId <> 'arn:aws:gamelift:us-west-2::gamesession/fleet-1/gs-2'", "s1 s3 s4"},
		{"creation less", "creationTimeMillis < 1500", "s1 s4"},
		{"creation less or equal", "creationTimeMillis <= 1000", "s1 s4"},
		{"creation greater", "creationTimeMillis > 1000", "s2 s3"},
		{"creation greater or equal", "creationTimeMillis >= 2000", "s2 s3"},
		{"count not equal", "playerSessionCount <> 0", "s1 s2 s4"},
		{"negative number", "playerSessionCount > -1", "s1 s2 s3 s4"},
		{"plus sign", "maximumSessions = +10", "s1"},
		{"large int64", "creationTimeMillis < 9223372036854775807", "s1 s2 s3 s4"},
		{"names are case-sensitive", `gameSessionName = 'bob\'s game'`, "s4"},
		{"double quotes hold single quotes", `gameSessionName = "Bob's Game"`, "s1"},
		{"escaped double quote", `gameSessionName <> "Bob\"s"`, "s1 s2 s3 s4"},
		{"escaped backslash", `gameSessionProperties.path = 'C:\\games'`, "s2"},
		{"empty string", "gameSessionName = ''", "s3"},
		{"boolean not equal", "hasAvailablePlayerSessions <> false", "s1 s3 s4"},
		{"missing property is false", "gameSessionProperties.mode <> 'ffa'", "s2"},
		{"NOT of missing property is true", "NOT gameSessionProperties.mode = 'ffa'", "s2 s3 s4"},
		{"property compares bytewise", "gameSessionProperties.level < '9'", "s1"},
		{"property greater", "gameSessionProperties.level >= '9'", "s4"},
		{"property keys are case-sensitive", "gameSessionProperties.MODE = 'ffa'", ""},
		{"unicode key", "gameSessionProperties.régión = 'eu'", "s4"},
		{"no spaces", "gameSessionProperties.mode<>'ffa'AND(playerSessionCount<=12)", "s2"},
		{"other whitespace", "\tmaximumSessions\n>=\r\n10 ", "s1 s2 s4"},
		{"32 levels", strings.Repeat("(", 32) + "maximumSessions = 4" + strings.Repeat(")", 32), "s3"},
		{"32 NOTs", strings.Repeat("NOT ", 32) + "maximumSessions = 4", "s3"},
		{"1024 characters", "gameSessionName <> '" + strings.Repeat("é", 1024-len("gameSessionName <> ''")) + "'", "s1 s2 s3 s4"},
		{"32-character key", "gameSessionProperties." + strings.Repeat("k", 32) + " = 'x'", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilter(tt.expr)
			if err != nil {
				t.Fatalf("ParseFilter(%q): %v", tt.expr, err)
			}
			if got := matching(f); got != tt.want {
				t.Errorf("ParseFilter(%q) matches %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}

func TestParseFilterErrors(t *testing.T) {
	const operandList = "gameSessionName, gameSessionId, maximumSessions, creationTimeMillis, " +
		"playerSessionCount, hasAvailablePlayerSessions or gameSessionProperties.<key>"
	tests := []struct {
		name string
		expr string
		pos  int
		msg  string
	}{
		{"empty", "", 0, "empty filter expression; expected something like maximumSessions >= 10"},
		{"blank", " \t\n", 0, "empty filter expression; expected something like maximumSessions >= 10"},
		{"missing value", "maximumSessions >=", 18, "expected a value after '>=', found end of expression"},
		{"value is a paren", "(maximumSessions = )", 19, "expected a value after '=', found ')'"},
		{"string for number", "maximumSessions >= 'ten'", 19, "maximumSessions takes an integer, found string 'ten'"},
		{"boolean for number", "maximumSessions >= true", 19, "maximumSessions takes an integer, found 'true'"},
		{"fraction", "maximumSessions >= 1.5", 19, `invalid number "1.5"; expected an integer such as 10`},
		{"number runs into keyword", "maximumSessions >= 10AND playerSessionCount = 1", 19, `invalid number "10AND"; expected an integer such as 10`},
		{"out of range", "creationTimeMillis > 99999999999999999999", 21, "number 99999999999999999999 is out of range"},
		{"lone minus", "playerSessionCount > -", 21, "unexpected character '-'"},
		{"string less than", "gameSessionName < 'Bob'", 16, "gameSessionName is a string and allows only = and <>, found '<'"},
		{"id greater or equal", "gameSessionId >= 'arn'", 14, "gameSessionId is a string and allows only = and <>, found '>='"},
		{"boolean greater", "hasAvailablePlayerSessions > false", 27, "hasAvailablePlayerSessions is a boolean and allows only = and <>, found '>'"},
		{"quoted boolean", "hasAvailablePlayerSessions = 'true'", 29, "hasAvailablePlayerSessions takes true or false, found string 'true'"},
		{"number for boolean", "hasAvailablePlayerSessions = 1", 29, "hasAvailablePlayerSessions takes true or false, found number 1"},
		{"unquoted string", "gameSessionName = Bob", 18, "gameSessionName takes a quoted string, found 'Bob'; write it in quotes: 'Bob'"},
		{"bare number for property", "gameSessionProperties.level = 10", 30, "gameSessionProperties.level compares as a string, found number 10; write it in quotes: '10'"},
		{"bare boolean for property", "gameSessionProperties.ranked = true", 31, "gameSessionProperties.ranked compares as a string, found 'true'; write it in quotes: 'true'"},
		{"two operands", "playerSessionCount = maximumSessions", 21, "cannot compare playerSessionCount with another operand ('maximumSessions'); the value must be a number, true, false or a quoted string"},
		{"operand case", "MaximumSessions >= 10", 0, `unknown operand "MaximumSessions"; operand names are case-sensitive: did you mean "maximumSessions"?`},
		{"property prefix case", "GameSessionProperties.mode = 'x'", 0, `unknown operand "GameSessionProperties.mode"; operand names are case-sensitive: did you mean "gameSessionProperties.mode"?`},
		{"unknown operand", "players > 1", 0, `unknown operand "players"; expected ` + operandList},
		{"dotted non-property", "maximumSessions.x = 1", 0, `unknown operand "maximumSessions.x"; only gameSessionProperties takes a .<key>`},
		{"properties without key", "gameSessionProperties = 'x'", 0, "gameSessionProperties needs a key: write gameSessionProperties.<key>, such as gameSessionProperties.gameMode"},
		{"empty key", "gameSessionProperties. = 'x'", 22, `expected a property key after "gameSessionProperties."`},
		{"key with dot", "gameSessionProperties.a.b = 'x'", 23, `property key "a.b" contains '.'; GameLift cannot search keys that contain a period`},
		{"key too long", "gameSessionProperties." + strings.Repeat("k", 33) + " = 'x'", 22, "property key is 33 characters long; GameLift keys are at most 32"},
		{"unterminated string", "gameSessionName = 'abc", 18, "unterminated string: no closing ' for the quote here"},
		{"unterminated after escape", `gameSessionName = "abc\"`, 18, `unterminated string: no closing " for the quote here`},
		{"unknown escape", `gameSessionName = 'a\nb'`, 20, `unknown escape sequence "\n" in string; only \', \" and \\ are allowed`},
		{"bang equal", "maximumSessions != 10", 16, "'!=' is not a comparator; use '<>' for not equal"},
		{"double equal", "maximumSessions == 10", 16, "'==' is not a comparator; use '=' for equal"},
		{"missing comparator", "maximumSessions 10", 16, "expected a comparator (=, <>, <, >, <=, >=) after maximumSessions, found number 10"},
		{"unclosed paren", "(maximumSessions >= 10", 22, "expected AND, OR or ')' to close the '(' at position 0, found end of expression"},
		{"stray close paren", "maximumSessions >= 10)", 21, "unexpected ')' with no matching '('"},
		{"missing AND", "maximumSessions >= 10 playerSessionCount = 1", 22, "expected AND, OR or end of expression, found 'playerSessionCount'"},
		{"dangling AND", "maximumSessions >= 10 AND", 25, "expected a condition (an operand such as maximumSessions), '(' or NOT, found end of expression"},
		{"leading AND", "AND maximumSessions >= 10", 0, "expected an operand (" + operandList + "), found 'AND'"},
		{"lone NOT", "NOT", 3, "expected a condition (an operand such as maximumSessions), '(' or NOT, found end of expression"},
		{"empty parens", "()", 1, "expected a condition (an operand such as maximumSessions), '(' or NOT, found ')'"},
		{"value first", "10 <= maximumSessions", 0, "expected an operand (" + operandList + "), found number 10"},
		{"unexpected character", "maximumSessions >= 10 # big", 22, "unexpected character '#'"},
		{"non-breaking space", "maximumSessions\u00a0>= 10", 15, `unexpected character '\u00a0'`},
		{"invalid UTF-8", "gameSessionName = '\xff'", 19, "invalid UTF-8 byte 0xff"},
		{"33 levels", strings.Repeat("(", 33) + "maximumSessions = 4" + strings.Repeat(")", 33), 32, "expression nests too deeply: at most 32 levels of parentheses and NOT"},
		{"33 NOTs", strings.Repeat("NOT ", 33) + "maximumSessions = 4", 128, "expression nests too deeply: at most 32 levels of parentheses and NOT"},
		{"too long", "gameSessionName <> '" + strings.Repeat("é", 1025-len("gameSessionName <> ''")) + "'", len("gameSessionName <> '") + 2*(1025-len("gameSessionName <> ''")), "filter expression is 1025 characters long; the limit is 1024"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilter(tt.expr)
			if err == nil {
				t.Fatalf("ParseFilter(%q) = %v, want an error", tt.expr, f)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseFilter(%q) error %T %v, want *SyntaxError", tt.expr, err, err)
			}
			if se.Pos != tt.pos || se.Msg != tt.msg {
				t.Errorf("ParseFilter(%q) error\n got: %d %s\nwant: %d %s", tt.expr, se.Pos, se.Msg, tt.pos, tt.msg)
			}
		})
	}
}

func TestSyntaxErrorString(t *testing.T) {
	_, err := ParseFilter("maximumSessions>=")
	const want = "at position 17: expected a value after '>=', found end of expression"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
}

func TestNilFilterMatchesAll(t *testing.T) {
	var f *Filter
	if got := matching(f); got != "s1 s2 s3 s4" {
		t.Errorf("nil filter matches %q, want all", got)
	}
	if f.String() != "" {
		t.Errorf("nil filter String = %q, want empty", f.String())
	}
}

func TestFilterString(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"maximumSessions>=10 and hasAvailablePlayerSessions=TRUE", "maximumSessions >= 10 AND hasAvailablePlayerSessions = true"},
		{`gameSessionName = "Bob's Game"`, `gameSessionName = "Bob's Game"`},
		{`gameSessionName = 'a\\b\"c'`, `gameSessionName = 'a\\b"c'`},
		{`gameSessionName = 'a\'b"c'`, `gameSessionName = 'a\'b"c'`},
		{"not (gameSessionProperties.mode = 'ffa' or playerSessionCount > 8)", "NOT (gameSessionProperties.mode = 'ffa' OR playerSessionCount > 8)"},
		{"((playerSessionCount = 1)) OR (playerSessionCount = 2 OR playerSessionCount = 3)", "playerSessionCount = 1 OR playerSessionCount = 2 OR playerSessionCount = 3"},
		{"(playerSessionCount = 1 OR playerSessionCount = 2) AND (maximumSessions = 3 AND maximumSessions = +4)", "(playerSessionCount = 1 OR playerSessionCount = 2) AND maximumSessions = 3 AND maximumSessions = 4"},
		{"NOT (maximumSessions = 3 AND NOT maximumSessions = 4)", "NOT (maximumSessions = 3 AND NOT maximumSessions = 4)"},
	}
	for _, tt := range tests {
		f, err := ParseFilter(tt.expr)
		if err != nil {
			t.Errorf("ParseFilter(%q): %v", tt.expr, err)
			continue
		}
		if got := f.String(); got != tt.want {
			t.Errorf("ParseFilter(%q).String()\n got: %s\nwant: %s", tt.expr, got, tt.want)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	f, err := ParseFilter("NOT (gameSessionProperties.mode = 'ffa' OR playerSessionCount > 8) AND maximumSessions >= 4 AND gameSessionName <> 'x'")
	if err != nil {
		b.Fatal(err)
	}
	x := sessions[2].f
	b.ReportAllocs()
	for b.Loop() {
		f.Match(x)
	}
}

func BenchmarkParseFilter(b *testing.B) {
	const expr = "NOT (gameSessionProperties.mode = 'ffa' OR playerSessionCount > 8) AND maximumSessions >= 4 AND gameSessionName <> 'Bob\\'s Game'"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFilter(expr); err != nil {
			b.Fatal(err)
		}
	}
}
