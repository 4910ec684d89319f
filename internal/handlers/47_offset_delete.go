package handlers

// OffsetDelete (key 47), version 0 (KIP-496).
//
// Deletes a group's committed offsets for partitions of topics its members
// are not subscribed to (GROUP_SUBSCRIBED_TO_TOPIC otherwise); a non-empty
// group of another protocol type answers NON_EMPTY_GROUP.

import "github.com/twmb/franz-go/pkg/kmsg"

func (b *broker) offsetDelete(rc *RequestContext, r kmsg.Request, reply Reply) {
	b.Groups.OffsetDelete(r.(*kmsg.OffsetDeleteRequest), asReply[*kmsg.OffsetDeleteResponse](reply))
}
