package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rallypoint/rallypoint/flexmatch"
)

func newFlexmatchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "flexmatch",
		Short: "Check FlexMatch rule sets and play tickets through the matchmaker offline",
		Long: `Offline tools for FlexMatch rule sets (ruleLanguageVersion 1.0), the same
engine the rallypoint matchmaker runs:

  validate  checks rule sets and says exactly what is wrong and where
  run       plays a stream of matchmaking tickets through a rule set on a
            simulated clock and prints the matches it makes`,
	}
	cmd.AddCommand(newFlexmatchValidateCmd(), newFlexmatchRunCmd())
	return cmd
}

func newFlexmatchValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check FlexMatch rule sets",
		Long: `Check each FlexMatch rule set file the way CreateMatchmakingRuleSet does.

A valid file prints "FILE: valid". An invalid one prints each problem on its
own line as "FILE: PATH: reason", where PATH is the JSON path of the member at
fault, such as rules[2].maxDistance. The exit status is 0 when every file is
valid and 1 otherwise.`,
		Example: `  rallypoint flexmatch validate ranked.json casual.json`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			if !validateFiles(cmd.OutOrStdout(), files) {
				return exitError{code: 1}
			}
			return nil
		},
	}
}

// validateFiles prints the verdict on each file and reports whether all are
// valid.
func validateFiles(out io.Writer, files []string) bool {
	ok := true
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(out, "%s: cannot read: %v\n", f, unwrapPathError(err))
			ok = false
			continue
		}
		errs := flexmatch.ValidateRuleSet(body)
		if len(errs) == 0 {
			fmt.Fprintf(out, "%s: valid\n", f)
			continue
		}
		ok = false
		printRuleSetErrors(out, f, errs)
	}
	return ok
}

