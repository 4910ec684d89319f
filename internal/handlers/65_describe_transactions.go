package handlers

// DescribeTransactions (key 65), version 0 (KIP-664): the state of
// transactional ids this node coordinates.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (b *broker) describeTransactions(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.DescribeTransactionsRequest)
	resp := kmsg.NewPtrDescribeTransactionsResponse()
	found, errs := b.Txns.Describe(req.TransactionalIDs)
	for _, id := range req.TransactionalIDs {
		st := kmsg.NewDescribeTransactionsResponseTransactionState()
		st.TransactionalID = id
		st.ProducerID, st.ProducerEpoch, st.StartTimestamp = -1, -1, -1
		if err := errs[id]; err != nil {
			st.ErrorCode = txnErrorCode(err)
		} else if t := found[id]; t == nil {
			st.ErrorCode = kerr.TransactionalIDNotFound.Code
		} else {
			st.State = t.State.String()
			st.TimeoutMillis = t.TimeoutMs
			st.StartTimestamp = t.StartMs
			st.ProducerID, st.ProducerEpoch = t.ProducerID, t.Epoch
			byTopic := map[string]int{}
			for _, tp := range t.SortedPartitions() {
				i, ok := byTopic[tp.Topic]
				if !ok {
					i = len(st.Topics)
					byTopic[tp.Topic] = i
					st.Topics = append(st.Topics, kmsg.DescribeTransactionsResponseTransactionStateTopic{Topic: tp.Topic})
				}
				st.Topics[i].Partitions = append(st.Topics[i].Partitions, tp.Partition)
			}
		}
		resp.TransactionStates = append(resp.TransactionStates, st)
	}
	reply(resp)
}
