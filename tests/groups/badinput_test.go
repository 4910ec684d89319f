package groups

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// coordinatorClient returns a client whose requests for group go to its
// coordinator (kgo routes group requests by FindCoordinator).
func rawJoin(t *testing.T, cl *kgo.Client, group, member string, session int32, ptype string, protos ...string) *kmsg.JoinGroupResponse {
	t.Helper()
	req := kmsg.NewPtrJoinGroupRequest()
	req.Group = group
	req.MemberID = member
	req.SessionTimeoutMillis = session
	req.RebalanceTimeoutMillis = 10000
	req.ProtocolType = ptype
	for _, p := range protos {
		req.Protocols = append(req.Protocols, kmsg.JoinGroupRequestProtocol{Name: p, Metadata: []byte("m-" + p)})
	}
	resp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatalf("join: %v", err)
	}
	return resp
}

func code(c int16) string {
	if c == 0 {
		return "NONE"
	}
	return kerr.ErrorForCode(c).Error()
}

func expect(t *testing.T, what string, got int16, want *kerr.Error) {
	t.Helper()
	if want == nil {
		if got != 0 {
			t.Errorf("%s: got %s, want no error", what, code(got))
		}
		return
	}
	if got != want.Code {
		t.Errorf("%s: got %s, want %s", what, code(got), want.Error())
	}
}

// joinFull does the KIP-394 two-step join and returns the response of the
// completed join.
func joinFull(t *testing.T, cl *kgo.Client, group string) *kmsg.JoinGroupResponse {
	t.Helper()
	r := rawJoin(t, cl, group, "", 10000, "consumer", "range")
	expect(t, "first join", r.ErrorCode, kerr.MemberIDRequired)
	if r.MemberID == "" {
		t.Fatalf("MEMBER_ID_REQUIRED without a member id")
	}
	r = rawJoin(t, cl, group, r.MemberID, 10000, "consumer", "range")
	expect(t, "second join", r.ErrorCode, nil)
	return r
}

func rawSync(t *testing.T, cl *kgo.Client, group, member string, gen int32, assign map[string][]byte) *kmsg.SyncGroupResponse {
	t.Helper()
	req := kmsg.NewPtrSyncGroupRequest()
	req.Group, req.MemberID, req.Generation = group, member, gen
	for m, a := range assign {
		req.GroupAssignment = append(req.GroupAssignment, kmsg.SyncGroupRequestGroupAssignment{MemberID: m, MemberAssignment: a})
	}
	resp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return resp
}

func rawCommit(t *testing.T, cl *kgo.Client, group, member string, gen int32, topic string, part int32, off int64, md string) int16 {
	t.Helper()
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group, req.MemberID, req.Generation = group, member, gen
	p := kmsg.NewOffsetCommitRequestTopicPartition()
	p.Partition, p.Offset, p.Metadata = part, off, &md
	req.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: topic, Partitions: []kmsg.OffsetCommitRequestTopicPartition{p}}}
	resp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	return resp.Topics[0].Partitions[0].ErrorCode
}

