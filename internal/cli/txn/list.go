package txn

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

func newList(conn *clikit.Conn) *cobra.Command {
	var (
		states []string
		pids   []int64
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List transactional ids with their state, producer id and coordinator",
		Long: `List every transactional id the cluster's transaction coordinators know
(asking every broker), sorted by id, with its state, producer id and the
broker coordinating it.

States: Empty (no transaction open), Ongoing, PrepareCommit, PrepareAbort,
CompleteCommit, CompleteAbort, PrepareEpochFence, Dead. --state keeps only
ids in the given states; --producer-id only the given producer ids.`,
		Example: `  gregor txn list
  gregor txn list --state Ongoing --state PrepareCommit
  gregor txn list --producer-id 4001`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			adm, err := conn.Admin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := conn.Context(cmd)
			defer cancel()
			listed, err := adm.ListTransactions(ctx, pids, states)
			if err != nil {
				return fmt.Errorf("list transactions: %w", err)
			}
			tw := clikit.NewTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "TRANSACTIONAL-ID\tSTATE\tPRODUCER-ID\tCOORDINATOR")
			for _, l := range listed.Sorted() {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", l.TxnID, l.State, l.ProducerID, l.Coordinator)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringSliceVar(&states, "state", nil, "only ids in this state (repeatable)")
	cmd.Flags().Int64SliceVar(&pids, "producer-id", nil, "only this producer id (repeatable)")
	return cmd
}