func printRuleSetErrors(out io.Writer, file string, errs []flexmatch.ValidationError) {
	for _, e := range errs {
		if e.Path == "" {
			fmt.Fprintf(out, "%s: %s\n", file, e.Reason)
		} else {
			fmt.Fprintf(out, "%s: %s: %s\n", file, e.Path, e.Reason)
		}
	}
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// runOptions are the flags of flexmatch run.
type runOptions struct {
	ruleSet, tickets, configuration string
	seed                            uint64
	step, until                     float64
}

func newFlexmatchRunCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run --rule-set FILE --tickets FILE [--configuration FILE] [--seed N] [--step-seconds S] [--until S]",
		Short: "Play a ticket stream through a rule set and print the matches",
		Long: `Play matchmaking tickets through a FlexMatch rule set on a simulated clock.

The clock starts at 0 and advances --step-seconds at a time; at each step the
tickets whose arrival time has come join the pool and the matchmaker runs one
cycle. The run ends at --until seconds (by default once every ticket has had
time to match or time out).

The tickets file holds one JSON ticket per line, with GameLift's member names
for players:

  {"ticketId":"t1","arrival":0,"players":[{"PlayerId":"p1","Team":"red",
    "PlayerAttributes":{"skill":{"N":23},"mode":{"S":"ranked"},
    "maps":{"SL":["a","b"]},"pref":{"SDM":{"a":1}}},
    "LatencyInMs":{"eu-west-1":40}}]}

A ticket with "backfill":true is a backfill request: its players are the
players of a running game, each with the Team they play on.

The configuration file is a JSON object with the matchmaking configuration
members that matter offline: RequestTimeoutSeconds (default 120),
AcceptanceRequired, AcceptanceTimeoutSeconds, AdditionalPlayerCount and
BackfillMode (MANUAL or AUTOMATIC). Other members are ignored. Players are
taken to accept every match. With BackfillMode AUTOMATIC a match with open
slots gets a backfill ticket at once.

The output is JSON lines: one per match, in the order they are made,

  {"match":{"matchId":"m-1","at":12,"tickets":["t1","t4"],"teams":[{"name":"red","players":["p1","p4"]}]}}

then one per ticket that never matched, with FlexMatch's status (TIMED_OUT, or
SEARCHING when --until came first) and the reason it was not matched:

  {"ticket":"t9","status":"TIMED_OUT","at":120,"reason":"..."}

Match lines also carry the locations the match can be placed in, best first,
the ruleEvaluationMetrics of its tickets, and backfillTicket when the match
fills a running game.`,
		Example: `  rallypoint flexmatch run --rule-set ranked.json --tickets evening.jsonl
  rallypoint flexmatch run --rule-set ranked.json --tickets evening.jsonl --configuration config.json --seed 7 --until 600`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFlexmatch(cmd.OutOrStdout(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.ruleSet, "rule-set", "", "the FlexMatch rule set file (required)")
	f.StringVar(&o.tickets, "tickets", "", "the tickets file, one JSON ticket per line (required)")
	f.StringVar(&o.configuration, "configuration", "", "a JSON file with matchmaking configuration members")
	f.Uint64Var(&o.seed, "seed", 1, "seed for the matchmaker's batch shuffling; the same seed gives the same matches")
	f.Float64Var(&o.step, "step-seconds", 1, "seconds between matchmaking cycles")
	f.Float64Var(&o.until, "until", -1, "second at which the run stops; by default once every ticket has matched or timed out")
	f.Lookup("until").DefValue = "auto"
	_ = cmd.MarkFlagRequired("rule-set")
	_ = cmd.MarkFlagRequired("tickets")
	return cmd
}

// simConfig is the matchmaking configuration of a run.
type simConfig struct {
	timeout    float64
	additional int
	autoFill   bool
}

func readConfiguration(path string) (simConfig, error) {
	c := simConfig{timeout: 120}
	if path == "" {
		return c, nil
	}
	body, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("configuration: %w", unwrapPathError(err))
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return c, fmt.Errorf("%s: not a JSON object: %v", path, err)
	}
	member := func(name string, into any) error {
		raw, ok := members[name]
		if !ok {
			return nil
		}
		if err := json.Unmarshal(raw, into); err != nil {
			return fmt.Errorf("%s: member %s: %s", path, name, jsonProblem(err))
		}
		return nil
	}
	var acceptance bool
	var acceptTimeout float64
	mode := "MANUAL"
	for _, err := range []error{
		member("RequestTimeoutSeconds", &c.timeout),
		member("AdditionalPlayerCount", &c.additional),
		member("AcceptanceRequired", &acceptance),
		member("AcceptanceTimeoutSeconds", &acceptTimeout),
		member("BackfillMode", &mode),
	} {
		if err != nil {
			return c, err
		}
	}
	switch {
	case c.timeout < 1 || c.timeout > 43200:
		return c, fmt.Errorf("%s: member RequestTimeoutSeconds: must be between 1 and 43200, not %v", path, c.timeout)
	case c.additional < 0:
		return c, fmt.Errorf("%s: member AdditionalPlayerCount: must not be negative", path)
	case acceptTimeout < 0 || acceptTimeout > 600:
		return c, fmt.Errorf("%s: member AcceptanceTimeoutSeconds: must be between 1 and 600", path)
	case mode != "MANUAL" && mode != "AUTOMATIC":
		return c, fmt.Errorf("%s: member BackfillMode: must be MANUAL or AUTOMATIC, not %q", path, mode)
	}
	c.autoFill = mode == "AUTOMATIC"
	return c, nil
}

// jsonProblem words a decoding error for people.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("expected %s, got a JSON %s", te.Type, te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// simTicket is one line of the tickets file.
type simTicket struct {
	TicketID string      `json:"ticketId"`
	Arrival  float64     `json:"arrival"`
	Backfill bool        `json:"backfill"`
	Players  []simPlayer `json:"players"`
	line     int
}

// simPlayer carries GameLift's Player member names.
type simPlayer struct {
	PlayerID         string                  `json:"PlayerId"`
	Team             string                  `json:"Team"`
	PlayerAttributes map[string]simAttribute `json:"PlayerAttributes"`
	LatencyInMs      map[string]int          `json:"LatencyInMs"`
}

// simAttribute is GameLift's AttributeValue: exactly one member is set.
type simAttribute struct {
	S   *string            `json:"S"`
	N   *float64           `json:"N"`
	SL  []string           `json:"SL"`
	SDM map[string]float64 `json:"SDM"`
}

