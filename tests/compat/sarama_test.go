package compat

import (
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/gregor-stream/gregor/tests/kcheck"
	"github.com/gregor-stream/gregor/tests/testbroker"
)

var saramaCodecs = map[string]sarama.CompressionCodec{
	"none":   sarama.CompressionNone,
	"gzip":   sarama.CompressionGZIP,
	"snappy": sarama.CompressionSnappy,
	"lz4":    sarama.CompressionLZ4,
	"zstd":   sarama.CompressionZSTD,
}

// TestSarama produces with sarama's defaults (hash partitioner, acks=1)
// to a topic that does not exist yet, so the broker auto-creates it with
// num.partitions, and consumes it back with sarama's partition consumers.
func TestSarama(t *testing.T) {
	const partitions = 3
	b := testbroker.Start(t, testbroker.WithArgs("--set", "num.partitions=3"))
	const topic = "sarama-compat"

	w := newWorkload("sarama")
	var sent []rec
	for _, codec := range codecs {
		cfg := sarama.NewConfig()
		cfg.Producer.Return.Successes = true // required by SyncProducer
		cfg.Producer.Compression = saramaCodecs[codec]
		prod, err := sarama.NewSyncProducer([]string{b.Addr}, cfg)
		if err != nil {
			t.Fatalf("sarama producer: %v", err)
		}
		batch := w.run(codec)
		msgs := make([]*sarama.ProducerMessage, len(batch))
		for i, r := range batch {
			m := &sarama.ProducerMessage{
				Topic:     topic,
				Key:       sarama.ByteEncoder(r.Key),
				Value:     sarama.ByteEncoder(r.Value),
				Timestamp: r.Timestamp,
			}
			for _, h := range r.Headers {
				m.Headers = append(m.Headers, sarama.RecordHeader{Key: []byte(h.Key), Value: []byte(h.Value)})
			}
			msgs[i] = m
		}
		if err := prod.SendMessages(msgs); err != nil {
			t.Fatalf("sarama produce %s: %v", codec, err)
		}
		for i, m := range msgs {
			batch[i].Partition, batch[i].Offset = m.Partition, m.Offset
		}
		if err := prod.Close(); err != nil {
			t.Errorf("close producer: %v", err)
		}
		sent = append(sent, batch...)
	}

	adm := newAdmin(t, b)
	ends := awaitEndOffsets(t, adm, topic, len(sent))
	if len(ends) != partitions {
		t.Errorf("auto-created topic has %d partitions, broker num.partitions=%d", len(ends), partitions)
	}

	got := consumeSarama(t, b, topic, ends)
	checkConsumed(t, sent, got, checkOpts{exactTS: true, partitionCount: partitions})
	checkStoredBatches(t, b, topic, partitions, codecs)
}

// consumeSarama reads each partition from the oldest offset up to its end.
func consumeSarama(t *testing.T, b *testbroker.Broker, topic string, ends map[int32]int64) []rec {
	t.Helper()
	cons, err := sarama.NewConsumer([]string{b.Addr}, sarama.NewConfig())
	if err != nil {
		t.Fatalf("sarama consumer: %v", err)
	}
	defer cons.Close()
	var (
		mu  sync.Mutex
		out []rec
		wg  sync.WaitGroup
	)
	for _, p := range partitionsOf(ends) {
		end := ends[p]
		if end == 0 {
			continue
		}
		pc, err := cons.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatalf("consume partition %d: %v", p, err)
		}
		wg.Add(1)
		go func(p int32) {
			defer wg.Done()
			defer pc.Close()
			timeout := time.After(opTimeout)
			for {
				select {
				case m := <-pc.Messages():
					r := rec{Partition: m.Partition, Offset: m.Offset, Key: m.Key, Value: m.Value, Timestamp: m.Timestamp}
					for _, h := range m.Headers {
						r.Headers = append(r.Headers, header{string(h.Key), string(h.Value)})
					}
					mu.Lock()
					out = append(out, r)
					mu.Unlock()
					if m.Offset >= end-1 {
						return
					}
				case err := <-pc.Errors():
					t.Errorf("sarama partition %d: %v", p, err)
					return
				case <-timeout:
					t.Errorf("sarama partition %d: not at end offset %d after %v", p, end, opTimeout)
					return
				}
			}
		}(p)
	}
	wg.Wait()
	return out
}

// TestSaramaIdempotent produces with sarama's idempotent producer (which
// needs acks=all and one request in flight) and checks every record sits at
// the offset sarama reported, once.
func TestSaramaIdempotent(t *testing.T) {
	b := testbroker.Start(t)
	adm := newAdmin(t, b)
	const topic, partitions = "sarama-idempotent", 2
	createTopic(t, adm, topic, partitions, nil)

	cfg := sarama.NewConfig()
	cfg.Producer.Idempotent = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Return.Successes = true
	cfg.Net.MaxOpenRequests = 1
	cfg.Producer.Compression = sarama.CompressionZSTD
	prod, err := sarama.NewSyncProducer([]string{b.Addr}, cfg)
	if err != nil {
		t.Fatalf("sarama idempotent producer: %v", err)
	}
	w := newWorkload("sarama-idem")
	sent := w.run("zstd")
	for i := range sent {
		m := &sarama.ProducerMessage{Topic: topic, Key: sarama.ByteEncoder(sent[i].Key),
			Value: sarama.ByteEncoder(sent[i].Value), Timestamp: sent[i].Timestamp}
		for _, h := range sent[i].Headers {
			m.Headers = append(m.Headers, sarama.RecordHeader{Key: []byte(h.Key), Value: []byte(h.Value)})
		}
		p, off, err := prod.SendMessage(m)
		if err != nil {
			t.Fatalf("idempotent send %d: %v", i, err)
		}
		sent[i].Partition, sent[i].Offset = p, off
	}
	if err := prod.Close(); err != nil {
		t.Errorf("close producer: %v", err)
	}
	ends := awaitEndOffsets(t, adm, topic, len(sent))
	got := consumeSarama(t, b, topic, ends)
	checkConsumed(t, sent, got, checkOpts{exactTS: true, partitionCount: partitions})

	// Each stored batch carries a producer id: the broker kept the
	// idempotence metadata sarama sent.
	cl := newKgo(t, b)
	for p := int32(0); p < partitions; p++ {
		batches, _, _, err := kcheck.FetchAll(ctxT(t), cl, topic, p, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, bt := range batches {
			if bt.ProducerID < 0 || bt.BaseSequence < 0 {
				t.Errorf("p%d batch at %d: producer id %d sequence %d, want the idempotent producer's", p, bt.BaseOffset, bt.ProducerID, bt.BaseSequence)
			}
		}
	}
}
