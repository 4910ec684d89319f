package cluster

import (
	"github.com/spf13/cobra"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

// New returns the `cluster` command with its subcommands.
func New() *cobra.Command {
	conn := &clikit.Conn{}
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Inspect the cluster",
		Long:  `Commands that show the cluster as a whole: its id, controller and brokers.`,
		Example: `  gregor cluster info
  gregor cluster info -b 10.0.0.1:9092,10.0.0.2:9092`,
	}
	conn.AddFlags(cmd)
	cmd.AddCommand(newInfo(conn))
	return cmd
}
