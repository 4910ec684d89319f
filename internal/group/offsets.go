package group

import (
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/coordinator"
	"github.com/gregor-stream/gregor/internal/metadata"
)

// maxOffsetMetadata is offset.metadata.max.bytes (Kafka's default).
const maxOffsetMetadata = 4096

// OffsetCommit serves OffsetCommit (v0-v8). The reply comes once the
// offsets are committed to __consumer_offsets with acks=all.
func (c *Coordinator) OffsetCommit(req *kmsg.OffsetCommitRequest, reply func(*kmsg.OffsetCommitResponse)) {
	resp := kmsg.NewPtrOffsetCommitResponse()
	codes := make([][]int16, len(req.Topics))
	for i, t := range req.Topics {
		codes[i] = make([]int16, len(t.Partitions))
	}
	finish := func() {
		for i, t := range req.Topics {
			rt := kmsg.OffsetCommitResponseTopic{Topic: t.Topic}
			for j, p := range t.Partitions {
				rt.Partitions = append(rt.Partitions, kmsg.OffsetCommitResponseTopicPartition{Partition: p.Partition, ErrorCode: codes[i][j]})
			}
			resp.Topics = append(resp.Topics, rt)
		}
		reply(resp)
	}
	failAll := func(code int16) {
		for i := range codes {
			for j := range codes[i] {
				codes[i][j] = code
			}
		}
		finish()
	}
	if !validGroupID(req.Group) {
		failAll(kerr.InvalidGroupID.Code)
		return
	}
	s, e := c.lockShard(req.Group)
	if e != nil {
		failAll(e.Code)
		return
	}
	defer s.mu.Unlock()
	now := time.Now()
	g := s.groups[req.Group]
	generation := req.Generation
	if req.Version == 0 {
		generation = -1
	}
	if code := s.checkCommitter(g, generation, req.MemberID, deref(req.InstanceID), now); code != 0 {
		failAll(code)
		return
	}
	img := c.cfg.Meta.Image()
	var kvs []coordinator.KV
	type slot struct{ i, j int }
	var slots []slot
	for i, t := range req.Topics {
		for j, p := range t.Partitions {
			if !partitionExists(img, t.Topic, p.Partition) {
				codes[i][j] = kerr.UnknownTopicOrPartition.Code
				continue
			}
			md := deref(p.Metadata)
			if len(md) > maxOffsetMetadata {
				codes[i][j] = kerr.OffsetMetadataTooLarge.Code
				continue
			}
			epoch := int32(-1)
			if req.Version >= 6 {
				epoch = p.LeaderEpoch
			}
			o := offset{Offset: p.Offset, LeaderEpoch: epoch, Metadata: md, CommitTime: now.UnixMilli()}
			kvs = append(kvs, coordinator.KV{Key: offsetKey(req.Group, t.Topic, p.Partition), Value: offsetValue(o)})
			slots = append(slots, slot{i, j})
		}
	}
	if len(kvs) == 0 {
		finish()
		return
	}
	if g == nil {
		// A commit outside any generation (an admin tool or a consumer
		// that assigns partitions itself) creates an empty group.
		s.groups[req.Group] = newGroup(req.Group, now)
	}
	s.appendRecords(kvs, func(_ int64, err error) {
		if err != nil {
			code := storeErrorCode(err)
			for _, sl := range slots {
				codes[sl.i][sl.j] = code
			}
		}
		finish()
	})
}

// checkCommitter applies Kafka's generation and member checks to a commit
// and counts it as a heartbeat. s.mu must be held.
func (s *shard) checkCommitter(g *group, generation int32, memberID, instance string, now time.Time) int16 {
	if g == nil {
		if generation < 0 {
			return 0
		}
		return kerr.IllegalGeneration.Code
	}
	if g.state == stateDead {
		return kerr.CoordinatorNotAvailable.Code
	}
	if g.consumer != nil {
		return s.checkConsumerCommitter(g, generation, memberID, now)
	}
	if generation < 0 && len(g.members) == 0 {
		return 0
	}
	if instance != "" {
		if id, ok := g.static[instance]; !ok || id != memberID {
			return kerr.FencedInstanceID.Code
		}
	}
	if g.state == stateCompletingRebalance {
		return kerr.RebalanceInProgress.Code
	}
	m := g.members[memberID]
	if m == nil {
		return kerr.UnknownMemberID.Code
	}
	if generation != g.generation {
		return kerr.IllegalGeneration.Code
	}
	s.armSession(g, m, now)
	return 0
}

