package handlers

// Fetch (key 1), versions 4-16.
//
// Long polling: a fetch that finds fewer than min_bytes waits up to
// max_wait_ms and answers as soon as a watched partition's high watermark
// moves far enough. Size limits: max_bytes bounds the response and
// partition_max_bytes each partition, except that the first partition with
// data always gets one whole batch so a consumer can never get stuck behind
// a batch larger than its limits (as in Kafka). Incremental fetch sessions
// (KIP-227) are in fetch_session.go. The isolation level is passed down:
// read_committed reads to the last stable offset. Topic ids are used from
// v13 (KIP-516). Replica fetches (a follower's, with its replica id:
// ReplicaID before v15, ReplicaState from v15) read up to the log end,
// report the follower's log end to the leader, and long-poll on log-end
// growth rather than on the high watermark. Follower fetching (KIP-392) is
// not implemented: consumers read from the leader.

import (
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/partition"
)

// fetchItem is one partition of a fetch, in response order.
type fetchItem struct {
	key       sessionKey
	topicID   [16]byte
	offset    int64
	maxBytes  int32
	leaderEp  int32
	sp        *sessionPartition // nil for sessionless fetches
	errCode   int16             // set when the partition cannot be read at all
	resolved  *partition.Partition
	result    partition.ReadResult
	readErr   error
	readBytes int
}

