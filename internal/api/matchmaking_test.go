package api_test

import (
	"context"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/internal/api"
)

// These tests drive rule sets and matchmaking configurations with the AWS
// SDK client (RPC v2 CBOR), raw calls in both protocols and the aws CLI
// (AWS JSON 1.1), and check the shape of ticket requests. What tickets do
// once accepted is the matchmaking service's to test.

// Rule sets in the shape of the FlexMatch guide's examples.
const (
	// Two teams of 3 to 5 whose average skills stay close, relaxed after
	// 20 and 40 seconds (the guide's example 1).
	ruleSetDuel = `{
  "name": "sun_vs_moon",
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 20}],
  "teams": [
    {"name": "sun", "minPlayers": 3, "maxPlayers": 5},
    {"name": "moon", "minPlayers": 3, "maxPlayers": 5}
  ],
  "rules": [{
    "name": "CloseSkill",
    "description": "each team's average skill stays near the match average",
    "type": "distance",
    "measurements": ["avg(teams[*].players.attributes[skill])"],
    "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))",
    "maxDistance": 15
  }, {
    "name": "SameSize",
    "description": "never a 5 against 4",
    "type": "comparison",
    "measurements": ["count(teams[sun].players)"],
    "referenceValue": "count(teams[moon].players)",
    "operation": "="
  }],
  "expansions": [{
    "target": "rules[CloseSkill].maxDistance",
    "steps": [{"waitTimeSeconds": 20, "value": 30}, {"waitTimeSeconds": 40, "value": 60}]
  }]
}`
	// Four hunters and a boss who asked to be one, all with low latency;
	// three hunters do after 30 seconds (the guide's example 2).
	ruleSetHunt = `{
  "name": "the_hunt",
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [
    {"name": "skill", "type": "number", "default": 10},
    {"name": "wantsBoss", "type": "number", "default": 0}
  ],
  "teams": [
    {"name": "hunters", "minPlayers": 4, "maxPlayers": 4},
    {"name": "boss", "minPlayers": 1, "maxPlayers": 1}
  ],
  "rules": [{
    "name": "BossVolunteers",
    "description": "only a player who asked for it plays the boss",
    "type": "comparison",
    "measurements": ["teams[boss].players.attributes[wantsBoss]"],
    "referenceValue": 1,
    "operation": "="
  }, {
    "name": "Responsive",
    "type": "latency",
    "maxLatency": 120
  }],
  "expansions": [{
    "target": "teams[hunters].minPlayers",
    "steps": [{"waitTimeSeconds": 30, "value": 3}]
  }]
}`
	// Anyone, 2 to 8 of them.
	ruleSetBrawl = `{"ruleLanguageVersion": "1.0", "teams": [{"name": "all", "minPlayers": 2, "maxPlayers": 8}]}`
	// Two problems: a team smaller at its minimum than at its maximum,
	// and a second team of the same name.
	ruleSetBroken = `{"ruleLanguageVersion": "1.0", "teams": [{"name": "a", "minPlayers": 3, "maxPlayers": 2}, {"name": "a", "minPlayers": 1, "maxPlayers": 2}]}`
)

const (
	ruleSetARNPrefix = "arn:rallypoint:gamelift:local::matchmakingruleset/"
	configARNPrefix  = "arn:rallypoint:gamelift:local::matchmakingconfiguration/"
)

// mmHost is a matchmaking node with what configurations refer to: a queue
// (onto a fleet without game servers), a notification target, and the
// rule sets above.
type mmHost struct {
	n         *testNode
	c         *gamelift.Client
	queueArn  string
	queue2Arn string
	targetArn string
}