// checkConsumerCommitter checks a commit to a KIP-848 group, where the
// generation field carries the member epoch. A commit with the member's
// previous epoch is accepted: the member may not have seen the response
// that moved it on. s.mu must be held.
func (s *shard) checkConsumerCommitter(g *group, epoch int32, memberID string, now time.Time) int16 {
	cg := g.consumer
	if epoch < 0 && memberID == "" && len(cg.members) == 0 {
		return 0
	}
	m := cg.members[memberID]
	switch {
	case m == nil:
		return kerr.UnknownMemberID.Code
	case epoch > m.epoch:
		return kerr.FencedMemberEpoch.Code
	case epoch != m.epoch && epoch != m.prevEpoch:
		return kerr.StaleMemberEpoch.Code
	}
	s.armCSession(g, m, now)
	return 0
}

func partitionExists(img *metadata.Image, topic string, part int32) bool {
	t := img.Topic(topic)
	return t != nil && part >= 0 && int(part) < len(t.Partitions)
}

// OffsetFetch serves OffsetFetch (v0-v9; several groups from v8). Offsets
// become visible only once committed; with require_stable (v7+) a
// partition whose offset a transaction still holds answers
// UNSTABLE_OFFSET_COMMIT (KIP-447).
func (c *Coordinator) OffsetFetch(req *kmsg.OffsetFetchRequest) *kmsg.OffsetFetchResponse {
	resp := kmsg.NewPtrOffsetFetchResponse()
	if req.Version >= 8 {
		for _, rg := range req.Groups {
			var topics []kmsg.OffsetFetchRequestTopic
			if rg.Topics != nil {
				topics = make([]kmsg.OffsetFetchRequestTopic, 0, len(rg.Topics))
				for _, t := range rg.Topics {
					topics = append(topics, kmsg.OffsetFetchRequestTopic{Topic: t.Topic, Partitions: t.Partitions})
				}
			}
			code, res := c.fetchOffsets(rg.Group, topics, req.Version, req.RequireStable)
			og := kmsg.OffsetFetchResponseGroup{Group: rg.Group, ErrorCode: code}
			for _, t := range res {
				ot := kmsg.OffsetFetchResponseGroupTopic{Topic: t.Topic}
				for _, p := range t.Partitions {
					ot.Partitions = append(ot.Partitions, kmsg.OffsetFetchResponseGroupTopicPartition{
						Partition: p.Partition, Offset: p.Offset, LeaderEpoch: p.LeaderEpoch, Metadata: p.Metadata, ErrorCode: p.ErrorCode,
					})
				}
				og.Topics = append(og.Topics, ot)
			}
			resp.Groups = append(resp.Groups, og)
		}
		return resp
	}
	code, res := c.fetchOffsets(req.Group, req.Topics, req.Version, req.RequireStable)
	resp.ErrorCode = code
	resp.Topics = res
	return resp
}

