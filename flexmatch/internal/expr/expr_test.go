package expr

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// testMatch is a potential match for tests: per team slot, per player, a
// value for each attribute of testEnv.
type testMatch [][]testPlayer

type testPlayer struct {
	id    string
	attrs []Value
}

func (m testMatch) TeamLen(slot int) int         { return len(m[slot]) }
func (m testMatch) Attr(slot, i, attr int) Value { return m[slot][i].attrs[attr] }
func (m testMatch) PlayerID(slot, i int) string  { return m[slot][i].id }
func pl(id string, skill float64, mode string, maps ...string) testPlayer {
	return testPlayer{id: id, attrs: []Value{Num(skill), Str(mode), Strings(maps), {}}}
}

// testEnv: teams red and blue (one slot each) and hunters with quantity 2.
var testEnv = &Env{
	Attrs: []AttrDecl{
		{Name: "skill", Type: Type{Depth: 0, Leaf: LeafNumber}},
		{Name: "mode", Type: Type{Depth: 0, Leaf: LeafString}},
		{Name: "maps", Type: Type{Depth: 1, Leaf: LeafString}},
		{Name: "prefs", Type: Type{Depth: 0, Leaf: LeafMap}},
	},
	Teams: []TeamDecl{
		{Name: "red", Slots: []int{0}},
		{Name: "blue", Slots: []int{1}},
		{Name: "hunters", Slots: []int{2, 3}},
		{Name: "hunters_1", Slots: []int{2}},
		{Name: "hunters_2", Slots: []int{3}},
	},
	NumSlots: 4,
}

var testGame = testMatch{
	{pl("r1", 10, "ranked", "a", "b"), pl("r2", 20, "ranked", "b", "c")},
	{pl("b1", 30, "casual", "b"), pl("b2", 40, "ranked", "b", "a"), pl("b3", 50, "ranked", "b")},
	{pl("h1", 5, "ranked", "a")},
	{},
}

func show(v Value) string {
	switch v.Kind {
	case Number:
		return fmt.Sprint(v.Num)
	case String:
		return v.Str
	case Player:
		return "P"
	case List:
		parts := make([]string, len(v.List))
		for i, e := range v.List {
			parts[i] = show(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return "undef"
}

func TestEval(t *testing.T) {
	tests := []struct {
		name string
		src  string
		typ  string
		want string
	}{
		{"number literal", "10", "number", "10"},
		{"negative literal", "-2.5", "number", "-2.5"},
		{"one team's attribute", "teams[red].players.attributes[skill]", "List<number>", "[10 20]"},
		{"team alias", "team[red].players.attributes[skill]", "List<number>", "[10 20]"},
		{"two teams grouped", "teams[red,blue].players.attributes[skill]", "List<List<number>>", "[[10 20] [30 40 50]]"},
		{"all teams grouped", "teams[*].players.attributes[skill]", "List<List<number>>", "[[10 20] [30 40 50] [5] []]"},
		{"quantity team is every copy", "teams[hunters].players.attributes[skill]", "List<List<number>>", "[[5] []]"},
		{"one copy by name", "teams[hunters_1].players.attributes[skill]", "List<number>", "[5]"},
		{"player ids", "teams[red].players[playerId]", "List<string>", "[r1 r2]"},
		{"player ids any case", "teams[red].players[playerid]", "List<string>", "[r1 r2]"},
		{"string list attribute", "teams[red].players.attributes[maps]", "List<List<string>>", "[[a b] [b c]]"},
		{"players", "teams[blue].players", "List<player>", "[P P P]"},
		{"avg", "avg(teams[red].players.attributes[skill])", "number", "15"},
		{"min", "min(teams[blue].players.attributes[skill])", "number", "30"},
		{"max", "max(teams[blue].players.attributes[skill])", "number", "50"},
		{"sum", "sum(teams[blue].players.attributes[skill])", "number", "120"},
		{"median odd", "median(teams[blue].players.attributes[skill])", "number", "40"},
		{"median even", "median(teams[red].players.attributes[skill])", "number", "15"},
		{"stddev population", "stddev(teams[red].players.attributes[skill])", "number", "5"},
		{"count players", "count(teams[blue].players)", "number", "3"},
		{"count per team", "count(teams[*].players)", "List<number>", "[2 3 1 0]"},
		{"count spaced", "count (teams[*].players)", "List<number>", "[2 3 1 0]"},
		{"avg per team skips nothing", "avg(teams[*].players.attributes[skill])", "List<number>", "[15 40 5 undef]"},
		{"max of averages skips the empty team", "max(avg(teams[*].players.attributes[skill]))", "number", "40"},
		{"min of counts", "min(count(teams[*].players))", "number", "0"},
		{"flatten", "flatten(teams[*].players.attributes[skill])", "List<number>", "[10 20 30 40 50 5]"},
		{"avg of flatten", "avg(flatten(teams[red,blue].players.attributes[skill]))", "number", "30"},
		{"flatten flat list is itself", "flatten(teams[red].players.attributes[skill])", "List<number>", "[10 20]"},
		{"flatten keeps per-player lists", "flatten(teams[*].players.attributes[maps])", "List<List<string>>", "[[a b] [b c] [b] [b a] [b] [a]]"},
		{"flatten strings", "flatten(teams[*].players.attributes[mode])", "List<string>", "[ranked ranked casual ranked ranked ranked]"},
		{"flatten ids", "flatten(teams[*].players[playerId])", "List<string>", "[r1 r2 b1 b2 b3 h1]"},
		{"set_intersection", "set_intersection(teams[red].players.attributes[maps])", "List<string>", "[b]"},
		{"set_intersection per team", "set_intersection(teams[red,blue].players.attributes[maps])", "List<List<string>>", "[[b] [b]]"},
		{"set_intersection flattened", "set_intersection(flatten(teams[*].players.attributes[maps]))", "List<string>", "[]"},
		{"set_intersection of one list", "set_intersection(flatten(teams[red].players.attributes[mode]))", "List<string>", "[ranked ranked]"},
		{"count of intersection", "count(set_intersection(flatten(teams[red,blue].players.attributes[maps])))", "number", "1"},
		{"aggregate of a number", "avg(3)", "number", "3"},
		{"spaces everywhere", " max ( avg ( teams [ * ] . players . attributes [ skill ] ) ) ", "number", "40"},
		{"attribute names with dashes", "teams[red].players.attributes[skill]", "List<number>", "[10 20]"},
	}
	var a Arena
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, err := Parse(tt.src, testEnv)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.src, err)
			}
			if got := x.Type.String(); got != tt.typ {
				t.Errorf("type = %s, want %s", got, tt.typ)
			}
			a.Reset()
			if got := show(x.Eval(testGame, &a)); got != tt.want {
				t.Errorf("Eval(%q) = %s, want %s", tt.src, got, tt.want)
			}
		})
	}
}