// TestBadGroupRequests: each bad request gets Kafka's error code, and the
// group's state (members, generation, offsets) is unharmed by it.
func TestBadGroupRequests(t *testing.T) {
	b := startBroker(t, "group.max.size=2")
	createTopic(t, b, "bad-topic", 2)
	cl := newClient(t, b)
	const g = "g-bad"

	j := joinFull(t, cl, g)
	if j.LeaderID != j.MemberID || len(j.Members) != 1 || string(j.Members[0].ProtocolMetadata) != "m-range" {
		t.Fatalf("sole member should lead with its own metadata: %+v", j)
	}
	s := rawSync(t, cl, g, j.MemberID, j.Generation, map[string][]byte{j.MemberID: []byte("assignment-1")})
	expect(t, "leader sync", s.ErrorCode, nil)
	if string(s.MemberAssignment) != "assignment-1" {
		t.Fatalf("assignment %q", s.MemberAssignment)
	}
	expect(t, "good commit", rawCommit(t, cl, g, j.MemberID, j.Generation, "bad-topic", 0, 42, "md"), nil)

	// Join errors.
	expect(t, "empty group id", rawJoin(t, cl, "", "", 10000, "consumer", "range").ErrorCode, kerr.InvalidGroupID)
	// Flexible versions can carry a group id longer than the int16-length
	// string the __consumer_offsets record key must hold.
	expect(t, "group id too long", rawJoin(t, cl, strings.Repeat("g", 40000), "", 10000, "consumer", "range").ErrorCode, kerr.InvalidGroupID)
	expect(t, "session timeout too small", rawJoin(t, cl, g, "", 1, "consumer", "range").ErrorCode, kerr.InvalidSessionTimeout)
	expect(t, "session timeout too large", rawJoin(t, cl, g, "", 1<<30, "consumer", "range").ErrorCode, kerr.InvalidSessionTimeout)
	expect(t, "no protocols", rawJoin(t, cl, g, "", 10000, "consumer").ErrorCode, kerr.InconsistentGroupProtocol)
	expect(t, "empty protocol type", rawJoin(t, cl, g, "", 10000, "", "range").ErrorCode, kerr.InconsistentGroupProtocol)
	expect(t, "other protocol type", rawJoin(t, cl, g, "", 10000, "connect", "range").ErrorCode, kerr.InconsistentGroupProtocol)
	expect(t, "no common protocol", rawJoin(t, cl, g, "", 10000, "consumer", "nope").ErrorCode, kerr.InconsistentGroupProtocol)
	expect(t, "unknown member id", rawJoin(t, cl, g, "ghost", 10000, "consumer", "range").ErrorCode, kerr.UnknownMemberID)
	expect(t, "unknown member in new group", rawJoin(t, cl, "g-new", "ghost", 10000, "consumer", "range").ErrorCode, kerr.UnknownMemberID)

	// Heartbeat errors.
	hb := func(member string, gen int32) int16 {
		req := kmsg.NewPtrHeartbeatRequest()
		req.Group, req.MemberID, req.Generation = g, member, gen
		resp, err := req.RequestWith(ctxT(t), cl)
		if err != nil {
			t.Fatalf("heartbeat: %v", err)
		}
		return resp.ErrorCode
	}
	expect(t, "heartbeat", hb(j.MemberID, j.Generation), nil)
	expect(t, "heartbeat stale generation", hb(j.MemberID, j.Generation-1), kerr.IllegalGeneration)
	expect(t, "heartbeat unknown member", hb("ghost", j.Generation), kerr.UnknownMemberID)

	// Sync errors.
	expect(t, "sync stale generation", rawSync(t, cl, g, j.MemberID, j.Generation+5, nil).ErrorCode, kerr.IllegalGeneration)
	expect(t, "sync unknown member", rawSync(t, cl, g, "ghost", j.Generation, nil).ErrorCode, kerr.UnknownMemberID)

	// Commit errors.
	expect(t, "commit stale generation", rawCommit(t, cl, g, j.MemberID, j.Generation+1, "bad-topic", 0, 7, ""), kerr.IllegalGeneration)
	expect(t, "commit unknown member", rawCommit(t, cl, g, "ghost", j.Generation, "bad-topic", 0, 7, ""), kerr.UnknownMemberID)
	expect(t, "commit without generation to a live group", rawCommit(t, cl, g, "", -1, "bad-topic", 0, 7, ""), kerr.UnknownMemberID)
	expect(t, "commit unknown topic", rawCommit(t, cl, g, j.MemberID, j.Generation, "no-such-topic", 0, 7, ""), kerr.UnknownTopicOrPartition)
	expect(t, "commit unknown partition", rawCommit(t, cl, g, j.MemberID, j.Generation, "bad-topic", 9, 7, ""), kerr.UnknownTopicOrPartition)
	expect(t, "commit oversized metadata", rawCommit(t, cl, g, j.MemberID, j.Generation, "bad-topic", 1, 7, strings.Repeat("x", 5000)), kerr.OffsetMetadataTooLarge)
	expect(t, "commit to an unknown group with a generation", rawCommit(t, cl, "g-none", "m", 3, "bad-topic", 0, 7, ""), kerr.IllegalGeneration)

	// group.max.size=2: a second member may join (which rebalances), a
	// third may not.
	second := rawJoin(t, cl, g, "", 10000, "consumer", "range")
	expect(t, "second member first join", second.ErrorCode, kerr.MemberIDRequired)
	third := rawJoin(t, cl, g, "", 10000, "consumer", "range")
	expect(t, "third member over group.max.size", third.ErrorCode, kerr.GroupMaxSizeReached)
	leave := kmsg.NewPtrLeaveGroupRequest()
	leave.Group = g
	leave.Members = []kmsg.LeaveGroupRequestMember{{MemberID: second.MemberID}, {MemberID: "ghost"}}
	lr, err := leave.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "leave of a pending member", lr.Members[0].ErrorCode, nil)
	expect(t, "leave of an unknown member", lr.Members[1].ErrorCode, kerr.UnknownMemberID)

	// Nothing above harmed the group: same member, generation, offset.
	expect(t, "heartbeat after the bad requests", hb(j.MemberID, j.Generation), nil)
	fo := kmsg.NewPtrOffsetFetchRequest()
	fo.Group = g
	fo.Topics = []kmsg.OffsetFetchRequestTopic{{Topic: "bad-topic", Partitions: []int32{0, 1}}}
	fr, err := fo.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if ps := fr.Topics[0].Partitions; ps[0].Offset != 42 || ps[1].Offset != -1 {
		t.Errorf("offsets after bad requests: p0=%d p1=%d, want 42 and -1", ps[0].Offset, ps[1].Offset)
	}

	// Delete: a group with members cannot be deleted; after the member
	// leaves it can, and its offsets go with it.
	del := func() int16 {
		req := kmsg.NewPtrDeleteGroupsRequest()
		req.Groups = []string{g}
		resp, err := req.RequestWith(ctxT(t), cl)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Groups[0].ErrorCode
	}
	expect(t, "delete non-empty group", del(), kerr.NonEmptyGroup)
	leave.Members = []kmsg.LeaveGroupRequestMember{{MemberID: j.MemberID}}
	if lr, err = leave.RequestWith(ctxT(t), cl); err != nil || lr.Members[0].ErrorCode != 0 {
		t.Fatalf("leave: %v %+v", err, lr)
	}
	waitFor(t, 10*time.Second, "group empty", func() bool { return describe(t, b, g).State == "Empty" })
	expect(t, "delete empty group", del(), nil)
	expect(t, "delete it again", del(), kerr.GroupIDNotFound)
	if fr, err = fo.RequestWith(ctxT(t), cl); err != nil || fr.Topics[0].Partitions[0].Offset != -1 {
		t.Errorf("offsets survived the group's deletion: %+v %v", fr, err)
	}
}

