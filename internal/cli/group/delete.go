package group

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

func newDelete(conn *clikit.Conn) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete GROUP...",
		Short: "Delete empty consumer groups and their committed offsets",
		Long: `Delete consumer groups with all their committed offsets. Only groups
without active members can be deleted (NON_EMPTY_GROUP otherwise): stop
the consumers first.`,
		Example: `  gregor group delete orders-service
  gregor group delete old-a old-b`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, err := conn.Admin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := conn.Context(cmd)
			defer cancel()
			res, err := adm.DeleteGroups(ctx, args...)
			if err != nil {
				return fmt.Errorf("delete groups: %w", err)
			}
			var firstErr error
			for _, r := range res.Sorted() {
				if r.Err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "group %s: %v\n", r.Group, r.Err)
					if firstErr == nil {
						firstErr = fmt.Errorf("delete group %s: %w", r.Group, r.Err)
					}
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deleted group %s\n", r.Group)
			}
			return firstErr
		},
	}
	return cmd
}
