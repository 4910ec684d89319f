package coordinator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/metadata"
	"github.com/gregor-stream/gregor/internal/partition"
)

// TopicSpec describes an internal topic.
type TopicSpec struct {
	Name              string
	Partitions        int32
	ReplicationFactor int16
	Configs           map[string]string
}

// EnsureTopic creates the internal topic through the controller unless the
// current image already has it. A concurrent creation by another broker
// counts as success. The replication factor is capped at the number of live
// brokers so a small cluster can still start its coordinators.
func EnsureTopic(ctx context.Context, meta *metadata.Node, spec TopicSpec) error {
	img := meta.Image()
	if img.Topic(spec.Name) != nil {
		return nil
	}
	rf := spec.ReplicationFactor
	if live := int16(len(img.LiveBrokers())); live > 0 && rf > live {
		rf = live
	}
	if rf <= 0 {
		rf = -1
	}
	res := meta.CreateTopics(ctx, []metadata.CreateTopic{{
		Name:              spec.Name,
		NumPartitions:     spec.Partitions,
		ReplicationFactor: rf,
		Configs:           spec.Configs,
	}}, false)
	err := res[0].Err
	if errors.Is(err, metadata.ErrNotController) && meta.Remote() != nil {
		err = forwardCreate(ctx, meta.Remote(), spec, rf)
	}
	if err != nil && !errors.Is(err, metadata.ErrTopicExists) && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("create %s: %w", spec.Name, err)
	}
	return nil
}

// forwardCreate asks the controller of a cluster, over the Kafka protocol,
// to create the topic: only the controller writes metadata.
func forwardCreate(ctx context.Context, remote metadata.Remote, spec TopicSpec, rf int16) error {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 30000
	t := kmsg.NewCreateTopicsRequestTopic()
	t.Topic = spec.Name
	t.NumPartitions = spec.Partitions
	t.ReplicationFactor = rf
	for k, v := range spec.Configs {
		c := kmsg.NewCreateTopicsRequestTopicConfig()
		c.Name = k
		val := v
		c.Value = &val
		t.Configs = append(t.Configs, c)
	}
	req.Topics = append(req.Topics, t)
	resp, err := remote.Forward(ctx, req)
	if err != nil {
		return fmt.Errorf("forward to controller: %w", err)
	}
	r, ok := resp.(*kmsg.CreateTopicsResponse)
	if !ok || len(r.Topics) != 1 {
		return fmt.Errorf("forward to controller: unexpected response %T", resp)
	}
	return kerr.ErrorForCode(r.Topics[0].ErrorCode)
}

// WaitLeader polls until this node hosts topic-partition as its leader: the
// partition manager opens logs asynchronously after the image that assigns
// them. It gives up when ctx ends or the image names another leader.
func WaitLeader(ctx context.Context, meta *metadata.Node, parts *partition.Manager, topic string, part int32) (*partition.Partition, error) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if p := parts.Get(topic, part); p != nil && p.IsLeader() {
			return p, nil
		}
		if t := meta.Image().Topic(topic); t != nil && int(part) < len(t.Partitions) && t.Partitions[part].Leader != meta.NodeID() {
			return nil, fmt.Errorf("wait for %s-%d: %w", topic, part, partition.ErrNotLeader)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for %s-%d: %w", topic, part, ctx.Err())
		case <-tick.C:
		}
	}
}
