package compaction

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

const opTimeout = 30 * time.Second

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

// startBroker runs a broker whose cleaner looks for work every 200 ms.
func startBroker(t *testing.T) *testbroker.Broker {
	return testbroker.Start(t, testbroker.WithArgs("--set", "log.cleaner.backoff.ms=200"))
}

func newKgo(t *testing.T, b *testbroker.Broker, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addr)}, opts...)...)
	if err != nil {
		t.Fatalf("kgo client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// createCompacted creates a one-partition compacted topic with small
// segments, so produced data quickly becomes cleanable.
func createCompacted(t *testing.T, b *testbroker.Broker, topic string, extra map[string]string) {
	t.Helper()
	cfg := map[string]*string{
		"cleanup.policy":            kadm.StringPtr("compact"),
		"segment.bytes":             kadm.StringPtr("65536"),
		"min.cleanable.dirty.ratio": kadm.StringPtr("0.01"),
	}
	for k, v := range extra {
		cfg[k] = kadm.StringPtr(v)
	}
	resp, err := kadm.NewClient(newKgo(t, b)).CreateTopic(ctxT(t), 1, 1, cfg, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create %s: %v %v (%s)", topic, err, resp.Err, resp.ErrMessage)
	}
}

func endOffset(t *testing.T, b *testbroker.Broker, topic string) int64 {
	t.Helper()
	lo, err := kadm.NewClient(newKgo(t, b)).ListEndOffsets(ctxT(t), topic)
	if err != nil {
		t.Fatalf("end offsets: %v", err)
	}
	o, ok := lo.Lookup(topic, 0)
	if !ok || o.Err != nil {
		t.Fatalf("end offset of %s: %v", topic, o.Err)
	}
	return o.Offset
}

// rec is what a consumer saw.
type rec struct {
	offset  int64
	key     string
	value   []byte // nil for a tombstone
	headers map[string]string
}

// consumeFranz reads partition 0 from the start up to end with franz-go.
// The record at end-1 must exist: the newest record is never compacted
// away (tests do not end a topic with a tombstone).
func consumeFranz(t *testing.T, b *testbroker.Broker, topic string, end int64) []rec {
	t.Helper()
	cl := newKgo(t, b, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	ctx := ctxT(t)
	var out []rec
	next := int64(0)
	for next < end {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("franz-go: stuck at offset %d of %d", next, end)
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Fatalf("franz-go fetch: %v", err) })
		fs.EachRecord(func(r *kgo.Record) {
			h := map[string]string{}
			for _, x := range r.Headers {
				h[x.Key] = string(x.Value)
			}
			out = append(out, rec{offset: r.Offset, key: string(r.Key), value: r.Value, headers: h})
			next = r.Offset + 1
		})
	}
	return out
}

func keyName(i int) string { return fmt.Sprintf("key-%03d", i) }
