package handlers

// ConsumerGroupHeartbeat (key 68), versions 0-1 (KIP-848).
//
// The next-generation consumer protocol: the broker assigns partitions
// (server assignors "uniform", sticky and even, and "range") and each
// member converges by heartbeats: it first revokes what it must give up,
// then enters the new member epoch and receives the partitions nobody else
// holds any more. Subscriptions by name or by regex (v1, matched against
// whole topic names, internal topics excluded). Static members
// (group.instance.id) take over their predecessor's partitions. A member
// that does not revoke within its rebalance timeout is fenced; one that
// stops heartbeating is removed after group.consumer.session.timeout.ms.
// Membership is not persisted: after a coordinator change members rejoin
// (UNKNOWN_MEMBER_ID); committed offsets are kept.

import "github.com/twmb/franz-go/pkg/kmsg"

func (b *broker) consumerGroupHeartbeat(rc *RequestContext, r kmsg.Request, reply Reply) {
	reply(b.Groups.ConsumerGroupHeartbeat(groupClient(rc), r.(*kmsg.ConsumerGroupHeartbeatRequest)))
}
