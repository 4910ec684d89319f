package handlers

// EndTxn (key 26), versions 0-4.
//
// Commits or aborts the producer's transaction: the answer comes once the
// decision is durable in __transaction_state; the coordinator then writes
// the markers and the final state. v5 (KIP-890 part 2, an epoch bump per
// transaction) is not implemented.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func (b *broker) endTxn(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.EndTxnRequest)
	go func() {
		ctx, cancel := context.WithTimeout(rc.Ctx, 30*time.Second)
		defer cancel()
		resp := kmsg.NewPtrEndTxnResponse()
		err := b.Txns.EndTxn(ctx, req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit)
		resp.ErrorCode = fencedCode(txnErrorCode(err), req.Version >= 2)
		reply(resp)
	}()
}
