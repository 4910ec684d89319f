package compat

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/kcheck"
	"github.com/gregor-stream/gregor/tests/testbroker"
)

const opTimeout = 30 * time.Second

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newKgo returns a franz-go client for b, closed at cleanup.
func newKgo(t *testing.T, b *testbroker.Broker, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl := openKgo(t, b, opts...)
	t.Cleanup(cl.Close)
	return cl
}

// openKgo returns a franz-go client for b that the caller closes.
func openKgo(t *testing.T, b *testbroker.Broker, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	opts = append([]kgo.Opt{kgo.SeedBrokers(b.Addr)}, opts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatalf("kgo client: %v", err)
	}
	return cl
}

func newAdmin(t *testing.T, b *testbroker.Broker) *kadm.Client {
	return kadm.NewClient(newKgo(t, b))
}

// createTopic creates a topic through kadm and fails the test on any error.
func createTopic(t *testing.T, adm *kadm.Client, topic string, partitions int32, configs map[string]*string) {
	t.Helper()
	resp, err := adm.CreateTopic(ctxT(t), partitions, 1, configs, topic)
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	if resp.Err != nil {
		t.Fatalf("create topic %s: %v (%s)", topic, resp.Err, resp.ErrMessage)
	}
}

// endOffsets returns the high watermark of every partition of topic.
func endOffsets(t *testing.T, adm *kadm.Client, topic string) map[int32]int64 {
	t.Helper()
	lo, err := adm.ListEndOffsets(ctxT(t), topic)
	if err != nil {
		t.Fatalf("list end offsets %s: %v", topic, err)
	}
	out := map[int32]int64{}
	lo.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			t.Errorf("end offset %s/%d: %v", topic, o.Partition, o.Err)
		}
		out[o.Partition] = o.Offset
	})
	return out
}

// awaitEndOffsets polls the end offsets until they sum to want (or 15 s
// pass) and returns the last answer. Acks before the high watermark moves
// are legal (acks=0 and 1 on any broker; acks=1 with followers), but the
// records must become visible.
func awaitEndOffsets(t *testing.T, adm *kadm.Client, topic string, want int) map[int32]int64 {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ends := endOffsets(t, adm, topic)
		if total(ends) == int64(want) || time.Now().After(deadline) {
			if n := total(ends); n != int64(want) {
				t.Errorf("end offsets of %s sum to %d, produced %d (%v)", topic, n, want, ends)
			}
			return ends
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func total(ends map[int32]int64) int64 {
	var n int64
	for _, e := range ends {
		n += e
	}
	return n
}

// consumeKgo reads every partition of topic from the start until want
// records arrived, without a consumer group.
func consumeKgo(t *testing.T, b *testbroker.Broker, topic string, want int) []rec {
	t.Helper()
	cl := newKgo(t, b, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx := ctxT(t)
	var out []rec
	for len(out) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Errorf("franz-go consumer: %d of %d records before timeout", len(out), want)
			break
		}
		fs.EachError(func(topic string, p int32, err error) {
			t.Errorf("franz-go fetch %s/%d: %v", topic, p, err)
		})
		fs.EachRecord(func(r *kgo.Record) { out = append(out, fromKgo(r)) })
	}
	return out
}

func fromKgo(r *kgo.Record) rec {
	out := rec{Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp}
	for _, h := range r.Headers {
		out.Headers = append(out.Headers, header{h.Key, string(h.Value)})
	}
	return out
}

func toKgo(topic string, r rec) *kgo.Record {
	kr := &kgo.Record{Topic: topic, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp}
	for _, h := range r.Headers {
		kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: []byte(h.Value)})
	}
	return kr
}

// checkStoredBatches fetches every batch of topic raw and checks that each
// has a valid v2 header and CRC, and that every codec in want was stored.
func checkStoredBatches(t *testing.T, b *testbroker.Broker, topic string, partitions int32, want []string) {
	t.Helper()
	cl := newKgo(t, b)
	seen := map[string]int{}
	for p := int32(0); p < partitions; p++ {
		batches, _, _, err := kcheck.FetchAll(ctxT(t), cl, topic, p, 0)
		if err != nil {
			t.Errorf("raw fetch: %v", err)
			continue
		}
		for _, bt := range batches {
			if err := bt.Check(); err != nil {
				t.Errorf("%s/%d: %v", topic, p, err)
			}
			seen[bt.Codec()]++
		}
	}
	for _, c := range want {
		if seen[c] == 0 {
			t.Errorf("no batch stored with codec %s (stored: %v)", c, seen)
		}
	}
}

func partitionsOf(ends map[int32]int64) []int32 {
	out := make([]int32, 0, len(ends))
	for p := range ends {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
