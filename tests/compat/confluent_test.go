package compat

import (
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// TestConfluent produces with confluent-kafka-go (librdkafka) with
// enable.idempotence=true, the setting the Java client has by default, in
// every codec, and consumes back with an assigned (group-less) consumer.
func TestConfluent(t *testing.T) {
	b := testbroker.Start(t)
	adm := newAdmin(t, b)
	const topic, partitions = "confluent-compat", 3
	createTopic(t, adm, topic, partitions, nil)

	w := newWorkload("librdkafka")
	var sent []rec
	for _, codec := range codecs {
		p, err := kafka.NewProducer(&kafka.ConfigMap{
			"bootstrap.servers":  b.Addr,
			"compression.codec":  codec,
			"enable.idempotence": true,
			"linger.ms":          20,
		})
		if err != nil {
			t.Fatalf("librdkafka producer: %v", err)
		}
		batch := w.run(codec)
		deliveries := make(chan kafka.Event, len(batch))
		for i, r := range batch {
			m := &kafka.Message{
				TopicPartition: kafka.TopicPartition{Topic: strPtr(topic), Partition: kafka.PartitionAny},
				Key:            r.Key,
				Value:          r.Value,
				Timestamp:      r.Timestamp,
				Opaque:         i,
			}
			for _, h := range r.Headers {
				m.Headers = append(m.Headers, kafka.Header{Key: h.Key, Value: []byte(h.Value)})
			}
			if err := p.Produce(m, deliveries); err != nil {
				t.Fatalf("librdkafka produce %s: %v", codec, err)
			}
		}
		timeout := time.After(opTimeout)
		for range batch {
			select {
			case ev := <-deliveries:
				m := ev.(*kafka.Message)
				if m.TopicPartition.Error != nil {
					t.Fatalf("librdkafka delivery %s: %v", codec, m.TopicPartition.Error)
				}
				i := m.Opaque.(int)
				batch[i].Partition, batch[i].Offset = m.TopicPartition.Partition, int64(m.TopicPartition.Offset)
			case <-timeout:
				t.Fatalf("librdkafka %s: delivery reports missing after %v", codec, opTimeout)
			}
		}
		p.Close()
		sent = append(sent, batch...)
	}

	ends := awaitEndOffsets(t, adm, topic, len(sent))
	got := consumeConfluent(t, b, topic, ends)
	checkConsumed(t, sent, got, checkOpts{exactTS: true, partitionCount: partitions})
	checkStoredBatches(t, b, topic, partitions, codecs)
}

func consumeConfluent(t *testing.T, b *testbroker.Broker, topic string, ends map[int32]int64) []rec {
	t.Helper()
	c, err := kafka.NewConsumer(&kafka.ConfigMap{
		"bootstrap.servers":  b.Addr,
		"group.id":           "compat-assign", // required by librdkafka; no group is joined with Assign
		"enable.auto.commit": false,
	})
	if err != nil {
		t.Fatalf("librdkafka consumer: %v", err)
	}
	defer c.Close()
	var tps []kafka.TopicPartition
	remaining := map[int32]int64{}
	for _, p := range partitionsOf(ends) {
		if ends[p] > 0 {
			tps = append(tps, kafka.TopicPartition{Topic: strPtr(topic), Partition: p, Offset: kafka.OffsetBeginning})
			remaining[p] = ends[p]
		}
	}
	if err := c.Assign(tps); err != nil {
		t.Fatalf("assign: %v", err)
	}
	var out []rec
	deadline := time.Now().Add(opTimeout)
	for len(remaining) > 0 && time.Now().Before(deadline) {
		switch ev := c.Poll(100).(type) {
		case *kafka.Message:
			if ev.TopicPartition.Error != nil {
				t.Errorf("librdkafka consume: %v", ev.TopicPartition.Error)
				continue
			}
			r := rec{
				Partition: ev.TopicPartition.Partition,
				Offset:    int64(ev.TopicPartition.Offset),
				Key:       ev.Key,
				Value:     ev.Value,
				Timestamp: ev.Timestamp,
			}
			if ev.TimestampType != kafka.TimestampCreateTime {
				t.Errorf("p%d@%d: timestamp type %v, want CreateTime", r.Partition, r.Offset, ev.TimestampType)
			}
			for _, h := range ev.Headers {
				r.Headers = append(r.Headers, header{h.Key, string(h.Value)})
			}
			out = append(out, r)
			if r.Offset >= remaining[r.Partition]-1 {
				delete(remaining, r.Partition)
			}
		case kafka.Error:
			t.Logf("librdkafka consumer event: %v", ev)
		}
	}
	if len(remaining) > 0 {
		t.Errorf("librdkafka consumer: partitions %v not read to the end after %v", remaining, opTimeout)
	}
	return out
}

func strPtr(s string) *string { return &s }