func (b *broker) fetch(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.FetchRequest)
	resp := kmsg.NewPtrFetchResponse()
	img := b.image()

	// Resolve topic ids (v13+) to names.
	nameOf := func(t *kmsg.FetchRequestTopic) (string, bool) {
		if req.Version >= 13 {
			topic, ok := img.TopicsByID[t.TopicID]
			if !ok {
				return "", false
			}
			return topic.Name, true
		}
		return t.Topic, true
	}

	var sess *fetchSession
	var items []*fetchItem
	incremental := false
	switch {
	case req.SessionID == 0 && req.SessionEpoch == -1:
		// Sessionless full fetch.
	case req.SessionEpoch == 0 || req.SessionEpoch == -1:
		if req.SessionID != 0 {
			b.sessions.remove(req.SessionID)
		}
		if req.SessionEpoch == 0 {
			sess = b.sessions.create(rc.ConnID)
		}
	default:
		sess = b.sessions.get(req.SessionID)
		if sess == nil {
			resp.ErrorCode = kerr.FetchSessionIDNotFound.Code
			reply(resp)
			return
		}
		if sess.epoch != req.SessionEpoch {
			resp.ErrorCode = kerr.InvalidFetchSessionEpoch.Code
			reply(resp)
			return
		}
		incremental = true
	}

	var unknownIDs []kmsg.FetchResponseTopic
	if sess != nil {
		b.sessions.mu.Lock()
		if !incremental {
			sess.parts = make(map[sessionKey]*sessionPartition)
			sess.order = nil
		}
		for i := range req.ForgottenTopics {
			ft := &req.ForgottenTopics[i]
			name := ft.Topic
			if req.Version >= 13 {
				if t, ok := img.TopicsByID[ft.TopicID]; ok {
					name = t.Name
				}
			}
			for _, p := range ft.Partitions {
				delete(sess.parts, sessionKey{name, p})
			}
		}
		for i := range req.Topics {
			rt := &req.Topics[i]
			name, ok := nameOf(rt)
			if !ok {
				unknownIDs = append(unknownIDs, unknownTopicID(rt))
				continue
			}
			for _, rp := range rt.Partitions {
				k := sessionKey{name, rp.Partition}
				sp := sess.parts[k]
				if sp == nil {
					sp = &sessionPartition{lastHW: -1, lastLSO: -1, lastLogStart: -1}
					sess.parts[k] = sp
					sess.order = append(sess.order, k)
				}
				sp.topicID = rt.TopicID
				sp.fetchOffset = rp.FetchOffset
				sp.maxBytes = rp.PartitionMaxBytes
				sp.currentLeaderEpoch = rp.CurrentLeaderEpoch
			}
		}
		// Keep the order of first appearance, dropping forgotten keys.
		kept := sess.order[:0]
		for _, k := range sess.order {
			if sp, ok := sess.parts[k]; ok {
				kept = append(kept, k)
				items = append(items, &fetchItem{key: k, topicID: sp.topicID, offset: sp.fetchOffset, maxBytes: sp.maxBytes, leaderEp: sp.currentLeaderEpoch, sp: sp})
			}
		}
		sess.order = kept
		sess.epoch++
		if sess.epoch <= 0 {
			sess.epoch = 1
		}
		resp.SessionID = sess.id
		b.sessions.mu.Unlock()
	} else {
		for i := range req.Topics {
			rt := &req.Topics[i]
			name, ok := nameOf(rt)
			if !ok {
				unknownIDs = append(unknownIDs, unknownTopicID(rt))
				continue
			}
			for _, rp := range rt.Partitions {
				items = append(items, &fetchItem{key: sessionKey{name, rp.Partition}, topicID: rt.TopicID, offset: rp.FetchOffset, maxBytes: rp.PartitionMaxBytes, leaderEp: rp.CurrentLeaderEpoch})
			}
		}
	}

	for _, it := range items {
		it.resolved = b.Parts.Get(it.key.topic, it.key.partition)
		if it.resolved == nil {
			if t, ok := img.Topics[it.key.topic]; ok && it.key.partition >= 0 && int(it.key.partition) < len(t.Partitions) {
				it.errCode = kerr.NotLeaderForPartition.Code
			} else if req.Version >= 13 {
				it.errCode = kerr.UnknownTopicID.Code
			} else {
				it.errCode = kerr.UnknownTopicOrPartition.Code
			}
		}
	}

	maxBytes := req.MaxBytes
	if maxBytes <= 0 || maxBytes > b.Config.FetchMaxBytes {
		maxBytes = b.Config.FetchMaxBytes
	}
	replica := req.ReplicaID
	if req.Version >= 15 {
		replica = req.ReplicaState.ID
	}
	wait := time.Duration(req.MaxWaitMillis) * time.Millisecond
	deadline := b.Now().Add(wait)

	read := func() (total int, anyErr bool) {
		remaining := maxBytes
		first := true
		for _, it := range items {
			it.result, it.readErr, it.readBytes = partition.ReadResult{}, nil, 0
			if it.resolved == nil {
				anyErr = true
				continue
			}
			limit := it.maxBytes
			if limit > remaining {
				limit = remaining
			}
			var res partition.ReadResult
			var err error
			if replica >= 0 {
				res, err = it.resolved.ReadAsReplica(replica, it.offset, limit, it.leaderEp)
			} else {
				res, err = it.resolved.Read(it.offset, limit, req.IsolationLevel, first, it.leaderEp)
			}
			it.result, it.readErr = res, err
			if err != nil {
				anyErr = true
				continue
			}
			it.readBytes = len(res.Records)
			if it.readBytes > 0 {
				first = false
				total += it.readBytes
				remaining -= int32(it.readBytes)
				if remaining < 0 {
					remaining = 0
				}
			}
		}
		return total, anyErr
	}

	respond := func() {
		resp.Topics = append(resp.Topics, unknownIDs...)
		b.buildFetchResponse(req, resp, items, sess, incremental)
		reply(resp)
	}

	total, anyErr := read()
	if anyErr || int32(total) >= req.MinBytes || wait <= 0 || len(items) == 0 {
		respond()
		return
	}
	// Long poll on another goroutine; the connection goes on reading.
	go func() {
		w := partition.NewWaiter()
		timer := time.NewTimer(time.Until(deadline))
		defer timer.Stop()
		for {
			for _, it := range items {
				switch {
				case it.resolved == nil:
				case replica >= 0:
					it.resolved.WatchLogEnd(w)
				default:
					it.resolved.Watch(w)
				}
			}
			// The watermark may have moved between the read and Watch.
			total, anyErr = read()
			if anyErr || int32(total) >= req.MinBytes {
				break
			}
			select {
			case <-w.C:
				continue
			case <-timer.C:
			case <-rc.Ctx.Done():
			}
			total, _ = read()
			break
		}
		for _, it := range items {
			if it.resolved != nil {
				it.resolved.Unwatch(w)
				it.resolved.UnwatchLogEnd(w)
			}
		}
		respond()
	}()
}

