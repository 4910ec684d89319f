package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

type consumeOpts struct {
	records  int64
	maxBytes int32
	asJSON   bool
	quiet    bool
}

func newConsume(conn *clikit.Conn) *cobra.Command {
	var o consumeOpts
	cmd := &cobra.Command{
		Use:   "consume TOPIC",
		Short: "Read a topic from start to end as fast as possible and report throughput",
		Long: `Read every partition of TOPIC from its log start offset up to the end
offset it had when the run began (or until --records records), then print
records/s, MB/s and the round-trip latency of the Fetch requests.

MB/s counts key and value bytes of the records read.`,
		Example: `  gregor bench consume perf
  gregor bench consume perf --records 500000 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConsume(cmd, conn, args[0], o)
		},
	}
	f := cmd.Flags()
	f.Int64Var(&o.records, "records", 0, "stop after this many records (0: read to the end)")
	f.Int32Var(&o.maxBytes, "fetch-max-bytes", 50<<20, "largest Fetch response to ask for")
	f.BoolVar(&o.asJSON, "json", false, "print the summary as JSON")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress lines")
	return cmd
}

// fetchTimer records the round trip of every Fetch request.
type fetchTimer struct{ h *histogram }

func (t fetchTimer) OnBrokerE2E(_ kgo.BrokerMetadata, key int16, e2e kgo.BrokerE2E) {
	if key == int16(kmsg.Fetch) && e2e.Err() == nil {
		t.h.record(e2e.DurationE2E())
	}
}

func runConsume(cmd *cobra.Command, conn *clikit.Conn, topic string, o consumeOpts) error {
	adm, err := conn.Admin()
	if err != nil {
		return err
	}
	setupCtx, cancel := conn.Context(cmd)
	starts, serr := adm.ListStartOffsets(setupCtx, topic)
	ends, eerr := adm.ListEndOffsets(setupCtx, topic)
	cancel()
	adm.Close()
	if err := errors.Join(serr, eerr, starts.Error(), ends.Error()); err != nil {
		return fmt.Errorf("list offsets of %s: %w", topic, err)
	}

	offsets := map[int32]kgo.Offset{}
	remaining := map[int32]int64{}
	var want int64
	for p, lo := range starts[topic] {
		hi, ok := ends.Lookup(topic, p)
		if !ok {
			continue
		}
		offsets[p] = kgo.NewOffset().At(lo.Offset)
		if hi.Offset > lo.Offset {
			remaining[p] = hi.Offset
			want += hi.Offset - lo.Offset
		}
	}
	if len(offsets) == 0 {
		return fmt.Errorf("topic %s has no partitions", topic)
	}
	if o.records > 0 {
		want = min(want, o.records)
	}
	stderr := cmd.ErrOrStderr()
	if !o.quiet {
		fmt.Fprintf(stderr, "reading %d records from %d partitions\n", want, len(offsets))
	}

	var hist histogram
	cl, err := conn.Client(
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}),
		kgo.FetchMaxBytes(o.maxBytes),
		kgo.FetchMaxPartitionBytes(o.maxBytes),
		kgo.WithHooks(fetchTimer{&hist}),
		// A log ending in a transaction marker would otherwise never
		// show its last offset, and the run would not end.
		kgo.KeepControlRecords(),
	)
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

	var records, bytes atomic.Int64
	start := time.Now()
	var tk *ticker
	if !o.quiet {
		var lastN, lastB int64
		tk = startTicker(stderr, start, func(elapsed, interval time.Duration) string {
			n, b := records.Load(), bytes.Load()
			secs := interval.Seconds()
			line := fmt.Sprintf("%6.1fs  %9.0f records/s  %7.2f MB/s  read %d of %d",
				elapsed.Seconds(), float64(n-lastN)/secs, float64(b-lastB)/1e6/secs, n, want)
			lastN, lastB = n, b
			return line
		})
	}
	var runErr error
	for len(remaining) > 0 && (o.records <= 0 || records.Load() < o.records) {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			break
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			runErr = fmt.Errorf("fetch %s/%d: %w", errs[0].Topic, errs[0].Partition, errs[0].Err)
			break
		}
		var n, b int64
		fetches.EachRecord(func(r *kgo.Record) {
			if end, ok := remaining[r.Partition]; ok && r.Offset+1 >= end {
				delete(remaining, r.Partition)
			}
			if r.Attrs.IsControl() {
				return
			}
			n++
			b += int64(len(r.Key) + len(r.Value))
		})
		records.Add(n)
		bytes.Add(b)
	}
	tk.stop()
	elapsed := time.Since(start)

	res := newResult("consume", topic, records.Load(), bytes.Load(), 0, elapsed, hist.snapshot())
	res.Partitions = len(offsets)
	if runErr != nil {
		res.Errors = 1
		res.FirstError = runErr.Error()
	}
	if err := res.write(cmd.OutOrStdout(), o.asJSON); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return runErr
}
