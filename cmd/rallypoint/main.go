// Command rallypoint runs the rallypoint game backend and its tools.
//
// One binary holds every role: `rallypoint serve` runs the control plane,
// the player gateway, the matchmaker and the fleet manager over an embedded
// (or external) NATS JetStream engine; the other subcommands are offline
// tools that help a studio prepare for it.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	if err := root.ExecuteContext(ctx); err != nil {
		var exit exitError
		if errors.As(err, &exit) {
			os.Exit(exit.code)
		}
		fmt.Fprintln(os.Stderr, "rallypoint:", err)
		os.Exit(1)
	}
}

// exitError ends the process with a given code without printing anything
// more: the command has already told the user what went wrong.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "rallypoint",
		Short: "A self-hosted game backend that speaks GameLift, FlexMatch and API Gateway WebSocket protocols",
		Long: `rallypoint gets players into multiplayer game sessions: identity for game
clients, a WebSocket gateway, a FlexMatch-compatible matchmaker, latency-aware
placement on fleets of game servers, and an event stream.

Start it with "rallypoint serve"; see "rallypoint <command> --help" for each command.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newServeCmd(),
		newVersionCmd(),
		newFlexmatchCmd(),
		newLoadgenCmd(),
	)
	return root
}
