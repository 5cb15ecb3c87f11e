package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/gamelift"
	"github.com/aws/aws-sdk-go-v2/service/gamelift/types"

	"github.com/rallypoint/rallypoint/internal/identity"
	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/sigv4"
	"github.com/rallypoint/rallypoint/sdk/beacon"
)

// The demo setup: what `serve --demo` creates (once; a restart finds it),
// so that arena servers and bots can walk the whole flow at once.
const (
	demoPool          = "demo"
	demoFleet         = "demo"
	demoQueue         = "demo"
	demoRuleSet       = "demo-2v2"
	demoConfiguration = "demo-2v2"
)

// demoLocations are the demo's two custom locations and their computes.
var demoLocations = []struct{ location, compute string }{
	{"custom-demo-east", "demo-east"},
	{"custom-demo-west", "demo-west"},
}

// demoRules is two teams of two of similar average skill.
const demoRules = `{
  "ruleLanguageVersion": "1.0",
  "playerAttributes": [{"name": "skill", "type": "number", "default": 10}],
  "teams": [{"name": "red", "minPlayers": 2, "maxPlayers": 2},
            {"name": "blue", "minPlayers": 2, "maxPlayers": 2}],
  "rules": [{"name": "FairTeams", "type": "distance",
             "measurements": ["avg(teams[*].players.attributes[skill])"],
             "referenceValue": "avg(flatten(teams[*].players.attributes[skill]))",
             "maxDistance": 10}]
}`

// demo is what the setup made, for printing.
type demo struct {
	pool, fleet, endpoint string
	beacons               []string // one per location, in demoLocations' order
	tokens                []string // one per compute
}

// startDemoBeacons binds one UDP ping beacon per demo location and serves
// them until ctx ends.
func startDemoBeacons(ctx context.Context, addrs []string) ([]string, error) {
	if len(addrs) != len(demoLocations) {
		return nil, fmt.Errorf("--demo-beacons: give %d addresses, one per demo location", len(demoLocations))
	}
	var bound []string
	var conns []net.PacketConn
	for _, a := range addrs {
		pc, err := net.ListenPacket("udp", a)
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			return nil, fmt.Errorf("--demo-beacons: %w", err)
		}
		conns = append(conns, pc)
		bound = append(bound, pc.LocalAddr().String())
	}
	for _, pc := range conns {
		go func() {
			defer pc.Close()
			_ = beacon.Serve(ctx, pc)
		}()
	}
	return bound, nil
}

// setupDemo creates, through the control plane as any client would, what
// the demo needs, reusing what a previous start created.
func setupDemo(ctx context.Context, n *node.Node, key *sigv4.Credentials, beacons []string) (demo, error) {
	opts := gamelift.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + n.AdminAddr()), Credentials: aws.AnonymousCredentials{}}
	if key != nil {
		opts.Credentials = credentials.NewStaticCredentialsProvider(key.AccessKeyID, key.SecretAccessKey, "")
	}
	gl := gamelift.New(opts)
	d := demo{endpoint: n.Fleets().ServiceSDKEndpoint(), beacons: beacons}

	var locs []types.LocationConfiguration
	for i, l := range demoLocations {
		_, err := gl.CreateLocation(ctx, &gamelift.CreateLocationInput{
			LocationName: aws.String(l.location),
			Tags:         []types.Tag{{Key: aws.String("rallypoint:ping-beacon"), Value: aws.String(beacons[i])}},
		})
		var conflict *types.ConflictException
		if err != nil && !errors.As(err, &conflict) {
			return d, fmt.Errorf("demo location %s: %w", l.location, err)
		}
		locs = append(locs, types.LocationConfiguration{Location: aws.String(l.location)})
	}

	fleetID, fleetARN, err := demoFindFleet(ctx, gl)
	if err != nil {
		return d, err
	}
	if fleetID == "" {
		out, err := gl.CreateFleet(ctx, &gamelift.CreateFleetInput{
			Name: aws.String(demoFleet), ComputeType: types.ComputeTypeAnywhere, Locations: locs,
			Description: aws.String("rallypoint serve --demo"),
		})
		if err != nil {
			return d, fmt.Errorf("demo fleet: %w", err)
		}
		fleetID, fleetARN = aws.ToString(out.FleetAttributes.FleetId), aws.ToString(out.FleetAttributes.FleetArn)
	}
	d.fleet = fleetID

	for _, l := range demoLocations {
		if _, err := gl.DescribeCompute(ctx, &gamelift.DescribeComputeInput{FleetId: aws.String(fleetID), ComputeName: aws.String(l.compute)}); err != nil {
			var nf *types.NotFoundException
			if !errors.As(err, &nf) {
				return d, fmt.Errorf("demo compute %s: %w", l.compute, err)
			}
			if _, err := gl.RegisterCompute(ctx, &gamelift.RegisterComputeInput{
				FleetId: aws.String(fleetID), ComputeName: aws.String(l.compute), IpAddress: aws.String("127.0.0.1"), Location: aws.String(l.location),
			}); err != nil {
				return d, fmt.Errorf("demo compute %s: %w", l.compute, err)
			}
		}
		tok, err := gl.GetComputeAuthToken(ctx, &gamelift.GetComputeAuthTokenInput{FleetId: aws.String(fleetID), ComputeName: aws.String(l.compute)})
		if err != nil {
			return d, fmt.Errorf("demo compute %s token: %w", l.compute, err)
		}
		d.tokens = append(d.tokens, aws.ToString(tok.AuthToken))
	}

	queues, err := gl.DescribeGameSessionQueues(ctx, &gamelift.DescribeGameSessionQueuesInput{Names: []string{demoQueue}})
	if err != nil {
		return d, fmt.Errorf("demo queue: %w", err)
	}
	queueARN := ""
	if len(queues.GameSessionQueues) > 0 {
		queueARN = aws.ToString(queues.GameSessionQueues[0].GameSessionQueueArn)
	} else {
		out, err := gl.CreateGameSessionQueue(ctx, &gamelift.CreateGameSessionQueueInput{
			Name:         aws.String(demoQueue),
			Destinations: []types.GameSessionQueueDestination{{DestinationArn: aws.String(fleetARN)}},
		})
		if err != nil {
			return d, fmt.Errorf("demo queue: %w", err)
		}
		queueARN = aws.ToString(out.GameSessionQueue.GameSessionQueueArn)
	}

	if _, err := gl.DescribeMatchmakingRuleSets(ctx, &gamelift.DescribeMatchmakingRuleSetsInput{Names: []string{demoRuleSet}}); err != nil {
		var nf *types.NotFoundException
		if !errors.As(err, &nf) {
			return d, fmt.Errorf("demo rule set: %w", err)
		}
		if _, err := gl.CreateMatchmakingRuleSet(ctx, &gamelift.CreateMatchmakingRuleSetInput{Name: aws.String(demoRuleSet), RuleSetBody: aws.String(demoRules)}); err != nil {
			return d, fmt.Errorf("demo rule set: %w", err)
		}
	}
	configs, err := gl.DescribeMatchmakingConfigurations(ctx, &gamelift.DescribeMatchmakingConfigurationsInput{Names: []string{demoConfiguration}})
	if err != nil {
		return d, fmt.Errorf("demo configuration: %w", err)
	}
	if len(configs.Configurations) == 0 {
		if _, err := gl.CreateMatchmakingConfiguration(ctx, &gamelift.CreateMatchmakingConfigurationInput{
			Name: aws.String(demoConfiguration), RuleSetName: aws.String(demoRuleSet),
			RequestTimeoutSeconds: aws.Int32(120), AcceptanceRequired: aws.Bool(false),
			FlexMatchMode: types.FlexMatchModeWithQueue, GameSessionQueueArns: []string{queueARN},
			BackfillMode: types.BackfillModeManual,
		}); err != nil {
			return d, fmt.Errorf("demo configuration: %w", err)
		}
	}

	d.pool, err = demoIdentityPool(ctx, n.Identities())
	return d, err
}

