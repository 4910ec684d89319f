package group

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

type resetOpts struct {
	topics     []string
	allTopics  bool
	toEarliest bool
	toLatest   bool
	toDatetime string
	toOffset   int64
	shiftBy    int64
	execute    bool
}

func newResetOffsets(conn *clikit.Conn) *cobra.Command {
	o := &resetOpts{}
	cmd := &cobra.Command{
		Use:   "reset-offsets GROUP (--topic T[:P,...]... | --all-topics) (--to-earliest | --to-latest | --to-datetime T | --to-offset N | --shift-by N) [--execute]",
		Short: "Move a group's committed offsets (dry run unless --execute)",
		Long: `Compute new committed offsets for a group and, with --execute, commit
them. Without --execute it only prints the plan, like
kafka-consumer-groups --reset-offsets. The group must have no active
members: stop its consumers first.

Exactly one target:
  --to-earliest        the log start offset
  --to-latest          the log end offset (skip everything not yet read)
  --to-datetime T      the first offset at or after T (RFC 3339, e.g.
                       2024-05-01T12:00:00Z, or unix milliseconds)
  --to-offset N        offset N
  --shift-by N         the committed offset plus N (negative: back)
Offsets are clamped to the partition's [start, end] range.`,
		Example: `  # replay everything, first as a dry run
  gregor group reset-offsets billing --topic orders --to-earliest
  gregor group reset-offsets billing --topic orders --to-earliest --execute

  # skip the backlog of two partitions
  gregor group reset-offsets billing --topic orders:0,1 --to-latest --execute

  # reprocess the last hour of every topic the group consumed
  gregor group reset-offsets billing --all-topics --to-datetime 2024-05-01T11:00:00Z --execute

  # go back 100 records
  gregor group reset-offsets billing --topic orders --shift-by -100 --execute`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReset(cmd, conn, args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.topics, "topic", nil, "topic, or topic:p,p,... (repeatable)")
	f.BoolVar(&o.allTopics, "all-topics", false, "every topic the group has committed offsets for")
	f.BoolVar(&o.toEarliest, "to-earliest", false, "reset to the log start offset")
	f.BoolVar(&o.toLatest, "to-latest", false, "reset to the log end offset")
	f.StringVar(&o.toDatetime, "to-datetime", "", "reset to the first offset at or after this time (RFC 3339 or unix ms)")
	f.Int64Var(&o.toOffset, "to-offset", -1, "reset to this offset")
	f.Int64Var(&o.shiftBy, "shift-by", 0, "move the committed offset by this many records")
	f.BoolVar(&o.execute, "execute", false, "commit the new offsets (default: dry run)")
	return cmd
}

// target is how the new offset is chosen.
type target int

const (
	toEarliest target = iota
	toLatest
	toTime
	toOffset
	shiftBy
)

func (o *resetOpts) target(cmd *cobra.Command) (target, int64, error) {
	var chosen []target
	var arg int64
	if o.toEarliest {
		chosen = append(chosen, toEarliest)
	}
	if o.toLatest {
		chosen = append(chosen, toLatest)
	}
	if o.toDatetime != "" {
		ms, err := parseTime(o.toDatetime)
		if err != nil {
			return 0, 0, err
		}
		chosen = append(chosen, toTime)
		arg = ms
	}
	if cmd.Flags().Changed("to-offset") {
		if o.toOffset < 0 {
			return 0, 0, fmt.Errorf("--to-offset %d: must be >= 0", o.toOffset)
		}
		chosen = append(chosen, toOffset)
		arg = o.toOffset
	}
	if cmd.Flags().Changed("shift-by") {
		chosen = append(chosen, shiftBy)
		arg = o.shiftBy
	}
	if len(chosen) != 1 {
		return 0, 0, fmt.Errorf("give exactly one of --to-earliest, --to-latest, --to-datetime, --to-offset, --shift-by")
	}
	return chosen[0], arg, nil
}

func parseTime(s string) (int64, error) {
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return ms, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("--to-datetime %q: want RFC 3339 (2006-01-02T15:04:05Z) or unix milliseconds", s)
}

func runReset(cmd *cobra.Command, conn *clikit.Conn, group string, o *resetOpts) error {
	tgt, arg, err := o.target(cmd)
	if err != nil {
		return err
	}
	sels, err := parseTopicSels(o.topics)
	if err != nil {
		return err
	}
	if (len(sels) == 0) == !o.allTopics {
		return fmt.Errorf("give --topic or --all-topics (not both)")
	}
	adm, err := conn.Admin()
	if err != nil {
		return err
	}
	defer adm.Close()
	ctx, cancel := conn.Context(cmd)
	defer cancel()

	dg, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return fmt.Errorf("describe %s: %w", group, err)
	}
	if d, ok := dg[group]; ok {
		if d.Err != nil {
			return fmt.Errorf("describe %s: %w", group, d.Err)
		}
		if d.State != "Empty" && d.State != "Dead" {
			return fmt.Errorf("group %s is %s with %d members: offsets can only be reset while it has none; stop its consumers first", group, d.State, len(d.Members))
		}
	}
	current, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return fmt.Errorf("fetch offsets of %s: %w", group, err)
	}
	parts, err := resetPartitions(ctx, adm, sels, o.allTopics, current)
	if err != nil {
		return err
	}
	if len(parts) == 0 {
		return fmt.Errorf("no partitions to reset")
	}
	topics := make([]string, 0, len(parts))
	for t := range parts {
		topics = append(topics, t)
	}
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return fmt.Errorf("list start offsets: %w", err)
	}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return fmt.Errorf("list end offsets: %w", err)
	}
	var atTime kadm.ListedOffsets
	if tgt == toTime {
		if atTime, err = adm.ListOffsetsAfterMilli(ctx, arg, topics...); err != nil {
			return fmt.Errorf("list offsets at time: %w", err)
		}
	}

	plan := kadm.Offsets{}
	tw := clikit.NewTable(cmd.OutOrStdout())
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tCURRENT-OFFSET\tNEW-OFFSET")
	sort.Strings(topics)
	for _, t := range topics {
		for _, p := range parts[t] {
			s, ok1 := starts.Lookup(t, p)
			e, ok2 := ends.Lookup(t, p)
			if !ok1 || !ok2 || s.Err != nil || e.Err != nil {
				return fmt.Errorf("%s/%d: no such partition or offsets unavailable", t, p)
			}
			cur := int64(-1)
			if c, ok := current.Lookup(t, p); ok && c.Err == nil {
				cur = c.At
			}
			var next int64
			switch tgt {
			case toEarliest:
				next = s.Offset
			case toLatest:
				next = e.Offset
			case toTime:
				next = e.Offset
				if a, ok := atTime.Lookup(t, p); ok && a.Err == nil && a.Offset >= 0 {
					next = a.Offset
				}
			case toOffset:
				next = arg
			case shiftBy:
				base := cur
				if base < 0 {
					// Nothing committed: shift from where a new consumer
					// with auto.offset.reset=latest would begin.
					base = e.Offset
				}
				next = base + arg
			}
			next = max(s.Offset, min(next, e.Offset))
			plan.Add(kadm.Offset{Topic: t, Partition: p, At: next, LeaderEpoch: -1})
			curS := "-"
			if cur >= 0 {
				curS = strconv.FormatInt(cur, 10)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%d\n", t, p, curS, next)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !o.execute {
		fmt.Fprintln(cmd.OutOrStdout(), "\nDry run: nothing changed. Add --execute to commit these offsets.")
		return nil
	}
	res, err := adm.CommitOffsets(ctx, group, plan)
	if err != nil {
		return fmt.Errorf("commit offsets of %s: %w", group, err)
	}
	if err := res.Error(); err != nil {
		return fmt.Errorf("commit offsets of %s: %w", group, err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "\nCommitted new offsets for %d partitions of group %s.\n", len(plan.Sorted()), group)
	return nil
}

// resetPartitions resolves the selection to topic -> sorted partitions.
func resetPartitions(ctx context.Context, adm *kadm.Client, sels []topicSel, all bool, current kadm.OffsetResponses) (map[string][]int32, error) {
	out := map[string][]int32{}
	if all {
		current.Each(func(o kadm.OffsetResponse) {
			out[o.Topic] = append(out[o.Topic], o.Partition)
		})
	} else {
		var whole []string
		for _, s := range sels {
			if s.parts == nil {
				whole = append(whole, s.topic)
			} else {
				out[s.topic] = append(out[s.topic], s.parts...)
			}
		}
		if len(whole) > 0 {
			md, err := adm.ListTopics(ctx, whole...)
			if err != nil {
				return nil, fmt.Errorf("describe topics: %w", err)
			}
			for _, t := range whole {
				d, ok := md[t]
				if !ok || d.Err != nil {
					return nil, fmt.Errorf("topic %s: %v", t, d.Err)
				}
				for p := range d.Partitions {
					out[t] = append(out[t], p)
				}
			}
		}
	}
	for t := range out {
		sort.Slice(out[t], func(i, j int) bool { return out[t][i] < out[t][j] })
	}
	return out, nil
}
