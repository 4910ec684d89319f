package chaos

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/kcheck"
	"github.com/gregor-stream/gregor/tests/testbroker"
)

const (
	topic      = "chaos"
	partitions = 4
)

// ledger holds every acknowledged record: partition -> offset -> sequence.
type ledger struct {
	mu    sync.Mutex
	acked map[int32]map[int64]int64
	// conflicts are offsets acknowledged for two different records: the
	// broker handed out an offset twice, so one acknowledged write is gone.
	conflicts []string
}

func newLedger() *ledger {
	l := &ledger{acked: map[int32]map[int64]int64{}}
	for p := int32(0); p < partitions; p++ {
		l.acked[p] = map[int64]int64{}
	}
	return l
}

func (l *ledger) add(p int32, off, seq int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if prev, ok := l.acked[p][off]; ok && prev != seq {
		l.conflicts = append(l.conflicts, fmt.Sprintf("p%d@%d acknowledged for seq %d and seq %d", p, off, prev, seq))
	}
	l.acked[p][off] = seq
}

func (l *ledger) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, m := range l.acked {
		n += len(m)
	}
	return n
}

// TestKillNine produces with acks=all to several partitions, kills the
// broker with SIGKILL mid-flight, restarts it, and repeats; after every
// restart the whole log is checked against the acknowledgements.
func TestKillNine(t *testing.T) {
	rounds, minRun, maxRun := 3, 1500*time.Millisecond, 3000*time.Millisecond
	if os.Getenv("GREGOR_CHAOS_LONG") == "1" {
		rounds, minRun, maxRun = 12, 2*time.Second, 6*time.Second
	}
	seed := time.Now().UnixNano()
	t.Logf("seed %d, %d rounds", seed, rounds)
	rng := rand.New(rand.NewSource(seed))

	b := testbroker.Start(t)
	createTopic(t, b)
	led := newLedger()
	nextSeq := make([]int64, partitions)

	for round := 0; round < rounds; round++ {
		if round > 0 {
			b.Restart(t)
			verify(t, b, led, round)
		}
		runFor := minRun + time.Duration(rng.Int63n(int64(maxRun-minRun)))
		before := led.size()
		produceUntilKilled(t, b, led, nextSeq, runFor)
		n := led.size() - before
		t.Logf("round %d: %d records acknowledged in %v before kill -9", round, n, runFor)
		if n == 0 {
			t.Errorf("round %d: nothing acknowledged in %v, so the crash tested nothing", round, runFor)
		}
	}
	b.Restart(t)
	verify(t, b, led, rounds)
}

func createTopic(t *testing.T, b *testbroker.Broker) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr))
	if err != nil {
		t.Fatalf("kgo client: %v", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Small segments make the crash land across segment rolls too, so
	// recovery must rebuild indexes over many files, not one.
	configs := map[string]*string{"segment.bytes": kadm.StringPtr("1048576")}
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
}

// produceUntilKilled runs one producer goroutine per partition against a
// fresh client for runFor, then kills the broker and stops the producers.
func produceUntilKilled(t *testing.T, b *testbroker.Broker, led *ledger, nextSeq []int64, runFor time.Duration) {
	t.Helper()
	produceUntil(t, b, led, nextSeq, runFor, b.Kill)
}

// produceUntil is produceUntilKilled with the way the broker goes down given
// by stop.
func produceUntil(t *testing.T, b *testbroker.Broker, led *ledger, nextSeq []int64, runFor time.Duration, stop func()) {
	t.Helper()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(b.Addr),
		kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.MaxBufferedRecords(2000),
	)
	if err != nil {
		t.Fatalf("kgo client: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var sent, acked, failed atomic.Int64
	for p := int32(0); p < partitions; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				seq := nextSeq[p]
				nextSeq[p]++
				r := &kgo.Record{Partition: p, Key: key(p, seq), Value: value(p, seq)}
				sent.Add(1)
				cl.Produce(ctx, r, func(r *kgo.Record, err error) {
					if err != nil {
						failed.Add(1)
						return
					}
					acked.Add(1)
					led.add(r.Partition, r.Offset, seq)
				})
			}
		}()
	}
	readerCtx, stopReader := context.WithCancel(context.Background())
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		readLive(t, readerCtx, b)
	}()
	time.Sleep(runFor)
	// The live reader stops first: its errors after the broker goes down
	// would be expected ones.
	stopReader()
	<-readerDone
	stop()
	cancel()
	wg.Wait()
	closed := make(chan struct{})
	go func() {
		cl.Close() // fails whatever is still buffered or in flight
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(30 * time.Second):
		t.Fatalf("producer client did not close within 30 s of the kill")
	}
	// Promises may still be running after Close returns; every one must
	// have reported before the ledger is read.
	deadline := time.Now().Add(30 * time.Second)
	for sent.Load() != acked.Load()+failed.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("%d records sent, %d acknowledged, %d failed when the broker went down", sent.Load(), acked.Load(), failed.Load())
	if sent.Load() != acked.Load()+failed.Load() {
		t.Errorf("%d records sent but only %d acknowledged + %d failed reported", sent.Load(), acked.Load(), failed.Load())
	}
}

