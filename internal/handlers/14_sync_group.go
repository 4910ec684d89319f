package handlers

// SyncGroup (key 14), versions 0-5.
//
// The leader's assignment is stored in __consumer_offsets (group metadata
// record) before any member gets its share; followers' replies wait for
// it. v5 checks protocol type and name (INCONSISTENT_GROUP_PROTOCOL).

import "github.com/twmb/franz-go/pkg/kmsg"

func (b *broker) syncGroup(rc *RequestContext, r kmsg.Request, reply Reply) {
	b.Groups.SyncGroup(r.(*kmsg.SyncGroupRequest), asReply[*kmsg.SyncGroupResponse](reply))
}
