package handlers

// OffsetFetch (key 9), versions 0-8.
//
// Committed offsets of a group (v8+: of several groups, KIP-709); a null
// topic list (v2+) means every committed partition. Partitions without a
// commit answer offset -1. Offsets are visible only once committed, and
// there are no transactional offsets yet, so require_stable (v7+) never
// answers UNSTABLE_OFFSET_COMMIT. v9+ (KIP-848) are not implemented.

import "github.com/twmb/franz-go/pkg/kmsg"

func (b *broker) offsetFetch(rc *RequestContext, r kmsg.Request, reply Reply) {
	reply(b.Groups.OffsetFetch(r.(*kmsg.OffsetFetchRequest)))
}