func newMMHost(t *testing.T) *mmHost {
	t.Helper()
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	mustCreateLocation(t, c, "custom-eu-west")
	f := mustCreateFleet(t, c, "arena", "custom-eu-west")
	h := &mmHost{n: n, c: c}
	for _, name := range []string{"arena-main", "arena-overflow"} {
		q, err := c.CreateGameSessionQueue(ctx, &gamelift.CreateGameSessionQueueInput{
			Name: aws.String(name), Destinations: []types.GameSessionQueueDestination{{DestinationArn: f.FleetArn}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if h.queueArn == "" {
			h.queueArn = aws.ToString(q.GameSessionQueue.GameSessionQueueArn)
		} else {
			h.queue2Arn = aws.ToString(q.GameSessionQueue.GameSessionQueueArn)
		}
	}
	resp := n.call(t, protoJSON, "CreateNotificationTarget", map[string]any{"Name": "mm-hook", "Endpoint": "http://127.0.0.1:1/events"})
	if resp.Status != http.StatusOK {
		t.Fatalf("CreateNotificationTarget: %d %s", resp.Status, resp.Raw)
	}
	h.targetArn = str(t, resp.Body, "NotificationTarget.NotificationTargetArn")
	for name, body := range map[string]string{"sun-vs-moon": ruleSetDuel, "the.hunt": ruleSetHunt, "brawl": ruleSetBrawl} {
		h.createRuleSet(t, name, body)
	}
	return h
}

func (h *mmHost) createRuleSet(t *testing.T, name, body string) *types.MatchmakingRuleSet {
	t.Helper()
	out, err := h.c.CreateMatchmakingRuleSet(context.Background(), &gamelift.CreateMatchmakingRuleSetInput{Name: aws.String(name), RuleSetBody: aws.String(body)})
	if err != nil {
		t.Fatalf("CreateMatchmakingRuleSet %s: %v", name, err)
	}
	return out.RuleSet
}

func (h *mmHost) createConfig(t *testing.T, in gamelift.CreateMatchmakingConfigurationInput) *types.MatchmakingConfiguration {
	t.Helper()
	out, err := h.c.CreateMatchmakingConfiguration(context.Background(), &in)
	if err != nil {
		t.Fatalf("CreateMatchmakingConfiguration %s: %v", aws.ToString(in.Name), err)
	}
	return out.Configuration
}

func (h *mmHost) updateConfig(t *testing.T, in gamelift.UpdateMatchmakingConfigurationInput) *types.MatchmakingConfiguration {
	t.Helper()
	out, err := h.c.UpdateMatchmakingConfiguration(context.Background(), &in)
	if err != nil {
		t.Fatalf("UpdateMatchmakingConfiguration %s: %v", aws.ToString(in.Name), err)
	}
	return out.Configuration
}

func (h *mmHost) describeConfigs(t *testing.T, in gamelift.DescribeMatchmakingConfigurationsInput) []types.MatchmakingConfiguration {
	t.Helper()
	out, err := h.c.DescribeMatchmakingConfigurations(context.Background(), &in)
	if err != nil {
		t.Fatalf("DescribeMatchmakingConfigurations: %v", err)
	}
	return out.Configurations
}

// configString renders every member of a configuration but its creation
// time, in a fixed order, so that configurations compare as strings and a
// difference reads well.
func configString(c *types.MatchmakingConfiguration) string {
	if c == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Name=%s Arn=%s RuleSet=%s/%s Mode=%s Queues=%v Timeout=%d Acceptance=%v/%v Additional=%v Backfill=%s",
		aws.ToString(c.Name), aws.ToString(c.ConfigurationArn), aws.ToString(c.RuleSetName), aws.ToString(c.RuleSetArn), c.FlexMatchMode,
		c.GameSessionQueueArns, aws.ToInt32(c.RequestTimeoutSeconds), aws.ToBool(c.AcceptanceRequired), ptrString(c.AcceptanceTimeoutSeconds),
		ptrString(c.AdditionalPlayerCount), c.BackfillMode)
	for _, p := range c.GameProperties {
		fmt.Fprintf(&b, " Prop=%s:%s", aws.ToString(p.Key), aws.ToString(p.Value))
	}
	for _, m := range []struct {
		name string
		v    *string
	}{{"Description", c.Description}, {"Data", c.GameSessionData}, {"Custom", c.CustomEventData}, {"Notify", c.NotificationTarget}} {
		if m.v != nil {
			fmt.Fprintf(&b, " %s=%q", m.name, *m.v)
		}
	}
	return b.String()
}

func ptrString[T any](p *T) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

func TestMatchmakingRuleSets(t *testing.T) {
	h := newMMHost(t)
	c := h.c
	ctx := context.Background()

	rs := h.createRuleSet(t, "duel.v2", ruleSetDuel)
	if aws.ToString(rs.RuleSetName) != "duel.v2" || aws.ToString(rs.RuleSetArn) != ruleSetARNPrefix+"duel.v2" || aws.ToString(rs.RuleSetBody) != ruleSetDuel || rs.CreationTime == nil {
		t.Errorf("created %+v", rs)
	}

	// Every rule set, a page at a time, in name order.
	var names []string
	var token *string
	for pages := 0; ; pages++ {
		out, err := c.DescribeMatchmakingRuleSets(ctx, &gamelift.DescribeMatchmakingRuleSetsInput{Limit: aws.Int32(3), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.RuleSets) > 3 {
			t.Fatalf("page of %d with Limit 3", len(out.RuleSets))
		}
		for _, r := range out.RuleSets {
			names = append(names, aws.ToString(r.RuleSetName))
		}
		if token = out.NextToken; token == nil {
			if pages != 1 {
				t.Errorf("4 rule sets took %d pages of 3", pages+1)
			}
			break
		}
	}
	if want := []string{"brawl", "duel.v2", "sun-vs-moon", "the.hunt"}; !slices.Equal(names, want) {
		t.Errorf("rule sets %v, want %v", names, want)
	}

	// By name and by ARN, each once.
	out, err := c.DescribeMatchmakingRuleSets(ctx, &gamelift.DescribeMatchmakingRuleSetsInput{Names: []string{ruleSetARNPrefix + "the.hunt", "brawl", "the.hunt"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.RuleSets) != 2 || aws.ToString(out.RuleSets[0].RuleSetName) != "brawl" || aws.ToString(out.RuleSets[1].RuleSetBody) != ruleSetHunt {
		t.Errorf("by name: %+v", out.RuleSets)
	}
	// GameLift answers NotFoundException when a named rule set does not
	// exist.
	_, err = c.DescribeMatchmakingRuleSets(ctx, &gamelift.DescribeMatchmakingRuleSetsInput{Names: []string{"brawl", "nowhere"}})
	if e := wantAPIError[*types.NotFoundException](t, err); !strings.Contains(e.ErrorMessage(), "nowhere") {
		t.Errorf("message %q does not name the rule set", e.ErrorMessage())
	}

	// Validation.
	v, err := c.ValidateMatchmakingRuleSet(ctx, &gamelift.ValidateMatchmakingRuleSetInput{RuleSetBody: aws.String(ruleSetHunt)})
	if err != nil || !aws.ToBool(v.Valid) {
		t.Errorf("a valid rule set: %+v, %v", v, err)
	}
	_, err = c.ValidateMatchmakingRuleSet(ctx, &gamelift.ValidateMatchmakingRuleSetInput{RuleSetBody: aws.String(ruleSetBroken)})
	msg := wantAPIError[*types.InvalidRequestException](t, err).ErrorMessage()
	for _, m := range []string{"teams[0].minPlayers", "teams[1].name", "2 problems"} {
		if !strings.Contains(msg, m) {
			t.Errorf("validation message %q does not mention %s", msg, m)
		}
	}

	// A rule set in use cannot be deleted; once its configuration is gone,
	// it can.
	h.createConfig(t, gamelift.CreateMatchmakingConfigurationInput{
		Name: aws.String("duel-solo"), RuleSetName: aws.String(ruleSetARNPrefix + "duel.v2"), RequestTimeoutSeconds: aws.Int32(60),
		AcceptanceRequired: aws.Bool(false), FlexMatchMode: types.FlexMatchModeStandalone,
	})
	_, err = c.DeleteMatchmakingRuleSet(ctx, &gamelift.DeleteMatchmakingRuleSetInput{Name: aws.String("duel.v2")})
	if e := wantAPIError[*types.InvalidRequestException](t, err); !strings.Contains(e.ErrorMessage(), "duel-solo") {
		t.Errorf("refusal %q does not name the configuration", e.ErrorMessage())
	}
	if _, err := c.DescribeMatchmakingRuleSets(ctx, &gamelift.DescribeMatchmakingRuleSetsInput{Names: []string{"duel.v2"}}); err != nil {
		t.Errorf("the refused delete removed the rule set: %v", err)
	}
	if _, err := c.DeleteMatchmakingConfiguration(ctx, &gamelift.DeleteMatchmakingConfigurationInput{Name: aws.String("duel-solo")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteMatchmakingRuleSet(ctx, &gamelift.DeleteMatchmakingRuleSetInput{Name: aws.String(ruleSetARNPrefix + "duel.v2")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeMatchmakingRuleSets(ctx, &gamelift.DescribeMatchmakingRuleSetsInput{Names: []string{"duel.v2"}})
	wantAPIError[*types.NotFoundException](t, err)
	_, err = c.DeleteMatchmakingRuleSet(ctx, &gamelift.DeleteMatchmakingRuleSetInput{Name: aws.String("duel.v2")})
	wantAPIError[*types.NotFoundException](t, err)
}

func TestMatchmakingConfigurationLifecycle(t *testing.T) {
	h := newMMHost(t)
	c := h.c
	ctx := context.Background()

	// Every member.
	full := h.createConfig(t, gamelift.CreateMatchmakingConfigurationInput{
		Name:                     aws.String("duel-ranked"),
		Description:              aws.String("ranked 3v3 to 5v5"),
		RuleSetName:              aws.String(ruleSetARNPrefix + "sun-vs-moon"),
		FlexMatchMode:            types.FlexMatchModeWithQueue,
		GameSessionQueueArns:     []string{h.queueArn, "arena-overflow"},
		RequestTimeoutSeconds:    aws.Int32(120),
		AcceptanceRequired:       aws.Bool(true),
		AcceptanceTimeoutSeconds: aws.Int32(30),
		AdditionalPlayerCount:    aws.Int32(2),
		BackfillMode:             types.BackfillModeAutomatic,
		GameProperties:           []types.GameProperty{{Key: aws.String("mode"), Value: aws.String("ranked")}, {Key: aws.String("season"), Value: aws.String("3")}},
		GameSessionData:          aws.String("map=ruins"),
		CustomEventData:          aws.String("tier=gold"),
		NotificationTarget:       aws.String("mm-hook"),
		Tags:                     []types.Tag{{Key: aws.String("team"), Value: aws.String("live-ops")}},
	})
	want := fmt.Sprintf(`Name=duel-ranked Arn=%sduel-ranked RuleSet=sun-vs-moon/%ssun-vs-moon Mode=WITH_QUEUE Queues=[%s %s] Timeout=120 Acceptance=true/30 Additional=2 Backfill=AUTOMATIC`+
		` Prop=mode:ranked Prop=season:3 Description="ranked 3v3 to 5v5" Data="map=ruins" Custom="tier=gold" Notify=%q`,
		configARNPrefix, ruleSetARNPrefix, h.queueArn, h.queue2Arn, h.targetArn)
	if got := configString(full); got != want {
		t.Errorf("created:\n got %s\nwant %s", got, want)
	}
	if full.CreationTime == nil {
		t.Error("no CreationTime")
	}
	if got := h.describeConfigs(t, gamelift.DescribeMatchmakingConfigurationsInput{Names: []string{"duel-ranked"}}); len(got) != 1 || configString(&got[0]) != want {
		t.Errorf("described: %v", got)
	}

	// The fewest members: GameLift's defaults, and the acceptance timeout
	// rallypoint chooses when acceptance is required without one.
	bare := h.createConfig(t, gamelift.CreateMatchmakingConfigurationInput{
		Name: aws.String("brawl"), RuleSetName: aws.String("brawl"), RequestTimeoutSeconds: aws.Int32(30),
		AcceptanceRequired: aws.Bool(true), GameSessionQueueArns: []string{h.queueArn},
	})
	wantBare := fmt.Sprintf("Name=brawl Arn=%sbrawl RuleSet=brawl/%sbrawl Mode=WITH_QUEUE Queues=[%s] Timeout=30 Acceptance=true/60 Additional=0 Backfill=MANUAL",
		configARNPrefix, ruleSetARNPrefix, h.queueArn)
	if got := configString(bare); got != wantBare {
		t.Errorf("bare:\n got %s\nwant %s", got, wantBare)
	}
	solo := h.createConfig(t, gamelift.CreateMatchmakingConfigurationInput{
		Name: aws.String("hunt.solo"), RuleSetName: aws.String("the.hunt"), RequestTimeoutSeconds: aws.Int32(30),
		AcceptanceRequired: aws.Bool(false), FlexMatchMode: types.FlexMatchModeStandalone,
	})
	wantSolo := fmt.Sprintf("Name=hunt.solo Arn=%shunt.solo RuleSet=the.hunt/%sthe.hunt Mode=STANDALONE Queues=[] Timeout=30 Acceptance=false/nil Additional=0 Backfill=MANUAL",
		configARNPrefix, ruleSetARNPrefix)
	if got := configString(solo); got != wantSolo {
		t.Errorf("standalone:\n got %s\nwant %s", got, wantSolo)
	}

	// Listing: all in name order, a page at a time, by rule set, and by
	// names (unknown ones left out, as GameLift does).
	var all []string
	for _, cfg := range h.describeConfigs(t, gamelift.DescribeMatchmakingConfigurationsInput{}) {
		all = append(all, aws.ToString(cfg.Name))
	}
	if want := []string{"brawl", "duel-ranked", "hunt.solo"}; !slices.Equal(all, want) {
		t.Errorf("configurations %v, want %v", all, want)
	}
	page1, err := c.DescribeMatchmakingConfigurations(ctx, &gamelift.DescribeMatchmakingConfigurationsInput{Limit: aws.Int32(2)})
	if err != nil {
		t.Fatal(err)
	}
	page2, err := c.DescribeMatchmakingConfigurations(ctx, &gamelift.DescribeMatchmakingConfigurationsInput{Limit: aws.Int32(2), NextToken: page1.NextToken})
	if err != nil {
		t.Fatal(err)
	}
	if len(page1.Configurations) != 2 || len(page2.Configurations) != 1 || page2.NextToken != nil || aws.ToString(page2.Configurations[0].Name) != "hunt.solo" {
		t.Errorf("pages: %d then %d (%v), next %v", len(page1.Configurations), len(page2.Configurations), page2.Configurations, page2.NextToken)
	}
	byRuleSet := h.describeConfigs(t, gamelift.DescribeMatchmakingConfigurationsInput{RuleSetName: aws.String(ruleSetARNPrefix + "the.hunt")})
	if len(byRuleSet) != 1 || configString(&byRuleSet[0]) != wantSolo {
		t.Errorf("by rule set: %v", byRuleSet)
	}
	byName := h.describeConfigs(t, gamelift.DescribeMatchmakingConfigurationsInput{Names: []string{"nowhere", configARNPrefix + "brawl", "hunt.solo"}})
	if len(byName) != 2 || configString(&byName[0]) != wantBare || configString(&byName[1]) != wantSolo {
		t.Errorf("by name: %v", byName)
	}

	// An update changes what it gives and nothing else: another rule set,
	// acceptance off, no game properties, one queue.
	up := h.updateConfig(t, gamelift.UpdateMatchmakingConfigurationInput{
		Name:                  aws.String(configARNPrefix + "duel-ranked"),
		RuleSetName:           aws.String("the.hunt"),
		AcceptanceRequired:    aws.Bool(false),
		AdditionalPlayerCount: aws.Int32(0),
		GameProperties:        []types.GameProperty{},
		GameSessionQueueArns:  []string{h.queue2Arn},
		Description:           aws.String("hunt, ranked"),
	})
	wantUp := fmt.Sprintf(`Name=duel-ranked Arn=%sduel-ranked RuleSet=the.hunt/%sthe.hunt Mode=WITH_QUEUE Queues=[%s] Timeout=120 Acceptance=false/30 Additional=0 Backfill=AUTOMATIC`+
		` Description="hunt, ranked" Data="map=ruins" Custom="tier=gold" Notify=%q`,
		configARNPrefix, ruleSetARNPrefix, h.queue2Arn, h.targetArn)
	if got := configString(up); got != wantUp {
		t.Errorf("updated:\n got %s\nwant %s", got, wantUp)
	}
	// To STANDALONE: the queues go and backfill is manual, in the same
	// request; the notification target and custom event data are cleared.
	standalone := h.updateConfig(t, gamelift.UpdateMatchmakingConfigurationInput{
		Name: aws.String("duel-ranked"), FlexMatchMode: types.FlexMatchModeStandalone, GameSessionQueueArns: []string{},
		BackfillMode: types.BackfillModeManual, NotificationTarget: aws.String(""), CustomEventData: aws.String(""),
	})
	wantStandalone := fmt.Sprintf(`Name=duel-ranked Arn=%sduel-ranked RuleSet=the.hunt/%sthe.hunt Mode=STANDALONE Queues=[] Timeout=120 Acceptance=false/30 Additional=0 Backfill=MANUAL`+
		` Description="hunt, ranked" Data="map=ruins"`, configARNPrefix, ruleSetARNPrefix)
	if got := configString(standalone); got != wantStandalone {
		t.Errorf("standalone:\n got %s\nwant %s", got, wantStandalone)
	}
	if got := h.describeConfigs(t, gamelift.DescribeMatchmakingConfigurationsInput{Names: []string{"duel-ranked"}}); len(got) != 1 || configString(&got[0]) != wantStandalone {
		t.Errorf("described after the updates: %v", got)
	}

	// Deletion.
	if _, err := c.DeleteMatchmakingConfiguration(ctx, &gamelift.DeleteMatchmakingConfigurationInput{Name: aws.String(configARNPrefix + "brawl")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteMatchmakingConfiguration(ctx, &gamelift.DeleteMatchmakingConfigurationInput{Name: aws.String("brawl")})
	wantAPIError[*types.NotFoundException](t, err)
	_, err = c.UpdateMatchmakingConfiguration(ctx, &gamelift.UpdateMatchmakingConfigurationInput{Name: aws.String("brawl"), RequestTimeoutSeconds: aws.Int32(10)})
	wantAPIError[*types.NotFoundException](t, err)
	if got := h.describeConfigs(t, gamelift.DescribeMatchmakingConfigurationsInput{Names: []string{"brawl"}}); len(got) != 0 {
		t.Errorf("deleted configuration still described: %v", got)
	}
}

// mmRefusal is a call that must be refused with an error of the named
// GameLift type whose message mentions each of mention.
type mmRefusal struct {
	name    string
	code    string // InvalidRequestException unless set
	call    func(ctx context.Context, c *gamelift.Client) error
	mention []string
}

func createConfigCall(in gamelift.CreateMatchmakingConfigurationInput) func(context.Context, *gamelift.Client) error {
	if in.Name == nil {
		in.Name = aws.String("refused")
	}
	if in.RuleSetName == nil {
		in.RuleSetName = aws.String("sun-vs-moon")
	}
	if in.RequestTimeoutSeconds == nil {
		in.RequestTimeoutSeconds = aws.Int32(60)
	}
	if in.AcceptanceRequired == nil {
		in.AcceptanceRequired = aws.Bool(false)
	}
	if in.GameSessionQueueArns == nil && in.FlexMatchMode == "" {
		in.GameSessionQueueArns = []string{"arena-main"}
	}
	return func(ctx context.Context, c *gamelift.Client) error {
		_, err := c.CreateMatchmakingConfiguration(ctx, &in)
		return err
	}
}

func updateConfigCall(in gamelift.UpdateMatchmakingConfigurationInput) func(context.Context, *gamelift.Client) error {
	if in.Name == nil {
		in.Name = aws.String("kept")
	}
	return func(ctx context.Context, c *gamelift.Client) error {
		_, err := c.UpdateMatchmakingConfiguration(ctx, &in)
		return err
	}
}

func createRuleSetCall(name, body string) func(context.Context, *gamelift.Client) error {
	return func(ctx context.Context, c *gamelift.Client) error {
		_, err := c.CreateMatchmakingRuleSet(ctx, &gamelift.CreateMatchmakingRuleSetInput{Name: aws.String(name), RuleSetBody: aws.String(body)})
		return err
	}
}

func manyGameProperties(n int) []types.GameProperty {
	out := make([]types.GameProperty, n)
	for i := range out {
		out[i] = types.GameProperty{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")}
	}
	return out
}

// configRefusals break one rule each, of GameLift's model (checked before
// the matchmaking service sees the request) or of how members go together
// and what they refer to (checked by the service). They run on an mmHost
// with a configuration "kept" (sun-vs-moon, WITH_QUEUE on arena-main).
func configRefusals() []mmRefusal {
	long := func(n int) *string { return aws.String(strings.Repeat("a", n)) }
	const notFound = "NotFoundException"
	return []mmRefusal{
		// Rule sets.
		{"rule set Name with an underscore", "", createRuleSetCall("duel_v3", ruleSetBrawl), []string{"'name'", "pattern"}},
		{"rule set Name 129 characters", "", createRuleSetCall(strings.Repeat("r", 129), ruleSetBrawl), []string{"'name'", "less than or equal to 128"}},
		{"rule set body empty", "", createRuleSetCall("refused", ""), []string{"'ruleSetBody'", "greater than or equal to 1"}},
		{"rule set body 65536 characters", "", createRuleSetCall("refused", strings.Repeat(" ", 65536)), []string{"'ruleSetBody'", "less than or equal to 65535"}},
		{"rule set body invalid", "", createRuleSetCall("refused", ruleSetBroken), []string{"RuleSetBody", "teams[0].minPlayers", "teams[1].name"}},
		{"rule set body not JSON", "", createRuleSetCall("refused", "{teams: 2"), []string{"RuleSetBody"}},
		{"rule set name taken", "", createRuleSetCall("brawl", ruleSetBrawl), []string{"brawl", "already exists"}},
		{"describe 11 rule sets", "", func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.DescribeMatchmakingRuleSets(ctx, &gamelift.DescribeMatchmakingRuleSetsInput{Names: strings.Split("a b c d e f g h i j k", " ")})
			return err
		}, []string{"'names'", "less than or equal to 10"}},
		{"describe rule sets Limit 11", "", func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.DescribeMatchmakingRuleSets(ctx, &gamelift.DescribeMatchmakingRuleSetsInput{Limit: aws.Int32(11)})
			return err
		}, []string{"'limit'", "less than or equal to 10"}},
		{"delete a rule set in use", "", func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.DeleteMatchmakingRuleSet(ctx, &gamelift.DeleteMatchmakingRuleSetInput{Name: aws.String("sun-vs-moon")})
			return err
		}, []string{"sun-vs-moon", "kept"}},
		{"delete an unknown rule set", notFound, func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.DeleteMatchmakingRuleSet(ctx, &gamelift.DeleteMatchmakingRuleSetInput{Name: aws.String("nowhere")})
			return err
		}, []string{"nowhere"}},

		// Configurations: the model.
		{"Name with a space", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{Name: aws.String("duel ranked")}), []string{"'name'", "pattern"}},
		{"Name 129 characters", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{Name: long(129)}), []string{"'name'", "less than or equal to 128"}},
		{"Name an ARN on create", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{Name: aws.String(configARNPrefix + "x")}), []string{"'name'", "pattern"}},
		{"RuleSetName with a slash", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{RuleSetName: aws.String("sun/moon")}), []string{"'ruleSetName'", "pattern"}},
		{"RequestTimeoutSeconds 0", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{RequestTimeoutSeconds: aws.Int32(0)}), []string{"'requestTimeoutSeconds'", "greater than or equal to 1"}},
		{"RequestTimeoutSeconds 43201", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{RequestTimeoutSeconds: aws.Int32(43201)}), []string{"'requestTimeoutSeconds'", "less than or equal to 43200"}},
		{"AcceptanceTimeoutSeconds 0", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{AcceptanceRequired: aws.Bool(true), AcceptanceTimeoutSeconds: aws.Int32(0)}), []string{"'acceptanceTimeoutSeconds'", "greater than or equal to 1"}},
		{"AcceptanceTimeoutSeconds 601", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{AcceptanceTimeoutSeconds: aws.Int32(601)}), []string{"'acceptanceTimeoutSeconds'", "less than or equal to 600"}},
		{"AdditionalPlayerCount -1", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{AdditionalPlayerCount: aws.Int32(-1)}), []string{"'additionalPlayerCount'", "greater than or equal to 0"}},
		{"Description empty", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{Description: aws.String("")}), []string{"'description'", "greater than or equal to 1"}},
		{"Description 1025 characters", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{Description: long(1025)}), []string{"'description'", "less than or equal to 1024"}},
		{"GameSessionData 4097 characters", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{GameSessionData: long(4097)}), []string{"'gameSessionData'", "less than or equal to 4096"}},
		{"CustomEventData 257 characters", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{CustomEventData: long(257)}), []string{"'customEventData'", "less than or equal to 256"}},
		{"17 game properties", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{GameProperties: manyGameProperties(17)}), []string{"'gameProperties'", "less than or equal to 16"}},
		{"game property key 33 characters", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{GameProperties: []types.GameProperty{{Key: long(33), Value: aws.String("v")}}}),
			[]string{"'gameProperties.1.member.key'", "less than or equal to 32"}},
		{"game property value 97 characters", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{GameProperties: []types.GameProperty{{Key: aws.String("k"), Value: long(97)}}}),
			[]string{"'gameProperties.1.member.value'", "less than or equal to 96"}},
		{"BackfillMode unknown", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{BackfillMode: "SOMETIMES"}), []string{"'backfillMode'", "AUTOMATIC, MANUAL"}},
		{"FlexMatchMode unknown", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{FlexMatchMode: "ALONE"}), []string{"'flexMatchMode'", "STANDALONE, WITH_QUEUE"}},
		{"queue ARN with a space", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{GameSessionQueueArns: []string{"arena main"}}), []string{"'gameSessionQueueArns.1.member'", "pattern"}},
		{"NotificationTarget 301 characters", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{NotificationTarget: long(301)}), []string{"'notificationTarget'", "less than or equal to 300"}},
		{"201 tags", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{Tags: manyTags(201)}), []string{"'tags'", "less than or equal to 200"}},

		// Configurations: what the members refer to and how they go
		// together.
		{"unknown rule set", notFound, createConfigCall(gamelift.CreateMatchmakingConfigurationInput{RuleSetName: aws.String("nowhere")}), []string{"RuleSetName", "nowhere"}},
		{"unknown queue", notFound, createConfigCall(gamelift.CreateMatchmakingConfigurationInput{GameSessionQueueArns: []string{"arena-main", queueARNPrefix + "arena-gone"}}), []string{"GameSessionQueueArns", "arena-gone"}},
		{"queue twice", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{GameSessionQueueArns: []string{"arena-main", queueARNPrefix + "arena-main"}}), []string{"GameSessionQueueArns", "twice"}},
		{"unknown notification target", notFound, createConfigCall(gamelift.CreateMatchmakingConfigurationInput{NotificationTarget: aws.String("arn:aws:sns:us-east-1:111122223333:matches")}),
			[]string{"NotificationTarget", "CreateNotificationTarget"}},
		{"WITH_QUEUE without queues", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{FlexMatchMode: types.FlexMatchModeWithQueue, GameSessionQueueArns: []string{}}),
			[]string{"GameSessionQueueArns", "WITH_QUEUE"}},
		{"WITH_QUEUE by default without queues", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{FlexMatchMode: "", GameSessionQueueArns: []string{}}), []string{"GameSessionQueueArns", "WITH_QUEUE"}},
		{"STANDALONE with queues", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{FlexMatchMode: types.FlexMatchModeStandalone, GameSessionQueueArns: []string{"arena-main"}}),
			[]string{"GameSessionQueueArns", "STANDALONE"}},
		{"STANDALONE with automatic backfill", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{FlexMatchMode: types.FlexMatchModeStandalone, BackfillMode: types.BackfillModeAutomatic}),
			[]string{"BackfillMode", "STANDALONE"}},
		{"request timeout before the last expansion", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{RequestTimeoutSeconds: aws.Int32(39)}), []string{"RequestTimeoutSeconds", "40 seconds", "sun-vs-moon"}},
		{"more additional players than room", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{AdditionalPlayerCount: aws.Int32(5)}), []string{"AdditionalPlayerCount", "minPlayers"}},
		{"configuration name taken", "", createConfigCall(gamelift.CreateMatchmakingConfigurationInput{Name: aws.String("kept")}), []string{"kept", "already exists"}},

		// Updates.
		{"update Name with a space", "", updateConfigCall(gamelift.UpdateMatchmakingConfigurationInput{Name: aws.String("kept it")}), []string{"'name'", "pattern"}},
		{"update Name 257 characters", "", updateConfigCall(gamelift.UpdateMatchmakingConfigurationInput{Name: long(257)}), []string{"'name'", "less than or equal to 256"}},
		{"update RequestTimeoutSeconds 0", "", updateConfigCall(gamelift.UpdateMatchmakingConfigurationInput{RequestTimeoutSeconds: aws.Int32(0)}), []string{"'requestTimeoutSeconds'", "greater than or equal to 1"}},
		{"update an unknown configuration", notFound, updateConfigCall(gamelift.UpdateMatchmakingConfigurationInput{Name: aws.String("nowhere"), Description: aws.String("d")}), []string{"nowhere"}},
		{"update to an unknown rule set", notFound, updateConfigCall(gamelift.UpdateMatchmakingConfigurationInput{RuleSetName: aws.String("nowhere")}), []string{"RuleSetName", "nowhere"}},
		{"update timeout before the rule set's last expansion", "", updateConfigCall(gamelift.UpdateMatchmakingConfigurationInput{RequestTimeoutSeconds: aws.Int32(20)}), []string{"RequestTimeoutSeconds", "40 seconds"}},
		{"update rule set whose expansions outlast the timeout", "", updateConfigCall(gamelift.UpdateMatchmakingConfigurationInput{Name: aws.String("kept-short"), RuleSetName: aws.String("sun-vs-moon")}),
			[]string{"RequestTimeoutSeconds", "40 seconds"}},
		{"update to STANDALONE keeping the queues", "", updateConfigCall(gamelift.UpdateMatchmakingConfigurationInput{FlexMatchMode: types.FlexMatchModeStandalone}), []string{"GameSessionQueueArns", "STANDALONE"}},
		{"update removing every queue", "", updateConfigCall(gamelift.UpdateMatchmakingConfigurationInput{GameSessionQueueArns: []string{}}), []string{"GameSessionQueueArns", "WITH_QUEUE"}},
		{"update additional players past the room", "", updateConfigCall(gamelift.UpdateMatchmakingConfigurationInput{AdditionalPlayerCount: aws.Int32(9)}), []string{"AdditionalPlayerCount"}},
		{"update to an unknown notification target", notFound, updateConfigCall(gamelift.UpdateMatchmakingConfigurationInput{NotificationTarget: aws.String("gone-hook")}), []string{"NotificationTarget", "gone-hook"}},

		// Listing and deleting.
		{"describe configurations Limit 0", "", func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.DescribeMatchmakingConfigurations(ctx, &gamelift.DescribeMatchmakingConfigurationsInput{Limit: aws.Int32(0)})
			return err
		}, []string{"'limit'", "greater than or equal to 1"}},
		{"describe configuration name with a slash", "", func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.DescribeMatchmakingConfigurations(ctx, &gamelift.DescribeMatchmakingConfigurationsInput{Names: []string{"kept", "a/b"}})
			return err
		}, []string{"'names.2.member'", "pattern"}},
		{"describe by a rule set name with a space", "", func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.DescribeMatchmakingConfigurations(ctx, &gamelift.DescribeMatchmakingConfigurationsInput{RuleSetName: aws.String("sun moon")})
			return err
		}, []string{"'ruleSetName'", "pattern"}},
		{"delete an unknown configuration", notFound, func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.DeleteMatchmakingConfiguration(ctx, &gamelift.DeleteMatchmakingConfigurationInput{Name: aws.String("nowhere")})
			return err
		}, []string{"nowhere"}},
		{"delete a configuration name with a space", "", func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.DeleteMatchmakingConfiguration(ctx, &gamelift.DeleteMatchmakingConfigurationInput{Name: aws.String("kept it")})
			return err
		}, []string{"'name'", "pattern"}},
	}
}