// readLive fetches raw batches while the producers write, as a consumer
// tailing the log would: every batch served must be well-formed with a
// valid CRC, and offsets must continue without holes or overlaps.
func readLive(t *testing.T, ctx context.Context, b *testbroker.Broker) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr))
	if err != nil {
		t.Errorf("live reader client: %v", err)
		return
	}
	defer cl.Close()
	// Start at the current end: the log before this round was checked
	// after the restart.
	next := make([]int64, partitions)
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		if ctx.Err() == nil {
			t.Errorf("live reader: list end offsets: %v", err)
		}
		return
	}
	ends.Each(func(o kadm.ListedOffset) { next[o.Partition] = o.Offset })
	checked := 0
	defer func() { t.Logf("live reader checked %d batches", checked) }()
	for ctx.Err() == nil {
		for p := int32(0); p < partitions; p++ {
			batches, _, _, err := kcheck.FetchAll(ctx, cl, topic, p, next[p])
			if err != nil {
				if ctx.Err() == nil {
					t.Errorf("live fetch p%d@%d: %v", p, next[p], err)
				}
				return
			}
			for _, bt := range batches {
				if err := bt.Check(); err != nil {
					t.Errorf("live fetch p%d served a corrupt batch: %v", p, err)
				}
				if bt.BaseOffset != next[p] {
					t.Errorf("live fetch p%d: batch at %d, expected %d", p, bt.BaseOffset, next[p])
				}
				next[p] = bt.LastOffset() + 1
				checked++
			}
		}
	}
}

