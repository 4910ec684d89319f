package txnbench

import (
	"context"
	"flag"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

var (
	valueSize      = flag.Int("value-size", 1000, "bytes per record value")
	partitions     = flag.Int("partitions", 8, "partitions of each benchmark topic")
	commitInterval = flag.Duration("commit-interval", 100*time.Millisecond, "how often the transactional producer commits")
)

func TestMain(m *testing.M) { testbroker.Main(m) }

// BenchmarkProduce writes b.N records with an idempotent producer and
// then the same b.N records with a transactional producer that commits
// every -commit-interval, both to fresh topics on one fresh node.
func BenchmarkProduce(b *testing.B) {
	br := testbroker.Start(b, testbroker.WithArgs("--set", "transaction.state.log.num.partitions=4"))
	value := make([]byte, *valueSize)
	for i := range value {
		value[i] = byte('a' + i%26)
	}
	b.Run("idempotent", func(b *testing.B) {
		topic := newTopic(b, br, "bench-idempotent")
		cl := client(b, br)
		warmUp(b, cl, topic, false)
		b.SetBytes(int64(len(value)))
		b.ResetTimer()
		start := time.Now()
		produceAll(b, cl, topic, value, b.N, nil)
		report(b, b.N, len(value), time.Since(start))
	})
	b.Run("transactional", func(b *testing.B) {
		topic := newTopic(b, br, "bench-transactional")
		cl := client(b, br, kgo.TransactionalID(fmt.Sprintf("bench-%d", b.N)))
		var txns int
		var commitTime time.Duration
		commit := func(begin bool) {
			t0 := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := cl.Flush(ctx); err != nil {
				b.Fatalf("flush: %v", err)
			}
			if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
				b.Fatalf("commit: %v", err)
			}
			commitTime += time.Since(t0)
			txns++
			if begin {
				if err := cl.BeginTransaction(); err != nil {
					b.Fatalf("begin: %v", err)
				}
			}
		}
		warmUp(b, cl, topic, true)
		b.SetBytes(int64(len(value)))
		b.ResetTimer()
		start := time.Now()
		if err := cl.BeginTransaction(); err != nil {
			b.Fatalf("begin: %v", err)
		}
		produceAll(b, cl, topic, value, b.N, func(since time.Time) bool {
			if time.Since(since) < *commitInterval {
				return false
			}
			commit(true)
			return true
		})
		commit(false)
		elapsed := time.Since(start)
		report(b, b.N, len(value), elapsed)
		b.ReportMetric(float64(txns), "txns")
		b.ReportMetric(commitTime.Seconds()*1000/float64(txns), "ms/commit")
		checkStable(b, br, topic)
	})
}

// produceAll produces n records asynchronously and waits for every
// acknowledgement. tick, if set, is called before each record with the
// time the current transaction began; it returns true when it committed
// and began a new one.
func produceAll(b *testing.B, cl *kgo.Client, topic string, value []byte, n int, tick func(time.Time) bool) {
	var failed atomic.Int64
	var firstErr atomic.Value
	ctx := context.Background()
	began := time.Now()
	for i := 0; i < n; i++ {
		if tick != nil && tick(began) {
			began = time.Now()
		}
		r := &kgo.Record{Topic: topic, Value: value}
		cl.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err)
			}
		})
	}
	fctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := cl.Flush(fctx); err != nil {
		b.Fatalf("flush: %v", err)
	}
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d records failed, first: %v", f, n, firstErr.Load())
	}
}

// warmUp writes one record (in a committed transaction when txn is set)
// so that connections, metadata and the producer id are in place before
// the clock starts.
func warmUp(b *testing.B, cl *kgo.Client, topic string, txn bool) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if txn {
		if err := cl.BeginTransaction(); err != nil {
			b.Fatalf("warm-up begin: %v", err)
		}
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("warm-up")}).FirstErr(); err != nil {
		b.Fatalf("warm-up produce: %v", err)
	}
	if txn {
		if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			b.Fatalf("warm-up commit: %v", err)
		}
	}
}

func report(b *testing.B, n, size int, d time.Duration) {
	b.ReportMetric(float64(n)/d.Seconds(), "records/s")
	b.ReportMetric(float64(n*size)/1e6/d.Seconds(), "MB/s")
	// ns/op of one record is what go test prints anyway; MB/s above is
	// the same figure as SetBytes gives, in the unit the table uses.
}

func client(b *testing.B, br *testbroker.Broker, opts ...kgo.Opt) *kgo.Client {
	b.Helper()
	base := []kgo.Opt{
		kgo.SeedBrokers(br.Addr),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(5 * time.Millisecond),
		kgo.MaxBufferedRecords(50000),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()),
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cl.Close)
	return cl
}

func newTopic(b *testing.B, br *testbroker.Broker, prefix string) string {
	b.Helper()
	topic := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano())
	adm := kadm.NewClient(client(b, br))
	resp, err := adm.CreateTopic(context.Background(), int32(*partitions), 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		b.Fatalf("create %s: %v", topic, err)
	}
	return topic
}

// checkStable fails the benchmark if a committed run left a partition
// behind an open transaction: the numbers would then be of a broken run.
func checkStable(b *testing.B, br *testbroker.Broker, topic string) {
	b.Helper()
	adm := kadm.NewClient(client(b, br))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		hw, err1 := adm.ListEndOffsets(ctx, topic)
		lso, err2 := adm.ListCommittedOffsets(ctx, topic)
		if err1 == nil && err2 == nil {
			stable := true
			hw.Each(func(o kadm.ListedOffset) {
				if l, ok := lso.Lookup(topic, o.Partition); !ok || l.Offset != o.Offset {
					stable = false
				}
			})
			if stable {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Errorf("%s: last stable offsets never reached the high watermarks after the last commit", topic)
}