// wantMMRefused makes the call and checks the refusal's type and message.
func wantMMRefused(t *testing.T, c *gamelift.Client, r mmRefusal) {
	t.Helper()
	err := r.call(context.Background(), c)
	var msg string
	switch r.code {
	case "", "InvalidRequestException":
		msg = wantAPIError[*types.InvalidRequestException](t, err).ErrorMessage()
	case "NotFoundException":
		msg = wantAPIError[*types.NotFoundException](t, err).ErrorMessage()
	default:
		t.Fatalf("no check for %s", r.code)
	}
	for _, m := range r.mention {
		if !strings.Contains(msg, m) {
			t.Errorf("message %q does not mention %s", msg, m)
		}
	}
}

// TestMatchmakingConfigurationRefusals makes each refused call on a node
// with configurations to update, then checks that none of them changed a
// rule set or a configuration.
func TestMatchmakingConfigurationRefusals(t *testing.T) {
	h := newMMHost(t)
	ctx := context.Background()
	h.createConfig(t, gamelift.CreateMatchmakingConfigurationInput{
		Name: aws.String("kept"), RuleSetName: aws.String("sun-vs-moon"), RequestTimeoutSeconds: aws.Int32(60),
		AcceptanceRequired: aws.Bool(false), GameSessionQueueArns: []string{"arena-main"}, NotificationTarget: aws.String(h.targetArn),
	})
	h.createConfig(t, gamelift.CreateMatchmakingConfigurationInput{
		Name: aws.String("kept-short"), RuleSetName: aws.String("brawl"), RequestTimeoutSeconds: aws.Int32(10),
		AcceptanceRequired: aws.Bool(false), GameSessionQueueArns: []string{"arena-main"},
	})
	state := func() string {
		var b strings.Builder
		for _, c := range h.describeConfigs(t, gamelift.DescribeMatchmakingConfigurationsInput{}) {
			b.WriteString(configString(&c) + "\n")
		}
		out, err := h.c.DescribeMatchmakingRuleSets(ctx, &gamelift.DescribeMatchmakingRuleSetsInput{})
		if err != nil {
			t.Fatal(err)
		}
		for _, rs := range out.RuleSets {
			fmt.Fprintf(&b, "%s %d\n", aws.ToString(rs.RuleSetName), len(aws.ToString(rs.RuleSetBody)))
		}
		return b.String()
	}
	before := state()
	for _, r := range configRefusals() {
		t.Run(r.name, func(t *testing.T) { wantMMRefused(t, h.c, r) })
	}
	if after := state(); after != before {
		t.Errorf("refused calls changed the state:\nbefore\n%s\nafter\n%s", before, after)
	}
}

