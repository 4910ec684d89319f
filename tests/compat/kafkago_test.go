package compat

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/compress"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

var kafkagoCodecs = map[string]compress.Compression{
	"none":   0,
	"gzip":   kafka.Gzip,
	"snappy": kafka.Snappy,
	"lz4":    kafka.Lz4,
	"zstd":   kafka.Zstd,
}

// TestKafkaGo produces with segmentio/kafka-go's Writer. Its defaults are
// kept (notably RequiredAcks = RequireNone, i.e. acks=0, so nothing reports
// offsets) except the balancer: the default round-robin would scatter each
// key over partitions, and per-key order is what this test checks.
func TestKafkaGo(t *testing.T) {
	b := testbroker.Start(t)
	adm := newAdmin(t, b)
	const topic, partitions = "kafkago-compat", 3
	createTopic(t, adm, topic, partitions, nil)

	w := newWorkload("kafka-go")
	var sent []rec
	for _, codec := range codecs {
		wr := &kafka.Writer{
			Addr:        kafka.TCP(b.Addr),
			Topic:       topic,
			Balancer:    &kafka.Hash{},
			Compression: kafkagoCodecs[codec],
		}
		batch := w.run(codec)
		msgs := make([]kafka.Message, len(batch))
		for i, r := range batch {
			msgs[i] = kafka.Message{Key: r.Key, Value: r.Value, Time: r.Timestamp}
			for _, h := range r.Headers {
				msgs[i].Headers = append(msgs[i].Headers, kafka.Header{Key: h.Key, Value: []byte(h.Value)})
			}
		}
		if err := wr.WriteMessages(ctxT(t), msgs...); err != nil {
			t.Fatalf("kafka-go write %s: %v", codec, err)
		}
		if err := wr.Close(); err != nil {
			t.Errorf("close writer: %v", err)
		}
		sent = append(sent, batch...)
	}

	got := consumeKafkaGo(t, b, topic, partitions, len(sent))
	awaitEndOffsets(t, adm, topic, len(sent))
	checkConsumed(t, sent, got, checkOpts{exactTS: true, partitionCount: partitions})
	checkStoredBatches(t, b, topic, partitions, codecs)
}

// consumeKafkaGo runs one Reader per partition until want records arrived in
// total: with acks=0 the end offsets are not known in advance.
func consumeKafkaGo(t *testing.T, b *testbroker.Broker, topic string, partitions, want int) []rec {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	var (
		mu  sync.Mutex
		out []rec
		wg  sync.WaitGroup
	)
	for p := 0; p < partitions; p++ {
		// A short MaxWait only makes Close quick: a Reader closes after its
		// fetch in flight returns.
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{b.Addr}, Topic: topic, Partition: p, MaxWait: 500 * time.Millisecond})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.Close()
			for {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
						t.Errorf("kafka-go reader partition %d: %v", m.Partition, err)
					}
					return
				}
				g := rec{Partition: int32(m.Partition), Offset: m.Offset, Key: m.Key, Value: m.Value, Timestamp: m.Time}
				for _, h := range m.Headers {
					g.Headers = append(g.Headers, header{h.Key, string(h.Value)})
				}
				mu.Lock()
				out = append(out, g)
				if len(out) >= want {
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(out) < want {
		t.Errorf("kafka-go readers: %d of %d records before timeout", len(out), want)
	}
	return out
}
