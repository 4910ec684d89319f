package handlers

// LeaveGroup (key 13), versions 0-5.
//
// v0-v2 remove one member by id; v3+ remove a batch, each by member id or
// by group.instance.id (KIP-345), with an error code per member. The group
// rebalances without the leavers at once.

import "github.com/twmb/franz-go/pkg/kmsg"

func (b *broker) leaveGroup(rc *RequestContext, r kmsg.Request, reply Reply) {
	reply(b.Groups.LeaveGroup(r.(*kmsg.LeaveGroupRequest)))
}