// TestMatchmakingMissingMembers sends requests without a required member,
// which the AWS SDK will not send: the refusal names the member, in both
// protocols alike.
func TestMatchmakingMissingMembers(t *testing.T) {
	n := startNode(t, "")
	player := map[string]any{"PlayerId": "ana"}
	for _, tc := range []struct {
		op     string
		in     map[string]any
		member string
	}{
		{"CreateMatchmakingRuleSet", map[string]any{"Name": "x"}, "'ruleSetBody'"},
		{"CreateMatchmakingRuleSet", map[string]any{"RuleSetBody": ruleSetBrawl}, "'name'"},
		{"ValidateMatchmakingRuleSet", map[string]any{}, "'ruleSetBody'"},
		{"DeleteMatchmakingRuleSet", map[string]any{}, "'name'"},
		{"CreateMatchmakingConfiguration", map[string]any{"Name": "x", "RuleSetName": "brawl", "AcceptanceRequired": false}, "'requestTimeoutSeconds'"},
		{"CreateMatchmakingConfiguration", map[string]any{"Name": "x", "RuleSetName": "brawl", "RequestTimeoutSeconds": 10}, "'acceptanceRequired'"},
		{"CreateMatchmakingConfiguration", map[string]any{"Name": "x", "AcceptanceRequired": true, "RequestTimeoutSeconds": 10}, "'ruleSetName'"},
		{"UpdateMatchmakingConfiguration", map[string]any{"Description": "d"}, "'name'"},
		{"DeleteMatchmakingConfiguration", map[string]any{}, "'name'"},
		{"StartMatchmaking", map[string]any{"Players": []any{player}}, "'configurationName'"},
		{"StartMatchmaking", map[string]any{"ConfigurationName": "brawl"}, "'players'"},
		{"StartMatchBackfill", map[string]any{"ConfigurationName": "brawl"}, "'players'"},
		{"StartMatchBackfill", map[string]any{"Players": []any{map[string]any{"PlayerId": "ana", "Team": "all"}}}, "'configurationName'"},
		{"DescribeMatchmaking", map[string]any{}, "'ticketIds'"},
		{"StopMatchmaking", map[string]any{}, "'ticketId'"},
		{"AcceptMatch", map[string]any{"PlayerIds": []any{"ana"}, "AcceptanceType": "ACCEPT"}, "'ticketId'"},
		{"AcceptMatch", map[string]any{"TicketId": "t1", "AcceptanceType": "ACCEPT"}, "'playerIds'"},
		{"AcceptMatch", map[string]any{"TicketId": "t1", "PlayerIds": []any{"ana"}}, "'acceptanceType'"},
	} {
		for _, p := range protocols {
			resp := n.call(t, p, tc.op, tc.in)
			wantErrorResponse(t, p, resp, http.StatusBadRequest, "InvalidRequestException", tc.member, "not be null")
		}
	}
}