// TestFindCoordinator checks batched lookups (v4+) and the transaction key
// type, which has no coordinator yet.
func TestFindCoordinator(t *testing.T) {
	b := startBroker(t)
	cl := newClient(t, b)
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorKeys = []string{"a", "b", "c"}
	var resp *kmsg.FindCoordinatorResponse
	waitFor(t, 20*time.Second, "coordinators available", func() bool {
		var err error
		resp, err = req.RequestWith(ctxT(t), cl)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range resp.Coordinators {
			if c.ErrorCode != 0 {
				return false
			}
		}
		return true
	})
	if len(resp.Coordinators) != 3 {
		t.Fatalf("%d coordinators for 3 keys", len(resp.Coordinators))
	}
	for _, c := range resp.Coordinators {
		if c.NodeID != int32(b.NodeID) || net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))) != b.Addr {
			t.Errorf("key %s: coordinator %d at %s:%d, want node %d at %s", c.Key, c.NodeID, c.Host, c.Port, b.NodeID, b.Addr)
		}
	}
	txn := kmsg.NewPtrFindCoordinatorRequest()
	txn.CoordinatorType = 1
	txn.CoordinatorKeys = []string{"tx"}
	tr, err := txn.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "transaction coordinator", tr.Coordinators[0].ErrorCode, kerr.CoordinatorNotAvailable)
}
