package txn

import (
	"github.com/spf13/cobra"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

// New returns the `txn` command with its subcommands.
func New() *cobra.Command {
	conn := &clikit.Conn{}
	cmd := &cobra.Command{
		Use:   "txn",
		Short: "List, describe and abort transactions",
		Long: `Inspect the transactions of any Kafka-compatible cluster: which
transactional ids exist and in what state, what an open transaction has
written to, which producers hold a partition's last stable offset back, and
abort a hanging transaction whose producer is gone for good.

A read_committed consumer cannot read past the first record of an open
transaction. The coordinator aborts a transaction once its
transaction.timeout.ms has passed; "gregor txn abort" is for the rare
transaction the coordinator no longer knows (for example after its
__transaction_state was lost).

Each subcommand connects to the brokers given by -b/--brokers (or the
GREGOR_BROKERS environment variable). Kafka errors are reported by name,
for example TRANSACTIONAL_ID_NOT_FOUND.`,
		Example: `  gregor txn list
  gregor txn list --state Ongoing
  gregor txn describe payments-tx-1
  gregor txn producers orders --partition 3
  gregor txn abort --topic orders --partition 3 --start-offset 1200`,
	}
	conn.AddFlags(cmd)
	cmd.AddCommand(
		newList(conn),
		newDescribe(conn),
		newProducers(conn),
		newAbort(conn),
	)
	return cmd
}