func startMatchmakingCall(in gamelift.StartMatchmakingInput) func(context.Context, *gamelift.Client) error {
	if in.ConfigurationName == nil {
		in.ConfigurationName = aws.String("brawl")
	}
	return func(ctx context.Context, c *gamelift.Client) error {
		_, err := c.StartMatchmaking(ctx, &in)
		return err
	}
}

func backfillCall(in gamelift.StartMatchBackfillInput) func(context.Context, *gamelift.Client) error {
	if in.ConfigurationName == nil {
		in.ConfigurationName = aws.String("brawl")
	}
	return func(ctx context.Context, c *gamelift.Client) error {
		_, err := c.StartMatchBackfill(ctx, &in)
		return err
	}
}

func players(n int, team string) []types.Player {
	out := make([]types.Player, n)
	for i := range out {
		out[i] = types.Player{PlayerId: aws.String(fmt.Sprintf("p%d", i))}
		if team != "" {
			out[i].Team = aws.String(team)
		}
	}
	return out
}

func withAttributes(attrs map[string]types.AttributeValue) []types.Player {
	return []types.Player{{PlayerId: aws.String("ana"), PlayerAttributes: attrs}}
}

// ticketRefusals break one rule each of a ticket request's shape.
func ticketRefusals() []mmRefusal {
	long := func(n int) *string { return aws.String(strings.Repeat("s", n)) }
	manyStrings := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("m%d", i)
		}
		return out
	}
	manyPairs := func(n int) map[string]float64 {
		out := make(map[string]float64, n)
		for i := range n {
			out[fmt.Sprintf("k%d", i)] = float64(i)
		}
		return out
	}
	manyAttrs := func(n int) map[string]types.AttributeValue {
		out := make(map[string]types.AttributeValue, n)
		for i := range n {
			out[fmt.Sprintf("a%d", i)] = types.AttributeValue{N: aws.Float64(1)}
		}
		return out
	}
	const attr = "'players.1.member.playerAttributes[skill]"
	return []mmRefusal{
		{"11 players", "", startMatchmakingCall(gamelift.StartMatchmakingInput{Players: players(11, "")}), []string{"'players'", "less than or equal to 10"}},
		{"no players", "", startMatchmakingCall(gamelift.StartMatchmakingInput{Players: []types.Player{}}), []string{"'players'", "greater than or equal to 1"}},
		{"player without an id", "", startMatchmakingCall(gamelift.StartMatchmakingInput{Players: []types.Player{{LatencyInMs: map[string]int32{"custom-eu-west": 20}}}}),
			[]string{"'players.1.member.playerId'", "not be null"}},
		{"player id 1025 characters", "", startMatchmakingCall(gamelift.StartMatchmakingInput{Players: []types.Player{{PlayerId: long(1025)}}}), []string{"'players.1.member.playerId'", "less than or equal to 1024"}},
		{"player twice", "", startMatchmakingCall(gamelift.StartMatchmakingInput{Players: []types.Player{{PlayerId: aws.String("ana")}, {PlayerId: aws.String("ana")}}}),
			[]string{"'players.2.member.playerId'", "'players.1.member.playerId'", "'ana'"}},
		{"attribute with S and N", "", startMatchmakingCall(gamelift.StartMatchmakingInput{Players: withAttributes(map[string]types.AttributeValue{"skill": {S: aws.String("x"), N: aws.Float64(1)}})}),
			[]string{attr + "'", "exactly one of S, N, SL and SDM", "got 2"}},
		{"attribute without a value", "", startMatchmakingCall(gamelift.StartMatchmakingInput{Players: withAttributes(map[string]types.AttributeValue{"skill": {}})}),
			[]string{attr + "'", "exactly one", "got 0"}},
		{"S 101 characters", "", startMatchmakingCall(gamelift.StartMatchmakingInput{Players: withAttributes(map[string]types.AttributeValue{"skill": {S: long(101)}})}),
			[]string{attr + ".S'", "less than or equal to 100"}},
		{"S empty", "", startMatchmakingCall(gamelift.StartMatchmakingInput{Players: withAttributes(map[string]types.AttributeValue{"skill": {S: aws.String("")}})}),
			[]string{attr + ".S'", "greater than or equal to 1"}},
		{"SL 101 strings", "", startMatchmakingCall(gamelift.StartMatchmakingInput{Players: withAttributes(map[string]types.AttributeValue{"skill": {SL: manyStrings(101)}})}),
			[]string{attr + ".SL'", "less than or equal to 100"}},
		{"SL string 101 characters", "", startMatchmakingCall(gamelift.StartMatchmakingInput{Players: withAttributes(map[string]types.AttributeValue{"skill": {SL: []string{"a", strings.Repeat("b", 101)}}})}),
			[]string{attr + ".SL.2.member'", "less than or equal to 100"}},
		{"SDM 11 pairs", "", startMatchmakingCall(gamelift.StartMatchmakingInput{Players: withAttributes(map[string]types.AttributeValue{"skill": {SDM: manyPairs(11)}})}),
			[]string{attr + ".SDM'", "less than or equal to 10"}},
		{"N not a number", "", startMatchmakingCall(gamelift.StartMatchmakingInput{Players: withAttributes(map[string]types.AttributeValue{"skill": {N: aws.Float64(math.NaN())}})}),
			[]string{attr + ".N'", "finite"}},
		{"11 attributes", "", startMatchmakingCall(gamelift.StartMatchmakingInput{Players: withAttributes(manyAttrs(11))}),
			[]string{"'players.1.member.playerAttributes'", "less than or equal to 10"}},
		{"latency 0", "", startMatchmakingCall(gamelift.StartMatchmakingInput{Players: []types.Player{{PlayerId: aws.String("ana"), LatencyInMs: map[string]int32{"custom-eu-west": 0}}}}),
			[]string{"'players.1.member.latencyInMs[custom-eu-west]'", "greater than or equal to 1"}},
		{"TicketId with an underscore", "", startMatchmakingCall(gamelift.StartMatchmakingInput{TicketId: aws.String("t_1"), Players: players(1, "")}), []string{"'ticketId'", "pattern"}},
		{"TicketId 129 characters", "", startMatchmakingCall(gamelift.StartMatchmakingInput{TicketId: long(129), Players: players(1, "")}), []string{"'ticketId'", "less than or equal to 128"}},
		{"ConfigurationName with a slash", "", startMatchmakingCall(gamelift.StartMatchmakingInput{ConfigurationName: aws.String("a/b"), Players: players(1, "")}),
			[]string{"'configurationName'", "pattern"}},
		{"backfill 200 players", "", backfillCall(gamelift.StartMatchBackfillInput{Players: players(200, "all")}), []string{"'players'", "less than or equal to 199"}},
		{"backfill player without a team", "", backfillCall(gamelift.StartMatchBackfillInput{Players: []types.Player{{PlayerId: aws.String("ana"), Team: aws.String("all")}, {PlayerId: aws.String("ben")}}}),
			[]string{"'players.2.member.team'", "not be null"}},
		{"backfill GameSessionArn with a space", "", backfillCall(gamelift.StartMatchBackfillInput{GameSessionArn: aws.String("game session"), Players: players(1, "all")}),
			[]string{"'gameSessionArn'", "pattern"}},
		{"backfill latency negative", "", backfillCall(gamelift.StartMatchBackfillInput{Players: []types.Player{{PlayerId: aws.String("ana"), Team: aws.String("all"), LatencyInMs: map[string]int32{"custom-eu-west": -3}}}}),
			[]string{"'players.1.member.latencyInMs[custom-eu-west]'", "greater than or equal to 1"}},
		{"describe 11 tickets", "", func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.DescribeMatchmaking(ctx, &gamelift.DescribeMatchmakingInput{TicketIds: manyStrings(11)})
			return err
		}, []string{"'ticketIds'", "less than or equal to 10"}},
		{"describe a ticket id with a slash", "", func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.DescribeMatchmaking(ctx, &gamelift.DescribeMatchmakingInput{TicketIds: []string{"t1", "t/2"}})
			return err
		}, []string{"'ticketIds.2.member'", "pattern"}},
		{"stop an empty ticket id", "", func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.StopMatchmaking(ctx, &gamelift.StopMatchmakingInput{TicketId: aws.String("")})
			return err
		}, []string{"'ticketId'", "greater than or equal to 1"}},
		{"accept with an unknown answer", "", func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.AcceptMatch(ctx, &gamelift.AcceptMatchInput{TicketId: aws.String("t1"), PlayerIds: []string{"ana"}, AcceptanceType: "MAYBE"})
			return err
		}, []string{"'acceptanceType'", "ACCEPT, REJECT"}},
		{"accept for no players", "", func(ctx context.Context, c *gamelift.Client) error {
			_, err := c.AcceptMatch(ctx, &gamelift.AcceptMatchInput{TicketId: aws.String("t1"), PlayerIds: []string{}, AcceptanceType: types.AcceptanceTypeAccept})
			return err
		}, []string{"'playerIds'", "greater than or equal to 1"}},
	}
}

