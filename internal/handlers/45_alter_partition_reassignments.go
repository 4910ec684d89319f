package handlers

// AlterPartitionReassignments (key 45), version 0, and
// ListPartitionReassignments (key 46), version 0: move partitions to new
// replica sets (null replicas cancel a move), run by the controller; other
// nodes forward both there (cluster_apis.go). The new replicas fetch as
// followers; the move completes when they are all in the ISR.

import (
	"context"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/metadata"
)

func (b *broker) alterPartitionReassignments(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.AlterPartitionAssignmentsRequest)
	resp := kmsg.NewPtrAlterPartitionAssignmentsResponse()
	var reqs []metadata.Reassignment
	for _, t := range req.Topics {
		for _, p := range t.Partitions {
			reqs = append(reqs, metadata.Reassignment{Topic: t.Topic, Partition: p.Partition, Replicas: p.Replicas})
		}
	}
	timeout := time.Duration(req.TimeoutMillis) * time.Millisecond
	if timeout <= 0 || timeout > forwardTimeout {
		timeout = forwardTimeout
	}
	go func() {
		ctx, cancel := context.WithTimeout(rc.Ctx, timeout)
		defer cancel()
		errs := b.Meta.AlterPartitionReassignments(ctx, reqs)
		i := 0
		for _, t := range req.Topics {
			st := kmsg.NewAlterPartitionAssignmentsResponseTopic()
			st.Topic = t.Topic
			for _, p := range t.Partitions {
				sp := kmsg.NewAlterPartitionAssignmentsResponseTopicPartition()
				sp.Partition = p.Partition
				if i < len(errs) && errs[i] != nil {
					sp.ErrorCode = errorCode(errs[i])
					msg := errs[i].Error()
					sp.ErrorMessage = &msg
				}
				i++
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		reply(resp)
	}()
}

func (b *broker) listPartitionReassignments(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.ListPartitionReassignmentsRequest)
	resp := kmsg.NewPtrListPartitionReassignmentsResponse()
	if !b.Meta.IsController() && b.Meta.Remote() != nil {
		// Only reached when forwarding failed: answer as Kafka does.
		resp.ErrorCode = kerr.NotController.Code
		reply(resp)
		return
	}
	want := func(topic string, p int32) bool {
		if req.Topics == nil {
			return true
		}
		for _, t := range req.Topics {
			if t.Topic == topic && slices.Contains(t.Partitions, p) {
				return true
			}
		}
		return false
	}
	byTopic := map[string]int{}
	for _, s := range b.image().Reassignments() {
		if !want(s.Topic, s.Partition) {
			continue
		}
		i, ok := byTopic[s.Topic]
		if !ok {
			i = len(resp.Topics)
			byTopic[s.Topic] = i
			t := kmsg.NewListPartitionReassignmentsResponseTopic()
			t.Topic = s.Topic
			resp.Topics = append(resp.Topics, t)
		}
		p := kmsg.NewListPartitionReassignmentsResponseTopicPartition()
		p.Partition, p.Replicas, p.AddingReplicas, p.RemovingReplicas = s.Partition, s.Replicas, s.AddingReplicas, s.RemovingReplicas
		resp.Topics[i].Partitions = append(resp.Topics[i].Partitions, p)
	}
	reply(resp)
}