// demoFindFleet finds the demo fleet by name.
func demoFindFleet(ctx context.Context, gl *gamelift.Client) (id, arn string, err error) {
	list, err := gl.ListFleets(ctx, &gamelift.ListFleetsInput{})
	if err != nil {
		return "", "", fmt.Errorf("demo fleet: %w", err)
	}
	if len(list.FleetIds) == 0 {
		return "", "", nil
	}
	attrs, err := gl.DescribeFleetAttributes(ctx, &gamelift.DescribeFleetAttributesInput{FleetIds: list.FleetIds})
	if err != nil {
		return "", "", fmt.Errorf("demo fleet: %w", err)
	}
	for _, f := range attrs.FleetAttributes {
		if aws.ToString(f.Name) == demoFleet {
			return aws.ToString(f.FleetId), aws.ToString(f.FleetArn), nil
		}
	}
	return "", "", nil
}

// demoIdentityPool finds or creates the demo's identity pool, which
// allows guests.
func demoIdentityPool(ctx context.Context, ids *identity.Service) (string, error) {
	next := ""
	for {
		pools, token, err := ids.ListPools(ctx, 60, next)
		if err != nil {
			return "", fmt.Errorf("demo identity pool: %w", err)
		}
		for _, p := range pools {
			if p.Name == demoPool {
				return p.ID, nil
			}
		}
		if token == "" {
			break
		}
		next = token
	}
	p, err := ids.CreatePool(ctx, identity.PoolInput{Name: demoPool, AllowUnauthenticatedIdentities: true})
	if err != nil {
		return "", fmt.Errorf("demo identity pool: %w", err)
	}
	return p.ID, nil
}

// print tells the user how to run game servers and bots against the demo.
func (d demo) print(w io.Writer, public string) {
	var b strings.Builder
	fmt.Fprintf(&b, "\ndemo ready: identity pool %s, matchmaking configuration %s (2 versus 2), fleet %s\n", d.pool, demoConfiguration, d.fleet)
	for i, l := range demoLocations {
		fmt.Fprintf(&b, "  location %s: compute %s, ping beacon udp %s\n", l.location, l.compute, d.beacons[i])
	}
	fmt.Fprintf(&b, "\nStart two arena game servers per location. Each hosts one game and then exits, as a GameLift\n"+
		"server process does: start them again before the bots play again. Their tokens last\n"+
		"--compute-token-ttl; restart serve for new ones.\n\n")
	port := 7781
	for i, l := range demoLocations {
		for range 2 {
			fmt.Fprintf(&b, "  go run ./examples/arena --endpoint %s --fleet %s --compute %s --token %s --listen 127.0.0.1:%d &\n",
				d.endpoint, d.fleet, l.compute, d.tokens[i], port)
			port++
		}
	}
	fmt.Fprintf(&b, "\nThen let eight bots play:\n\n  go run ./examples/arena/bot --endpoint http://%s --pool %s --configuration %s --bots 8\n\n", public, d.pool, demoConfiguration)
	fmt.Fprint(w, b.String())
}
