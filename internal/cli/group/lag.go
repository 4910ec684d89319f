package group

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

func newLag(conn *clikit.Conn) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "lag [GROUP...]",
		Short: "Show consumer lag per group and partition",
		Long: `Show, for each group and partition, the committed offset, the log end
offset and the lag between them, plus each group's total. --all reports
every group of the cluster.`,
		Example: `  gregor group lag orders-service
  gregor group lag --all`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !all {
				return fmt.Errorf("name at least one group, or use --all")
			}
			adm, err := conn.Admin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := conn.Context(cmd)
			defer cancel()
			if all {
				listed, err := adm.ListGroups(ctx)
				if err != nil {
					return fmt.Errorf("list groups: %w", err)
				}
				args = listed.Groups()
			}
			if len(args) == 0 {
				return nil
			}
			lags, err := adm.Lag(ctx, args...)
			if err != nil {
				return fmt.Errorf("lag: %w", err)
			}
			out := cmd.OutOrStdout()
			tw := clikit.NewTable(out)
			fmt.Fprintln(tw, "GROUP\tTOPIC\tPARTITION\tCURRENT-OFFSET\tLOG-END-OFFSET\tLAG")
			var firstErr error
			for _, l := range lags.Sorted() {
				if err := l.Error(); err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "group %s: %v\n", l.Group, err)
					if firstErr == nil {
						firstErr = fmt.Errorf("group %s: %w", l.Group, err)
					}
					continue
				}
				for _, m := range l.Lag.Sorted() {
					cur := "-"
					if m.Commit.At >= 0 {
						cur = fmt.Sprint(m.Commit.At)
					}
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d\n", l.Group, m.Topic, m.Partition, cur, m.End.Offset, m.Lag)
				}
				fmt.Fprintf(tw, "%s\tTOTAL\t\t\t\t%d\n", l.Group, l.Lag.Total())
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			return firstErr
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "every group of the cluster")
	return cmd
}
