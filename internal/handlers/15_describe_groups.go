package handlers

// DescribeGroups (key 15), versions 0-5.
//
// State, protocol and members (client id, host, group.instance.id from
// v4, metadata, assignment) of each group; an unknown group is reported in
// state Dead without error, as Kafka does before v6. Authorized
// operations (KIP-430) are not computed (MinInt32). v6 is not advertised.

import "github.com/twmb/franz-go/pkg/kmsg"

func (b *broker) describeGroups(rc *RequestContext, r kmsg.Request, reply Reply) {
	reply(b.Groups.DescribeGroups(r.(*kmsg.DescribeGroupsRequest)))
}