// TestMatchmakingTicketRefusals: ill-formed ticket requests are refused
// before the matchmaking service sees them, naming the member.
func TestMatchmakingTicketRefusals(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	for _, r := range ticketRefusals() {
		t.Run(r.name, func(t *testing.T) { wantMMRefused(t, c, r) })
	}
}

// TestMatchmakingOperationsNeedTheService: a control plane without a
// matchmaking service does not answer the operations at all.
func TestMatchmakingOperationsNeedTheService(t *testing.T) {
	n := startNode(t, "")
	control, err := api.New(api.Config{Insecure: true, Fleets: n.Fleets(), Placements: n.Placements()})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range control.Operations() {
		if strings.Contains(op, "Match") {
			t.Errorf("answers %s without a matchmaking service", op)
		}
	}
	srv := httptest.NewServer(control)
	t.Cleanup(srv.Close)
	for _, p := range protocols {
		body := encodeFor(t, p, map[string]any{})
		resp := doRaw(t, newProtocolRequest(t, srv.URL, p, "DescribeMatchmakingRuleSets", body), p)
		wantErrorResponse(t, p, resp, http.StatusBadRequest, "UnknownOperationException", "DescribeMatchmakingRuleSets")
	}
}

// mmParityScript walks the rule set and configuration operations for
// TestMatchmakingCodecParity.
var mmParityScript = []parityStep{
	{op: "CreateLocation", in: map[string]any{"LocationName": "custom-eu-west"}},
	{op: "CreateFleet", in: map[string]any{"Name": "arena", "ComputeType": "ANYWHERE", "Locations": []any{map[string]any{"Location": "custom-eu-west"}}},
		save: map[string]string{"fleetArn": "FleetAttributes.FleetArn"}},
	{op: "CreateGameSessionQueue", in: map[string]any{"Name": "arena-main", "Destinations": []any{map[string]any{"DestinationArn": "$fleetArn"}}},
		save: map[string]string{"queueArn": "GameSessionQueue.GameSessionQueueArn"}},
	{op: "CreateNotificationTarget", in: map[string]any{"Name": "mm-hook", "Endpoint": "http://127.0.0.1:1/events", "Secret": "0123456789abcdef"}},
	{op: "ValidateMatchmakingRuleSet", in: map[string]any{"RuleSetBody": ruleSetDuel}},
	{op: "ValidateMatchmakingRuleSet", in: map[string]any{"RuleSetBody": ruleSetBroken}, code: "InvalidRequestException", label: "broken"},
	{op: "CreateMatchmakingRuleSet", in: map[string]any{"Name": "sun-vs-moon", "RuleSetBody": ruleSetDuel, "Tags": []any{map[string]any{"Key": "k", "Value": "v"}}}},
	{op: "CreateMatchmakingRuleSet", in: map[string]any{"Name": "brawl", "RuleSetBody": ruleSetBrawl}, label: "second"},
	{op: "CreateMatchmakingRuleSet", in: map[string]any{"Name": "brawl", "RuleSetBody": ruleSetBrawl}, code: "InvalidRequestException", label: "twice"},
	{op: "DescribeMatchmakingRuleSets", in: map[string]any{"Limit": 1}, save: map[string]string{"rsPage": "NextToken"}},
	{op: "DescribeMatchmakingRuleSets", in: map[string]any{"Limit": 1, "NextToken": "$rsPage"}, label: "page 2"},
	{op: "DescribeMatchmakingRuleSets", in: map[string]any{"Names": []any{"nowhere"}}, code: "NotFoundException", label: "unknown"},
	{op: "CreateMatchmakingConfiguration", in: map[string]any{
		"Name": "duel-ranked", "Description": "ranked", "RuleSetName": "sun-vs-moon", "GameSessionQueueArns": []any{"$queueArn"},
		"RequestTimeoutSeconds": 120, "AcceptanceRequired": true, "AcceptanceTimeoutSeconds": 30, "AdditionalPlayerCount": 2,
		"BackfillMode": "AUTOMATIC", "FlexMatchMode": "WITH_QUEUE", "GameProperties": []any{map[string]any{"Key": "mode", "Value": "ranked"}},
		"GameSessionData": "map=ruins", "CustomEventData": "tier=gold", "NotificationTarget": "mm-hook",
		"Tags": []any{map[string]any{"Key": "team", "Value": "ops"}},
	}},
	{op: "CreateMatchmakingConfiguration", in: map[string]any{"Name": "brawl", "RuleSetName": "arn:rallypoint:gamelift:local::matchmakingruleset/brawl",
		"RequestTimeoutSeconds": 30, "AcceptanceRequired": false, "FlexMatchMode": "STANDALONE"}, label: "standalone"},
	{op: "CreateMatchmakingConfiguration", in: map[string]any{"Name": "x", "RuleSetName": "sun-vs-moon", "RequestTimeoutSeconds": 30, "AcceptanceRequired": false,
		"GameSessionQueueArns": []any{"$queueArn"}}, code: "InvalidRequestException", label: "timeout before expansions"},
	{op: "DescribeMatchmakingConfigurations", in: map[string]any{}},
	{op: "DescribeMatchmakingConfigurations", in: map[string]any{"RuleSetName": "brawl", "Names": []any{"brawl", "duel-ranked", "nowhere"}}, label: "filtered"},
	{op: "UpdateMatchmakingConfiguration", in: map[string]any{"Name": "duel-ranked", "GameProperties": []any{}, "AcceptanceRequired": false, "NotificationTarget": ""}},
	{op: "UpdateMatchmakingConfiguration", in: map[string]any{"Name": "brawl", "BackfillMode": "AUTOMATIC"}, code: "InvalidRequestException", label: "standalone automatic"},
	{op: "DeleteMatchmakingRuleSet", in: map[string]any{"Name": "brawl"}, code: "InvalidRequestException", label: "in use"},
	{op: "DeleteMatchmakingConfiguration", in: map[string]any{"Name": "arn:rallypoint:gamelift:local::matchmakingconfiguration/brawl"}},
	{op: "DeleteMatchmakingRuleSet", in: map[string]any{"Name": "brawl"}, label: "unused"},
	{op: "DeleteMatchmakingConfiguration", in: map[string]any{"Name": "brawl"}, code: "NotFoundException", label: "twice"},
	{op: "StartMatchmaking", in: map[string]any{"ConfigurationName": "duel-ranked", "Players": []any{map[string]any{"PlayerId": "ana",
		"PlayerAttributes": map[string]any{"skill": map[string]any{"N": 10, "S": "ten"}}}}}, code: "InvalidRequestException", label: "two values"},
	{op: "DescribeMatchmakingConfigurations", in: map[string]any{}, label: "at the end"},
	{op: "DescribeMatchmakingRuleSets", in: map[string]any{}, label: "at the end"},
}

