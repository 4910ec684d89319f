package groups

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// startCluster runs n brokers that are all metadata voters.
func startCluster(t *testing.T, n int, sets ...string) []*testbroker.Broker {
	t.Helper()
	addrs, err := testbroker.FreeAddrs(3 * n)
	if err != nil {
		t.Fatal(err)
	}
	var voters []string
	for i := 0; i < n; i++ {
		voters = append(voters, fmt.Sprintf("%d@%s", i+1, addrs[3*i+2]))
	}
	args := []string{"--voters", strings.Join(voters, ","), "--set", "offsets.topic.num.partitions=6", "--set", "group.initial.rebalance.delay.ms=0"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	bs := make([]*testbroker.Broker, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Start blocks until the node is ready, which needs a
			// quorum: the nodes must start together.
			bs[i] = testbroker.Start(t, testbroker.WithNodeID(i+1), testbroker.WithArgs(args...),
				testbroker.WithAddrs(addrs[3*i], addrs[3*i+1], addrs[3*i+2]))
		}()
	}
	wg.Wait()
	for _, b := range bs {
		if b == nil {
			t.FailNow()
		}
	}
	return bs
}

// TestGroupsAcrossCluster: on three brokers, groups are coordinated by the
// leaders of their __consumer_offsets partitions, which spread over the
// nodes; a node that is not a group's coordinator answers
// NOT_COORDINATOR; consumers of every group still read everything.
func TestGroupsAcrossCluster(t *testing.T) {
	bs := startCluster(t, 3)
	b := bs[0]
	createTopic(t, b, "cluster-topic", 6)
	vals := produce(t, b, "cluster-topic", "a", 300)

	cl := newClient(t, b)
	coordinators := map[string]int32{}
	groups := make([]string, 8)
	for i := range groups {
		groups[i] = fmt.Sprintf("g-cluster-%d", i)
	}
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorKeys = groups
	var last string
	defer func() {
		if t.Failed() {
			t.Logf("last FindCoordinator answers: %s", last)
		}
	}()
	waitFor(t, 30*time.Second, "coordinators for all groups", func() bool {
		resp, err := req.RequestWith(ctxT(t), cl)
		if err != nil {
			last = err.Error()
			return false
		}
		last = ""
		for _, c := range resp.Coordinators {
			last += fmt.Sprintf("%s:%d/%s ", c.Key, c.NodeID, code2(c.ErrorCode))
		}
		for _, c := range resp.Coordinators {
			if c.ErrorCode != 0 {
				return false
			}
			coordinators[c.Key] = c.NodeID
		}
		return true
	})
	nodes := map[int32]bool{}
	for _, n := range coordinators {
		nodes[n] = true
	}
	if len(nodes) < 2 {
		t.Errorf("8 groups all coordinated by %v: __consumer_offsets leadership is not spread", nodes)
	}

	// Ask a node that is not the coordinator directly.
	g := groups[0]
	var other *testbroker.Broker
	for _, x := range bs {
		if int32(x.NodeID) != coordinators[g] {
			other = x
			break
		}
	}
	direct := newClient(t, other)
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.MemberID, hb.Generation = g, "m", 1
	resp, err := direct.Broker(other.NodeID).RetriableRequest(ctxT(t), hb)
	if err != nil {
		t.Fatal(err)
	}
	if code := resp.(*kmsg.HeartbeatResponse).ErrorCode; code != kerr.NotCoordinator.Code {
		t.Errorf("heartbeat at node %d for a group coordinated by %d: %s, want NOT_COORDINATOR", other.NodeID, coordinators[g], code2(code))
	}

	// Every group reads the whole topic through its own coordinator.
	for _, g := range groups[:4] {
		s := newSeen()
		m := startKgoMember(t, b, g, "cluster-topic", kgo.RangeBalancer(), s)
		s.waitAll(t, vals, 40*time.Second)
		m.stop(t)
		var sum int64
		for _, o := range committed(t, b, g, "cluster-topic") {
			sum += o
		}
		if sum != 300 {
			t.Errorf("group %s (coordinator %d) committed %d of 300", g, coordinators[g], sum)
		}
	}
}

func code2(c int16) string {
	if c == 0 {
		return "NONE"
	}
	return kerr.ErrorForCode(c).Error()
}

// TestCoordinatorFailover: with __consumer_offsets replicated on three
// nodes, killing a group's coordinator moves the group to the new leader
// of its partition, which rebuilds it by replaying the log: the committed
// offsets are all there and a consumer resumes from them.
func TestCoordinatorFailover(t *testing.T) {
	bs := startCluster(t, 3, "offsets.topic.replication.factor=3")
	const topic, group = "failover-topic", "g-failover"
	resp, err := newAdmin(t, bs[0]).CreateTopic(ctxT(t), 3, 3, nil, topic)
	if err != nil || resp.Err != nil {
		t.Fatalf("create topic: %v %v", err, resp.Err)
	}
	first := produce(t, bs[0], topic, "a", 150)
	s := newSeen()
	m := startKgoMember(t, bs[0], group, topic, kgo.RangeBalancer(), s)
	s.waitAll(t, first, 40*time.Second)
	m.stop(t)
	before := committed(t, bs[0], group, topic)

	coord := findCoordinator(t, bs[0], group)
	var victim *testbroker.Broker
	var alive []*testbroker.Broker
	for _, b := range bs {
		if int32(b.NodeID) == coord {
			victim = b
		} else {
			alive = append(alive, b)
		}
	}
	victim.Kill()
	waitFor(t, 60*time.Second, "a new coordinator", func() bool {
		n := findCoordinatorMaybe(t, alive[0], group)
		return n >= 0 && n != coord
	})
	var after map[int32]int64
	waitFor(t, 60*time.Second, "offsets from the new coordinator", func() bool {
		fo, err := newAdmin(t, alive[0]).FetchOffsets(ctxT(t), group)
		if err != nil || fo.Error() != nil {
			return false
		}
		after = map[int32]int64{}
		for p, o := range fo[topic] {
			after[p] = o.At
		}
		return len(after) == len(before)
	})
	for p, o := range before {
		if after[p] != o {
			t.Errorf("partition %d: committed %d before the failover, %d after", p, o, after[p])
		}
	}
	second := produce(t, alive[0], topic, "b", 60)
	s2 := newSeen()
	m2 := startKgoMember(t, alive[0], group, topic, kgo.RangeBalancer(), s2)
	s2.waitAll(t, second, 60*time.Second)
	m2.stop(t)
	for v := range s2.counts {
		if !strings.HasPrefix(v, "b-") {
			t.Errorf("record %q consumed again after the failover", v)
		}
	}
}

func findCoordinatorMaybe(t *testing.T, b *testbroker.Broker, group string) int32 {
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorKeys = []string{group}
	resp, err := req.RequestWith(ctxT(t), newClient(t, b))
	if err != nil || resp.Coordinators[0].ErrorCode != 0 {
		return -1
	}
	return resp.Coordinators[0].NodeID
}

func findCoordinator(t *testing.T, b *testbroker.Broker, group string) int32 {
	t.Helper()
	var n int32 = -1
	waitFor(t, 30*time.Second, "a coordinator for "+group, func() bool {
		n = findCoordinatorMaybe(t, b, group)
		return n >= 0
	})
	return n
}
