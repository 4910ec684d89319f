package group

import (
	"github.com/spf13/cobra"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

// New returns the `group` command with its subcommands.
func New() *cobra.Command {
	conn := &clikit.Conn{}
	cmd := &cobra.Command{
		Use:   "group",
		Short: "List, describe and manage consumer groups and their offsets",
		Long: `Inspect and manage consumer groups on any Kafka-compatible cluster:
their members, committed offsets and lag, and reset or delete offsets.

Each subcommand connects to the brokers given by -b/--brokers (or the
GREGOR_BROKERS environment variable). Kafka errors are reported by name,
for example NON_EMPTY_GROUP.`,
		Example: `  gregor group list
  gregor group describe orders-service
  gregor group lag orders-service
  gregor group reset-offsets orders-service --topic orders --to-earliest --execute
  gregor group delete-offsets orders-service --topic old-topic
  gregor group delete orders-service`,
	}
	conn.AddFlags(cmd)
	cmd.AddCommand(
		newList(conn),
		newDescribe(conn),
		newLag(conn),
		newResetOffsets(conn),
		newDelete(conn),
		newDeleteOffsets(conn),
	)
	return cmd
}
