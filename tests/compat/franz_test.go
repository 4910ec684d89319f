package compat

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

var kgoCodecs = map[string]kgo.CompressionCodec{
	"none":   kgo.NoCompression(),
	"gzip":   kgo.GzipCompression(),
	"snappy": kgo.SnappyCompression(),
	"lz4":    kgo.Lz4Compression(),
	"zstd":   kgo.ZstdCompression(),
}

// TestFranzGo produces with franz-go's defaults (acks=all, idempotent) in
// every codec to a topic created with kadm, and consumes it back.
func TestFranzGo(t *testing.T) {
	b := testbroker.Start(t)
	adm := newAdmin(t, b)
	const topic, partitions = "franz-compat", 3
	createTopic(t, adm, topic, partitions, nil)

	w := newWorkload("franz-go")
	var sent []rec
	for _, codec := range codecs {
		batch := w.run(codec)
		cl := openKgo(t, b, kgo.ProducerBatchCompression(kgoCodecs[codec]), kgo.DefaultProduceTopic(topic))
		krs := make([]*kgo.Record, len(batch))
		index := make(map[*kgo.Record]int, len(batch))
		for i, r := range batch {
			krs[i] = toKgo(topic, r)
			index[krs[i]] = i
		}
		// Results come in completion order, not input order.
		for _, res := range cl.ProduceSync(ctxT(t), krs...) {
			if res.Err != nil {
				t.Fatalf("produce %s: %v", codec, res.Err)
			}
			i := index[res.Record]
			batch[i].Partition, batch[i].Offset = res.Record.Partition, res.Record.Offset
		}
		cl.Close()
		sent = append(sent, batch...)
	}

	awaitEndOffsets(t, adm, topic, len(sent))
	got := consumeKgo(t, b, topic, len(sent))
	checkConsumed(t, sent, got, checkOpts{exactTS: true, partitionCount: partitions})
	checkStoredBatches(t, b, topic, partitions, codecs)
}
