package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rallypoint/rallypoint/internal/loadgen"
	"github.com/rallypoint/rallypoint/internal/node"
	"github.com/rallypoint/rallypoint/internal/sigv4"
)

func newLoadgenCmd() *cobra.Command {
	var (
		o         loadgen.Options
		accessKey string
		dataDir   string
		ruleSet   string
	)
	cmd := &cobra.Command{
		Use:   "loadgen",
		Short: "Drive a running rallypoint with simulated players through the whole flow, and measure it",
		Long: `Drive a running rallypoint (rallypoint serve) with simulated players through the
whole flow: each player gets a token from the identity pool (as a developer
identity, vouched for by loadgen as a studio's backend would), opens a player
socket, asks for a match with its latency to each location, waits for the
pushed MatchmakingSucceeded, and presents its player session id to the game
server named in it, which accepts it through the server SDK. The game servers
run inside loadgen as server SDK processes of an Anywhere fleet.

loadgen creates what it needs through the control plane (locations, a fleet
with a compute per location, a queue, a rule set of two teams, a matchmaking
configuration, an identity pool), named after --prefix, and reuses them on
later runs.

It prints a progress line each second and, at the end, a table: players
matched per second, the time from request (startMatchmaking) to push
(MatchmakingSucceeded) at p50, p90, p99 and max, errors by kind, and the
server's CPU and memory read from its /metrics. The request-to-push time
includes the matchmaker's cycle (serve --matchmaking-interval).`,
		Example: `  rallypoint loadgen --players 2000 --rate 200
  rallypoint loadgen --players 20000 --rate 2000 --team-size 5 --servers 200 --access-key ID:SECRET`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := loadgenKey(accessKey, dataDir)
			if err != nil {
				return err
			}
			o.AccessKey = key
			if ruleSet != "" {
				b, err := os.ReadFile(ruleSet)
				if err != nil {
					return fmt.Errorf("--rule-set: %w", err)
				}
				o.RuleSet = string(b)
			}
			o.Out = cmd.OutOrStdout()
			r, err := loadgen.Run(cmd.Context(), o)
			if err != nil {
				return err
			}
			r.Print(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Endpoint, "endpoint", "http://127.0.0.1:7400", "rallypoint's public listener")
	f.StringVar(&o.Admin, "admin", "http://127.0.0.1:7401", "rallypoint's admin listener (control plane, /metrics)")
	f.StringVar(&accessKey, "access-key", "", "control-plane access key as ID:SECRET (default: RALLYPOINT_ACCESS_KEYS, then the key serve stored in --data-dir)")
	f.StringVar(&dataDir, "data-dir", "./rallypoint-data", "where serve keeps its generated access key")
	f.IntVar(&o.Players, "players", 1000, "how many players arrive")
	f.Float64Var(&o.Rate, "rate", 200, "players arriving per second")
	f.IntVar(&o.TeamSize, "team-size", 2, "players per team; the rule set has two teams and no other rule")
	f.StringVar(&ruleSet, "rule-set", "", "a FlexMatch rule set file to use instead of the two-team one")
	f.IntVar(&o.Locations, "locations", 2, "custom locations of the fleet; each player has a random latency to each")
	f.IntVar(&o.Servers, "servers", 50, "game server processes per location, each hosting one game at a time")
	f.DurationVar(&o.Wait, "wait", 2*time.Minute, "how long a player waits for its match")
	f.StringVar(&o.Prefix, "prefix", "loadgen", "name of what loadgen creates")
	return cmd
}

// loadgenKey finds the control-plane key: the flag, the environment, or
// the key serve generated in its data directory.
func loadgenKey(flag, dataDir string) (sigv4.Credentials, error) {
	if flag != "" {
		k, err := node.ParseAccessKey(flag)
		if err != nil {
			return k, fmt.Errorf("--access-key: %w", err)
		}
		return k, nil
	}
	if v := os.Getenv("RALLYPOINT_ACCESS_KEYS"); v != "" {
		first, _, _ := strings.Cut(v, ",")
		k, err := node.ParseAccessKey(first)
		if err != nil {
			return k, fmt.Errorf("RALLYPOINT_ACCESS_KEYS: %w", err)
		}
		return k, nil
	}
	b, err := os.ReadFile(filepath.Join(dataDir, node.AccessKeyFile))
	if errors.Is(err, os.ErrNotExist) {
		// A server run with --insecure-dev takes unsigned calls.
		return sigv4.Credentials{}, nil
	}
	if err != nil {
		return sigv4.Credentials{}, fmt.Errorf("read the access key: %w", err)
	}
	return node.ParseAccessKey(string(b))
}
