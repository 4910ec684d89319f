package handlers

// BrokerRegistration (key 62), versions 0-3: a broker that is not the
// controller registers its listener with the controller. The broker epoch
// answered is derived from the incarnation (metadata.BrokerEpochOf). A
// registration whose only listener is replication.ObserverListener is a
// node outside --voters asking to observe the metadata quorum.

import (
	"context"
	"errors"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/metadata"
	"github.com/gregor-stream/gregor/internal/replication"
)

func (b *broker) brokerRegistration(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.BrokerRegistrationRequest)
	resp := kmsg.NewPtrBrokerRegistrationResponse()
	resp.BrokerEpoch = -1
	if !b.Meta.IsController() {
		resp.ErrorCode = kerr.NotController.Code
		reply(resp)
		return
	}
	if img := b.image(); req.ClusterID != "" && req.ClusterID != img.ClusterID {
		resp.ErrorCode = kerr.InconsistentClusterID.Code
		reply(resp)
		return
	}
	if len(req.Listeners) == 0 {
		resp.ErrorCode = kerr.InvalidRequest.Code
		reply(resp)
		return
	}
	if len(req.Listeners) == 1 && req.Listeners[0].Name == replication.ObserverListener {
		// A node outside --voters joining the metadata quorum.
		addr := net.JoinHostPort(req.Listeners[0].Host, strconv.Itoa(int(req.Listeners[0].Port)))
		go func() {
			ctx, cancel := context.WithTimeout(rc.Ctx, forwardTimeout)
			defer cancel()
			if err := b.Meta.AddObserver(ctx, req.BrokerID, addr); err != nil {
				resp.ErrorCode = controllerErrorCode(err)
			}
			reply(resp)
		}()
		return
	}
	br := metadata.Broker{ID: req.BrokerID, Host: req.Listeners[0].Host, Port: int32(req.Listeners[0].Port), Incarnation: req.IncarnationID}
	if req.Rack != nil {
		br.Rack = *req.Rack
	}
	go func() {
		ctx, cancel := context.WithTimeout(rc.Ctx, forwardTimeout)
		defer cancel()
		if err := b.Meta.RegisterBroker(ctx, br); err != nil {
			resp.ErrorCode = controllerErrorCode(err)
		} else {
			resp.BrokerEpoch = metadata.BrokerEpochOf(req.IncarnationID)
		}
		reply(resp)
	}()
}

// controllerErrorCode maps the errors of controller operations, with the
// ones brokers retry on first.
func controllerErrorCode(err error) int16 {
	switch {
	case errors.Is(err, metadata.ErrNotController), errors.Is(err, metadata.ErrClosed):
		return kerr.NotController.Code
	case errors.Is(err, metadata.ErrTimeout):
		return kerr.RequestTimedOut.Code
	case errors.Is(err, metadata.ErrStaleBrokerEpoch):
		return kerr.StaleBrokerEpoch.Code
	case errors.Is(err, metadata.ErrUnknownBroker):
		return kerr.BrokerIDNotRegistered.Code
	case errors.Is(err, metadata.ErrNotLeader):
		return kerr.NotLeaderForPartition.Code
	case errors.Is(err, metadata.ErrFencedLeaderEpoch):
		return kerr.FencedLeaderEpoch.Code
	case errors.Is(err, metadata.ErrInvalidUpdateVersion):
		return kerr.InvalidUpdateVersion.Code
	case errors.Is(err, metadata.ErrIneligibleReplica):
		return kerr.IneligibleReplica.Code
	case errors.Is(err, metadata.ErrUnknownTopicID):
		return kerr.UnknownTopicID.Code
	}
	return errorCode(err)
}
