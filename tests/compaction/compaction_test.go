package compaction

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	kafka "github.com/segmentio/kafka-go"

	"github.com/gregor-stream/gregor/internal/record"
	"github.com/twmb/franz-go/pkg/kgo"
)

// produceRounds writes rounds x keys records (key i's value names its
// round; rounds even), alternating a plain and a zstd producer, then a tombstone for
// every tenth key, then one more round of fresh values for the others.
// It returns each key's latest value (nil: tombstoned) and how many
// records were produced.
func produceRounds(t *testing.T, plain, zstd *kgo.Client, topic string, keys, rounds int) (map[string][]byte, int) {
	t.Helper()
	latest := map[string][]byte{}
	n := 0
	pad := strings.Repeat("p", 200)
	send := func(cl *kgo.Client, rs []*kgo.Record) {
		if err := cl.ProduceSync(ctxT(t), rs...).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
		n += len(rs)
	}
	for r := 0; r < rounds; r++ {
		var rs []*kgo.Record
		for k := 0; k < keys; k++ {
			v := []byte(fmt.Sprintf("%s@%d|%s", keyName(k), r, pad))
			latest[keyName(k)] = v
			rs = append(rs, &kgo.Record{Topic: topic, Key: []byte(keyName(k)), Value: v,
				Headers: []kgo.RecordHeader{{Key: "round", Value: []byte(fmt.Sprint(r))}}})
		}
		cl := plain
		if r%2 == 1 {
			cl = zstd
		}
		send(cl, rs)
	}
	var tombs []*kgo.Record
	for k := 0; k < keys; k += 10 {
		tombs = append(tombs, &kgo.Record{Topic: topic, Key: []byte(keyName(k))})
		latest[keyName(k)] = nil
	}
	// Through zstd, as the last round: the plain producer's last batch
	// (round rounds-2) is then wholly superseded, and the broker keeps it
	// as an empty batch that readers must step over.
	send(zstd, tombs)
	var last []*kgo.Record
	for k := 1; k < keys; k++ {
		if k%10 == 0 {
			continue
		}
		v := []byte(fmt.Sprintf("%s@final", keyName(k)))
		latest[keyName(k)] = v
		last = append(last, &kgo.Record{Topic: topic, Key: []byte(keyName(k)), Value: v,
			Headers: []kgo.RecordHeader{{Key: "round", Value: []byte("final")}}})
	}
	send(zstd, last)
	// Incompressible filler pushes all of that out of the active segment
	// (which is never cleaned).
	for i := 0; i < 4; i++ {
		v := make([]byte, 40<<10)
		rand.Read(v)
		send(zstd, []*kgo.Record{{Topic: topic, Key: []byte("filler"), Value: v,
			Headers: []kgo.RecordHeader{{Key: "round", Value: []byte("filler")}}}})
		latest["filler"] = v
	}
	return latest, n
}

// checkCompacted asserts what a consumer of a compacted topic must see:
// offsets increasing, each key's last record its latest value (tombstones
// included, since delete.retention.ms has not passed), headers intact.
func checkCompacted(t *testing.T, who string, got []rec, latest map[string][]byte) {
	t.Helper()
	last := map[string]rec{}
	prev := int64(-1)
	for _, r := range got {
		if r.offset <= prev {
			t.Fatalf("%s: offset %d after %d", who, r.offset, prev)
		}
		prev = r.offset
		last[r.key] = r
	}
	if len(last) != len(latest) {
		t.Fatalf("%s: %d keys, want %d", who, len(last), len(latest))
	}
	for k, want := range latest {
		r := last[k]
		if want == nil {
			if r.value != nil {
				t.Fatalf("%s: key %s ends with %q, want its tombstone", who, k, r.value)
			}
			continue
		}
		if string(r.value) != string(want) {
			t.Fatalf("%s: key %s ends with %.40q, want %.40q", who, k, r.value, want)
		}
		wantRound := "filler"
		if k != "filler" {
			wantRound = strings.TrimPrefix(strings.SplitN(string(want), "|", 2)[0], k+"@")
		}
		if r.headers["round"] != wantRound {
			t.Fatalf("%s: key %s has header round=%q, want %q", who, k, r.headers["round"], wantRound)
		}
	}
}

