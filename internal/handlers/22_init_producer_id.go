package handlers

// InitProducerId (key 22), versions 0-5.
//
// Idempotent producers (no transactional id) get a fresh producer id at
// epoch 0. Ids come from blocks the controller records in the metadata
// log, so they are never reused, even across restarts. A v3+ request that
// names its current producer id and epoch (KIP-360, after an
// OUT_OF_ORDER_SEQUENCE or UNKNOWN_PRODUCER_ID) gets a new id as well,
// which resets its sequences. Transactional ids are the transaction
// coordinator's and are answered with COORDINATOR_NOT_AVAILABLE until it
// exists.

import (
	"context"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/metadata"
)

const producerIDBlock = 1000

// producerIDs hands out ids from blocks allocated by the controller.
type producerIDs struct {
	meta *metadata.Node
	mu   sync.Mutex
	next int64
	end  int64
}

func (p *producerIDs) get(ctx context.Context) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next >= p.end {
		first, err := p.meta.AllocateProducerIDs(ctx, producerIDBlock)
		if err != nil {
			return -1, err
		}
		p.next, p.end = first, first+producerIDBlock
	}
	id := p.next
	p.next++
	return id, nil
}

func (b *broker) initProducerID(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.InitProducerIDRequest)
	resp := kmsg.NewPtrInitProducerIDResponse()
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	if req.TransactionalID != nil {
		resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		reply(resp)
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(rc.Ctx, 10*time.Second)
		defer cancel()
		id, err := b.pids.get(ctx)
		if err != nil {
			b.Log.Warn("allocate producer id", "err", err)
			resp.ErrorCode = kerr.CoordinatorNotAvailable.Code
		} else {
			resp.ProducerID, resp.ProducerEpoch = id, 0
		}
		reply(resp)
	}()
}
