package handlers

// DeleteRecords (key 21), versions 0-2.
//
// Moves a partition's log start offset to the given offset (-1: the high
// watermark); whole segments below it are deleted by storage. An offset
// above the high watermark gets OFFSET_OUT_OF_RANGE.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (b *broker) deleteRecords(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.DeleteRecordsRequest)
	resp := kmsg.NewPtrDeleteRecordsResponse()
	img := b.image()
	for _, rt := range req.Topics {
		st := kmsg.NewDeleteRecordsResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewDeleteRecordsResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.LowWatermark = -1
			p := b.Parts.Get(rt.Topic, rp.Partition)
			if p == nil {
				if t, ok := img.Topics[rt.Topic]; ok && rp.Partition >= 0 && int(rp.Partition) < len(t.Partitions) {
					sp.ErrorCode = kerr.NotLeaderForPartition.Code
				} else {
					sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				}
			} else if low, err := p.DeleteRecordsBefore(rp.Offset); err != nil {
				sp.ErrorCode = errorCode(err)
			} else {
				sp.LowWatermark = low
			}
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	reply(resp)
}