// TestCompactedTopicWithRealConsumers: franz-go produces many rounds of
// updates (plain and zstd batches) and tombstones; once the broker's
// cleaner has compacted the topic, franz-go and kafka-go consumers reading
// from the start both end with every key's latest value.
func TestCompactedTopicWithRealConsumers(t *testing.T) {
	b := startBroker(t)
	const topic = "compacted-readers"
	createCompacted(t, b, topic, map[string]string{"delete.retention.ms": "3600000"})
	plain := newKgo(t, b, kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.DefaultProduceTopic(topic))
	zstd := newKgo(t, b, kgo.ProducerBatchCompression(kgo.ZstdCompression()), kgo.DefaultProduceTopic(topic))
	latest, produced := produceRounds(t, plain, zstd, topic, 100, 40)
	end := endOffset(t, b, topic)
	if end != int64(produced) {
		t.Fatalf("end offset %d after %d records", end, produced)
	}
	var got []rec
	deadline := time.Now().Add(60 * time.Second)
	for {
		got = consumeFranz(t, b, topic, end)
		if len(got) < produced/4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d of %d records after 60 s: nothing was compacted", len(got), produced)
		}
		time.Sleep(time.Second)
	}
	t.Logf("franz-go reads %d of %d produced records after compaction", len(got), produced)
	if n := emptyBatches(t, filepath.Join(b.DataDir, topic+"-0")); n == 0 {
		t.Fatal("no empty batch on disk: the readers were not tested on one")
	}
	checkCompacted(t, "franz-go", got, latest)
	checkCompacted(t, "kafka-go", consumeKafkaGo(t, b.Addr, topic, end), latest)
}

// emptyBatches counts the batches with no records left in a partition's
// segment files (the broker keeps a live producer's last batch so).
func emptyBatches(t *testing.T, dir string) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil || len(files) == 0 {
		t.Fatalf("segments in %s: %v", dir, err)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// The active segment may end in a batch being written; whole
		// batches are all this needs.
		_ = record.Split(data, func(b record.Batch) error {
			if b.NumRecords() == 0 {
				n++
			}
			return nil
		})
	}
	return n
}

// consumeKafkaGo reads partition 0 from the first offset up to end with
// kafka-go's Reader, which handles the offset gaps compaction leaves.
func consumeKafkaGo(t *testing.T, addr, topic string, end int64) []rec {
	t.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: 0,
		MaxWait: 200 * time.Millisecond, StartOffset: kafka.FirstOffset})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	var out []rec
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("kafka-go: after %d records: %v", len(out), err)
		}
		h := map[string]string{}
		for _, x := range m.Headers {
			h[x.Key] = string(x.Value)
		}
		out = append(out, rec{offset: m.Offset, key: string(m.Key), value: m.Value, headers: h})
		if m.Offset >= end-1 {
			return out
		}
	}
}

// TestIdempotentProducerAcrossCleaning: an idempotent franz-go producer
// keeps producing to a compacted topic while the cleaner removes its
// older batches, and across a clean restart and a kill -9, without a
// sequence error;
// the topic ends with its latest values.
func TestIdempotentProducerAcrossCleaning(t *testing.T) {
	b := startBroker(t)
	const topic = "compacted-idempotent"
	createCompacted(t, b, topic, nil)
	// franz-go is idempotent by default; one request in flight keeps the
	// test about the broker, not about client reordering.
	cl := newKgo(t, b, kgo.DefaultProduceTopic(topic), kgo.MaxProduceRequestsInflightPerBroker(1),
		kgo.ProducerLinger(0), kgo.RecordRetries(0))
	latest := map[string]string{}
	pad := strings.Repeat("i", 300)
	produced := 0
	produce := func(round int) {
		var rs []*kgo.Record
		for k := 0; k < 20; k++ {
			v := fmt.Sprintf("%d|%s", round, pad)
			latest[keyName(k)] = v
			rs = append(rs, &kgo.Record{Key: []byte(keyName(k)), Value: []byte(v)})
		}
		if err := cl.ProduceSync(ctxT(t), rs...).FirstErr(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		produced += len(rs)
	}
	// Produce until the cleaner has visibly compacted, and keep going.
	compactedAt := -1
	for round := 0; round < 2000 && (compactedAt < 0 || round < compactedAt+50); round++ {
		produce(round)
		if compactedAt < 0 && round%25 == 24 {
			if got := consumeFranz(t, b, topic, endOffset(t, b, topic)); len(got) < produced/2 {
				compactedAt = round
				t.Logf("compacted by round %d: %d of %d records left", round, len(got), produced)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if compactedAt < 0 {
		t.Fatal("the cleaner never compacted the topic")
	}
	b.Restart(t)
	for round := 5000; round < 5050; round++ {
		produce(round)
	}
	// kill -9 while the cleaner may be mid-pass; recovery completes or
	// rolls back any swap, and the producer's state still holds.
	b.Kill()
	b.Restart(t)
	for round := 6000; round < 6050; round++ {
		produce(round)
	}
	got := consumeFranz(t, b, topic, endOffset(t, b, topic))
	final := map[string]string{}
	for _, r := range got {
		final[r.key] = string(r.value)
	}
	for k, v := range latest {
		if final[k] != v {
			t.Fatalf("key %s ends with %.20q, want %.20q", k, final[k], v)
		}
	}
}
