package cluster

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// TestPreferredLeaderElection: after a controlled shutdown (SIGTERM) moves
// a broker's leaderships away and the broker comes back into the ISR,
// ElectLeaders sent to a node that is not the controller (forwarded to it)
// gives every partition its preferred leader again.
func TestPreferredLeaderElection(t *testing.T) {
	nodes := testbroker.StartCluster(t, 3, fastFailure)
	const topic = "preferred"
	adm := kadm.NewClient(client(t, seeds(nodes)))
	resp, err := adm.CreateTopic(ctxT(t), 3, 3, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	waitFullISR(t, nodes, topic, 3, 30*time.Second)
	produce(t, nodes, topic, "before", 100)

	ps, _ := partitionState(t, nodes, topic)
	victim := nodes[ps[0].Leader-1]
	if err := victim.Stop(); err != nil {
		t.Fatalf("stop node %d: %v", victim.NodeID, err)
	}
	ps, _ = partitionState(t, nodes, topic)
	for _, p := range ps {
		if p.Leader == int32(victim.NodeID) || p.Leader < 0 {
			t.Errorf("%s/%d led by %d right after node %d stopped (controlled shutdown should move it)", topic, p.Partition, p.Leader, victim.NodeID)
		}
	}
	victim.Restart(t)
	waitFullISR(t, nodes, topic, 3, 30*time.Second)

	_, ctrl := partitionState(t, nodes, topic)
	var other *testbroker.Broker
	for _, b := range nodes {
		if int32(b.NodeID) != ctrl {
			other = b
		}
	}
	one := kadm.NewClient(client(t, []string{other.Addr}))
	if _, err := one.ElectLeaders(ctxT(t), kadm.ElectPreferredReplica, nil); err != nil {
		t.Fatalf("elect leaders through node %d: %v", other.NodeID, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ps, _ = partitionState(t, nodes, topic)
		ok := len(ps) == 3
		for _, p := range ps {
			ok = ok && len(p.Replicas) > 0 && p.Leader == p.Replicas[0]
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("leaders not back on preferred replicas: %v", ps)
		}
		time.Sleep(100 * time.Millisecond)
	}
	produce(t, nodes, topic, "after", 100)
}
