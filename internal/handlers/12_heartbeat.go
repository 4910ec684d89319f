package handlers

// Heartbeat (key 12), versions 0-4.
//
// Keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to
// rejoin, ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID
// (KIP-345) that it was removed or replaced.

import "github.com/twmb/franz-go/pkg/kmsg"

func (b *broker) heartbeat(rc *RequestContext, r kmsg.Request, reply Reply) {
	reply(b.Groups.Heartbeat(r.(*kmsg.HeartbeatRequest)))
}
