package handlers

// InitProducerId (key 22), versions 0-5.
//
// Idempotent producers (no transactional id) get a fresh producer id at
// epoch 0; ids come from blocks the controller records in the metadata log,
// so they are never reused, even across restarts. A v3+ request naming its
// current id and epoch (KIP-360, after OUT_OF_ORDER_SEQUENCE_NUMBER) gets a
// new id too, which resets its sequences. Transactional producers are the
// transaction coordinator's (internal/txn): the same id with a bumped epoch,
// fencing older instances; an ongoing transaction of the old instance is
// aborted first (CONCURRENT_TRANSACTIONS meanwhile, which clients retry).

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (b *broker) initProducerID(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.InitProducerIDRequest)
	resp := kmsg.NewPtrInitProducerIDResponse()
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	go func() {
		ctx, cancel := context.WithTimeout(rc.Ctx, 10*time.Second)
		defer cancel()
		if req.TransactionalID != nil {
			if b.Txns == nil {
				resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
				reply(resp)
				return
			}
			pid, epoch, err := b.Txns.InitProducerID(ctx, *req.TransactionalID, req.TransactionTimeoutMillis, req.ProducerID, req.ProducerEpoch)
			resp.ErrorCode = fencedCode(txnErrorCode(err), req.Version >= 4)
			if err == nil {
				resp.ProducerID, resp.ProducerEpoch = pid, epoch
			}
			reply(resp)
			return
		}
		id, err := b.PIDs.Next(ctx)
		if err != nil {
			b.Log.Warn("allocate producer id", "err", err)
			resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		} else {
			resp.ProducerID, resp.ProducerEpoch = id, 0
		}
		reply(resp)
	}()
}
