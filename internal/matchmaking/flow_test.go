package matchmaking_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/testworld"
)

// fiveVFive is a 5v5 rule set in the style of the FlexMatch guide's first
// example: teams of even skill, players placed where their latency is low.
const fiveVFive = `{
  "name": "five-v-five",
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 10}],
  "teams": [
    {"name": "red", "minPlayers": 5, "maxPlayers": 5},
    {"name": "blue", "minPlayers": 5, "maxPlayers": 5}
  ],
  "rules": [
    {"name": "FairSkill", "type": "distance",
     "measurements": ["avg(teams[*].players.attributes[skill])"],
     "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))",
     "maxDistance": 10},
    {"name": "FastConnection", "type": "latency", "maxLatency": 150}
  ]
}`

// stage is a world with a fleet over two locations, game servers in both,
// a queue over the fleet, and a rule set.
type stage struct {
	*testworld.World
	fleet   string
	queue   string
	servers map[string][]*testworld.GameServer // by location
	started int                                // tickets started, for unique ids
}

func newStage(t *testing.T, perLocation int) *stage {
	t.Helper()
	w := testworld.New(t, func(c *node.Config) { c.MatchmakingInterval = 100 * time.Millisecond })
	s := &stage{World: w, servers: map[string][]*testworld.GameServer{}}
	s.fleet = w.Fleet("arena", "custom-eu", "custom-us")
	for _, loc := range []string{"custom-eu", "custom-us"} {
		s.servers[loc] = w.Servers(s.fleet, loc, perLocation)
	}
	ctx := context.Background()
	q, err := w.C.CreateGameSessionQueue(ctx, &gamelift.CreateGameSessionQueueInput{
		Name:         aws.String("arena-queue"),
		Destinations: []types.GameSessionQueueDestination{{DestinationArn: aws.String(s.fleet)}},
	})
	if err != nil {
		t.Fatalf("CreateGameSessionQueue: %v", err)
	}
	s.queue = aws.ToString(q.GameSessionQueue.GameSessionQueueArn)
	return s
}

// ruleSet creates a rule set.
func (s *stage) ruleSet(name, body string) {
	s.T.Helper()
	if _, err := s.C.CreateMatchmakingRuleSet(context.Background(), &gamelift.CreateMatchmakingRuleSetInput{Name: aws.String(name), RuleSetBody: aws.String(body)}); err != nil {
		s.T.Fatalf("CreateMatchmakingRuleSet %s: %v", name, err)
	}
}

// config creates a WITH_QUEUE configuration over the stage's queue;
// adjust changes the input first.
func (s *stage) config(name, ruleSet string, adjust func(*gamelift.CreateMatchmakingConfigurationInput)) *types.MatchmakingConfiguration {
	s.T.Helper()
	in := &gamelift.CreateMatchmakingConfigurationInput{
		Name:                  aws.String(name),
		RuleSetName:           aws.String(ruleSet),
		RequestTimeoutSeconds: aws.Int32(60),
		AcceptanceRequired:    aws.Bool(false),
		FlexMatchMode:         types.FlexMatchModeWithQueue,
		GameSessionQueueArns:  []string{s.queue},
		BackfillMode:          types.BackfillModeManual,
	}
	if adjust != nil {
		adjust(in)
	}
	out, err := s.C.CreateMatchmakingConfiguration(context.Background(), in)
	if err != nil {
		s.T.Fatalf("CreateMatchmakingConfiguration %s: %v", name, err)
	}
	return out.Configuration
}

func player(id string, skill float64, latency map[string]int32) types.Player {
	return types.Player{
		PlayerId:         aws.String(id),
		PlayerAttributes: map[string]types.AttributeValue{"skill": {N: aws.Float64(skill)}},
		LatencyInMs:      latency,
	}
}

// start starts one ticket per player and returns the ticket ids.
func (s *stage) start(config string, players ...types.Player) []string {
	s.T.Helper()
	var ids []string
	for _, p := range players {
		s.started++
		id := fmt.Sprintf("%s-t%d-%s", config, s.started, aws.ToString(p.PlayerId))
		out, err := s.C.StartMatchmaking(context.Background(), &gamelift.StartMatchmakingInput{
			TicketId: aws.String(id), ConfigurationName: aws.String(config), Players: []types.Player{p},
		})
		if err != nil {
			s.T.Fatalf("StartMatchmaking %s: %v", id, err)
		}
		if got := out.MatchmakingTicket.Status; got != types.MatchmakingConfigurationStatusQueued {
			s.T.Errorf("a new ticket is %s, want QUEUED", got)
		}
		ids = append(ids, id)
	}
	return ids
}