func TestAggregateEmpty(t *testing.T) {
	var a Arena
	empty := testMatch{{}, {}, {}, {}}
	for _, tt := range []struct{ src, want string }{
		{"avg(teams[red].players.attributes[skill])", "undef"},
		{"max(flatten(teams[*].players.attributes[skill]))", "undef"},
		{"min(teams[red].players.attributes[skill])", "undef"},
		{"median(teams[red].players.attributes[skill])", "undef"},
		{"stddev(teams[red].players.attributes[skill])", "undef"},
		{"sum(teams[red].players.attributes[skill])", "0"},
		{"count(teams[red].players)", "0"},
		{"set_intersection(teams[red].players.attributes[maps])", "undef"},
		{"flatten(teams[*].players.attributes[skill])", "[]"},
	} {
		x, err := Parse(tt.src, testEnv)
		if err != nil {
			t.Fatal(err)
		}
		if got := show(x.Eval(empty, &a)); got != tt.want {
			t.Errorf("%s over empty teams = %s, want %s", tt.src, got, tt.want)
		}
	}
}

func TestProperties(t *testing.T) {
	tests := []struct {
		src                         string
		sizeDep, placeFree, aggregs bool
	}{
		{"teams[red].players.attributes[skill]", false, false, false},
		{"flatten(teams[*].players.attributes[skill])", false, true, false},
		{"avg(flatten(teams[*].players.attributes[skill]))", false, true, true},
		{"avg(teams[*].players.attributes[skill])", false, false, true},
		{"count(teams[red].players)", true, false, true},
		{"count(flatten(teams[*].players))", true, true, true},
		{"sum(teams[red].players.attributes[skill])", true, false, true},
		{"flatten(avg(teams[*].players.attributes[skill]))", false, false, true},
		{"10", false, true, false},
	}
	for _, tt := range tests {
		x, err := Parse(tt.src, testEnv)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.src, err)
		}
		if x.SizeDependent != tt.sizeDep || x.PlacementFree != tt.placeFree || x.Aggregates != tt.aggregs {
			t.Errorf("%s: sizeDependent=%v placementFree=%v aggregates=%v, want %v %v %v",
				tt.src, x.SizeDependent, x.PlacementFree, x.Aggregates, tt.sizeDep, tt.placeFree, tt.aggregs)
		}
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
		syntax          bool
	}{
		{"empty", "  ", "expression is empty", true},
		{"unknown function", "mean(teams[red].players.attributes[skill])", `unknown function "mean"`, true},
		{"unknown word", "skill", `unknown name "skill"`, true},
		{"unclosed paren", "avg(teams[red].players.attributes[skill]", `expected ')'`, true},
		{"two arguments", "max(1, 2)", "takes exactly one argument", true},
		{"unclosed bracket", "teams[red", "never closed", true},
		{"trailing junk", "teams[red].players) x", "after the end", true},
		{"bad field", "teams[red].people", "expected .players", true},
		{"bad players key", "teams[red].players[name]", "only takes playerId", true},
		{"bad attributes word", "teams[red].players.attrs[skill]", "expected .attributes", true},
		{"empty attribute", "teams[red].players.attributes[ ]", "needs an attribute name", true},
		{"empty team name", "teams[red,].players", "empty team name", true},
		{"not a number", "1-2", "is not a number", true},
		{"too deep", strings.Repeat("max(", MaxDepth+1) + "1" + strings.Repeat(")", MaxDepth+1), "nest more than", true},
		{"too long", strings.Repeat(" ", MaxLength+1), "longer than", true},
		{"unknown team", "teams[green].players", `unknown team "green"`, false},
		{"team twice", "teams[red,red].players", "named twice", false},
		{"bare team", "count(teams[red])", "must go on to .players", false},
		{"unknown attribute", "teams[red].players.attributes[rank]", `attribute "rank" is not declared`, false},
		{"avg of strings", "avg(teams[red].players.attributes[mode])", "avg needs numbers", false},
		{"avg of players", "avg(teams[red].players)", "avg needs numbers", false},
		{"count of a number", "count(3)", "count needs a list", false},
		{"flatten a number", "flatten(3)", "flatten needs a list of lists", false},
		{"intersect numbers", "set_intersection(teams[red].players.attributes[skill])", "needs lists of strings", false},
		{"maps are for sorting", "flatten(teams[red].players.attributes[prefs])", "string_number_map", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.src, testEnv)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded, want error containing %q", tt.src, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) = %v, want it to contain %q", tt.src, err, tt.want)
			}
			var se *SyntaxError
			if errors.As(err, &se) != tt.syntax {
				t.Errorf("Parse(%q) error %T, syntax error wanted: %v", tt.src, err, tt.syntax)
			}
			if tt.syntax && Syntax(tt.src) == nil {
				t.Errorf("Syntax(%q) accepted it", tt.src)
			}
		})
	}
}

