package compat

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/tests/kcheck"
	"github.com/gregor-stream/gregor/tests/testbroker"
)

// TestRequestErrorCodes: requests naming things that do not exist, or a
// leader epoch from the future or the past, get Kafka's error codes (which
// clients act on: refresh metadata, reset, retry).
func TestRequestErrorCodes(t *testing.T) {
	b := testbroker.Start(t)
	const topic = "codes"
	createTopic(t, newAdmin(t, b), topic, 2, nil)
	cl := newKgo(t, b)
	id, err := kcheck.TopicID(ctxT(t), cl, topic)
	if err != nil {
		t.Fatal(err)
	}
	batch := func() []byte {
		return kcheck.BuildBatch(kcheck.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
			Timestamp: time.Now().UnixMilli(), Records: kvs("e", 1)})
	}
	if code, _ := produceRawTo(t, cl, topic, id, 7, batch()); code != kerr.UnknownTopicOrPartition.Code {
		t.Errorf("produce to partition 7 of 2: %v, want UNKNOWN_TOPIC_OR_PARTITION", kerr.ErrorForCode(code))
	}
	if code, _ := produceRawTo(t, cl, topic, id, 0, batch()); code != 0 {
		t.Fatalf("produce: %v", kerr.ErrorForCode(code))
	}

	fetch := func(epoch int32, partition int32) int16 {
		t.Helper()
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID, req.MaxBytes, req.SessionEpoch = -1, 1<<20, -1
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic, rt.TopicID = topic, id
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition, rp.PartitionMaxBytes, rp.CurrentLeaderEpoch, rp.LogStartOffset = partition, 1<<20, epoch, -1
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctxT(t), cl)
		if err != nil {
			t.Fatalf("fetch: %v", err)
		}
		if resp.ErrorCode != 0 {
			return resp.ErrorCode
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			t.Fatalf("fetch response shape: %+v", resp.Topics)
		}
		return resp.Topics[0].Partitions[0].ErrorCode
	}
	// The partition's current leader epoch, from Metadata.
	mreq := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	mreq.Topics = append(mreq.Topics, mt)
	mresp, err := mreq.RequestWith(ctxT(t), cl)
	if err != nil || len(mresp.Topics) != 1 || len(mresp.Topics[0].Partitions) == 0 {
		t.Fatalf("metadata: %v", err)
	}
	epoch := mresp.Topics[0].Partitions[0].LeaderEpoch
	if code := fetch(epoch, 0); code != 0 {
		t.Errorf("fetch with the current leader epoch %d: %v", epoch, kerr.ErrorForCode(code))
	}
	if code := fetch(epoch+5, 0); code != kerr.UnknownLeaderEpoch.Code {
		t.Errorf("fetch with leader epoch %d (current %d): %v, want UNKNOWN_LEADER_EPOCH", epoch+5, epoch, kerr.ErrorForCode(code))
	}
	if epoch > 0 {
		if code := fetch(epoch-1, 0); code != kerr.FencedLeaderEpoch.Code {
			t.Errorf("fetch with leader epoch %d (current %d): %v, want FENCED_LEADER_EPOCH", epoch-1, epoch, kerr.ErrorForCode(code))
		}
	}
	// Kafka answers a missing partition of a known topic with
	// UNKNOWN_TOPIC_OR_PARTITION; UNKNOWN_TOPIC_ID (the id is known) is
	// accepted too, as both make clients refresh metadata.
	if code := fetch(-1, 9); code != kerr.UnknownTopicOrPartition.Code && code != kerr.UnknownTopicID.Code {
		t.Errorf("fetch partition 9 of 2: %v, want UNKNOWN_TOPIC_OR_PARTITION", kerr.ErrorForCode(code))
	}

	// ListOffsets for a partition that does not exist.
	lreq := kmsg.NewPtrListOffsetsRequest()
	lreq.ReplicaID = -1
	lt := kmsg.NewListOffsetsRequestTopic()
	lt.Topic = topic
	lp := kmsg.NewListOffsetsRequestTopicPartition()
	lp.Partition, lp.Timestamp, lp.CurrentLeaderEpoch = 5, -1, -1
	lt.Partitions = append(lt.Partitions, lp)
	lreq.Topics = append(lreq.Topics, lt)
	// Straight to the broker: the client would refuse to route a request
	// for a partition it has no leader for.
	raw, err := cl.Broker(b.NodeID).Request(ctxT(t), lreq)
	lresp, _ := raw.(*kmsg.ListOffsetsResponse)
	if err != nil || lresp == nil || len(lresp.Topics) != 1 || len(lresp.Topics[0].Partitions) != 1 {
		t.Fatalf("list offsets: %v", err)
	}
	if code := lresp.Topics[0].Partitions[0].ErrorCode; code != kerr.UnknownTopicOrPartition.Code {
		t.Errorf("list offsets for partition 5 of 2: %v, want UNKNOWN_TOPIC_OR_PARTITION", kerr.ErrorForCode(code))
	}
}
