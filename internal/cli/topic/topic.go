package topic

import (
	"github.com/spf13/cobra"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

// New returns the `topic` command with its subcommands.
func New() *cobra.Command {
	conn := &clikit.Conn{}
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "Create, list, describe, change and delete topics",
		Long: `Manage topics on any Kafka-compatible cluster.

Each subcommand connects to the brokers given by -b/--brokers (or the
GREGOR_BROKERS environment variable) and reports Kafka errors by name,
for example TOPIC_ALREADY_EXISTS.`,
		Example: `  gregor topic create orders -p 6 -r 3 -c retention.ms=86400000
  gregor topic list
  gregor topic describe orders
  gregor topic alter-config orders --set cleanup.policy=compact
  gregor topic add-partitions orders -p 12
  gregor topic delete orders`,
	}
	conn.AddFlags(cmd)
	cmd.AddCommand(
		newCreate(conn),
		newList(conn),
		newDescribe(conn),
		newDelete(conn),
		newAlterConfig(conn),
		newAddPartitions(conn),
	)
	return cmd
}