// verify checks the whole log after a restart: every batch well-formed with
// a valid CRC; offsets from 0 to the high watermark without a hole; every
// record exactly the bytes its producer made; sequence order kept per
// partition; and every acknowledged record at its acknowledged offset.
func verify(t *testing.T, b *testbroker.Broker, led *ledger, round int) {
	t.Helper()
	led.mu.Lock()
	defer led.mu.Unlock()
	for _, c := range led.conflicts {
		t.Errorf("after round %d: %s", round, c)
	}
	led.conflicts = nil

	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr))
	if err != nil {
		t.Fatalf("kgo client: %v", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	hws := map[int32]int64{}
	for p := int32(0); p < partitions; p++ {
		batches, hw, logStart, err := kcheck.FetchAll(ctx, cl, topic, p, 0)
		if err != nil {
			t.Fatalf("after round %d: raw fetch p%d: %v", round, p, err)
		}
		hws[p] = hw
		if logStart != 0 {
			t.Errorf("after round %d: p%d log start %d, want 0", round, p, logStart)
		}
		next := int64(0)
		for _, bt := range batches {
			if err := bt.Check(); err != nil {
				t.Errorf("after round %d: p%d served a corrupt batch: %v", round, p, err)
			}
			if bt.BaseOffset != next {
				t.Errorf("after round %d: p%d batch at %d, expected %d (hole or overlap)", round, p, bt.BaseOffset, next)
			}
			next = bt.LastOffset() + 1
		}
		if next != hw {
			t.Errorf("after round %d: p%d batches end at %d, high watermark %d", round, p, next, hw)
		}
		maxAcked := int64(-1)
		for off := range led.acked[p] {
			maxAcked = max(maxAcked, off)
		}
		if hw <= maxAcked {
			t.Errorf("after round %d: p%d high watermark %d but offset %d was acknowledged", round, p, hw, maxAcked)
		}
	}
	if t.Failed() {
		return
	}

	got := consumeAll(t, ctx, b, hws)
	present, lost := 0, 0
	for p := int32(0); p < partitions; p++ {
		recs := got[p]
		if int64(len(recs)) != hws[p] {
			t.Errorf("after round %d: p%d consumed %d records, high watermark %d", round, p, len(recs), hws[p])
		}
		lastSeq := int64(-1)
		for i, r := range recs {
			if r.Offset != int64(i) {
				t.Errorf("after round %d: p%d record #%d at offset %d (hole)", round, p, i, r.Offset)
				break
			}
			vp, seq, exact := parseValue(r.Value)
			if vp != p || !exact || string(r.Key) != string(key(p, seq)) {
				t.Errorf("after round %d: p%d@%d holds bytes no producer sent: key %q value %.60q", round, p, r.Offset, r.Key, r.Value)
				continue
			}
			if seq <= lastSeq {
				t.Errorf("after round %d: p%d@%d seq %d after seq %d (reordered or duplicated)", round, p, r.Offset, seq, lastSeq)
			}
			lastSeq = seq
		}
		offs := make([]int64, 0, len(led.acked[p]))
		for off := range led.acked[p] {
			offs = append(offs, off)
		}
		sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
		for _, off := range offs {
			seq := led.acked[p][off]
			if off >= int64(len(recs)) {
				lost++
				t.Errorf("after round %d: acknowledged p%d@%d (seq %d) is gone: log ends at %d", round, p, off, seq, len(recs))
				continue
			}
			if _, gotSeq, _ := parseValue(recs[off].Value); gotSeq != seq {
				lost++
				t.Errorf("after round %d: acknowledged p%d@%d was seq %d, log holds seq %d", round, p, off, seq, gotSeq)
				continue
			}
			present++
		}
	}
	t.Logf("after round %d: %d acknowledged records verified, %d lost; high watermarks %v", round, present, lost, hws)
}

// consumeAll reads every partition from offset 0 to its high watermark.
func consumeAll(t *testing.T, ctx context.Context, b *testbroker.Broker, hws map[int32]int64) map[int32][]*kgo.Record {
	t.Helper()
	offsets := map[int32]kgo.Offset{}
	for p := range hws {
		offsets[p] = kgo.NewOffset().At(0)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}))
	if err != nil {
		t.Fatalf("kgo consumer: %v", err)
	}
	defer cl.Close()
	got := map[int32][]*kgo.Record{}
	done := func() bool {
		for p, hw := range hws {
			if int64(len(got[p])) < hw {
				return false
			}
		}
		return true
	}
	for !done() {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Errorf("consume: timed out with %d records of %v", countRecs(got), hws)
			return got
		}
		fs.EachError(func(_ string, p int32, err error) {
			t.Errorf("consume p%d: %v", p, err)
		})
		fs.EachRecord(func(r *kgo.Record) { got[r.Partition] = append(got[r.Partition], r) })
	}
	return got
}

func countRecs(m map[int32][]*kgo.Record) int {
	n := 0
	for _, rs := range m {
		n += len(rs)
	}
	return n
}

// TestGracefulRestart stops the broker with SIGTERM under the same load: it
// must exit with status 0 and, like after a crash, keep every acknowledged
// record.
func TestGracefulRestart(t *testing.T) {
	b := testbroker.Start(t)
	createTopic(t, b)
	led := newLedger()
	nextSeq := make([]int64, partitions)
	for round := 0; round < 2; round++ {
		if round > 0 {
			b.Restart(t)
			verify(t, b, led, round)
		}
		produceUntil(t, b, led, nextSeq, time.Second, func() {
			if err := b.Stop(); err != nil {
				t.Errorf("round %d: SIGTERM under load: %v (want a clean exit, status 0)", round, err)
			}
		})
		if led.size() == 0 {
			t.Errorf("round %d: nothing acknowledged", round)
		}
	}
	b.Restart(t)
	verify(t, b, led, 2)
}
