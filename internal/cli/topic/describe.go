package topic

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

func newDescribe(conn *clikit.Conn) *cobra.Command {
	var allConfigs bool
	cmd := &cobra.Command{
		Use:   "describe NAME...",
		Short: "Show a topic's partitions, offsets and non-default configs",
		Long: `Describe topics: for every partition its leader, leader epoch, replicas,
in-sync replicas and the log start and end offsets (from ListOffsets); then
every config whose value does not come from the built-in default, with the
source it comes from (DYNAMIC_TOPIC_CONFIG, STATIC_BROKER_CONFIG, ...).
--all-configs lists the defaults too.`,
		Example: `  gregor topic describe orders
  gregor topic describe orders payments --all-configs`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, err := conn.Admin()
			if err != nil {
				return err
			}
			defer adm.Close()
			ctx, cancel := conn.Context(cmd)
			defer cancel()

			topics, err := adm.ListTopicsWithInternal(ctx, args...)
			if err != nil {
				return fmt.Errorf("describe topics: %w", err)
			}
			var (
				errs  []error
				found []string
			)
			for _, name := range args {
				d, ok := topics[name]
				switch {
				case !ok:
					errs = append(errs, fmt.Errorf("topic %s: %w", name, kerr.UnknownTopicOrPartition))
				case d.Err != nil:
					errs = append(errs, fmt.Errorf("topic %s: %w", name, d.Err))
				default:
					found = append(found, name)
				}
			}
			if len(found) == 0 {
				return errors.Join(errs...)
			}
			starts, err := adm.ListStartOffsets(ctx, found...)
			if err != nil {
				return fmt.Errorf("list start offsets: %w", err)
			}
			ends, err := adm.ListEndOffsets(ctx, found...)
			if err != nil {
				return fmt.Errorf("list end offsets: %w", err)
			}
			configs, cfgErr := adm.DescribeTopicConfigs(ctx, found...)
			out := cmd.OutOrStdout()
			for i, name := range found {
				if i > 0 {
					fmt.Fprintln(out)
				}
				writeTopic(out, topics[name], starts, ends)
				if err := writeConfigs(out, name, configs, cfgErr, allConfigs); err != nil {
					errs = append(errs, err)
				}
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVar(&allConfigs, "all-configs", false, "also list configs that have their default value")
	return cmd
}

func writeTopic(out io.Writer, d kadm.TopicDetail, starts, ends kadm.ListedOffsets) {
	fmt.Fprintf(out, "Topic: %s  ID: %s  Partitions: %d  ReplicationFactor: %d", d.Topic, topicID(d.ID), len(d.Partitions), d.Partitions.NumReplicas())
	if d.IsInternal {
		fmt.Fprint(out, "  Internal: true")
	}
	fmt.Fprintln(out)
	tw := clikit.NewTable(out)
	fmt.Fprintln(tw, "PARTITION\tLEADER\tEPOCH\tREPLICAS\tISR\tOFFLINE\tLOG-START\tLOG-END\tERROR")
	for _, p := range d.Partitions.Sorted() {
		errText := ""
		if p.Err != nil {
			errText = p.Err.Error()
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Partition, p.Leader, p.LeaderEpoch,
			ints(p.Replicas), ints(p.ISR), ints(p.OfflineReplicas),
			offset(starts, d.Topic, p.Partition), offset(ends, d.Topic, p.Partition), errText)
	}
	tw.Flush()
}

func offset(l kadm.ListedOffsets, topic string, p int32) string {
	o, ok := l.Lookup(topic, p)
	switch {
	case !ok:
		return "?"
	case o.Err != nil:
		if ke := (*kerr.Error)(nil); errors.As(o.Err, &ke) {
			return ke.Message
		}
		return "error"
	}
	return fmt.Sprint(o.Offset)
}

func ints(xs []int32) string {
	if len(xs) == 0 {
		return "-"
	}
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ",")
}

func writeConfigs(out io.Writer, name string, configs kadm.ResourceConfigs, describeErr error, all bool) error {
	rc, err := configs.On(name, nil)
	if err != nil {
		if describeErr != nil {
			err = describeErr
		}
		return fmt.Errorf("topic %s configs: %w", name, err)
	}
	if rc.Err != nil {
		return fmt.Errorf("topic %s configs: %w", name, clikit.KafkaErr(rc.Err, rc.ErrMessage))
	}
	cfgs := slices.Clone(rc.Configs)
	slices.SortFunc(cfgs, func(a, b kadm.Config) int { return strings.Compare(a.Key, b.Key) })
	title := "Configs (non-default):"
	if all {
		title = "Configs:"
	}
	fmt.Fprintln(out, title)
	tw := clikit.NewTable(out)
	n := 0
	for _, c := range cfgs {
		if !all && c.Source == kmsg.ConfigSourceDefaultConfig {
			continue
		}
		v := c.MaybeValue()
		if c.Sensitive {
			v = "(sensitive)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.Key, v, c.Source)
		n++
	}
	if n == 0 {
		fmt.Fprintln(tw, "  (none)")
	}
	return tw.Flush()
}