func (a simAttribute) value() (flexmatch.AttributeValue, bool) {
	n := 0
	var v flexmatch.AttributeValue
	if a.S != nil {
		n, v = n+1, flexmatch.StringAttr(*a.S)
	}
	if a.N != nil {
		n, v = n+1, flexmatch.NumberAttr(*a.N)
	}
	if a.SL != nil {
		n, v = n+1, flexmatch.StringListAttr(a.SL...)
	}
	if a.SDM != nil {
		n, v = n+1, flexmatch.StringNumberMapAttr(a.SDM)
	}
	return v, n == 1
}

func readTickets(path string) ([]simTicket, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("tickets: %w", unwrapPathError(err))
	}
	defer f.Close()
	var out []simTicket
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		where := fmt.Sprintf("%s:%d", path, line)
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.DisallowUnknownFields()
		var t simTicket
		if err := dec.Decode(&t); err != nil {
			return nil, fmt.Errorf("%s: %s", where, ticketProblem(err))
		}
		if dec.More() {
			return nil, fmt.Errorf("%s: more than one JSON value on the line", where)
		}
		switch {
		case t.TicketID == "":
			return nil, fmt.Errorf("%s: member ticketId is missing", where)
		case seen[t.TicketID] > 0:
			return nil, fmt.Errorf("%s: ticketId %q is already used on line %d", where, t.TicketID, seen[t.TicketID])
		case t.Arrival < 0 || math.IsNaN(t.Arrival):
			return nil, fmt.Errorf("%s: member arrival must be a number of seconds from 0, not %v", where, t.Arrival)
		case len(t.Players) == 0:
			return nil, fmt.Errorf("%s: member players is missing or empty", where)
		}
		for i, p := range t.Players {
			if p.PlayerID == "" {
				return nil, fmt.Errorf("%s: member players[%d].PlayerId is missing", where, i)
			}
			for name, a := range p.PlayerAttributes {
				if _, ok := a.value(); !ok {
					return nil, fmt.Errorf("%s: member players[%d].PlayerAttributes.%s must have exactly one of S, N, SL, SDM", where, i, name)
				}
			}
		}
		seen[t.TicketID] = line
		t.line = line
		out = append(out, t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("tickets: %w", err)
	}
	return out, nil
}

func ticketProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("member %s: expected %s, got a JSON %s", te.Field, te.Type, te.Value)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if field, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return "unknown member " + field + " (a ticket has ticketId, arrival, backfill and players; a player has PlayerId, Team, PlayerAttributes and LatencyInMs)"
	}
	return "not valid JSON: " + msg
}

