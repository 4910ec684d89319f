package topic

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

func newAlterConfig(conn *clikit.Conn) *cobra.Command {
	var (
		sets, deletes []string
		validateOnly  bool
	)
	cmd := &cobra.Command{
		Use:   "alter-config NAME",
		Short: "Set or remove topic configs",
		Long: `Change a topic's configs with IncrementalAlterConfigs: --set overrides a
config, --delete removes the override so the broker default applies again.
Configs not named are left alone.`,
		Example: `  gregor topic alter-config orders --set retention.ms=3600000
  gregor topic alter-config orders --set cleanup.policy=compact --delete retention.bytes
  gregor topic alter-config orders --set min.insync.replicas=5 --validate-only`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(sets) == 0 && len(deletes) == 0 {
				return errors.New("nothing to change: give --set name=value or --delete name")
			}
			var alters []kadm.AlterConfig
			for _, s := range sets {
				k, v, err := clikit.ParseKV(s)
				if err != nil {
					return err
				}
				alters = append(alters, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: kadm.StringPtr(v)})
			}
			for _, k := range deletes {
				alters = append(alters, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
			}
			adm, err := conn.Admin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := conn.Context(cmd)
			defer cancel()

			alter := adm.AlterTopicConfigs
			if validateOnly {
				alter = adm.ValidateAlterTopicConfigs
			}
			resps, err := alter(ctx, alters, args[0])
			if err != nil {
				return fmt.Errorf("alter configs: %w", err)
			}
			r, err := resps.On(args[0], nil)
			if err != nil {
				return fmt.Errorf("topic %s: %w", args[0], err)
			}
			if r.Err != nil {
				return fmt.Errorf("topic %s: %w", args[0], clikit.KafkaErr(r.Err, r.ErrMessage))
			}
			if validateOnly {
				fmt.Fprintf(cmd.OutOrStdout(), "valid, not applied: %d config change(s) on topic %s\n", len(alters), args[0])
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "altered %d config(s) on topic %s\n", len(alters), args[0])
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&sets, "set", nil, "config to set, name=value (repeatable)")
	f.StringArrayVar(&deletes, "delete", nil, "config override to remove (repeatable)")
	f.BoolVar(&validateOnly, "validate-only", false, "check the change without applying it")
	return cmd
}
