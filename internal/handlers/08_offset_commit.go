package handlers

// OffsetCommit (key 8), versions 0-9.
//
// Offsets are written to __consumer_offsets (offset commit key v1, value
// v3) with acks=all and acknowledged once committed. Member and generation
// are checked (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS
// while the group awaits its assignment, FENCED_INSTANCE_ID); generation -1
// commits into an empty or unknown group (admin tools, manual assignment).
// Unknown topics or partitions get UNKNOWN_TOPIC_OR_PARTITION, metadata
// over 4096 bytes OFFSET_METADATA_TOO_LARGE. v2-v4's retention time is
// ignored, as Kafka 2.1+ does (offsets.retention.minutes applies). For a
// KIP-848 group (v9) the generation is the member epoch: the member's
// current or previous epoch is accepted, a newer one is
// FENCED_MEMBER_EPOCH, an older one STALE_MEMBER_EPOCH.

import "github.com/twmb/franz-go/pkg/kmsg"

func (b *broker) offsetCommit(rc *RequestContext, r kmsg.Request, reply Reply) {
	b.Groups.OffsetCommit(r.(*kmsg.OffsetCommitRequest), asReply[*kmsg.OffsetCommitResponse](reply))
}