// TestMatchmakingCodecParity runs mmParityScript over both protocols, as
// TestCodecParity does its own script.
func TestMatchmakingCodecParity(t *testing.T) {
	checkCodecParity(t, mmParityScript)
}

// TestAWSCLIMatchmaking drives rule sets and configurations with the aws
// CLI over AWS JSON 1.1.
func TestAWSCLIMatchmaking(t *testing.T) {
	t.Parallel()
	n := startNode(t, "")
	cli := newAWSCLI(t, n)
	cli.ok("create-location", "--location-name", "custom-home-lab")
	fleetArn := str(t, cli.ok("create-fleet", "--name", "arena", "--compute-type", "ANYWHERE", "--locations", "Location=custom-home-lab"), "FleetAttributes.FleetArn")
	queueArn := str(t, cli.ok("create-game-session-queue", "--name", "arena-main", "--destinations", "DestinationArn="+fleetArn), "GameSessionQueue.GameSessionQueueArn")

	if v := cli.ok("validate-matchmaking-rule-set", "--rule-set-body", ruleSetHunt); v["Valid"] != true {
		t.Errorf("validate-matchmaking-rule-set printed %v", v)
	}
	_, stderr, code := cli.run(nil, "validate-matchmaking-rule-set", "--rule-set-body", ruleSetBroken)
	if code == 0 || !strings.Contains(stderr, "InvalidRequestException") || !strings.Contains(stderr, "teams[0].minPlayers") {
		t.Errorf("an invalid rule set: exit %d, stderr %q", code, stderr)
	}
	rs := cli.ok("create-matchmaking-rule-set", "--name", "the.hunt", "--rule-set-body", ruleSetHunt, "--tags", "Key=team,Value=ops")
	wantJSON(t, rs, "RuleSet.RuleSetArn", ruleSetARNPrefix+"the.hunt")
	wantJSON(t, rs, "RuleSet.RuleSetBody", ruleSetHunt)
	cliTime(t, mustLookup(t, rs, "RuleSet.CreationTime"))
	d := cli.ok("describe-matchmaking-rule-sets", "--names", "the.hunt")
	wantJSON(t, d, "RuleSets", []any{rs["RuleSet"]})

	cfg := cli.ok("create-matchmaking-configuration", "--name", "hunt-ranked", "--rule-set-name", "the.hunt",
		"--game-session-queue-arns", queueArn, "--request-timeout-seconds", "90", "--acceptance-required", "--acceptance-timeout-seconds", "20",
		"--backfill-mode", "AUTOMATIC", "--game-properties", "Key=mode,Value=hunt", "--game-session-data", "map=swamp",
		"--custom-event-data", "tier=gold", "--description", "the hunt, ranked")
	for path, want := range map[string]any{
		"Configuration.ConfigurationArn": configARNPrefix + "hunt-ranked", "Configuration.RuleSetArn": ruleSetARNPrefix + "the.hunt",
		"Configuration.GameSessionQueueArns": []any{queueArn}, "Configuration.RequestTimeoutSeconds": float64(90),
		"Configuration.AcceptanceRequired": true, "Configuration.AcceptanceTimeoutSeconds": float64(20), "Configuration.AdditionalPlayerCount": float64(0),
		"Configuration.BackfillMode": "AUTOMATIC", "Configuration.FlexMatchMode": "WITH_QUEUE",
		"Configuration.GameProperties": []any{map[string]any{"Key": "mode", "Value": "hunt"}}, "Configuration.GameSessionData": "map=swamp",
		"Configuration.CustomEventData": "tier=gold", "Configuration.Description": "the hunt, ranked",
	} {
		wantJSON(t, cfg, path, want)
	}
	if l := cli.ok("describe-matchmaking-configurations", "--rule-set-name", "the.hunt"); fmt.Sprint(l["Configurations"]) != fmt.Sprint([]any{cfg["Configuration"]}) {
		t.Errorf("describe-matchmaking-configurations printed %v", l)
	}
	u := cli.ok("update-matchmaking-configuration", "--name", configARNPrefix+"hunt-ranked", "--no-acceptance-required", "--game-properties", "[]",
		"--flex-match-mode", "STANDALONE", "--game-session-queue-arns", "[]", "--backfill-mode", "MANUAL")
	wantJSON(t, u, "Configuration.FlexMatchMode", "STANDALONE")
	wantJSON(t, u, "Configuration.AcceptanceRequired", false)
	for _, gone := range []string{"Configuration.GameProperties", "Configuration.GameSessionQueueArns.0"} {
		if _, ok := jsonAt(u, gone); ok {
			t.Errorf("%s not cleared: %v", gone, u)
		}
	}
	_, stderr, code = cli.run(nil, "delete-matchmaking-rule-set", "--name", "the.hunt")
	if code == 0 || !strings.Contains(stderr, "InvalidRequestException") || !strings.Contains(stderr, "hunt-ranked") {
		t.Errorf("deleting a rule set in use: exit %d, stderr %q", code, stderr)
	}
	_, stderr, code = cli.run(nil, "create-matchmaking-configuration", "--name", "x", "--rule-set-name", "the.hunt", "--request-timeout-seconds", "10",
		"--no-acceptance-required", "--game-session-queue-arns", queueArn)
	if code == 0 || !strings.Contains(stderr, "InvalidRequestException") || !strings.Contains(stderr, "RequestTimeoutSeconds") {
		t.Errorf("a timeout shorter than the expansions: exit %d, stderr %q", code, stderr)
	}
	for _, args := range [][]string{{"delete-matchmaking-configuration", "--name", "hunt-ranked"}, {"delete-matchmaking-rule-set", "--name", "the.hunt"}} {
		if _, stderr, code := cli.run(nil, args...); code != 0 {
			t.Fatalf("%s exited %d: %s", args[0], code, stderr)
		}
	}
	if l := cli.ok("describe-matchmaking-rule-sets"); len(l["RuleSets"].([]any)) != 0 {
		t.Errorf("after delete: %v", l)
	}
}