func TestEvalDoesNotAllocate(t *testing.T) {
	x, err := Parse("max(avg(teams[*].players.attributes[skill]))", testEnv)
	if err != nil {
		t.Fatal(err)
	}
	y, err := Parse("median(flatten(teams[*].players.attributes[skill]))", testEnv)
	if err != nil {
		t.Fatal(err)
	}
	var a Arena
	var ctx Context = testGame // converted once: the conversion itself allocates
	x.Eval(ctx, &a)            // warm up
	y.Eval(ctx, &a)
	allocs := testing.AllocsPerRun(100, func() {
		a.Reset()
		if v := x.Eval(ctx, &a); v.Num != 40 {
			t.Fatalf("got %v", v)
		}
		if v := y.Eval(ctx, &a); v.Num != 25 {
			t.Fatalf("got %v", v)
		}
	})
	if allocs != 0 {
		t.Errorf("Eval allocates %v times per run, want 0", allocs)
	}
}

func TestArenaLargeList(t *testing.T) {
	var a Arena
	s := a.alloc(chunkSize + 1)
	if len(s) != chunkSize+1 {
		t.Fatalf("len = %d", len(s))
	}
	first := a.alloc(chunkSize - 1)
	second := a.alloc(2) // does not fit: moves to a new chunk
	first[0] = Num(1)
	second[0] = Num(2)
	if first[0].Num != 1 || len(second) != 2 {
		t.Fatal("arena slices overlap")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"avg(teams[*].players.attributes[skill])",
		"max(count(teams[*].players))",
		"set_intersection(flatten(teams[*].players.attributes[maps]))",
		"teams[red].players[playerId]",
		"flatten(teams[hunters].players.attributes[skill])",
		"10",
		"count (teams[red,blue].players)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		x, err := Parse(src, testEnv)
		if err != nil {
			if !strings.Contains(err.Error(), "at character") {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		// Whatever parses must evaluate without panicking, on a full match
		// and on an empty one.
		var a Arena
		x.Eval(testGame, &a)
		a.Reset()
		x.Eval(testMatch{{}, {}, {}, {}}, &a)
	})
}

func (m testMatch) FillAttr(slot, attr int, dst []Value) {
	for i := range dst {
		dst[i] = m[slot][i].attrs[attr]
	}
}
