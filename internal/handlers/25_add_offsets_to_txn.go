package handlers

// AddOffsetsToTxn (key 25), versions 0-4.
//
// Adds the consumer group's __consumer_offsets partition to the producer's
// transaction, so that TxnOffsetCommit's offsets become visible with the
// transaction's commit marker and vanish with its abort marker.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/coordinator"
	"github.com/gregor-stream/gregor/internal/txn"
)

const offsetsTopic = "__consumer_offsets"

func (b *broker) addOffsetsToTxn(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.AddOffsetsToTxnRequest)
	go func() {
		ctx, cancel := context.WithTimeout(rc.Ctx, 30*time.Second)
		defer cancel()
		resp := kmsg.NewPtrAddOffsetsToTxnResponse()
		t := b.image().Topic(offsetsTopic)
		if t == nil && b.Groups != nil && req.Group != "" {
			// Locating the group creates __consumer_offsets; the client
			// retries COORDINATOR_NOT_AVAILABLE until it exists.
			b.Groups.Locate(req.Group)
		}
		if t == nil || req.Group == "" {
			resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
			if req.Group == "" {
				resp.ErrorCode = kerr.InvalidGroupID.Code
			}
			reply(resp)
			return
		}
		tp := txn.TP{Topic: offsetsTopic, Partition: coordinator.PartitionFor(req.Group, int32(len(t.Partitions)))}
		err := b.Txns.AddPartitions(ctx, req.TransactionalID, req.ProducerID, req.ProducerEpoch, []txn.TP{tp})
		resp.ErrorCode = fencedCode(txnErrorCode(err), req.Version >= 2)
		reply(resp)
	}()
}
