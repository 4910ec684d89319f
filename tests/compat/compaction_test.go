package compat

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// TestCompaction: a compacted topic receives many updates for a few keys
// over several segments, and a tombstone for one key. The cleaner must
// eventually drop superseded records, keep the latest value of every live
// key, and keep offsets increasing; the tombstoned key's older values go.
func TestCompaction(t *testing.T) {
	b := testbroker.Start(t, testbroker.WithArgs("--set", "log.cleaner.backoff.ms=200"))
	adm := newAdmin(t, b)
	const topic = "compacted"
	createTopic(t, adm, topic, 1, map[string]*string{
		"cleanup.policy":            kadm.StringPtr("compact"),
		"segment.bytes":             kadm.StringPtr("1048576"),
		"min.cleanable.dirty.ratio": kadm.StringPtr("0.01"),
		"delete.retention.ms":       kadm.StringPtr("100"),
	})
	// Uncompressed, so the padding really fills several 1 MiB segments
	// (kgo compresses with snappy by default, and "xxx..." shrinks ~100x).
	cl := newKgo(t, b, kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(kgo.NoCompression()))
	const keys, rounds = 20, 200 // 4000 records of ~1 KiB: several segments
	latest := map[string]string{}
	pad := strings.Repeat("x", 1000)
	for r := 0; r < rounds; r++ {
		var rs []*kgo.Record
		for k := 0; k < keys; k++ {
			key := fmt.Sprintf("key-%02d", k)
			v := fmt.Sprintf("%s@%04d|%s", key, r, pad)
			latest[key] = v
			rs = append(rs, &kgo.Record{Key: []byte(key), Value: []byte(v)})
		}
		if err := cl.ProduceSync(ctxT(t), rs...).FirstErr(); err != nil {
			t.Fatalf("produce round %d: %v", r, err)
		}
	}
	// Delete key-00 with a tombstone, then roll past it so it is cleanable.
	if err := cl.ProduceSync(ctxT(t), &kgo.Record{Key: []byte("key-00"), Value: nil}).FirstErr(); err != nil {
		t.Fatalf("tombstone: %v", err)
	}
	delete(latest, "key-00")
	var filler []*kgo.Record
	for i := 0; i < 1200; i++ {
		filler = append(filler, &kgo.Record{Key: []byte("filler"), Value: []byte(pad)})
	}
	if err := cl.ProduceSync(ctxT(t), filler...).FirstErr(); err != nil {
		t.Fatalf("filler: %v", err)
	}
	latest["filler"] = pad
	produced := keys*rounds + 1 + len(filler)

	var got []rec
	deadline := time.Now().Add(30 * time.Second)
	for {
		ends := endOffsets(t, adm, topic)
		got = consumeToEnd(t, b, topic, ends[0])
		if len(got) < produced/2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(got) >= produced/2 {
		t.Fatalf("still %d of %d records after 30 s: the cleaner compacted nothing", len(got), produced)
	}
	last := map[string]string{}
	prev := int64(-1)
	for _, r := range got {
		if r.Offset <= prev {
			t.Errorf("offset %d after %d", r.Offset, prev)
		}
		prev = r.Offset
		if r.Value == nil {
			delete(last, string(r.Key))
			continue
		}
		last[string(r.Key)] = string(r.Value)
	}
	for k, v := range latest {
		if last[k] != v {
			t.Errorf("key %s: latest value %.20q lost (have %.20q)", k, v, last[k])
		}
	}
	if v, ok := last["key-00"]; ok {
		t.Errorf("tombstoned key-00 still reads %.20q", v)
	}
	t.Logf("%d of %d records left after compaction", len(got), produced)
}

// consumeToEnd reads partition 0 from its start until the record before
// end: a compacted log has gaps, so counting records cannot tell the end.
func consumeToEnd(t *testing.T, b *testbroker.Broker, topic string, end int64) []rec {
	t.Helper()
	cl := openKgo(t, b, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	defer cl.Close()
	ctx := ctxT(t)
	var out []rec
	for len(out) == 0 || out[len(out)-1].Offset < end-1 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consume to %d: timed out at %d records", end, len(out))
		}
		fs.EachError(func(_ string, _ int32, err error) { t.Errorf("fetch: %v", err) })
		fs.EachRecord(func(r *kgo.Record) { out = append(out, fromKgo(r)) })
	}
	return out
}
