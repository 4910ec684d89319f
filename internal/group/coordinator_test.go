package group

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/goleak"
)

func commit(t *testing.T, c *Coordinator, g, member string, gen int32, topic string, part int32, off int64) int16 {
	t.Helper()
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Version = 8
	req.Group, req.MemberID, req.Generation = g, member, gen
	p := kmsg.NewOffsetCommitRequestTopicPartition()
	p.Partition, p.Offset = part, off
	req.Topics = []kmsg.OffsetCommitRequestTopic{{Topic: topic, Partitions: []kmsg.OffsetCommitRequestTopicPartition{p}}}
	ch := make(chan *kmsg.OffsetCommitResponse, 1)
	c.OffsetCommit(req, func(r *kmsg.OffsetCommitResponse) { ch <- r })
	select {
	case r := <-ch:
		return r.Topics[0].Partitions[0].ErrorCode
	case <-time.After(10 * time.Second):
		t.Fatal("commit never answered")
		return -1
	}
}

func fetch(t *testing.T, c *Coordinator, g, topic string, part int32) int64 {
	t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Version = 8
	req.Groups = []kmsg.OffsetFetchRequestGroup{{Group: g, Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: topic, Partitions: []int32{part}}}}}
	resp := c.OffsetFetch(req)
	if ec := resp.Groups[0].ErrorCode; ec != 0 {
		t.Fatalf("fetch: %v", kerr.ErrorForCode(ec))
	}
	return resp.Groups[0].Topics[0].Partitions[0].Offset
}

// TestReplayAndExpire: offsets survive a new coordinator (replayed from
// the log), and expire after offsets.retention.minutes once the group is
// empty, surviving nothing after that either.
func TestReplayAndExpire(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreTopFunction("github.com/hashicorp/raft.(*raft).runFollower"))
	dir := t.TempDir()
	st := startStack(t, dir, map[string]string{"offsets.retention.minutes": "60"})
	defer st.close()
	st.createTopic(t, "orders", 2)

	c, stop := st.coordinator(t, "g1")
	if ec := commit(t, c, "g1", "", -1, "orders", 1, 77); ec != 0 {
		t.Fatalf("commit: %v", kerr.ErrorForCode(ec))
	}
	if ec := commit(t, c, "g2", "", -1, "orders", 0, 5); ec != 0 {
		t.Fatalf("commit: %v", kerr.ErrorForCode(ec))
	}
	if got := fetch(t, c, "g1", "orders", 1); got != 77 {
		t.Fatalf("fetch after commit: %d", got)
	}
	stop()

	// A fresh coordinator knows only what the log says.
	c, stop = st.coordinator(t, "g1")
	if got := fetch(t, c, "g1", "orders", 1); got != 77 {
		t.Fatalf("after replay: offset %d, want 77", got)
	}

	// Not yet expired half-way through the retention; expired after it.
	c.ExpireOffsets(time.Now().Add(30 * time.Minute))
	if got := fetch(t, c, "g1", "orders", 1); got != 77 {
		t.Fatalf("expired too early: offset %d", got)
	}
	c.ExpireOffsets(time.Now().Add(61 * time.Minute))
	waitUntil(t, func() bool { return fetch(t, c, "g1", "orders", 1) == -1 && fetch(t, c, "g2", "orders", 0) == -1 })
	lg := c.ListGroups(kmsg.NewPtrListGroupsRequest())
	if len(lg.Groups) != 0 {
		t.Errorf("expired groups still listed: %+v", lg.Groups)
	}
	stop()
	c, stop = st.coordinator(t, "g1")
	if got := fetch(t, c, "g1", "orders", 1); got != -1 {
		t.Errorf("expired offset came back after replay: %d", got)
	}
	stop()
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition never held")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestInitialRebalanceDelay: members joining an empty group within
// group.initial.rebalance.delay.ms land in one generation.
func TestInitialRebalanceDelay(t *testing.T) {
	st := startStack(t, t.TempDir(), map[string]string{"group.initial.rebalance.delay.ms": "300"})
	defer st.close()
	c, stop := st.coordinator(t, "g")
	defer stop()
	join := func(id string) chan *kmsg.JoinGroupResponse {
		req := kmsg.NewPtrJoinGroupRequest()
		req.Version = 3 // no KIP-394 round trip
		req.Group, req.MemberID = "g", ""
		req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = 10000, 5000
		req.ProtocolType = "consumer"
		req.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte(id)}}
		ch := make(chan *kmsg.JoinGroupResponse, 1)
		c.JoinGroup(Client{ID: id}, req, func(r *kmsg.JoinGroupResponse) { ch <- r })
		return ch
	}
	start := time.Now()
	a := join("a")
	time.Sleep(100 * time.Millisecond)
	b := join("b")
	ra, rb := <-a, <-b
	if ra.ErrorCode != 0 || rb.ErrorCode != 0 {
		t.Fatalf("join errors %d %d", ra.ErrorCode, rb.ErrorCode)
	}
	if ra.Generation != 1 || rb.Generation != 1 {
		t.Errorf("generations %d and %d, want both 1", ra.Generation, rb.Generation)
	}
	if took := time.Since(start); took < 300*time.Millisecond {
		t.Errorf("rebalance completed after %v, before the 300ms initial delay", took)
	}
	leader := ra
	if rb.MemberID == rb.LeaderID {
		leader = rb
	}
	if len(leader.Members) != 2 {
		t.Errorf("leader got %d members, want 2", len(leader.Members))
	}
}

