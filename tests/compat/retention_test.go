package compat

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/kcheck"
	"github.com/gregor-stream/gregor/tests/testbroker"
)

// fillSegments produces n records of size bytes each (in batches of 50)
// with the given timestamp; it returns nothing but fails the test on error.
func fillSegments(t *testing.T, b *testbroker.Broker, topic string, n, size int, ts time.Time) {
	t.Helper()
	cl := newKgo(t, b, kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(kgo.NoCompression()))
	for i := 0; i < n; i += 50 {
		var rs []*kgo.Record
		for j := i; j < i+50 && j < n; j++ {
			v := bytes.Repeat([]byte{byte('a' + j%26)}, size)
			copy(v, fmt.Sprintf("r%07d|", j))
			rs = append(rs, &kgo.Record{Value: v, Timestamp: ts})
		}
		if err := cl.ProduceSync(ctxT(t), rs...).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
}

// awaitLogStart polls until the log start offset of topic/0 passes 0.
func awaitLogStart(t *testing.T, adm *kadm.Client, topic string) int64 {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		lo, err := adm.ListStartOffsets(ctxT(t), topic)
		if err == nil {
			if o, ok := lo.Lookup(topic, 0); ok && o.Err == nil && o.Offset > 0 {
				return o.Offset
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	return 0
}

// checkTail asserts the partition serves [start, end) intact: contiguous,
// well-formed batches, each record the one produced at that offset.
func checkTail(t *testing.T, b *testbroker.Broker, topic string, start, end int64) {
	t.Helper()
	batches, hw, logStart, err := kcheck.FetchAll(ctxT(t), newKgo(t, b), topic, 0, start)
	if err != nil {
		t.Fatalf("fetch from log start %d: %v", start, err)
	}
	if hw != end || logStart != start {
		t.Errorf("fetch: high watermark %d log start %d, want %d and %d", hw, logStart, end, start)
	}
	next := start
	for _, bt := range batches {
		if err := bt.Check(); err != nil {
			t.Error(err)
		}
		if bt.BaseOffset > next {
			t.Errorf("hole: batch at %d, expected %d", bt.BaseOffset, next)
		}
		next = bt.LastOffset() + 1
	}
	if next != end {
		t.Errorf("batches end at %d, high watermark %d", next, end)
	}
}

// TestRetentionBySize: with retention.bytes of 1 MiB and 1 MiB segments,
// writing ~4 MiB makes the broker delete old segments: the log start
// offset moves forward, the end stays, and what remains is served intact.
func TestRetentionBySize(t *testing.T) {
	b := testbroker.Start(t, testbroker.WithArgs("--set", "log.retention.check.interval.ms=200"))
	adm := newAdmin(t, b)
	const topic = "retention-bytes"
	createTopic(t, adm, topic, 1, map[string]*string{
		"segment.bytes":   kadm.StringPtr("1048576"),
		"retention.bytes": kadm.StringPtr("1048576"),
	})
	const n = 4000
	fillSegments(t, b, topic, n, 1000, time.Now())
	start := awaitLogStart(t, adm, topic)
	if start == 0 {
		t.Fatalf("log start offset still 0 after writing ~4 MiB with retention.bytes=1 MiB")
	}
	if kept := n - start; kept*1000 < 1<<20 {
		t.Errorf("only %d records (~%d KiB) kept; retention.bytes keeps at least 1 MiB", kept, kept*1000>>10)
	}
	checkTail(t, b, topic, start, n)
}

// TestRetentionByTime: records stamped two hours ago in a topic with
// retention.ms of one hour are deleted once their segment is closed; the
// active segment is kept.
func TestRetentionByTime(t *testing.T) {
	b := testbroker.Start(t, testbroker.WithArgs("--set", "log.retention.check.interval.ms=200"))
	adm := newAdmin(t, b)
	const topic = "retention-time"
	createTopic(t, adm, topic, 1, map[string]*string{
		"segment.bytes": kadm.StringPtr("1048576"),
		"retention.ms":  kadm.StringPtr("3600000"),
	})
	const old = 2500
	fillSegments(t, b, topic, old, 1000, time.Now().Add(-2*time.Hour))
	fillSegments(t, b, topic, 100, 1000, time.Now())
	start := awaitLogStart(t, adm, topic)
	if start == 0 {
		t.Fatalf("log start offset still 0: nothing deleted although records are older than retention.ms")
	}
	if start > old {
		t.Errorf("log start %d is past the old records (%d): fresh records were deleted", start, old)
	}
	checkTail(t, b, topic, start, old+100)
}

// TestCompactTopicIgnoresRetention: a topic with cleanup.policy=compact
// (and not delete) keeps records older than retention.ms; only compaction
// may remove them, and with distinct keys it removes nothing.
func TestCompactTopicIgnoresRetention(t *testing.T) {
	b := testbroker.Start(t, testbroker.WithArgs("--set", "log.retention.check.interval.ms=200"))
	adm := newAdmin(t, b)
	const topic = "compact-retention"
	createTopic(t, adm, topic, 1, map[string]*string{
		"cleanup.policy": kadm.StringPtr("compact"),
		"segment.bytes":  kadm.StringPtr("1048576"),
		"retention.ms":   kadm.StringPtr("3600000"),
	})
	cl := newKgo(t, b, kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(kgo.NoCompression()))
	const n = 3000
	old := time.Now().Add(-2 * time.Hour)
	for i := 0; i < n; i += 100 {
		var rs []*kgo.Record
		for j := i; j < i+100; j++ {
			rs = append(rs, &kgo.Record{Key: []byte(fmt.Sprintf("key-%05d", j)), Value: bytes.Repeat([]byte{'v'}, 1000), Timestamp: old})
		}
		if err := cl.ProduceSync(ctxT(t), rs...).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	// Several retention checks pass in this time.
	time.Sleep(3 * time.Second)
	lo, err := adm.ListStartOffsets(ctxT(t), topic)
	if err != nil {
		t.Fatalf("list start offsets: %v", err)
	}
	if o, _ := lo.Lookup(topic, 0); o.Offset != 0 {
		t.Errorf("log start offset %d: time retention deleted records of a compact-only topic", o.Offset)
	}
	checkTail(t, b, topic, 0, n)
}