// fetchOffsets returns the group-level error code and the offsets of the
// requested partitions (every committed one when topics is nil).
func (c *Coordinator) fetchOffsets(groupID string, topics []kmsg.OffsetFetchRequestTopic, version int16, requireStable bool) (int16, []kmsg.OffsetFetchResponseTopic) {
	code := int16(0)
	if !validGroupID(groupID) {
		code = kerr.InvalidGroupID.Code
	}
	var s *shard
	if code == 0 {
		var e *kerr.Error
		if s, e = c.lockShard(groupID); e != nil {
			code = e.Code
		} else {
			defer s.mu.Unlock()
		}
	}
	var g *group
	if s != nil {
		g = s.groups[groupID]
	}
	if topics == nil {
		if g == nil {
			return code, nil
		}
		byTopic := map[string][]int32{}
		for tp := range g.offsets {
			byTopic[tp.topic] = append(byTopic[tp.topic], tp.part)
		}
		for t, ps := range byTopic {
			sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
			topics = append(topics, kmsg.OffsetFetchRequestTopic{Topic: t, Partitions: ps})
		}
		sort.Slice(topics, func(i, j int) bool { return topics[i].Topic < topics[j].Topic })
	}
	out := make([]kmsg.OffsetFetchResponseTopic, 0, len(topics))
	for _, t := range topics {
		ot := kmsg.OffsetFetchResponseTopic{Topic: t.Topic}
		for _, p := range t.Partitions {
			op := kmsg.OffsetFetchResponseTopicPartition{Partition: p, Offset: -1, LeaderEpoch: -1}
			empty := ""
			op.Metadata = &empty
			if code != 0 && version < 2 {
				// v0-v1 have no group-level error field.
				op.ErrorCode = code
			}
			if requireStable && s != nil && s.hasPendingTxn(groupID, topicPartition{t.Topic, p}) {
				// KIP-447: a transaction still holds an offset here.
				op.ErrorCode = kerr.UnstableOffsetCommit.Code
			} else if g != nil {
				if o, ok := g.offsets[topicPartition{t.Topic, p}]; ok {
					op.Offset = o.Offset
					op.LeaderEpoch = o.LeaderEpoch
					md := o.Metadata
					op.Metadata = &md
				}
			}
			ot.Partitions = append(ot.Partitions, op)
		}
		out = append(out, ot)
	}
	return code, out
}

// OffsetDelete serves OffsetDelete (v0): it removes committed offsets of
// partitions the group is not consuming.
func (c *Coordinator) OffsetDelete(req *kmsg.OffsetDeleteRequest, reply func(*kmsg.OffsetDeleteResponse)) {
	resp := kmsg.NewPtrOffsetDeleteResponse()
	if !validGroupID(req.Group) {
		resp.ErrorCode = kerr.InvalidGroupID.Code
		reply(resp)
		return
	}
	s, e := c.lockShard(req.Group)
	if e != nil {
		resp.ErrorCode = e.Code
		reply(resp)
		return
	}
	defer s.mu.Unlock()
	g := s.groups[req.Group]
	if g == nil {
		resp.ErrorCode = kerr.GroupIDNotFound.Code
		reply(resp)
		return
	}
	if len(g.members) > 0 && g.protocolType != "consumer" && g.consumer == nil {
		resp.ErrorCode = kerr.NonEmptyGroup.Code
		reply(resp)
		return
	}
	subscribed := g.subscribedTopics()
	var kvs []coordinator.KV
	for _, t := range req.Topics {
		rt := kmsg.OffsetDeleteResponseTopic{Topic: t.Topic}
		for _, p := range t.Partitions {
			rp := kmsg.OffsetDeleteResponseTopicPartition{Partition: p.Partition}
			switch {
			case subscribed[t.Topic]:
				rp.ErrorCode = kerr.GroupSubscribedToTopic.Code
			default:
				if _, ok := g.offsets[topicPartition{t.Topic, p.Partition}]; ok {
					kvs = append(kvs, coordinator.KV{Key: offsetKey(g.id, t.Topic, p.Partition)})
				}
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if len(kvs) == 0 {
		reply(resp)
		return
	}
	s.appendRecords(kvs, func(_ int64, err error) {
		if err != nil {
			resp.ErrorCode = storeErrorCode(err)
		}
		reply(resp)
	})
}

// subscribedTopics lists the topics the members of a consumer group
// subscribe to, from their protocol metadata.
func (g *group) subscribedTopics() map[string]bool {
	out := map[string]bool{}
	if g.consumer != nil {
		for _, m := range g.consumer.members {
			for _, t := range m.topics {
				out[t] = true
			}
		}
		for _, m := range g.consumer.members {
			if m.regex == nil {
				continue
			}
			for tp := range g.offsets {
				if m.regex.MatchString(tp.topic) {
					out[tp.topic] = true
				}
			}
		}
		return out
	}
	if g.protocolType != "consumer" {
		return out
	}
	for _, m := range g.members {
		var meta kmsg.ConsumerMemberMetadata
		if err := meta.ReadFrom(m.metadataFor(g.protocol)); err != nil {
			continue
		}
		for _, t := range meta.Topics {
			out[t] = true
		}
	}
	return out
}
