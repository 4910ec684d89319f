package handlers

// DeleteGroups (key 42), versions 0-2.
//
// Deletes empty groups: tombstones for the group metadata and every
// committed offset go to __consumer_offsets. A group with members answers
// NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND.

import "github.com/twmb/franz-go/pkg/kmsg"

func (b *broker) deleteGroups(rc *RequestContext, r kmsg.Request, reply Reply) {
	b.Groups.DeleteGroups(r.(*kmsg.DeleteGroupsRequest), asReply[*kmsg.DeleteGroupsResponse](reply))
}
