package compat

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/tests/kcheck"
	"github.com/gregor-stream/gregor/tests/testbroker"
)

// produceRaw sends one batch to topic/0 with acks=all and returns the
// partition's error code and base offset.
func produceRaw(t *testing.T, cl *kgo.Client, topic string, id [16]byte, batch []byte) (int16, int64) {
	t.Helper()
	return produceRawTo(t, cl, topic, id, 0, batch)
}

// produceRawTo is produceRaw to any partition.
func produceRawTo(t *testing.T, cl *kgo.Client, topic string, id [16]byte, partition int32, batch []byte) (int16, int64) {
	t.Helper()
	req := kmsg.NewPtrProduceRequest()
	req.Acks = -1
	req.TimeoutMillis = 10000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rt.TopicID = id
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition = partition
	rp.Records = batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatalf("produce request: %v", err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("produce response has %d topics", len(resp.Topics))
	}
	p := resp.Topics[0].Partitions[0]
	return p.ErrorCode, p.BaseOffset
}

func initProducerID(t *testing.T, cl *kgo.Client) (int64, int16) {
	t.Helper()
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionTimeoutMillis = 60000
	req.ProducerID = -1
	req.ProducerEpoch = -1
	resp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatalf("InitProducerId: %v", err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		t.Fatalf("InitProducerId: %v", err)
	}
	if resp.ProducerID < 0 {
		t.Fatalf("InitProducerId gave producer id %d", resp.ProducerID)
	}
	return resp.ProducerID, resp.ProducerEpoch
}

func kvs(prefix string, n int) []kcheck.KV {
	out := make([]kcheck.KV, n)
	for i := range out {
		out[i] = kcheck.KV{Key: []byte(fmt.Sprintf("%s-k%d", prefix, i)), Value: []byte(fmt.Sprintf("%s-v%d", prefix, i))}
	}
	return out
}

