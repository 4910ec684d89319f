package compat

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/tests/kcheck"
	"github.com/gregor-stream/gregor/tests/testbroker"
)

// TestFetchLongPoll parks a Fetch (min 1 byte, max wait 25 s) on an empty
// partition, produces a record 500 ms later, and expects that same Fetch to
// answer with the record, well before its max wait: a broker that only
// answers when the wait expires, or answers empty at once, fails.
func TestFetchLongPoll(t *testing.T) {
	b := testbroker.Start(t)
	const topic = "longpoll"
	createTopic(t, newAdmin(t, b), topic, 1, nil)
	cl := newKgo(t, b)
	id, err := kcheck.TopicID(ctxT(t), cl, topic)
	if err != nil {
		t.Fatal(err)
	}

	const maxWait = 25 * time.Second
	type result struct {
		resp    *kmsg.FetchResponse
		err     error
		elapsed time.Duration
	}
	done := make(chan result, 1)
	go func() {
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID = -1
		req.MaxWaitMillis = int32(maxWait / time.Millisecond)
		req.MinBytes = 1
		req.MaxBytes = 1 << 20
		req.SessionEpoch = -1
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic, rt.TopicID = topic, id
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition, rp.FetchOffset, rp.PartitionMaxBytes = 0, 0, 1<<20
		rp.CurrentLeaderEpoch, rp.LogStartOffset = -1, -1
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		start := time.Now()
		resp, err := req.RequestWith(ctxT(t), cl)
		done <- result{resp, err, time.Since(start)}
	}()

	time.Sleep(500 * time.Millisecond)
	select {
	case r := <-done:
		t.Fatalf("fetch on an empty partition answered before anything was produced (%v, err %v)", r.elapsed, r.err)
	default:
	}
	prod := newKgo(t, b, kgo.DefaultProduceTopic(topic))
	if err := prod.ProduceSync(ctxT(t), &kgo.Record{Key: []byte("k"), Value: []byte("wake up")}).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}

	r := <-done
	if r.err != nil {
		t.Fatalf("long-poll fetch: %v", r.err)
	}
	t.Logf("long-poll fetch answered after %v", r.elapsed)
	if r.elapsed >= maxWait-time.Second {
		t.Errorf("fetch answered after %v: it waited out its max wait instead of completing when data arrived", r.elapsed)
	}
	if len(r.resp.Topics) != 1 || len(r.resp.Topics[0].Partitions) != 1 {
		t.Fatalf("fetch response shape: %d topics", len(r.resp.Topics))
	}
	p := r.resp.Topics[0].Partitions[0]
	if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
		t.Fatalf("fetch partition error: %v", err)
	}
	batches, err := kcheck.ParseBatches(0, p.RecordBatches)
	if err != nil || len(batches) != 1 {
		t.Fatalf("long-poll fetch returned %d batches (%v), want the produced one", len(batches), err)
	}
	if err := batches[0].Check(); err != nil {
		t.Error(err)
	}
	if p.HighWatermark != 1 {
		t.Errorf("high watermark %d, want 1", p.HighWatermark)
	}

	// A consumer sees it too.
	got := consumeKgo(t, b, topic, 1)
	if len(got) != 1 || string(got[0].Value) != "wake up" {
		t.Errorf("consumer got %+v", got)
	}
}

// TestFetchMaxWaitExpires: a Fetch on an empty partition with a short max
// wait answers with an empty (not null) record set and no error once the
// wait is over.
func TestFetchMaxWaitExpires(t *testing.T) {
	b := testbroker.Start(t)
	const topic = "emptywait"
	createTopic(t, newAdmin(t, b), topic, 1, nil)
	cl := newKgo(t, b)
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = 300
	req.MinBytes = 1
	req.MaxBytes = 1 << 20
	req.SessionEpoch = -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	var err error
	if rt.TopicID, err = kcheck.TopicID(ctxT(t), cl, topic); err != nil {
		t.Fatal(err)
	}
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.PartitionMaxBytes, rp.CurrentLeaderEpoch, rp.LogStartOffset = 1<<20, -1, -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		t.Fatalf("fetch: %v", err)
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("fetch response shape: %d topics", len(resp.Topics))
	}
	p := resp.Topics[0].Partitions[0]
	if p.RecordBatches == nil {
		// Kafka sends an empty record set, never null: librdkafka rejects a
		// null one ("invalid MessageSetSize -1") and drops the response.
		t.Errorf("fetch v%d on an empty partition: records field is null, want empty", resp.Version)
	}
	if p.ErrorCode != 0 || len(p.RecordBatches) != 0 || p.HighWatermark != 0 {
		t.Errorf("empty partition fetch: error %v, %d bytes, high watermark %d", kerr.ErrorForCode(p.ErrorCode), len(p.RecordBatches), p.HighWatermark)
	}
}
