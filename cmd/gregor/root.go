package main

import (
	"github.com/spf13/cobra"

	"github.com/gregor-stream/gregor/internal/cli"
	groupcli "github.com/gregor-stream/gregor/internal/cli/group"
	txncli "github.com/gregor-stream/gregor/internal/cli/txn"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "gregor",
		Short:         "Gregor: a Kafka-compatible event-streaming platform in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd())
	root.AddCommand(cli.Commands()...)
	root.AddCommand(groupcli.New())
	root.AddCommand(txncli.New())
	return root
}
