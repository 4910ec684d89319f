package consume

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

type options struct {
	from       string
	partitions []int32
	count      int
	follow     bool
	format     string
	group      string
	isolation  string
	quiet      bool
}

// New returns the `consume` command.
func New() *cobra.Command {
	conn := &clikit.Conn{}
	var o options
	cmd := &cobra.Command{
		Use:   "consume TOPIC",
		Short: "Print records of a topic",
		Long: `Read records from a topic and print them, one per line.

--from picks where to begin in every partition:
  start            the log start offset (the default)
  end              only records produced from now on (useful with -f)
  OFFSET           this offset (clamped to the partition's start and end)
  TIME             the first record at or after TIME: RFC 3339
                   (2024-05-01T12:00:00Z), or unix milliseconds written as
                   @1714564800000 or as a bare number of 13 or more digits

Without --follow the command stops once it has reached the end offsets the
partitions had when it started; with --follow it keeps waiting for new
records until interrupted. -n stops after N records either way.

--format is a Go text/template over .Topic .Partition .Offset .Key .Value
.Headers .Timestamp (\n and \t are understood; a newline is added if the
template lacks one), or one of the shortcuts:
  value   the value only (default)
  kv      key, a tab, the value
  json    one JSON object per record; null key/value when absent

With -g the command joins consumer group GROUP, starts from the group's
committed offsets (--from applies to partitions without one) and commits
what it printed. In a group, end detection covers the partitions assigned
to this member; use -n or -f when other members share the group.`,
		Example: `  gregor consume events
  gregor consume events --from end -f
  gregor consume orders -p 0 -p 3 --from 1200 -n 10
  gregor consume logs --from 2024-05-01T12:00:00Z --format '{{.Timestamp}} {{.Value}}'
  gregor consume signups --format kv
  gregor consume orders --format json --isolation read_committed
  gregor consume orders -g billing -f`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd, conn, args[0], o)
		},
	}
	conn.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.from, "from", "start", "where to begin: start|end|OFFSET|TIME")
	f.Int32SliceVarP(&o.partitions, "partition", "p", nil, "consume only this partition (repeatable)")
	f.IntVarP(&o.count, "count", "n", 0, "exit after N records (0: no limit)")
	f.BoolVarP(&o.follow, "follow", "f", false, "keep waiting for new records instead of exiting at the end")
	f.StringVar(&o.format, "format", "value", "output: value|kv|json or a Go template")
	f.StringVarP(&o.group, "group", "g", "", "consume as a member of this consumer group")
	f.StringVar(&o.isolation, "isolation", "read_uncommitted", "read_committed|read_uncommitted")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "do not print the record count to stderr at the end")
	return cmd
}

func run(cmd *cobra.Command, conn *clikit.Conn, topic string, o options) error {
	start, err := parseFrom(o.from)
	if err != nil {
		return err
	}
	format, err := newFormatter(o.format)
	if err != nil {
		return err
	}
	var isolation kgo.IsolationLevel
	switch strings.ToLower(o.isolation) {
	case "read_uncommitted", "uncommitted":
		isolation = kgo.ReadUncommitted()
	case "read_committed", "committed":
		isolation = kgo.ReadCommitted()
	default:
		return fmt.Errorf("unknown isolation %q (want read_committed|read_uncommitted)", o.isolation)
	}
	if o.group != "" && len(o.partitions) > 0 {
		return errors.New("-p cannot be combined with -g: the group assigns partitions")
	}
	if o.count < 0 {
		return errors.New("-n must not be negative")
	}

	plan, err := planPositions(cmd, conn, topic, start, o)
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	if !o.follow && len(plan.remaining) == 0 {
		if !o.quiet {
			fmt.Fprintf(stderr, "consumed 0 records from %s (already at the end)\n", topic)
		}
		return nil
	}

	opts := []kgo.Opt{
		kgo.FetchIsolationLevel(isolation),
		// Control records are never printed, but they are what tells us
		// a partition whose log ends in a transaction marker is done.
		kgo.KeepControlRecords(),
		kgo.FetchMaxWait(500 * time.Millisecond),
	}
	if o.group != "" {
		opts = append(opts,
			kgo.ConsumerGroup(o.group),
			kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(start.resetOffset()),
			kgo.AutoCommitMarks(),
		)
	} else {
		offsets := make(map[int32]kgo.Offset, len(plan.positions))
		for p, pos := range plan.positions {
			offsets[p] = kgo.NewOffset().At(pos)
		}
		opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}))
	}
	cl, err := conn.Client(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()

	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()

	out := bufio.NewWriter(cmd.OutOrStdout())
	defer out.Flush()
	printed := 0
	runErr := func() error {
		for {
			fetches := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				return nil
			}
			for _, fe := range fetches.Errors() {
				if errors.Is(fe.Err, context.Canceled) {
					return nil
				}
				return fmt.Errorf("fetch %s/%d: %w", fe.Topic, fe.Partition, fe.Err)
			}
			for it := fetches.RecordIter(); !it.Done(); {
				r := it.Next()
				end, tracked := plan.ends[r.Partition]
				if !o.follow && tracked && r.Offset >= end {
					// Past the end seen at start-up: not part of this run.
					continue
				}
				if !o.follow && r.Offset+1 >= end {
					delete(plan.remaining, r.Partition)
				}
				if r.Attrs.IsControl() {
					// Committing past a marker spares the next group run
					// from fetching it again.
					if o.group != "" {
						cl.MarkCommitRecords(r)
					}
					continue
				}
				if err := format(out, r); err != nil {
					return err
				}
				printed++
				if o.group != "" {
					cl.MarkCommitRecords(r)
				}
				if o.count > 0 && printed >= o.count {
					return nil
				}
			}
			if err := out.Flush(); err != nil {
				return fmt.Errorf("write output: %w", err)
			}
			if !o.follow && len(plan.remaining) == 0 {
				return nil
			}
		}
	}()
	if err := out.Flush(); err != nil && runErr == nil {
		runErr = fmt.Errorf("write output: %w", err)
	}
	if o.group != "" {
		wait := conn.Timeout
		if wait <= 0 {
			wait = 30 * time.Second
		}
		cctx, cancel := context.WithTimeout(context.Background(), wait)
		if err := cl.CommitMarkedOffsets(cctx); err != nil && runErr == nil {
			runErr = fmt.Errorf("commit offsets for group %s: %w", o.group, err)
		}
		cancel()
	}
	if !o.quiet {
		fmt.Fprintf(stderr, "consumed %s from %s\n", clikit.Count(int64(printed), "record"), topic)
	}
	return runErr
}
