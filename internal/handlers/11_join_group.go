package handlers

// JoinGroup (key 11), versions 0-9.
//
// The classic group protocol's join phase. The reply is deferred until the
// rebalance completes (every member rejoined, the rebalance timeout passed,
// or group.initial.rebalance.delay.ms for a group that was empty). v4+
// answer a new member MEMBER_ID_REQUIRED with its id first (KIP-394); v5+
// carry group.instance.id for static membership (KIP-345); v9's
// SkipAssignment is set when a static leader returns to a stable group.
// group.max.size caps the members (GROUP_MAX_SIZE_REACHED).

import "github.com/twmb/franz-go/pkg/kmsg"

func (b *broker) joinGroup(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.JoinGroupRequest)
	b.Groups.JoinGroup(groupClient(rc), req, asReply[*kmsg.JoinGroupResponse](reply))
}
