package handlers

// ListGroups (key 16), versions 0-5.
//
// The groups this broker coordinates; v4+ filter by state (KIP-518), v5+ by
// type (KIP-848: every group here is "classic"). While a coordinator
// partition is still loading the answer carries COORDINATOR_LOAD_IN_PROGRESS.

import "github.com/twmb/franz-go/pkg/kmsg"

func (b *broker) listGroups(rc *RequestContext, r kmsg.Request, reply Reply) {
	reply(b.Groups.ListGroups(r.(*kmsg.ListGroupsRequest)))
}
