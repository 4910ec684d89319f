package group

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

func newList(conn *clikit.Conn) *cobra.Command {
	var states []string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List consumer groups with their state and coordinator",
		Long: `List every consumer group of the cluster (asking every broker), sorted
by name, with its state, protocol type and coordinator. --state keeps
only groups in the given states (Stable, Empty, PreparingRebalance,
CompletingRebalance, Dead).`,
		Example: `  gregor group list
  gregor group list --state Stable --state Empty`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			adm, err := conn.Admin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := conn.Context(cmd)
			defer cancel()
			groups, err := adm.ListGroups(ctx, states...)
			if err != nil {
				return fmt.Errorf("list groups: %w", err)
			}
			tw := clikit.NewTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "GROUP\tSTATE\tPROTOCOL-TYPE\tCOORDINATOR")
			for _, g := range groups.Sorted() {
				ptype := g.ProtocolType
				if ptype == "" {
					ptype = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", g.Group, g.State, ptype, g.Coordinator)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringSliceVar(&states, "state", nil, "only groups in this state (repeatable)")
	return cmd
}
