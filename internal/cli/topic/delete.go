package topic

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

func newDelete(conn *clikit.Conn) *cobra.Command {
	var ifExists bool
	cmd := &cobra.Command{
		Use:   "delete NAME...",
		Short: "Delete topics and all their data",
		Long: `Delete topics. The data of every partition is removed; this cannot be
undone. --if-exists turns UNKNOWN_TOPIC_OR_PARTITION into success.`,
		Example: `  gregor topic delete orders
  gregor topic delete scratch-1 scratch-2 --if-exists`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, err := conn.Admin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := conn.Context(cmd)
			defer cancel()

			resps, err := adm.DeleteTopics(ctx, args...)
			if err != nil {
				return fmt.Errorf("delete topics: %w", err)
			}
			out := cmd.OutOrStdout()
			var errs []error
			for _, name := range args {
				r, ok := resps[name]
				switch {
				case !ok:
					errs = append(errs, fmt.Errorf("topic %s: missing from the response", name))
				case r.Err != nil && ifExists && errors.Is(r.Err, kerr.UnknownTopicOrPartition):
					fmt.Fprintf(out, "topic %s does not exist\n", name)
				case r.Err != nil:
					errs = append(errs, fmt.Errorf("topic %s: %w", name, clikit.KafkaErr(r.Err, r.ErrMessage)))
				default:
					fmt.Fprintf(out, "deleted topic %s\n", name)
				}
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVar(&ifExists, "if-exists", false, "succeed when the topic does not exist")
	return cmd
}
