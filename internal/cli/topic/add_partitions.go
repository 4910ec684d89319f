package topic

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

func newAddPartitions(conn *clikit.Conn) *cobra.Command {
	var total, add int
	cmd := &cobra.Command{
		Use:   "add-partitions NAME",
		Short: "Grow a topic to more partitions",
		Long: `Add partitions to a topic. -p/--partitions gives the new total, as
kafka-topics --alter --partitions does; --add gives how many to add.
Partitions can never be removed, and keys hash to new partitions after the
change, so per-key ordering only holds from then on.`,
		Example: `  gregor topic add-partitions orders -p 12
  gregor topic add-partitions orders --add 4`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (total > 0) == (add > 0) {
				return errors.New("give exactly one of -p/--partitions (new total) or --add (how many more)")
			}
			adm, err := conn.Admin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := conn.Context(cmd)
			defer cancel()

			name := args[0]
			var (
				resps kadm.CreatePartitionsResponses
				msg   string
			)
			if total > 0 {
				resps, err = adm.UpdatePartitions(ctx, total, name)
				msg = fmt.Sprintf("topic %s now has %d partitions", name, total)
			} else {
				resps, err = adm.CreatePartitions(ctx, add, name)
				msg = fmt.Sprintf("added %d partitions to topic %s", add, name)
			}
			if err != nil {
				return fmt.Errorf("create partitions: %w", err)
			}
			r, err := resps.On(name, nil)
			if err != nil {
				return fmt.Errorf("topic %s: %w", name, err)
			}
			if r.Err != nil {
				return fmt.Errorf("topic %s: %w", name, clikit.KafkaErr(r.Err, r.ErrMessage))
			}
			fmt.Fprintln(cmd.OutOrStdout(), msg)
			return nil
		},
	}
	cmd.Flags().IntVarP(&total, "partitions", "p", 0, "new total number of partitions")
	cmd.Flags().IntVar(&add, "add", 0, "number of partitions to add")
	return cmd
}
