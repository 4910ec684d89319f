package handlers

// TxnOffsetCommit (key 28), versions 0-4.
//
// A transactional producer commits a consumer group's offsets inside its
// transaction (exactly-once consume-transform-produce). The offsets are
// written to the group's __consumer_offsets partition as transactional
// records of the producer and take effect when the transaction's commit
// marker lands there (an abort drops them); meanwhile OffsetFetch with
// require_stable answers UNSTABLE_OFFSET_COMMIT (KIP-447). v3+ carry the
// member and generation, checked like OffsetCommit's. The write is checked
// against the transaction coordinator first: the partition must be in the
// producer's ongoing transaction (added by AddOffsetsToTxn).

import (
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/txn"
)

func (b *broker) txnOffsetCommit(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.TxnOffsetCommitRequest)
	if code := b.verifyTxnOffsets(req); code != 0 {
		resp := kmsg.NewPtrTxnOffsetCommitResponse()
		for _, t := range req.Topics {
			rt := kmsg.TxnOffsetCommitResponseTopic{Topic: t.Topic}
			for _, p := range t.Partitions {
				rt.Partitions = append(rt.Partitions, kmsg.TxnOffsetCommitResponseTopicPartition{Partition: p.Partition, ErrorCode: code})
			}
			resp.Topics = append(resp.Topics, rt)
		}
		reply(resp)
		return
	}
	b.Groups.TxnOffsetCommit(req, asReply[*kmsg.TxnOffsetCommitResponse](reply))
}

// verifyTxnOffsets checks that the group's __consumer_offsets partition is
// part of the producer's ongoing transaction.
func (b *broker) verifyTxnOffsets(req *kmsg.TxnOffsetCommitRequest) int16 {
	if b.Txns == nil {
		return kerr.TransactionalIDAuthorizationFailed.Code
	}
	if req.Group == "" {
		return 0 // the coordinator answers INVALID_GROUP_ID
	}
	tp := txn.TP{Topic: offsetsTopic, Partition: b.Groups.PartitionFor(req.Group)}
	err := b.Txns.Verify(req.TransactionalID, req.ProducerID, req.ProducerEpoch, tp)
	switch {
	case errors.Is(err, txn.ErrNotCoordinator):
		// The transaction coordinator lives on another node: trust the
		// client until verification crosses nodes, as Produce does.
		return 0
	case errors.Is(err, txn.ErrProducerFenced):
		return kerr.InvalidProducerEpoch.Code
	}
	return txnErrorCode(err)
}