// describe returns the tickets by id.
func (s *stage) describe(ids ...string) map[string]types.MatchmakingTicket {
	s.T.Helper()
	out := map[string]types.MatchmakingTicket{}
	for chunk := range slices.Chunk(ids, 10) {
		got, err := s.C.DescribeMatchmaking(context.Background(), &gamelift.DescribeMatchmakingInput{TicketIds: chunk})
		if err != nil {
			s.T.Fatalf("DescribeMatchmaking: %v", err)
		}
		for _, t := range got.TicketList {
			out[aws.ToString(t.TicketId)] = t
		}
	}
	return out
}

// await waits until every ticket has the status and returns them.
func (s *stage) await(status types.MatchmakingConfigurationStatus, ids ...string) map[string]types.MatchmakingTicket {
	s.T.Helper()
	var last map[string]types.MatchmakingTicket
	testworld.Eventually(s.T, fmt.Sprintf("%d tickets to be %s", len(ids), status), func() bool {
		last = s.describe(ids...)
		for _, id := range ids {
			if last[id].Status != status {
				return false
			}
		}
		return true
	})
	return last
}

// eventLog collects matchmaking events by ticket id.
type eventLog struct {
	mu       sync.Mutex
	byTicket map[string][]testworld.Event
	all      []testworld.Event
}

func (s *stage) events() *eventLog {
	l := &eventLog{byTicket: map[string][]testworld.Event{}}
	ch := s.Events("rp.events.matchmaking.>")
	go func() {
		for ev := range ch {
			l.mu.Lock()
			l.all = append(l.all, ev)
			d, _ := ev.Doc["detail"].(map[string]any)
			ts, _ := d["tickets"].([]any)
			for _, t := range ts {
				id, _ := t.(map[string]any)["ticketId"].(string)
				l.byTicket[id] = append(l.byTicket[id], ev)
			}
			l.mu.Unlock()
		}
	}()
	return l
}

// types returns the event types seen for a ticket, in order.
func (l *eventLog) types(ticket string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, ev := range l.byTicket[ticket] {
		out = append(out, ev.Type())
	}
	return out
}

// awaitTypes waits until the ticket's events are exactly want.
func (l *eventLog) awaitTypes(t *testing.T, ticket string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := l.types(ticket)
		if slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) || len(got) > len(want) {
			t.Fatalf("events of ticket %s: got %v, want %v", ticket, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// last returns the ticket's last event of the type.
func (l *eventLog) last(ticket, typ string) map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	evs := l.byTicket[ticket]
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type() == typ {
			return evs[i].Doc
		}
	}
	return nil
}