func (t simTicket) ticket(base time.Time) flexmatch.Ticket {
	out := flexmatch.Ticket{
		ID:        t.TicketID,
		CreatedAt: base.Add(seconds(t.Arrival)),
		Backfill:  t.Backfill,
	}
	for _, p := range t.Players {
		fp := flexmatch.Player{ID: p.PlayerID, Team: p.Team, LatencyMs: p.LatencyInMs}
		if len(p.PlayerAttributes) > 0 {
			fp.Attributes = map[string]flexmatch.AttributeValue{}
			for name, a := range p.PlayerAttributes {
				fp.Attributes[name], _ = a.value()
			}
		}
		out.Players = append(out.Players, fp)
	}
	return out
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

type matchLine struct {
	Match struct {
		MatchID   string      `json:"matchId"`
		At        float64     `json:"at"`
		Tickets   []string    `json:"tickets"`
		Teams     []teamLine  `json:"teams"`
		Backfill  string      `json:"backfillTicket,omitempty"`
		Locations []string    `json:"locations,omitempty"`
		Metrics   []metricDoc `json:"ruleEvaluationMetrics,omitempty"`
	} `json:"match"`
}

type teamLine struct {
	Name    string   `json:"name"`
	Players []string `json:"players"`
}

type metricDoc struct {
	RuleName    string `json:"ruleName"`
	PassedCount int    `json:"passedCount"`
	FailedCount int    `json:"failedCount"`
}

type ticketLine struct {
	Ticket string  `json:"ticket"`
	Status string  `json:"status"`
	At     float64 `json:"at"`
	Reason string  `json:"reason"`
}

func runFlexmatch(out io.Writer, o runOptions) error {
	if o.step <= 0 || math.IsNaN(o.step) {
		return fmt.Errorf("--step-seconds must be more than 0, not %v", o.step)
	}
	body, err := os.ReadFile(o.ruleSet)
	if err != nil {
		return fmt.Errorf("rule set: %w", unwrapPathError(err))
	}
	rs, err := flexmatch.ParseRuleSet(body)
	if err != nil {
		var ve flexmatch.ValidationErrors
		if errors.As(err, &ve) {
			var b strings.Builder
			printRuleSetErrors(&b, o.ruleSet, ve)
			return fmt.Errorf("the rule set is not valid:\n%s", strings.TrimSuffix(b.String(), "\n"))
		}
		return err
	}
	cfg, err := readConfiguration(o.configuration)
	if err != nil {
		return err
	}
	if w := rs.MaxExpansionWait().Seconds(); w > cfg.timeout {
		return fmt.Errorf("an expansion waits %v seconds, longer than RequestTimeoutSeconds %v", w, cfg.timeout)
	}
	tickets, err := readTickets(o.tickets)
	if err != nil {
		return err
	}
	sim, err := newSimulation(rs, cfg, o.seed, out)
	if err != nil {
		return err
	}
	return sim.run(tickets, o.step, o.until)
}

// simulation plays tickets through a matchmaker on a simulated clock.
type simulation struct {
	rs    *flexmatch.RuleSet
	cfg   simConfig
	m     *flexmatch.Matchmaker
	enc   *json.Encoder
	base  time.Time
	count int

	byID     map[string]simTicket
	players  map[string]simPlayer
	arrived  map[string]float64 // searching tickets from the file -> arrival
	auto     map[string]autoFill
	resolved map[string]bool
	ends     []ticketLine
}

// autoFill is an automatic backfill ticket: the match it fills and the
// players it carries, with their teams.
type autoFill struct {
	matchID string
	created float64
}

func newSimulation(rs *flexmatch.RuleSet, cfg simConfig, seed uint64, out io.Writer) (*simulation, error) {
	m, err := flexmatch.New(flexmatch.Config{RuleSet: rs, AdditionalPlayerCount: cfg.additional, Seed: seed})
	if err != nil {
		return nil, err
	}
	return &simulation{
		rs: rs, cfg: cfg, m: m, enc: json.NewEncoder(out),
		base:     time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		byID:     map[string]simTicket{},
		players:  map[string]simPlayer{},
		arrived:  map[string]float64{},
		auto:     map[string]autoFill{},
		resolved: map[string]bool{},
	}, nil
}

func (s *simulation) run(tickets []simTicket, step, until float64) error {
	slices.SortStableFunc(tickets, func(a, b simTicket) int {
		switch {
		case a.Arrival < b.Arrival:
			return -1
		case a.Arrival > b.Arrival:
			return 1
		}
		return 0
	})
	if until < 0 {
		last := 0.0
		if len(tickets) > 0 {
			last = tickets[len(tickets)-1].Arrival
		}
		until = last + s.cfg.timeout + step
	}
	next := 0
	now := 0.0
	for k := 0; ; k++ {
		now = float64(k) * step
		if now > until+1e-9 {
			now = float64(k-1) * step
			break
		}
		for next < len(tickets) && tickets[next].Arrival <= now+1e-9 {
			t := tickets[next]
			next++
			if err := s.m.Add(t.ticket(s.base)); err != nil {
				return fmt.Errorf("%s line %d: %w", "tickets", t.line, err)
			}
			s.byID[t.TicketID] = t
			s.arrived[t.TicketID] = t.Arrival
			for _, p := range t.Players {
				s.players[p.PlayerID] = p
			}
		}
		for _, mt := range s.m.Cycle(s.base.Add(seconds(now))) {
			if err := s.report(mt, now); err != nil {
				return err
			}
		}
		s.expire(now)
	}
	for _, t := range tickets {
		if s.resolved[t.TicketID] || t.Arrival > now+1e-9 {
			continue
		}
		reason := ""
		if x, ok := s.m.Explain(t.TicketID); ok {
			reason = x.Reason
		}
		s.ends = append(s.ends, ticketLine{Ticket: t.TicketID, Status: "SEARCHING", At: now, Reason: reason})
	}
	for _, l := range s.ends {
		if err := s.enc.Encode(l); err != nil {
			return err
		}
	}
	return nil
}

// expire times out the tickets that have searched RequestTimeoutSeconds.
func (s *simulation) expire(now float64) {
	var expired []string
	for id, arrival := range s.arrived {
		if now-arrival >= s.cfg.timeout-1e-9 {
			expired = append(expired, id)
		}
	}
	slices.SortFunc(expired, func(a, b string) int { return s.byID[a].line - s.byID[b].line })
	for _, id := range expired {
		s.m.Remove(id)
		delete(s.arrived, id)
		s.resolved[id] = true
		reason := ""
		if x, ok := s.m.Explain(id); ok {
			reason = x.Reason
		}
		s.ends = append(s.ends, ticketLine{Ticket: id, Status: "TIMED_OUT", At: now, Reason: reason})
	}
	var stale []string
	for id, a := range s.auto {
		if now-a.created >= s.cfg.timeout-1e-9 {
			stale = append(stale, id)
		}
	}
	// Removal order changes the pool's order, and so the next shuffle:
	// keep it fixed for the same seed to give the same output.
	slices.Sort(stale)
	for _, id := range stale {
		s.m.Remove(id)
		delete(s.auto, id)
	}
}

func (s *simulation) report(mt flexmatch.Match, now float64) error {
	var l matchLine
	if a, ok := s.auto[mt.Backfill]; ok {
		l.Match.MatchID = a.matchID
		delete(s.auto, mt.Backfill)
	} else {
		s.count++
		l.Match.MatchID = fmt.Sprintf("m-%d", s.count)
	}
	l.Match.At = now
	l.Match.Tickets = mt.Tickets
	l.Match.Backfill = mt.Backfill
	l.Match.Locations = mt.Locations
	players := 0
	for _, t := range mt.Teams {
		l.Match.Teams = append(l.Match.Teams, teamLine{Name: t.Name, Players: t.Players})
		players += len(t.Players)
	}
	for _, rm := range mt.RuleMetrics {
		l.Match.Metrics = append(l.Match.Metrics, metricDoc{rm.Rule, rm.Passed, rm.Failed})
	}
	for _, id := range mt.Tickets {
		delete(s.arrived, id)
		s.resolved[id] = true
	}
	if err := s.enc.Encode(l); err != nil {
		return err
	}
	if s.cfg.autoFill && players < s.rs.MaxPlayers()-s.cfg.additional {
		return s.startAutoFill(l.Match.MatchID, mt, now)
	}
	return nil
}

// startAutoFill creates the backfill ticket BackfillMode AUTOMATIC would:
// the match's players on their teams, looking for players to fill the open
// slots. Players keep their attributes, and their latency only to the
// location the match would be placed in.
func (s *simulation) startAutoFill(matchID string, mt flexmatch.Match, now float64) error {
	id := fmt.Sprintf("%s-backfill-%d", matchID, int(now*1000))
	t := flexmatch.Ticket{ID: id, CreatedAt: s.base.Add(seconds(now)), Backfill: true}
	for _, team := range mt.Teams {
		for _, pid := range team.Players {
			p := simTicket{Players: []simPlayer{s.players[pid]}}.ticket(s.base).Players[0]
			p.Team = team.Name
			if len(mt.Locations) > 0 {
				if ms, ok := p.LatencyMs[mt.Locations[0]]; ok {
					p.LatencyMs = map[string]int{mt.Locations[0]: ms}
				}
			}
			t.Players = append(t.Players, p)
		}
	}
	if err := s.m.Add(t); err != nil {
		return fmt.Errorf("automatic backfill for %s: %w", matchID, err)
	}
	s.auto[id] = autoFill{matchID: matchID, created: now}
	return nil
}