// TestCleanupBoundsLog: after many commits of the same keys, cleanup moves
// the log start offset past the superseded records, and a replay still
// finds the latest offsets and the group.
func TestCleanupBoundsLog(t *testing.T) {
	st := startStack(t, t.TempDir(), nil)
	defer st.close()
	st.createTopic(t, "t", 2)
	c, stop := st.coordinator(t, "g")
	// An older group in the same partition, committed once: its record
	// is live and must survive cleanup.
	old := "old"
	for i := 0; c.PartitionFor(old) != c.PartitionFor("g"); i++ {
		old = "old-" + itoa(int64(i))
	}
	if ec := commit(t, c, old, "", -1, "t", 0, 11); ec != 0 {
		t.Fatalf("commit: %v", kerr.ErrorForCode(ec))
	}
	for i := 0; i < 300; i++ {
		if ec := commit(t, c, "g", "", -1, "t", int32(i%2), int64(i)); ec != 0 {
			t.Fatalf("commit %d: %v", i, kerr.ErrorForCode(ec))
		}
	}
	sh, e := c.lockShard("g")
	if e != nil {
		t.Fatal(e)
	}
	sh.mu.Unlock()
	before := sh.p.Log().LogStartOffset()
	sh.cleanup(100)
	waitUntil(t, func() bool { return sh.p.Log().LogStartOffset() > before+250 })
	if got := fetch(t, c, "g", "t", 0); got != 298 {
		t.Errorf("after cleanup: partition 0 at %d, want 298", got)
	}
	stop()
	c, stop = st.coordinator(t, "g")
	defer stop()
	if a, b := fetch(t, c, "g", "t", 0), fetch(t, c, "g", "t", 1); a != 298 || b != 299 {
		t.Errorf("after cleanup and replay: %d and %d, want 298 and 299", a, b)
	}
	if got := fetch(t, c, old, "t", 0); got != 11 {
		t.Errorf("the older group's offset after cleanup and replay: %d, want 11", got)
	}
}

// TestLoneLeaderRejoin: the only member of a stable group rejoining (as a
// client does after losing its connection) gets the next generation at
// once, not after the rebalance timeout.
func TestLoneLeaderRejoin(t *testing.T) {
	st := startStack(t, t.TempDir(), nil)
	defer st.close()
	c, stop := st.coordinator(t, "g")
	defer stop()
	join := func(member string) *kmsg.JoinGroupResponse {
		req := kmsg.NewPtrJoinGroupRequest()
		req.Version = 3
		req.Group, req.MemberID = "g", member
		req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = 10000, 30000
		req.ProtocolType = "consumer"
		req.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte("m")}}
		ch := make(chan *kmsg.JoinGroupResponse, 1)
		c.JoinGroup(Client{ID: "c"}, req, func(r *kmsg.JoinGroupResponse) { ch <- r })
		select {
		case r := <-ch:
			return r
		case <-time.After(5 * time.Second):
			t.Fatal("join not answered within 5s (rebalance timeout is 30s)")
			return nil
		}
	}
	j := join("")
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.MemberID, sync.Generation = "g", j.MemberID, j.Generation
	sync.GroupAssignment = []kmsg.SyncGroupRequestGroupAssignment{{MemberID: j.MemberID, MemberAssignment: []byte("a")}}
	ch := make(chan *kmsg.SyncGroupResponse, 1)
	c.SyncGroup(sync, func(r *kmsg.SyncGroupResponse) { ch <- r })
	if r := <-ch; r.ErrorCode != 0 {
		t.Fatalf("sync: %v", kerr.ErrorForCode(r.ErrorCode))
	}
	j2 := join(j.MemberID)
	if j2.ErrorCode != 0 || j2.Generation != j.Generation+1 || j2.LeaderID != j.MemberID {
		t.Fatalf("rejoin: error %d generation %d leader %q", j2.ErrorCode, j2.Generation, j2.LeaderID)
	}
}