func TestFiveVersusFiveCompletesInTheBestLocation(t *testing.T) {
	s := newStage(t, 2)
	s.ruleSet("five-v-five", fiveVFive)
	cfg := s.config("ranked", "five-v-five", func(in *gamelift.CreateMatchmakingConfigurationInput) {
		in.CustomEventData = aws.String("season-7")
	})
	log := s.events()

	var players []types.Player
	for i := range 10 {
		players = append(players, player(fmt.Sprintf("p%d", i), float64(8+i%5), map[string]int32{"custom-eu": 140, "custom-us": int32(20 + i)}))
	}
	ids := s.start("ranked", players...)
	done := s.await(types.MatchmakingConfigurationStatusCompleted, ids...)

	ctx := context.Background()
	gameSession := ""
	teams := map[string]int{}
	for _, id := range ids {
		tk := done[id]
		ci := tk.GameSessionConnectionInfo
		if ci == nil {
			t.Fatalf("completed ticket %s has no GameSessionConnectionInfo", id)
		}
		if gameSession == "" {
			gameSession = aws.ToString(ci.GameSessionArn)
		}
		if aws.ToString(ci.GameSessionArn) != gameSession {
			t.Errorf("ticket %s is in game session %s, another in %s", id, aws.ToString(ci.GameSessionArn), gameSession)
		}
		if aws.ToString(ci.IpAddress) != "127.0.0.1" || aws.ToInt32(ci.Port) == 0 {
			t.Errorf("ticket %s: connection info %s:%d", id, aws.ToString(ci.IpAddress), aws.ToInt32(ci.Port))
		}
		if len(ci.MatchedPlayerSessions) != 1 || aws.ToString(ci.MatchedPlayerSessions[0].PlayerSessionId) == "" {
			t.Fatalf("ticket %s: matched player sessions %+v", id, ci.MatchedPlayerSessions)
		}
		if tk.StartTime == nil || tk.EndTime == nil || tk.EndTime.Before(*tk.StartTime) {
			t.Errorf("ticket %s: start %v end %v", id, tk.StartTime, tk.EndTime)
		}
		teams[aws.ToString(tk.Players[0].Team)]++
		if aws.ToString(tk.ConfigurationArn) != aws.ToString(cfg.ConfigurationArn) {
			t.Errorf("ticket %s: ConfigurationArn %s", id, aws.ToString(tk.ConfigurationArn))
		}
	}
	if teams["red"] != 5 || teams["blue"] != 5 {
		t.Errorf("teams: %v, want 5 red and 5 blue", teams)
	}
	gs, err := s.C.DescribeGameSessions(ctx, &gamelift.DescribeGameSessionsInput{GameSessionId: aws.String(gameSession)})
	if err != nil || len(gs.GameSessions) != 1 {
		t.Fatalf("DescribeGameSessions %s: %v", gameSession, err)
	}
	if loc := aws.ToString(gs.GameSessions[0].Location); loc != "custom-us" {
		t.Errorf("the match was placed in %s; every player is fastest in custom-us", loc)
	}
	if md := aws.ToString(gs.GameSessions[0].MatchmakerData); !strings.Contains(md, `"matchmakingConfigurationArn":"`+aws.ToString(cfg.ConfigurationArn)+`"`) || !strings.Contains(md, `"attributeType":"DOUBLE"`) {
		t.Errorf("matchmaker data: %s", md)
	}
	ps, err := s.C.DescribePlayerSessions(ctx, &gamelift.DescribePlayerSessionsInput{GameSessionId: aws.String(gameSession)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps.PlayerSessions) != 10 {
		t.Errorf("the game session has %d player sessions, want 10", len(ps.PlayerSessions))
	}
	for _, p := range ps.PlayerSessions {
		if p.Status != types.PlayerSessionStatusReserved {
			t.Errorf("player session %s is %s, want RESERVED", aws.ToString(p.PlayerSessionId), p.Status)
		}
	}

	for _, id := range ids {
		log.awaitTypes(t, id, "MatchmakingSearching", "PotentialMatchCreated", "MatchmakingSucceeded")
	}
	doc := log.last(ids[0], "MatchmakingSucceeded")
	if doc["detail-type"] != "GameLift Matchmaking Event" || doc["source"] != "aws.gamelift" {
		t.Errorf("envelope: %v %v", doc["detail-type"], doc["source"])
	}
	if r, _ := doc["resources"].([]any); len(r) != 1 || r[0] != aws.ToString(cfg.ConfigurationArn) {
		t.Errorf("resources: %v", doc["resources"])
	}
	d := doc["detail"].(map[string]any)
	if d["customEventData"] != "season-7" || d["matchId"] == "" {
		t.Errorf("detail: %v", d)
	}
	gsi := d["gameSessionInfo"].(map[string]any)
	if gsi["gameSessionArn"] != gameSession || gsi["ipAddress"] != "127.0.0.1" {
		t.Errorf("gameSessionInfo: %v", gsi)
	}
	if ps := gsi["players"].([]any); len(ps) != 10 {
		t.Errorf("gameSessionInfo has %d players, want 10", len(ps))
	}
	pm := log.last(ids[0], "PotentialMatchCreated")["detail"].(map[string]any)
	if pm["acceptanceRequired"] != false || pm["matchId"] != d["matchId"] {
		t.Errorf("PotentialMatchCreated: %v", pm)
	}
	if m, _ := pm["ruleEvaluationMetrics"].([]any); len(m) != 2 {
		t.Errorf("ruleEvaluationMetrics: %v", pm["ruleEvaluationMetrics"])
	}
}

func errorCode(err error) string {
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}
