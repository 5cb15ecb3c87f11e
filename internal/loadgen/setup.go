package loadgen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentity"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"
)

// env is what the load runs against.
type env struct {
	gl        *gamelift.Client
	cognito   *cognitoidentity.Client
	pool      string
	provider  string // the pool's developer provider name
	config    string
	fleetID   string
	endpoint  string // the server SDK endpoint
	locations []string
	computes  []string // one per location
	tokens    []string // the computes' auth tokens
}

// setup creates (or finds, from an earlier run) the locations, the fleet
// with a compute per location, the queue, the rule set, the matchmaking
// configuration and the identity pool, through the control plane.
func setup(ctx context.Context, o Options) (*env, error) {
	var creds aws.CredentialsProvider = aws.AnonymousCredentials{}
	if o.AccessKey.AccessKeyID != "" {
		creds = credentials.NewStaticCredentialsProvider(o.AccessKey.AccessKeyID, o.AccessKey.SecretAccessKey, "")
	}
	e := &env{
		gl: gamelift.New(gamelift.Options{Region: "us-east-1", BaseEndpoint: aws.String(o.Admin), Credentials: creds, HTTPClient: o.HTTPClient}),
		cognito: cognitoidentity.New(cognitoidentity.Options{Region: "us-east-1", BaseEndpoint: aws.String(o.Admin), Credentials: creds,
			HTTPClient: o.HTTPClient, RetryMaxAttempts: 5}),
		provider: o.Prefix + ".rallypoint",
		config:   o.Prefix,
	}
	var locs []types.LocationConfiguration
	for i := range o.Locations {
		name := fmt.Sprintf("custom-%s-%d", o.Prefix, i+1)
		_, err := e.gl.CreateLocation(ctx, &gamelift.CreateLocationInput{LocationName: aws.String(name)})
		var conflict *types.ConflictException
		if err != nil && !errors.As(err, &conflict) {
			return nil, fmt.Errorf("create location %s: %w", name, err)
		}
		e.locations = append(e.locations, name)
		e.computes = append(e.computes, fmt.Sprintf("%s-%d", o.Prefix, i+1))
		locs = append(locs, types.LocationConfiguration{Location: aws.String(name)})
	}

	fleetARN, err := e.fleet(ctx, o.Prefix, locs)
	if err != nil {
		return nil, err
	}
	for i, compute := range e.computes {
		_, err := e.gl.RegisterCompute(ctx, &gamelift.RegisterComputeInput{
			FleetId: aws.String(e.fleetID), ComputeName: aws.String(compute), IpAddress: aws.String("127.0.0.1"), Location: aws.String(e.locations[i]),
		})
		var conflict *types.ConflictException
		if err != nil && !errors.As(err, &conflict) {
			return nil, fmt.Errorf("register compute %s: %w", compute, err)
		}
		c, err := e.gl.DescribeCompute(ctx, &gamelift.DescribeComputeInput{FleetId: aws.String(e.fleetID), ComputeName: aws.String(compute)})
		if err != nil {
			return nil, fmt.Errorf("describe compute %s: %w", compute, err)
		}
		e.endpoint = aws.ToString(c.Compute.GameLiftServiceSdkEndpoint)
		tok, err := e.gl.GetComputeAuthToken(ctx, &gamelift.GetComputeAuthTokenInput{FleetId: aws.String(e.fleetID), ComputeName: aws.String(compute)})
		if err != nil {
			return nil, fmt.Errorf("compute %s token: %w", compute, err)
		}
		e.tokens = append(e.tokens, aws.ToString(tok.AuthToken))
	}

	queues, err := e.gl.DescribeGameSessionQueues(ctx, &gamelift.DescribeGameSessionQueuesInput{Names: []string{o.Prefix}})
	if err != nil {
		return nil, fmt.Errorf("describe queue: %w", err)
	}
	queueARN := ""
	if len(queues.GameSessionQueues) > 0 {
		queueARN = aws.ToString(queues.GameSessionQueues[0].GameSessionQueueArn)
	} else {
		q, err := e.gl.CreateGameSessionQueue(ctx, &gamelift.CreateGameSessionQueueInput{
			Name: aws.String(o.Prefix), Destinations: []types.GameSessionQueueDestination{{DestinationArn: aws.String(fleetARN)}},
		})
		if err != nil {
			return nil, fmt.Errorf("create queue: %w", err)
		}
		queueARN = aws.ToString(q.GameSessionQueue.GameSessionQueueArn)
	}

	body := o.RuleSet
	if body == "" {
		body = fmt.Sprintf(`{"ruleLanguageVersion":"1.0","playerAttributes":[{"name":"skill","type":"number","default":10}],
"teams":[{"name":"red","minPlayers":%d,"maxPlayers":%d},{"name":"blue","minPlayers":%d,"maxPlayers":%d}]}`, o.TeamSize, o.TeamSize, o.TeamSize, o.TeamSize)
	}
	// The rule set's name follows its body, so a run with other rules
	// makes another configuration instead of finding a stale one.
	ruleSet := fmt.Sprintf("%s-%08x", o.Prefix, fnv32(body))
	e.config = ruleSet
	if _, err := e.gl.CreateMatchmakingRuleSet(ctx, &gamelift.CreateMatchmakingRuleSetInput{Name: aws.String(ruleSet), RuleSetBody: aws.String(body)}); err != nil {
		var conflict *types.ConflictException
		var invalid *types.InvalidRequestException
		switch {
		case errors.As(err, &conflict):
		case errors.As(err, &invalid) && strings.Contains(strings.ToLower(invalid.ErrorMessage()), "already exists"):
		default:
			return nil, fmt.Errorf("create rule set: %w", err)
		}
	}
	configs, err := e.gl.DescribeMatchmakingConfigurations(ctx, &gamelift.DescribeMatchmakingConfigurationsInput{Names: []string{e.config}})
	if err != nil {
		return nil, fmt.Errorf("describe configuration: %w", err)
	}
	if len(configs.Configurations) == 0 {
		if _, err := e.gl.CreateMatchmakingConfiguration(ctx, &gamelift.CreateMatchmakingConfigurationInput{
			Name: aws.String(e.config), RuleSetName: aws.String(ruleSet), RequestTimeoutSeconds: aws.Int32(int32(o.Wait.Seconds())),
			AcceptanceRequired: aws.Bool(false), FlexMatchMode: types.FlexMatchModeWithQueue, GameSessionQueueArns: []string{queueARN},
		}); err != nil {
			return nil, fmt.Errorf("create configuration: %w", err)
		}
	}

	if e.pool, err = e.identityPool(ctx, o.Prefix); err != nil {
		return nil, err
	}
	return e, nil
}

