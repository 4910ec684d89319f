package handlers

// AlterPartition (key 56), versions 2-3: a partition leader asks the
// controller to change the ISR. The request names topics by id (v2+);
// v3 lists the new ISR with broker epochs.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/metadata"
)

func (b *broker) alterPartition(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.AlterPartitionRequest)
	resp := kmsg.NewPtrAlterPartitionResponse()
	if !b.Meta.IsController() {
		resp.ErrorCode = kerr.NotController.Code
		reply(resp)
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(rc.Ctx, forwardTimeout)
		defer cancel()
		for _, rt := range req.Topics {
			st := kmsg.NewAlterPartitionResponseTopic()
			st.Topic, st.TopidID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				isr := rp.NewISR
				if req.Version >= 3 {
					isr = make([]int32, 0, len(rp.NewEpochISR))
					for _, e := range rp.NewEpochISR {
						isr = append(isr, e.BrokerID)
					}
				}
				sp := kmsg.NewAlterPartitionResponseTopicPartition()
				sp.Partition = rp.Partition
				p, err := b.Meta.AlterPartition(ctx, metadata.AlterPartition{
					TopicID: rt.TopicID, Partition: rp.Partition, Broker: req.BrokerID,
					LeaderEpoch: rp.LeaderEpoch, PartitionEpoch: rp.PartitionEpoch, ISR: isr,
				})
				if err != nil {
					sp.ErrorCode = controllerErrorCode(err)
				} else {
					sp.LeaderID, sp.LeaderEpoch, sp.PartitionEpoch = p.Leader, p.LeaderEpoch, p.PartitionEpoch
					sp.ISR = p.ISR
				}
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		reply(resp)
	}()
}
