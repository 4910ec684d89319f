package handlers

// OffsetForLeaderEpoch (key 23), versions 2-4.
//
// For a requested leader epoch, the end offset of that epoch on this
// leader: the start offset of the next higher epoch, or the log end offset
// for the current one (KIP-101, KIP-279). Consumers use it to detect
// truncation after a leader change (KIP-320); followers use it before they
// fetch. An epoch below the oldest known gets UNDEFINED_EPOCH (-1, -1).

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (b *broker) offsetForLeaderEpoch(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.OffsetForLeaderEpochRequest)
	resp := kmsg.NewPtrOffsetForLeaderEpochResponse()
	img := b.image()
	for _, rt := range req.Topics {
		st := kmsg.NewOffsetForLeaderEpochResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LeaderEpoch, sp.EndOffset = -1, -1
			p := b.Parts.Get(rt.Topic, rp.Partition)
			switch {
			case p == nil:
				if t, ok := img.Topics[rt.Topic]; ok && rp.Partition >= 0 && int(rp.Partition) < len(t.Partitions) {
					sp.ErrorCode = kerr.NotLeaderForPartition.Code
				} else {
					sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				}
			default:
				leader, epoch := p.Leader()
				switch {
				case leader != b.NodeID:
					sp.ErrorCode = kerr.NotLeaderForPartition.Code
				case rp.CurrentLeaderEpoch >= 0 && rp.CurrentLeaderEpoch < epoch:
					sp.ErrorCode = kerr.FencedLeaderEpoch.Code
				case rp.CurrentLeaderEpoch > epoch:
					sp.ErrorCode = kerr.UnknownLeaderEpoch.Code
				default:
					ep, end := p.Log().EndOffsetForEpoch(rp.LeaderEpoch)
					if latest, ok := p.Log().LatestEpoch(); ok && ep < 0 && rp.LeaderEpoch > latest && rp.LeaderEpoch <= epoch {
						// An epoch newer than any batch here but not
						// newer than this leader's: this leader wrote
						// nothing in it, so its history ends where the
						// log ends, in the latest epoch written.
						ep, end = latest, p.Log().LogEndOffset()
					}
					sp.LeaderEpoch, sp.EndOffset = ep, end
				}
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	reply(resp)
}
