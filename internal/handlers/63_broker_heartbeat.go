package handlers

// BrokerHeartbeat (key 63), versions 0-1: a broker renews its session with
// the controller. WantShutdown asks for a controlled shutdown: the broker
// is fenced, which moves its leaderships to other in-sync replicas.

import (
	"context"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/metadata"
)

func (b *broker) brokerHeartbeat(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.BrokerHeartbeatRequest)
	resp := kmsg.NewPtrBrokerHeartbeatResponse()
	if !b.Meta.IsController() {
		resp.ErrorCode = kerr.NotController.Code
		reply(resp)
		return
	}
	br, ok := b.image().Brokers[req.BrokerID]
	switch {
	case !ok:
		resp.ErrorCode = kerr.BrokerIDNotRegistered.Code
		reply(resp)
		return
	case metadata.BrokerEpochOf(br.Incarnation) != req.BrokerEpoch:
		resp.ErrorCode = kerr.StaleBrokerEpoch.Code
		reply(resp)
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(rc.Ctx, forwardTimeout)
		defer cancel()
		var err error
		if req.WantShutdown {
			err = b.Meta.ControlledShutdown(ctx, req.BrokerID, br.Incarnation)
		} else {
			err = b.Meta.Heartbeat(ctx, req.BrokerID, br.Incarnation)
		}
		if err != nil {
			resp.ErrorCode = controllerErrorCode(err)
		}
		now := b.image().Brokers[req.BrokerID]
		resp.IsCaughtUp = true
		resp.IsFenced = now.Fenced
		resp.ShouldShutdown = req.WantShutdown && now.Fenced
		reply(resp)
	}()
}
