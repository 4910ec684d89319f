package topic

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

func newCreate(conn *clikit.Conn) *cobra.Command {
	var (
		partitions   int32
		replication  int16
		configs      []string
		ifNotExists  bool
		validateOnly bool
	)
	cmd := &cobra.Command{
		Use:   "create NAME...",
		Short: "Create one or more topics",
		Long: `Create topics with a partition count, a replication factor and topic
configs. Without -p or -r the broker's defaults (num.partitions,
default.replication.factor) apply.

--validate-only asks the controller to check the request without creating
anything. --if-not-exists turns TOPIC_ALREADY_EXISTS into success.`,
		Example: `  gregor topic create events
  gregor topic create orders -p 6 -r 3
  gregor topic create changelog -c cleanup.policy=compact -c min.insync.replicas=2
  gregor topic create orders -p 6 --validate-only`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := clikit.ParseKVs(configs)
			if err != nil {
				return err
			}
			var cfgPtrs map[string]*string
			if len(cfg) > 0 {
				cfgPtrs = make(map[string]*string, len(cfg))
				for k, v := range cfg {
					cfgPtrs[k] = kadm.StringPtr(v)
				}
			}
			adm, err := conn.Admin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := conn.Context(cmd)
			defer cancel()

			create := adm.CreateTopics
			if validateOnly {
				create = adm.ValidateCreateTopics
			}
			resps, err := create(ctx, partitions, replication, cfgPtrs, args...)
			if err != nil {
				return fmt.Errorf("create topics: %w", err)
			}
			out := cmd.OutOrStdout()
			var errs []error
			for _, name := range args {
				r, ok := resps[name]
				if !ok {
					errs = append(errs, fmt.Errorf("topic %s: missing from the response", name))
					continue
				}
				if r.Err != nil {
					if ifNotExists && errors.Is(r.Err, kerr.TopicAlreadyExists) {
						fmt.Fprintf(out, "topic %s already exists\n", name)
						continue
					}
					errs = append(errs, fmt.Errorf("topic %s: %w", name, clikit.KafkaErr(r.Err, r.ErrMessage)))
					continue
				}
				verb := "created"
				if validateOnly {
					verb = "valid, not created:"
				}
				fmt.Fprintf(out, "%s topic %s (partitions %d, replication factor %d", verb, name, r.NumPartitions, r.ReplicationFactor)
				if r.ID != (kadm.TopicID{}) {
					fmt.Fprintf(out, ", id %s", topicID(r.ID))
				}
				fmt.Fprintln(out, ")")
			}
			return errors.Join(errs...)
		},
	}
	f := cmd.Flags()
	f.Int32VarP(&partitions, "partitions", "p", -1, "number of partitions (-1: broker default)")
	f.Int16VarP(&replication, "replication-factor", "r", -1, "replicas per partition (-1: broker default)")
	f.StringArrayVarP(&configs, "config", "c", nil, "topic config name=value (repeatable)")
	f.BoolVar(&ifNotExists, "if-not-exists", false, "succeed when the topic already exists")
	f.BoolVar(&validateOnly, "validate-only", false, "check the request without creating the topic")
	return cmd
}