// fleet finds the fleet called name, or creates it.
func (e *env) fleet(ctx context.Context, name string, locs []types.LocationConfiguration) (arn string, err error) {
	list, err := e.gl.ListFleets(ctx, &gamelift.ListFleetsInput{})
	if err != nil {
		return "", fmt.Errorf("list fleets: %w", err)
	}
	if len(list.FleetIds) > 0 {
		attrs, err := e.gl.DescribeFleetAttributes(ctx, &gamelift.DescribeFleetAttributesInput{FleetIds: list.FleetIds})
		if err != nil {
			return "", fmt.Errorf("describe fleets: %w", err)
		}
		for _, f := range attrs.FleetAttributes {
			if aws.ToString(f.Name) == name {
				e.fleetID = aws.ToString(f.FleetId)
				return aws.ToString(f.FleetArn), nil
			}
		}
	}
	out, err := e.gl.CreateFleet(ctx, &gamelift.CreateFleetInput{Name: aws.String(name), ComputeType: types.ComputeTypeAnywhere, Locations: locs})
	if err != nil {
		return "", fmt.Errorf("create fleet: %w", err)
	}
	e.fleetID = aws.ToString(out.FleetAttributes.FleetId)
	return aws.ToString(out.FleetAttributes.FleetArn), nil
}

// identityPool finds the pool called name, or creates it with loadgen's
// developer provider.
func (e *env) identityPool(ctx context.Context, name string) (string, error) {
	var next *string
	for {
		out, err := e.cognito.ListIdentityPools(ctx, &cognitoidentity.ListIdentityPoolsInput{MaxResults: aws.Int32(60), NextToken: next})
		if err != nil {
			return "", fmt.Errorf("list identity pools: %w", err)
		}
		for _, p := range out.IdentityPools {
			if aws.ToString(p.IdentityPoolName) == name {
				return aws.ToString(p.IdentityPoolId), nil
			}
		}
		if out.NextToken == nil {
			break
		}
		next = out.NextToken
	}
	out, err := e.cognito.CreateIdentityPool(ctx, &cognitoidentity.CreateIdentityPoolInput{
		IdentityPoolName: aws.String(name), AllowUnauthenticatedIdentities: false, DeveloperProviderName: aws.String(e.provider),
	})
	if err != nil {
		return "", fmt.Errorf("create identity pool: %w", err)
	}
	return aws.ToString(out.IdentityPoolId), nil
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// serverUsage reads the server's CPU seconds and resident memory from its
// Prometheus metrics.
func serverUsage(ctx context.Context, o Options) (cpuSeconds float64, rss int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, o.Admin+"/metrics", nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := o.HTTPClient.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("metrics: HTTP %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		switch name {
		case "process_cpu_seconds_total":
			cpuSeconds, _ = strconv.ParseFloat(value, 64)
		case "process_resident_memory_bytes":
			f, _ := strconv.ParseFloat(value, 64)
			rss = int64(f)
		}
	}
	return cpuSeconds, rss, sc.Err()
}
