package handlers

// ConsumerGroupDescribe (key 69), versions 0-1 (KIP-848).
//
// Group epoch, assignment epoch, assignor and state (Empty, Assigning,
// Reconciling, Stable) of consumer-protocol groups, with each member's
// current and target assignment. A classic or unknown group answers
// GROUP_ID_NOT_FOUND. Authorized operations are not computed.

import "github.com/twmb/franz-go/pkg/kmsg"

func (b *broker) consumerGroupDescribe(rc *RequestContext, r kmsg.Request, reply Reply) {
	reply(b.Groups.ConsumerGroupDescribe(r.(*kmsg.ConsumerGroupDescribeRequest)))
}