// TestIdempotentDuplicateBatch resends an idempotent batch by hand, as a
// producer does after a lost response: Kafka answers the retry with success
// and the original base offset and keeps one copy; a batch that skips
// sequence numbers gets OUT_OF_ORDER_SEQUENCE_NUMBER and is not appended.
func TestIdempotentDuplicateBatch(t *testing.T) {
	b := testbroker.Start(t)
	const topic = "idempotence"
	createTopic(t, newAdmin(t, b), topic, 1, nil)
	cl := newKgo(t, b)
	id, err := kcheck.TopicID(ctxT(t), cl, topic)
	if err != nil {
		t.Fatal(err)
	}
	pid, epoch := initProducerID(t, cl)
	ts := time.Now().UnixMilli()

	first := kcheck.BuildBatch(kcheck.BatchSpec{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: 0, Timestamp: ts, Records: kvs("a", 3)})
	code, base := produceRaw(t, cl, topic, id, first)
	if code != 0 {
		t.Fatalf("first batch: %v", kerr.ErrorForCode(code))
	}
	code, again := produceRaw(t, cl, topic, id, first)
	if code != 0 {
		t.Errorf("duplicate batch: %v, want success", kerr.ErrorForCode(code))
	}
	if again != base {
		t.Errorf("duplicate batch acknowledged at offset %d, original at %d", again, base)
	}

	gap := kcheck.BuildBatch(kcheck.BatchSpec{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: 4, Timestamp: ts, Records: kvs("gap", 2)})
	code, _ = produceRaw(t, cl, topic, id, gap)
	if code != kerr.OutOfOrderSequenceNumber.Code {
		t.Errorf("batch with sequence 4 after 0..2: %v, want OUT_OF_ORDER_SEQUENCE_NUMBER", kerr.ErrorForCode(code))
	}

	next := kcheck.BuildBatch(kcheck.BatchSpec{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: 3, Timestamp: ts, Records: kvs("b", 2)})
	code, nextBase := produceRaw(t, cl, topic, id, next)
	if code != 0 {
		t.Fatalf("in-order batch after the rejected gap: %v", kerr.ErrorForCode(code))
	}
	if nextBase != base+3 {
		t.Errorf("next batch at offset %d, want %d", nextBase, base+3)
	}

	batches, hw, _, err := kcheck.FetchAll(ctxT(t), cl, topic, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if hw != base+5 {
		t.Errorf("high watermark %d, want %d (3 + 2 records, duplicate and gap not appended)", hw, base+5)
	}
	if len(batches) != 2 {
		t.Fatalf("log holds %d batches, want 2", len(batches))
	}
	for i, want := range []struct {
		base int64
		seq  int32
	}{{base, 0}, {base + 3, 3}} {
		bt := batches[i]
		if err := bt.Check(); err != nil {
			t.Error(err)
		}
		if bt.BaseOffset != want.base || bt.ProducerID != pid || bt.BaseSequence != want.seq {
			t.Errorf("batch %d: base %d pid %d seq %d, want base %d pid %d seq %d",
				i, bt.BaseOffset, bt.ProducerID, bt.BaseSequence, want.base, pid, want.seq)
		}
	}
}

// TestIdempotenceSurvivesRestart: a producer whose batch was written just
// before the broker died retries it against the restarted broker. Kafka
// rebuilds producer state from the log (and its snapshots), so the retry is
// answered with the original offset and not appended again; the next
// sequence number continues the log.
func TestIdempotenceSurvivesRestart(t *testing.T) {
	for _, how := range []string{"SIGKILL", "SIGTERM"} {
		t.Run(how, func(t *testing.T) {
			b := testbroker.Start(t)
			const topic = "idempotence-restart"
			createTopic(t, newAdmin(t, b), topic, 1, nil)
			cl := openKgo(t, b)
			id, err := kcheck.TopicID(ctxT(t), cl, topic)
			if err != nil {
				t.Fatal(err)
			}
			pid, epoch := initProducerID(t, cl)
			ts := time.Now().UnixMilli()
			var first []byte
			for seq := int32(0); seq < 9; seq += 3 {
				first = kcheck.BuildBatch(kcheck.BatchSpec{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq, Timestamp: ts, Records: kvs(fmt.Sprint("s", seq), 3)})
				if code, _ := produceRaw(t, cl, topic, id, first); code != 0 {
					t.Fatalf("batch seq %d: %v", seq, kerr.ErrorForCode(code))
				}
			}
			cl.Close()
			if how == "SIGKILL" {
				b.Kill()
			} else if err := b.Stop(); err != nil {
				t.Errorf("stop: %v", err)
			}
			b.Restart(t)

			cl = newKgo(t, b)
			code, base := produceRaw(t, cl, topic, id, first) // the last batch, seq 6..8
			if code != 0 || base != 6 {
				t.Errorf("retry of the last batch after restart: %v at offset %d, want success at 6", kerr.ErrorForCode(code), base)
			}
			next := kcheck.BuildBatch(kcheck.BatchSpec{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: 9, Timestamp: ts, Records: kvs("s9", 2)})
			if code, base := produceRaw(t, cl, topic, id, next); code != 0 || base != 9 {
				t.Errorf("next batch after restart: %v at offset %d, want success at 9", kerr.ErrorForCode(code), base)
			}
			gap := kcheck.BuildBatch(kcheck.BatchSpec{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: 20, Timestamp: ts, Records: kvs("gap", 1)})
			if code, _ := produceRaw(t, cl, topic, id, gap); code != kerr.OutOfOrderSequenceNumber.Code {
				t.Errorf("sequence gap after restart: %v, want OUT_OF_ORDER_SEQUENCE_NUMBER", kerr.ErrorForCode(code))
			}
			_, hw, _, err := kcheck.FetchAll(ctxT(t), cl, topic, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if hw != 11 {
				t.Errorf("high watermark %d, want 11 (9 + 2 records; retry and gap not appended)", hw)
			}
		})
	}
}
