package handlers

// FindCoordinator (key 10), versions 0-6.
//
// Key type 0 (group): the coordinator is the leader of the group's
// __consumer_offsets partition, abs(hashCode(group)) % partitions as in
// Kafka. The first lookup on a cluster without __consumer_offsets creates
// it and answers COORDINATOR_NOT_AVAILABLE until it has leaders. v4+ batch
// several keys (KIP-699). Key type 1 (transaction): the leader of the id's
// __transaction_state partition, created on first lookup; other
// key types (2, share groups, KIP-932) answer INVALID_REQUEST.

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (b *broker) findCoordinator(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.FindCoordinatorRequest)
	resp := kmsg.NewPtrFindCoordinatorResponse()
	keys := req.CoordinatorKeys
	if req.Version < 4 {
		keys = []string{req.CoordinatorKey}
	}
	for _, key := range keys {
		c := kmsg.NewFindCoordinatorResponseCoordinator()
		c.Key = key
		c.NodeID = -1
		var e *kerr.Error
		switch req.CoordinatorType {
		case 0:
			var node int32
			node, e = b.Groups.Locate(key)
			if e == nil {
				br, ok := b.image().Brokers[node]
				if !ok {
					e = kerr.CoordinatorNotAvailable
				} else {
					c.NodeID, c.Host, c.Port = br.ID, br.Host, br.Port
				}
			}
		case 1:
			var node int32
			node, e = b.locateTxnCoordinator(rc, key)
			if e == nil {
				br, ok := b.image().Brokers[node]
				if !ok {
					e = kerr.CoordinatorNotAvailable
				} else {
					c.NodeID, c.Host, c.Port = br.ID, br.Host, br.Port
				}
			}
		default:
			e = kerr.InvalidRequest
		}
		if e != nil {
			c.ErrorCode = e.Code
			msg := e.Message
			c.ErrorMessage = &msg
		}
		resp.Coordinators = append(resp.Coordinators, c)
	}
	if req.Version < 4 && len(resp.Coordinators) == 1 {
		c := resp.Coordinators[0]
		resp.ErrorCode, resp.ErrorMessage = c.ErrorCode, c.ErrorMessage
		resp.NodeID, resp.Host, resp.Port = c.NodeID, c.Host, c.Port
		resp.Coordinators = nil
	}
	reply(resp)
}
