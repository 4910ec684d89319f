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
