package handlers

// ListTransactions (key 66), versions 0-1 (KIP-664, KIP-994): transactional
// ids this node coordinates, filtered by state, producer id and (v1) how
// long they have been running.

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/txn"
)

var txnStateNames = map[string]bool{}

func init() {
	for s := txn.Empty; s <= txn.PrepareEpochFence; s++ {
		txnStateNames[s.String()] = true
	}
}

func (b *broker) listTransactions(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.ListTransactionsRequest)
	resp := kmsg.NewPtrListTransactionsResponse()
	var states []string
	for _, s := range req.StateFilters {
		if txnStateNames[s] {
			states = append(states, s)
		} else {
			resp.UnknownStateFilters = append(resp.UnknownStateFilters, s)
		}
	}
	if len(req.StateFilters) > 0 && len(states) == 0 {
		reply(resp)
		return
	}
	now := b.Now().UnixMilli()
	for _, t := range b.Txns.List(states, req.ProducerIDFilters) {
		if req.DurationFilterMillis > 0 && (t.StartMs < 0 || now-t.StartMs < req.DurationFilterMillis) {
			continue
		}
		st := kmsg.NewListTransactionsResponseTransactionState()
		st.TransactionalID, st.ProducerID, st.TransactionState = t.ID, t.ProducerID, t.State.String()
		resp.TransactionStates = append(resp.TransactionStates, st)
	}
	reply(resp)
}
