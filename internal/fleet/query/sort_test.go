package query

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSortCompare(t *testing.T) {
	type session struct {
		label string
		f     Fields
	}
	props := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	in := []session{
		{"a", Fields{GameSessionName: "b", GameSessionID: "arn/3", MaximumSessions: 8, CreationTimeMillis: 300, PlayerSessionCount: 2, HasAvailablePlayerSessions: true, Properties: props("level", "10")}},
		{"b", Fields{GameSessionName: "a", GameSessionID: "arn/1", MaximumSessions: 4, CreationTimeMillis: 100, PlayerSessionCount: 4}},
		{"c", Fields{GameSessionName: "c", GameSessionID: "arn/2", MaximumSessions: 8, CreationTimeMillis: 200, PlayerSessionCount: 0, HasAvailablePlayerSessions: true, Properties: props("level", "9")}},
		{"d", Fields{GameSessionName: "B", GameSessionID: "arn/4", MaximumSessions: 16, CreationTimeMillis: 400, PlayerSessionCount: 1, Properties: props("mode", "ffa")}},
		{"e", Fields{GameSessionName: "", GameSessionID: "arn/0", MaximumSessions: 2, CreationTimeMillis: -5, PlayerSessionCount: 2, HasAvailablePlayerSessions: true, Properties: props("level", "")}},
	}
	tests := []struct {
		sort string
		want string
	}{
		{"creationTimeMillis ASC", "e b c a d"},
		{"creationTimeMillis DESC", "d a c b e"},
		{"gameSessionName ASC", "e d b a c"}, // bytewise: "" < "B" < "a"
		{"gameSessionName desc", "c a b d e"},
		{"gameSessionId ASC", "e b c a d"},
		{"maximumSessions ASC", "e b a c d"}, // a before c: stable
		{"maximumSessions DESC", "d a c b e"},
		{"playerSessionCount ASC", "c d a e b"},
		{"hasAvailablePlayerSessions ASC", "b d a c e"}, // false first
		{"hasAvailablePlayerSessions DESC", "a c e b d"},
		// Sessions without the property come last in both orders, in
		// their original order.
		{"gameSessionProperties.level ASC", "e a c b d"},
		{"gameSessionProperties.level DESC", "c a e b d"},
		{"gameSessionProperties.mode DESC", "d a b c e"},
		{"gameSessionProperties.none ASC", "a b c d e"},
	}
	for _, tt := range tests {
		t.Run(tt.sort, func(t *testing.T) {
			s, err := ParseSort(tt.sort)
			if err != nil {
				t.Fatalf("ParseSort(%q): %v", tt.sort, err)
			}
			got := slices.Clone(in)
			slices.SortStableFunc(got, func(a, b session) int { return s.Compare(a.f, b.f) })
			var labels []string
			for _, x := range got {
				labels = append(labels, x.label)
			}
			if g := strings.Join(labels, " "); g != tt.want {
				t.Errorf("sorted by %q: %s, want %s", tt.sort, g, tt.want)
			}
		})
	}
}

func TestNilSort(t *testing.T) {
	var s *Sort
	if c := s.Compare(Fields{MaximumSessions: 1}, Fields{}); c != 0 {
		t.Errorf("nil Sort Compare = %d, want 0", c)
	}
}

func TestParseSort(t *testing.T) {
	tests := []struct {
		expr string
		want string // canonical form; empty for an error
		pos  int
		msg  string
	}{
		{expr: "creationTimeMillis ASC", want: "creationTimeMillis ASC"},
		{expr: "  playerSessionCount\tdesc \n", want: "playerSessionCount DESC"},
		{expr: "gameSessionProperties.level Desc", want: "gameSessionProperties.level DESC"},
		{expr: "", pos: 0, msg: "empty sort expression; expected something like creationTimeMillis ASC"},
		{expr: "creationTimeMillis", pos: 18, msg: "expected ASC or DESC after creationTimeMillis, found end of expression"},
		{expr: "creationTimeMillis UP", pos: 19, msg: "expected ASC or DESC after creationTimeMillis, found 'UP'"},
		{expr: "creationTimeMillis > 5", pos: 19, msg: "expected ASC or DESC after creationTimeMillis, found '>'"},
		{expr: "asc", pos: 0, msg: "expected an operand before asc, such as creationTimeMillis ASC"},
		{expr: "CreationTimeMillis ASC", pos: 0, msg: `unknown operand "CreationTimeMillis"; operand names are case-sensitive: did you mean "creationTimeMillis"?`},
		{expr: "gameSessionProperties ASC", pos: 0, msg: "gameSessionProperties needs a key: write gameSessionProperties.<key>, such as gameSessionProperties.gameMode"},
		{expr: "creationTimeMillis ASC, playerSessionCount DESC", pos: 22, msg: `a sort expression is exactly one operand and ASC or DESC; found ", playerSessionCount DESC" after ASC`},
		{expr: "creationTimeMillis ASC DESC", pos: 23, msg: `a sort expression is exactly one operand and ASC or DESC; found "DESC" after ASC`},
		{expr: "'creationTimeMillis' ASC", pos: 0, msg: "expected an operand (" + operandList + "), found string 'creationTimeMillis'"},
		{expr: strings.Repeat(" ", 1020) + "creationTimeMillis ASC", pos: 1024, msg: "sort expression is 1042 characters long; the limit is 1024"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			s, err := ParseSort(tt.expr)
			if tt.want != "" {
				if err != nil {
					t.Fatalf("ParseSort(%q): %v", tt.expr, err)
				}
				if s.String() != tt.want {
					t.Errorf("ParseSort(%q) = %q, want %q", tt.expr, s, tt.want)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseSort(%q) = %v, %v; want a *SyntaxError", tt.expr, s, err)
			}
			if se.Pos != tt.pos || se.Msg != tt.msg {
				t.Errorf("ParseSort(%q) error\n got: %d %s\nwant: %d %s", tt.expr, se.Pos, se.Msg, tt.pos, tt.msg)
			}
		})
	}
}