// ruleSetKinds declares an attribute of each type, for tickets that carry
// every kind of value.
const ruleSetKinds = `{"ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number"}, {"name": "role", "type": "string"},
    {"name": "maps", "type": "string_list"}, {"name": "weights", "type": "string_number_map"}],
  "teams": [{"name": "all", "minPlayers": 4, "maxPlayers": 4}]}`

// playersString renders a ticket's players with every member, in a fixed
// order.
func playersString(ps []types.Player) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "[%s team=%s", aws.ToString(p.PlayerId), aws.ToString(p.Team))
		for _, k := range slices.Sorted(maps.Keys(p.PlayerAttributes)) {
			v := p.PlayerAttributes[k]
			fmt.Fprintf(&b, " %s=S:%s/N:%s/SL:%v/SDM:%v", k, ptrString(v.S), ptrString(v.N), v.SL, v.SDM)
		}
		for _, k := range slices.Sorted(maps.Keys(p.LatencyInMs)) {
			fmt.Fprintf(&b, " %s:%dms", k, p.LatencyInMs[k])
		}
		b.WriteString("]")
	}
	return b.String()
}

// TestMatchmakingTicketMembers: a ticket's players come back as they were
// sent, every kind of attribute value and latency included, through the
// SDK (RPC v2 CBOR) and in AWS JSON 1.1 alike.
func TestMatchmakingTicketMembers(t *testing.T) {
	n := startNode(t, "")
	c := n.sdk()
	ctx := context.Background()
	if _, err := c.CreateMatchmakingRuleSet(ctx, &gamelift.CreateMatchmakingRuleSetInput{Name: aws.String("kinds"), RuleSetBody: aws.String(ruleSetKinds)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateMatchmakingConfiguration(ctx, &gamelift.CreateMatchmakingConfigurationInput{
		Name: aws.String("kinds"), RuleSetName: aws.String("kinds"), RequestTimeoutSeconds: aws.Int32(600),
		AcceptanceRequired: aws.Bool(false), FlexMatchMode: types.FlexMatchModeStandalone,
	}); err != nil {
		t.Fatal(err)
	}
	party := []types.Player{{
		PlayerId: aws.String("ana"),
		PlayerAttributes: map[string]types.AttributeValue{
			"skill": {N: aws.Float64(23.5)}, "role": {S: aws.String("medic")},
			"maps": {SL: []string{"ruins", "swamp"}}, "weights": {SDM: map[string]float64{"ruins": 0.75, "swamp": 2}},
		},
		LatencyInMs: map[string]int32{"custom-eu-west": 40, "custom-us-east": 95},
	}, {
		PlayerId:         aws.String("ben"),
		PlayerAttributes: map[string]types.AttributeValue{"skill": {N: aws.Float64(-1)}, "role": {S: aws.String("tank")}, "maps": {SL: []string{"ruins"}}, "weights": {SDM: map[string]float64{"swamp": 1}}},
		LatencyInMs:      map[string]int32{"custom-eu-west": 1},
	}}
	want := "[ana team= maps=S:nil/N:nil/SL:[ruins swamp]/SDM:map[] role=S:medic/N:nil/SL:[]/SDM:map[] skill=S:nil/N:23.5/SL:[]/SDM:map[]" +
		" weights=S:nil/N:nil/SL:[]/SDM:map[ruins:0.75 swamp:2] custom-eu-west:40ms custom-us-east:95ms]" +
		"[ben team= maps=S:nil/N:nil/SL:[ruins]/SDM:map[] role=S:tank/N:nil/SL:[]/SDM:map[] skill=S:nil/N:-1/SL:[]/SDM:map[] weights=S:nil/N:nil/SL:[]/SDM:map[swamp:1] custom-eu-west:1ms]"

	started, err := c.StartMatchmaking(ctx, &gamelift.StartMatchmakingInput{TicketId: aws.String("party.1"), ConfigurationName: aws.String(configARNPrefix + "kinds"), Players: party})
	if err != nil {
		t.Fatal(err)
	}
	tk := started.MatchmakingTicket
	if aws.ToString(tk.TicketId) != "party.1" || aws.ToString(tk.ConfigurationName) != "kinds" || aws.ToString(tk.ConfigurationArn) != configARNPrefix+"kinds" ||
		tk.StartTime == nil || tk.EndTime != nil || tk.GameSessionConnectionInfo != nil {
		t.Errorf("started %+v", tk)
	}
	if tk.Status != types.MatchmakingConfigurationStatusQueued && tk.Status != types.MatchmakingConfigurationStatusSearching {
		t.Errorf("a new ticket is %s", tk.Status)
	}
	if got := playersString(tk.Players); got != want {
		t.Errorf("started players:\n got %s\nwant %s", got, want)
	}
	described, err := c.DescribeMatchmaking(ctx, &gamelift.DescribeMatchmakingInput{TicketIds: []string{"party.1", "nowhere"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(described.TicketList) != 1 || playersString(described.TicketList[0].Players) != want {
		t.Fatalf("described %+v", described.TicketList)
	}
	// The same ticket in AWS JSON 1.1: numbers as JSON numbers, lists and
	// maps as JSON arrays and objects.
	resp := n.call(t, protoJSON, "DescribeMatchmaking", map[string]any{"TicketIds": []any{"party.1"}})
	wantJSON(t, resp.Body, "TicketList.0.Players.0.PlayerAttributes", map[string]any{
		"skill": map[string]any{"N": 23.5}, "role": map[string]any{"S": "medic"},
		"maps": map[string]any{"SL": []any{"ruins", "swamp"}}, "weights": map[string]any{"SDM": map[string]any{"ruins": 0.75, "swamp": float64(2)}},
	})
	wantJSON(t, resp.Body, "TicketList.0.Players.0.LatencyInMs", map[string]any{"custom-eu-west": float64(40), "custom-us-east": float64(95)})

	// Nothing to accept while the ticket is searching: GameLift's
	// AcceptMatch answers InvalidRequestException.
	_, err = c.AcceptMatch(ctx, &gamelift.AcceptMatchInput{TicketId: aws.String("party.1"), PlayerIds: []string{"ana"}, AcceptanceType: types.AcceptanceTypeAccept})
	wantAPIError[*types.InvalidRequestException](t, err)
	_, err = c.AcceptMatch(ctx, &gamelift.AcceptMatchInput{TicketId: aws.String("nowhere"), PlayerIds: []string{"ana"}, AcceptanceType: types.AcceptanceTypeAccept})
	wantAPIError[*types.NotFoundException](t, err)

	if _, err := c.StopMatchmaking(ctx, &gamelift.StopMatchmakingInput{TicketId: aws.String("party.1")}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := c.DescribeMatchmaking(ctx, &gamelift.DescribeMatchmakingInput{TicketIds: []string{"party.1"}})
		if err != nil {
			t.Fatal(err)
		}
		if tk := out.TicketList[0]; tk.Status == types.MatchmakingConfigurationStatusCancelled {
			if tk.EndTime == nil || playersString(tk.Players) != want {
				t.Errorf("cancelled %+v", tk)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ticket still %s after StopMatchmaking", out.TicketList[0].Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
