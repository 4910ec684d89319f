package group

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/coordinator"
)

// TxnOffsetCommit serves TxnOffsetCommit (v0-v4): the offsets are written
// to __consumer_offsets inside the producer's transaction and take effect
// only when its commit marker is written there (CompleteTxn); an abort
// drops them. Until then OffsetFetch with require_stable answers
// UNSTABLE_OFFSET_COMMIT for those partitions.
func (c *Coordinator) TxnOffsetCommit(req *kmsg.TxnOffsetCommitRequest, reply func(*kmsg.TxnOffsetCommitResponse)) {
	resp := kmsg.NewPtrTxnOffsetCommitResponse()
	codes := make([][]int16, len(req.Topics))
	for i, t := range req.Topics {
		codes[i] = make([]int16, len(t.Partitions))
	}
	finish := func() {
		for i, t := range req.Topics {
			rt := kmsg.TxnOffsetCommitResponseTopic{Topic: t.Topic}
			for j, p := range t.Partitions {
				rt.Partitions = append(rt.Partitions, kmsg.TxnOffsetCommitResponseTopicPartition{Partition: p.Partition, ErrorCode: codes[i][j]})
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
	if req.Version < 3 {
		generation = -1
	}
	if code := s.checkCommitter(g, generation, req.MemberID, deref(req.InstanceID), now); code != 0 {
		failAll(code)
		return
	}
	img := c.cfg.Meta.Image()
	var kvs []coordinator.KV
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
			if req.Version >= 2 {
				epoch = p.LeaderEpoch
			}
			o := offset{Offset: p.Offset, LeaderEpoch: epoch, Metadata: md, CommitTime: now.UnixMilli()}
			kvs = append(kvs, coordinator.KV{Key: offsetKey(req.Group, t.Topic, p.Partition), Value: offsetValue(o)})
		}
	}
	if len(kvs) == 0 {
		finish()
		return
	}
	s.inflight++
	// Not under s.mu: see appendRecords.
	go coordinator.AppendTxn(s.p, kvs, now, req.ProducerID, req.ProducerEpoch, func(first int64, err error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.inflight--
		if err == nil && s.closed {
			err = kerr.NotCoordinator
		}
		if err != nil {
			code := storeErrorCode(err)
			for i := range codes {
				for j := range codes[i] {
					if codes[i][j] == 0 {
						codes[i][j] = code
					}
				}
			}
			finish()
			return
		}
		for i, kv := range kvs {
			if aerr := s.addPendingTxn(req.ProducerID, first+int64(i), kv.Key, kv.Value); aerr != nil {
				c.log.Error("apply own transactional offset", "partition", s.part, "err", aerr)
			}
		}
		finish()
	})
}

// CompleteTxn applies (commit) or drops (abort) the transactional offset
// commits of producer pid in __consumer_offsets partition part, once the
// transaction's marker is written there.
func (c *Coordinator) CompleteTxn(part int32, pid int64, commit bool) {
	c.mu.RLock()
	s := c.shards[part]
	c.mu.RUnlock()
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || !s.loaded {
		return
	}
	s.completeTxnLocked(pid, commit)
}
