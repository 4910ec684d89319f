package handlers

import (
	"net"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/group"
)

// registerGroupAPIs adds the group coordinator's APIs when a coordinator is
// configured, including KIP-848's ConsumerGroupHeartbeat and
// ConsumerGroupDescribe (clients opt into that protocol themselves and
// pick it from ApiVersions).
func (b *broker) registerGroupAPIs(t *Table) {
	if b.Groups == nil {
		return
	}
	t.add(&Handler{Key: 8, MinVersion: 0, MaxVersion: 9, Handle: b.offsetCommit})
	t.add(&Handler{Key: 9, MinVersion: 0, MaxVersion: 9, Handle: b.offsetFetch})
	t.add(&Handler{Key: 10, MinVersion: 0, MaxVersion: 6, Handle: b.findCoordinator})
	t.add(&Handler{Key: 11, MinVersion: 0, MaxVersion: 9, Handle: b.joinGroup})
	t.add(&Handler{Key: 12, MinVersion: 0, MaxVersion: 4, Handle: b.heartbeat})
	t.add(&Handler{Key: 13, MinVersion: 0, MaxVersion: 5, Handle: b.leaveGroup})
	t.add(&Handler{Key: 14, MinVersion: 0, MaxVersion: 5, Handle: b.syncGroup})
	t.add(&Handler{Key: 15, MinVersion: 0, MaxVersion: 5, Handle: b.describeGroups})
	t.add(&Handler{Key: 16, MinVersion: 0, MaxVersion: 5, Handle: b.listGroups})
	t.add(&Handler{Key: 42, MinVersion: 0, MaxVersion: 2, Handle: b.deleteGroups})
	t.add(&Handler{Key: 47, MinVersion: 0, MaxVersion: 0, Handle: b.offsetDelete})
	if b.Txns != nil {
		t.add(&Handler{Key: 28, MinVersion: 0, MaxVersion: 4, Handle: b.txnOffsetCommit})
	}
	t.add(&Handler{Key: 68, MinVersion: 0, MaxVersion: 1, Handle: b.consumerGroupHeartbeat})
	t.add(&Handler{Key: 69, MinVersion: 0, MaxVersion: 1, Handle: b.consumerGroupDescribe})
}

// groupClient is who sent a group request, as DescribeGroups reports it.
func groupClient(rc *RequestContext) group.Client {
	host := ""
	if rc.ClientAddr != nil {
		host = rc.ClientAddr.String()
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = "/" + host
	}
	return group.Client{ID: rc.ClientID, Host: host}
}

// asReply adapts a typed reply callback.
func asReply[T kmsg.Response](reply Reply) func(T) {
	return func(r T) { reply(r) }
}
