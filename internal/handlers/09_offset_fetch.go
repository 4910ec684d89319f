package handlers

// OffsetFetch (key 9), versions 0-9.
//
// Committed offsets of a group (v8+: of several groups, KIP-709); a null
// topic list (v2+) means every committed partition. Partitions without a
// commit answer offset -1. Offsets are visible only once committed; with
// require_stable (v7+) a partition whose offset an open transaction still
// holds (TxnOffsetCommit) answers UNSTABLE_OFFSET_COMMIT (KIP-447). v9's member id and epoch (KIP-848) are
// accepted but not checked. v10 (topic ids) is not implemented.

import "github.com/twmb/franz-go/pkg/kmsg"

func (b *broker) offsetFetch(rc *RequestContext, r kmsg.Request, reply Reply) {
	reply(b.Groups.OffsetFetch(r.(*kmsg.OffsetFetchRequest)))
}
