package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

type produceOpts struct {
	records     int64
	recordSize  int
	duration    time.Duration
	acks        string
	compression string
	batchMax    int32
	linger      time.Duration
	producers   int
	partitions  int32
	replication int16
	throughput  float64
	asJSON      bool
	quiet       bool
}

func newProduce(conn *clikit.Conn) *cobra.Command {
	var o produceOpts
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Produce fixed-size records as fast as possible and report throughput and latency",
		Long: `Produce --records records of --record-size bytes (or for --duration,
whichever ends first) from --producers concurrent clients, then print
records/s, MB/s and the latency from the produce call to the broker's
acknowledgement (p50, p99, p99.9, max).

Without --throughput the producers send as fast as the client accepts
records, so latency includes time queued in the client's buffer; cap the
rate with --throughput to see latency at a given load.

The topic is created with --partitions and --replication-factor when it
does not exist. Values are random printable bytes, generated once per
producer; records have no key, so the client's sticky partitioner spreads
batches over the partitions.`,
		Example: `  gregor bench produce perf --records 1000000 --record-size 100
  gregor bench produce perf --duration 30s --record-size 1024 --producers 4 --partitions 12
  gregor bench produce perf --acks 1 --compression zstd --linger 5ms --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runProduce(cmd, conn, args[0], o)
		},
	}
	f := cmd.Flags()
	f.Int64Var(&o.records, "records", 1_000_000, "records to produce in total (0: no limit, needs --duration)")
	f.IntVar(&o.recordSize, "record-size", 100, "bytes per record value")
	f.DurationVar(&o.duration, "duration", 0, "stop after this long (0: no limit)")
	f.StringVar(&o.acks, "acks", "all", "acknowledgement: all|1|0")
	f.StringVar(&o.compression, "compression", "none", "batch compression: "+clikit.CompressionNames)
	f.Int32Var(&o.batchMax, "batch-max-bytes", 1_000_000, "largest record batch the client builds")
	f.DurationVar(&o.linger, "linger", 10*time.Millisecond, "how long a batch waits for more records")
	f.IntVar(&o.producers, "producers", 1, "concurrent producer clients")
	f.Int32Var(&o.partitions, "partitions", -1, "partitions when the topic is created (-1: broker default)")
	f.Int16Var(&o.replication, "replication-factor", -1, "replication factor when the topic is created (-1: broker default)")
	f.Float64Var(&o.throughput, "throughput", 0, "cap on records/s over all producers (0: as fast as possible)")
	f.BoolVar(&o.asJSON, "json", false, "print the summary as JSON")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress lines")
	return cmd
}

func runProduce(cmd *cobra.Command, conn *clikit.Conn, topic string, o produceOpts) error {
	if o.records <= 0 && o.duration <= 0 {
		return errors.New("give --records or --duration")
	}
	if o.recordSize < 0 || o.producers < 1 {
		return errors.New("--record-size must be >= 0 and --producers >= 1")
	}
	comp, err := clikit.Compression(o.compression)
	if err != nil {
		return err
	}
	acks, err := clikit.Acks(o.acks)
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()

	// kgo caches metadata answers for MetadataMinAge (5 s by default),
	// which would hide the topic we are about to create from our own
	// polling for its leaders.
	adm, err := conn.Admin(kgo.MetadataMinAge(50 * time.Millisecond))
	if err != nil {
		return err
	}
	setupCtx, cancel := conn.Context(cmd)
	nparts, err := ensureTopic(setupCtx, adm, topic, o.partitions, o.replication, stderr)
	cancel()
	adm.Close()
	if err != nil {
		return err
	}

	opts := append([]kgo.Opt{
		kgo.DefaultProduceTopic(topic),
		comp,
		kgo.ProducerLinger(o.linger),
		kgo.ProducerBatchMaxBytes(o.batchMax),
	}, acks...)
	if conn.Timeout > 0 {
		opts = append(opts, kgo.RecordDeliveryTimeout(conn.Timeout))
	}
	clients := make([]*kgo.Client, o.producers)
	for i := range clients {
		if clients[i], err = conn.Client(opts...); err != nil {
			for _, c := range clients[:i] {
				c.Close()
			}
			return err
		}
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()

	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	if o.duration > 0 {
		var c context.CancelFunc
		ctx, c = context.WithTimeout(ctx, o.duration)
		defer c()
	}

	var (
		st   produceStats
		hist histogram
	)
	start := time.Now()
	var tk *ticker
	if !o.quiet {
		var lastAcked int64
		tk = startTicker(stderr, start, func(elapsed, interval time.Duration) string {
			acked := st.acked.Load()
			rate := float64(acked-lastAcked) / interval.Seconds()
			lastAcked = acked
			s := hist.snapshot()
			return fmt.Sprintf("%6.1fs  %9.0f records/s  %7.2f MB/s  p50 %.2f ms  p99 %.2f ms  acked %d  errors %d",
				elapsed.Seconds(), rate, rate*float64(o.recordSize)/1e6,
				ms(s.quantile(0.5)), ms(s.quantile(0.99)), acked, st.failed.Load())
		})
	}

	var wg sync.WaitGroup
	for i, cl := range clients {
		quota := int64(-1) // unlimited: --duration ends the run
		if o.records > 0 {
			quota = o.records / int64(o.producers)
			if int64(i) < o.records%int64(o.producers) {
				quota++
			}
		}
		var every time.Duration // pause between records of one producer
		if o.throughput > 0 {
			every = time.Duration(float64(time.Second) * float64(o.producers) / o.throughput)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			produceLoop(ctx, cl, quota, every, payload(o.recordSize), &st, &hist)
		}()
	}
	wg.Wait()
	tk.stop()
	elapsed := time.Since(start)

	res := newResult("produce", topic, st.acked.Load(), st.acked.Load()*int64(o.recordSize), st.failed.Load(), elapsed, hist.snapshot())
	res.RecordSize, res.Acks, res.Compression, res.Producers, res.Partitions = o.recordSize, o.acks, o.compression, o.producers, nparts
	if err := st.firstErr(); err != nil {
		res.FirstError = err.Error()
	}
	if err := res.write(cmd.OutOrStdout(), o.asJSON); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	if res.Errors > 0 {
		return fmt.Errorf("%d records not acknowledged", res.Errors)
	}
	return nil
}

// produceLoop sends quota records (or until ctx ends when quota < 0), at
// most one per every when every > 0, and waits for all of them to be
// acknowledged.
func produceLoop(ctx context.Context, cl *kgo.Client, quota int64, every time.Duration, value []byte, st *produceStats, hist *histogram) {
	begin := time.Now()
	for n := int64(0); quota < 0 || n < quota; n++ {
		if ctx.Err() != nil {
			break
		}
		if every > 0 {
			// Pace against the schedule, not the previous send, so a slow
			// moment is caught up instead of lowering the rate.
			if wait := time.Until(begin.Add(time.Duration(n) * every)); wait > 0 {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
				}
				if ctx.Err() != nil {
					break
				}
			}
		}
		sent := time.Now()
		// Background, not ctx: a record that is already being buffered
		// must not fail just because the run's time is up.
		cl.Produce(context.Background(), &kgo.Record{Value: value}, func(_ *kgo.Record, err error) {
			if err != nil {
				st.fail(err)
				return
			}
			hist.record(time.Since(sent))
			st.acked.Add(1)
		})
	}
	// Flush only fails when its context ends, and this one never does;
	// per-record failures arrive through the callbacks.
	_ = cl.Flush(context.Background())
}

// payload returns size random printable bytes; printable so that logs and
// consumers that print them stay readable, random so that compression
// numbers are not flattered by a repeated byte.
func payload(size int) []byte {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, size)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return b
}

type produceStats struct {
	acked, failed atomic.Int64

	errMu sync.Mutex
	first error
}

func (s *produceStats) fail(err error) {
	s.failed.Add(1)
	s.errMu.Lock()
	if s.first == nil {
		s.first = err
	}
	s.errMu.Unlock()
}

func (s *produceStats) firstErr() error {
	s.errMu.Lock()
	defer s.errMu.Unlock()
	return s.first
}
