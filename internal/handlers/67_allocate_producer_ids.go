package handlers

// AllocateProducerIds (key 67), version 0: a broker that is not the
// controller gets a block of producer ids from it.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ProducerIDBlockSize is how many ids one AllocateProducerIds hands out.
const ProducerIDBlockSize = 1000

func (b *broker) allocateProducerIDs(rc *RequestContext, r kmsg.Request, reply Reply) {
	resp := kmsg.NewPtrAllocateProducerIDsResponse()
	if !b.Meta.IsController() {
		resp.ErrorCode = kerr.NotController.Code
		reply(resp)
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(rc.Ctx, forwardTimeout)
		defer cancel()
		first, err := b.Meta.AllocateProducerIDs(ctx, ProducerIDBlockSize)
		if err != nil {
			resp.ErrorCode = controllerErrorCode(err)
		} else {
			resp.ProducerIDStart, resp.ProducerIDLen = first, ProducerIDBlockSize
		}
		reply(resp)
	}()
}
