package kcheck

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TopicID returns the topic's id from a Metadata request (zero if the broker
// does not send one).
func TopicID(ctx context.Context, cl *kgo.Client, topic string) ([16]byte, error) {
	req := kmsg.NewPtrMetadataRequest()
	t := kmsg.NewMetadataRequestTopic()
	t.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, t)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return [16]byte{}, fmt.Errorf("metadata %s: %w", topic, err)
	}
	for _, rt := range resp.Topics {
		if rt.Topic != nil && *rt.Topic == topic {
			if err := kerr.ErrorForCode(rt.ErrorCode); err != nil {
				return [16]byte{}, fmt.Errorf("metadata %s: %w", topic, err)
			}
			return rt.TopicID, nil
		}
	}
	return [16]byte{}, fmt.Errorf("metadata %s: topic missing from response", topic)
}

// FetchAll reads every batch of one partition from offset `from` up to the
// high watermark with raw Fetch requests, and returns them with the high
// watermark and log start offset of the last response.
func FetchAll(ctx context.Context, cl *kgo.Client, topic string, partition int32, from int64) (batches []Batch, hw, logStart int64, err error) {
	id, err := TopicID(ctx, cl, topic)
	if err != nil {
		return nil, 0, 0, err
	}
	next := from
	for {
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID = -1
		req.MaxWaitMillis = 0
		req.MinBytes = 1
		req.MaxBytes = 8 << 20
		req.SessionEpoch = -1 // no fetch session
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = topic
		rt.TopicID = id
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = partition
		rp.FetchOffset = next
		rp.PartitionMaxBytes = 4 << 20
		rp.CurrentLeaderEpoch = -1
		rp.LogStartOffset = -1
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)

		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return batches, hw, logStart, fmt.Errorf("fetch %s/%d@%d: %w", topic, partition, next, err)
		}
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return batches, hw, logStart, fmt.Errorf("fetch %s/%d@%d: %w", topic, partition, next, err)
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return batches, hw, logStart, fmt.Errorf("fetch %s/%d@%d: response has %d topics", topic, partition, next, len(resp.Topics))
		}
		p := resp.Topics[0].Partitions[0]
		if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
			return batches, hw, logStart, fmt.Errorf("fetch %s/%d@%d: %w", topic, partition, next, err)
		}
		hw, logStart = p.HighWatermark, p.LogStartOffset
		got, err := ParseBatches(partition, p.RecordBatches)
		if err != nil {
			return batches, hw, logStart, fmt.Errorf("fetch %s/%d@%d: %w", topic, partition, next, err)
		}
		progressed := false
		for _, b := range got {
			if b.LastOffset() < next {
				continue // a batch straddling the fetch offset
			}
			batches = append(batches, b)
			next = b.LastOffset() + 1
			progressed = true
		}
		if next >= hw {
			return batches, hw, logStart, nil
		}
		if !progressed {
			return batches, hw, logStart, fmt.Errorf("fetch %s/%d@%d: no batch below high watermark %d", topic, partition, next, hw)
		}
	}
}