func unknownTopicID(rt *kmsg.FetchRequestTopic) kmsg.FetchResponseTopic {
	t := kmsg.FetchResponseTopic{Topic: rt.Topic, TopicID: rt.TopicID}
	for _, rp := range rt.Partitions {
		p := kmsg.NewFetchResponseTopicPartition()
		p.Partition = rp.Partition
		p.ErrorCode = kerr.UnknownTopicID.Code
		p.HighWatermark, p.LastStableOffset, p.LogStartOffset = -1, -1, -1
		t.Partitions = append(t.Partitions, p)
	}
	return t
}

// buildFetchResponse fills resp from the read items. For an incremental
// session only partitions with data, an error or changed offsets are sent.
func (b *broker) buildFetchResponse(req *kmsg.FetchRequest, resp *kmsg.FetchResponse, items []*fetchItem, sess *fetchSession, incremental bool) {
	if sess != nil {
		b.sessions.mu.Lock()
		defer b.sessions.mu.Unlock()
	}
	byTopic := make(map[string]int)
	for _, it := range items {
		p := kmsg.NewFetchResponseTopicPartition()
		p.Partition = it.key.partition
		p.HighWatermark, p.LastStableOffset, p.LogStartOffset = -1, -1, -1
		p.PreferredReadReplica = -1
		// Kafka sends empty (not null) records when there is no data.
		p.RecordBatches = []byte{}
		switch {
		case it.errCode != 0:
			p.ErrorCode = it.errCode
		case it.readErr != nil:
			p.ErrorCode = errorCode(it.readErr)
			if errors.Is(it.readErr, partition.ErrNotLeader) || errors.Is(it.readErr, partition.ErrFencedLeaderEpoch) {
				break
			}
			p.HighWatermark = it.result.HighWatermark
			p.LastStableOffset = it.result.LastStableOffset
			p.LogStartOffset = it.result.LogStartOffset
		default:
			p.HighWatermark = it.result.HighWatermark
			p.LastStableOffset = it.result.LastStableOffset
			p.LogStartOffset = it.result.LogStartOffset
			if len(it.result.Records) > 0 {
				p.RecordBatches = it.result.Records
			}
			if req.IsolationLevel == partition.ReadCommitted {
				// read_committed gets a list (empty, not null) of the
				// aborted transactions in range, so it can drop them.
				p.AbortedTransactions = make([]kmsg.FetchResponseTopicPartitionAbortedTransaction, 0, len(it.result.Aborted))
				for _, a := range it.result.Aborted {
					at := kmsg.NewFetchResponseTopicPartitionAbortedTransaction()
					at.ProducerID, at.FirstOffset = a.ProducerID, a.FirstOffset
					p.AbortedTransactions = append(p.AbortedTransactions, at)
				}
			}
		}
		if incremental && it.sp != nil && p.ErrorCode == 0 && len(p.RecordBatches) == 0 &&
			p.HighWatermark == it.sp.lastHW && p.LastStableOffset == it.sp.lastLSO && p.LogStartOffset == it.sp.lastLogStart {
			continue
		}
		if it.sp != nil {
			it.sp.lastHW, it.sp.lastLSO, it.sp.lastLogStart = p.HighWatermark, p.LastStableOffset, p.LogStartOffset
		}
		idx, ok := byTopic[it.key.topic]
		if !ok {
			idx = len(resp.Topics)
			byTopic[it.key.topic] = idx
			resp.Topics = append(resp.Topics, kmsg.FetchResponseTopic{Topic: it.key.topic, TopicID: it.topicID})
		}
		resp.Topics[idx].Partitions = append(resp.Topics[idx].Partitions, p)
	}
}
