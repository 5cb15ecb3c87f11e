package query

import (
	"errors"
	"testing"
)

// fuzzSessions exercise every operand, including a session without
// properties and one with a nil map.
var fuzzSessions = []Fields{
	{},
	{GameSessionName: "Bob's Game", GameSessionID: "arn:aws:gamelift:us-west-2::gamesession/fleet-1/gs-1",
		MaximumSessions: 10, CreationTimeMillis: 1000, PlayerSessionCount: 3, HasAvailablePlayerSessions: true,
		Properties: map[string]string{"mode": "ffa", "gameMode": "brawl", "level": "10", "a": ""}},
	{GameSessionName: `a\b"c'`, MaximumSessions: -1, CreationTimeMillis: -1 << 63, PlayerSessionCount: 1 << 31,
		Properties: map[string]string{}},
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"maximumSessions>=10 AND hasAvailablePlayerSessions=true",
		`gameSessionName = 'Bob\'s Game'`,
		"NOT (gameSessionProperties.mode = 'ffa' OR playerSessionCount > 8)",
		`gameSessionProperties.gameMode = "brawl"`,
		"gameSessionId <> 'arn:aws:gamelift:us-west-2::gamesession/fleet-1/gs-1' or creationTimeMillis < -5",
		"((playerSessionCount = 1)) OR (playerSessionCount = 2 OR NOT playerSessionCount = 3)",
		`gameSessionProperties.level >= '9' AND gameSessionName = "a\\b\"c'"`,
		"gameSessionProperties.régión = 'eu'",
		"NOT NOT NOT hasAvailablePlayerSessions <> FALSE",
		"maximumSessions >= 1.5",
		"gameSessionName = 'abc",
		"(maximumSessions >= 10",
		"gameSessionProperties.a.b = 'x'",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := ParseFilter(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseFilter(%q) error %T, want *SyntaxError", s, err)
			}
			if se.Pos < 0 || se.Pos > len(s) || se.Msg == "" {
				t.Fatalf("ParseFilter(%q) error %+v: position out of range or empty message", s, se)
			}
			return
		}
		want := make([]bool, len(fuzzSessions))
		for i, x := range fuzzSessions {
			want[i] = flt.Match(x)
		}
		// The canonical form parses back to a filter that matches the
		// same sessions and prints the same. It may outgrow the limits
		// (quotes, spaces), so it is parsed without them.
		canon := flt.String()
		again, err := parseFilter(canon, 1<<30, 1<<30)
		if err != nil {
			t.Fatalf("ParseFilter(%q).String() = %q does not parse: %v", s, canon, err)
		}
		if got := again.String(); got != canon {
			t.Fatalf("canonical form of %q is not stable:\n%s\n%s", s, canon, got)
		}
		for i, x := range fuzzSessions {
			if again.Match(x) != want[i] {
				t.Fatalf("%q and its canonical form %q disagree on session %d", s, canon, i)
			}
		}
	})
}

func FuzzParseSort(f *testing.F) {
	for _, s := range []string{"creationTimeMillis ASC", "gameSessionProperties.level desc", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		srt, err := ParseSort(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Pos < 0 || se.Pos > len(s) || se.Msg == "" {
				t.Fatalf("ParseSort(%q) error %v", s, err)
			}
			return
		}
		for _, a := range fuzzSessions {
			for _, b := range fuzzSessions {
				if srt.Compare(a, b) != -srt.Compare(b, a) {
					t.Fatalf("ParseSort(%q).Compare is not antisymmetric", s)
				}
			}
		}
		again, err := ParseSort(srt.String())
		if err != nil || again.String() != srt.String() {
			t.Fatalf("ParseSort(%q).String() = %q does not round-trip: %v", s, srt, err)
		}
	})
}
