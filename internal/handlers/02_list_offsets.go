package handlers

// ListOffsets (key 2), versions 1-8.
//
// Timestamps: -2 earliest (log start offset), -1 latest (high watermark, or
// the last stable offset for read_committed), -3 the record with the
// largest timestamp (KIP-734), -4 earliest local (the same as earliest: no
// tiered storage), and any other value the first offset whose timestamp is
// at or after it (-1 offset when there is none).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/partition"
)

func (b *broker) listOffsets(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.ListOffsetsRequest)
	resp := kmsg.NewPtrListOffsetsResponse()
	img := b.image()
	for _, rt := range req.Topics {
		st := kmsg.NewListOffsetsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewListOffsetsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.Timestamp, sp.Offset, sp.LeaderEpoch = -1, -1, -1
			p := b.Parts.Get(rt.Topic, rp.Partition)
			if p == nil {
				if t, ok := img.Topics[rt.Topic]; ok && rp.Partition >= 0 && int(rp.Partition) < len(t.Partitions) {
					sp.ErrorCode = kerr.NotLeaderForPartition.Code
				} else {
					sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				}
				st.Partitions = append(st.Partitions, sp)
				continue
			}
			b.listOffset(p, req.IsolationLevel, &rp, &sp)
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	reply(resp)
}

func (b *broker) listOffset(p *partition.Partition, isolation int8, rp *kmsg.ListOffsetsRequestTopicPartition, sp *kmsg.ListOffsetsResponseTopicPartition) {
	leader, epoch := p.Leader()
	if leader != b.NodeID {
		sp.ErrorCode = kerr.NotLeaderForPartition.Code
		return
	}
	if rp.CurrentLeaderEpoch >= 0 && rp.CurrentLeaderEpoch != epoch {
		if rp.CurrentLeaderEpoch < epoch {
			sp.ErrorCode = kerr.FencedLeaderEpoch.Code
		} else {
			sp.ErrorCode = kerr.UnknownLeaderEpoch.Code
		}
		return
	}
	l := p.Log()
	sp.LeaderEpoch = epoch
	switch rp.Timestamp {
	case -2, -4:
		sp.Offset = l.LogStartOffset()
	case -1:
		sp.Offset = p.HighWatermark()
		if isolation == partition.ReadCommitted {
			sp.Offset = p.LastStableOffset()
		}
	case -3:
		off, ts, ep := l.MaxTimestamp()
		sp.Offset, sp.Timestamp, sp.LeaderEpoch = off, ts, ep
		if off >= p.HighWatermark() {
			sp.Offset, sp.Timestamp, sp.LeaderEpoch = -1, -1, -1
		}
	default:
		off, ts, ep, found, err := l.OffsetForTimestamp(rp.Timestamp)
		if err != nil {
			sp.ErrorCode = errorCode(err)
			return
		}
		if found && off < p.HighWatermark() {
			sp.Offset, sp.Timestamp, sp.LeaderEpoch = off, ts, ep
		} else {
			sp.LeaderEpoch = -1
		}
	}
}
