package handlers

// DescribeProducers (key 61), version 0 (KIP-664): the active producers of
// partitions this node leads, with their epochs, last sequences and the
// start offset of any ongoing transaction, to find hanging transactions.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (b *broker) describeProducers(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.DescribeProducersRequest)
	resp := kmsg.NewPtrDescribeProducersResponse()
	for _, t := range req.Topics {
		rt := kmsg.NewDescribeProducersResponseTopic()
		rt.Topic = t.Topic
		for _, part := range t.Partitions {
			rp := kmsg.NewDescribeProducersResponseTopicPartition()
			rp.Partition = part
			p := b.Parts.Get(t.Topic, part)
			switch {
			case p == nil:
				rp.ErrorCode = kerr.UnknownTopicOrPartition.Code
			case !p.IsLeader():
				rp.ErrorCode = kerr.NotLeaderForPartition.Code
			default:
				for _, pi := range p.Log().Producers() {
					ap := kmsg.NewDescribeProducersResponseTopicPartitionActiveProducer()
					ap.ProducerID = pi.ProducerID
					ap.ProducerEpoch = int32(pi.Epoch)
					ap.LastSequence = pi.LastSequence
					ap.LastTimestamp = pi.LastTimestamp
					ap.CoordinatorEpoch = pi.CoordinatorEpoch
					ap.CurrentTxnStartOffset = pi.TxnStartOffset
					rp.ActiveProducers = append(rp.ActiveProducers, ap)
				}
			}
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	reply(resp)
}
