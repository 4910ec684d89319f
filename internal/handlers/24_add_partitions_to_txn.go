package handlers

// AddPartitionsToTxn (key 24), versions 0-4.
//
// v0-v3 come from transactional producers: add partitions to the ongoing
// transaction (starting it). v4 is the batched broker form of KIP-890:
// several transactional ids per request, each either verify_only (is this
// partition in the ongoing transaction?) or an add. Unknown partitions fail
// the whole transaction's request with UNKNOWN_TOPIC_OR_PARTITION and the
// others get OPERATION_NOT_ATTEMPTED, as in Kafka.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/txn"
)

type txnTopicParts struct {
	topic string
	parts []int32
}

func (b *broker) addPartitionsToTxn(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.AddPartitionsToTxnRequest)
	go func() {
		ctx, cancel := context.WithTimeout(rc.Ctx, 30*time.Second)
		defer cancel()
		resp := kmsg.NewPtrAddPartitionsToTxnResponse()
		if req.Version < 4 {
			var topics []txnTopicParts
			for _, t := range req.Topics {
				topics = append(topics, txnTopicParts{t.Topic, t.Partitions})
			}
			for _, res := range b.addTxnPartitions(ctx, req.TransactionalID, req.ProducerID, req.ProducerEpoch, false, topics, req.Version >= 2) {
				st := kmsg.NewAddPartitionsToTxnResponseTopic()
				st.Topic = res.topic
				for i, p := range res.parts {
					sp := kmsg.NewAddPartitionsToTxnResponseTopicPartition()
					sp.Partition, sp.ErrorCode = p, res.codes[i]
					st.Partitions = append(st.Partitions, sp)
				}
				resp.Topics = append(resp.Topics, st)
			}
			reply(resp)
			return
		}
		for _, tx := range req.Transactions {
			var topics []txnTopicParts
			for _, t := range tx.Topics {
				topics = append(topics, txnTopicParts{t.Topic, t.Partitions})
			}
			rt := kmsg.NewAddPartitionsToTxnResponseTransaction()
			rt.TransactionalID = tx.TransactionalID
			for _, res := range b.addTxnPartitions(ctx, tx.TransactionalID, tx.ProducerID, tx.ProducerEpoch, tx.VerifyOnly, topics, true) {
				st := kmsg.NewAddPartitionsToTxnResponseTransactionTopic()
				st.Topic = res.topic
				for i, p := range res.parts {
					sp := kmsg.NewAddPartitionsToTxnResponseTransactionTopicPartition()
					sp.Partition, sp.ErrorCode = p, res.codes[i]
					st.Partitions = append(st.Partitions, sp)
				}
				rt.Topics = append(rt.Topics, st)
			}
			resp.Transactions = append(resp.Transactions, rt)
		}
		reply(resp)
	}()
}

type txnTopicResult struct {
	topic string
	parts []int32
	codes []int16
}

// addTxnPartitions adds (or verifies) partitions and returns one code per
// partition.
func (b *broker) addTxnPartitions(ctx context.Context, id string, pid int64, epoch int16, verifyOnly bool, topics []txnTopicParts, knowsFenced bool) []txnTopicResult {
	img := b.image()
	var tps []txn.TP
	unknown := map[txn.TP]bool{}
	for _, t := range topics {
		topic := img.Topic(t.topic)
		for _, p := range t.parts {
			tp := txn.TP{Topic: t.topic, Partition: p}
			if topic == nil || p < 0 || int(p) >= len(topic.Partitions) {
				unknown[tp] = true
			}
			tps = append(tps, tp)
		}
	}
	code := func(tp txn.TP) int16 { return 0 }
	switch {
	case len(unknown) > 0:
		code = func(tp txn.TP) int16 {
			if unknown[tp] {
				return kerr.UnknownTopicOrPartition.Code
			}
			return kerr.OperationNotAttempted.Code
		}
	case verifyOnly:
		code = func(tp txn.TP) int16 {
			return fencedCode(txnErrorCode(b.Txns.Verify(id, pid, epoch, tp)), knowsFenced)
		}
	default:
		c := fencedCode(txnErrorCode(b.Txns.AddPartitions(ctx, id, pid, epoch, tps)), knowsFenced)
		code = func(txn.TP) int16 { return c }
	}
	var out []txnTopicResult
	for _, t := range topics {
		res := txnTopicResult{topic: t.topic, parts: t.parts}
		for _, p := range t.parts {
			res.codes = append(res.codes, code(txn.TP{Topic: t.topic, Partition: p}))
		}
		out = append(out, res)
	}
	return out
}
