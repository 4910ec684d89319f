package handlers

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// forwardTimeout bounds how long a forwarded admin request may wait for a
// controller, election included.
const forwardTimeout = 30 * time.Second

// forwardedKeys are the admin APIs only the controller can serve; a
// broker that is not the controller forwards them there (DESIGN.md §8).
var forwardedKeys = []int16{
	19, // CreateTopics
	20, // DeleteTopics
	30, // CreateAcls
	31, // DeleteAcls
	33, // AlterConfigs
	37, // CreatePartitions
	43, // ElectLeaders
	44, // IncrementalAlterConfigs
	45, // AlterPartitionReassignments
	46, // ListPartitionReassignments: the controller's image is the freshest
	49, // AlterClientQuotas
	51, // AlterUserScramCredentials
}

// registerClusterAPIs adds the controller APIs brokers send each other
// (registration, heartbeats, ISR changes, producer id blocks) and makes the
// admin APIs forward to the controller from any other node. It runs last
// in NewTable so it wraps the admin handlers already registered.
func (b *broker) registerClusterAPIs(t *Table) {
	t.add(&Handler{Key: 43, MinVersion: 0, MaxVersion: 2, Handle: b.electLeaders})
	t.add(&Handler{Key: 45, MinVersion: 0, MaxVersion: 0, Handle: b.alterPartitionReassignments})
	t.add(&Handler{Key: 46, MinVersion: 0, MaxVersion: 0, Handle: b.listPartitionReassignments})
	t.add(&Handler{Key: 56, MinVersion: 2, MaxVersion: 3, Handle: b.alterPartition})
	t.add(&Handler{Key: 62, MinVersion: 0, MaxVersion: 3, Handle: b.brokerRegistration})
	t.add(&Handler{Key: 63, MinVersion: 0, MaxVersion: 1, Handle: b.brokerHeartbeat})
	t.add(&Handler{Key: 67, MinVersion: 0, MaxVersion: 0, Handle: b.allocateProducerIDs})
	for _, key := range forwardedKeys {
		if h := t.Lookup(key); h != nil {
			t.add(b.forwarding(h))
		}
	}
}

// forwarding wraps h so that, on a node that is not the controller, the
// request is answered by the controller. If the controller cannot be
// reached the local handler answers, with NOT_CONTROLLER where it must.
func (b *broker) forwarding(h *Handler) *Handler {
	inner := h.Handle
	return &Handler{Key: h.Key, MinVersion: h.MinVersion, MaxVersion: h.MaxVersion, Handle: func(rc *RequestContext, req kmsg.Request, reply Reply) {
		remote := b.Meta.Remote()
		if remote == nil || b.Meta.IsController() {
			inner(rc, req, reply)
			return
		}
		go func() {
			ctx, cancel := context.WithTimeout(rc.Ctx, forwardTimeout)
			defer cancel()
			resp, err := remote.Forward(ctx, req)
			if err != nil {
				b.Log.Warn("forward to controller", "api", req.Key(), "err", err)
				req.SetVersion(rc.Version)
				inner(rc, req, reply)
				return
			}
			reply(resp)
		}()
	}}
}
