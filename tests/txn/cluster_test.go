package txn

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// TestClusterTransactions runs transactions on three nodes, where the
// transaction coordinator and the partition leaders are different nodes,
// so markers travel between brokers. A committed and an aborted
// transaction over six replicated partitions end on every leader; then
// the coordinator of an open transaction is killed with SIGKILL, and the
// new coordinator completes or aborts it as a whole, with no partition
// left behind an open transaction.
func TestClusterTransactions(t *testing.T) {
	nodes := testbroker.StartCluster(t, 3, testbroker.WithArgs(
		"--set", "transaction.state.log.num.partitions=4",
		"--set", "transaction.state.log.replication.factor=3",
		"--set", "offsets.topic.num.partitions=4",
		"--set", "group.initial.rebalance.delay.ms=0",
	))
	const topic = "cluster-txn"
	adm := kadm.NewClient(newClient(t, nodes[0]))
	resp, err := adm.CreateTopic(ctxT(t), 6, 3, map[string]*string{"min.insync.replicas": kadm.StringPtr("2")}, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	waitLeaders(t, adm, topic, 6)
	findCoordinatorOnFollower(t, adm, nodes)

	p := newClient(t, nodes[0], kgo.TransactionalID("cluster-a"), kgo.RetryTimeout(30*time.Second),
		kgo.RecordDeliveryTimeout(40*time.Second))
	for _, step := range []struct {
		prefix string
		n      int
		commit bool
	}{{"c", 60, true}, {"a", 30, false}} {
		if err := p.BeginTransaction(); err != nil {
			t.Fatalf("begin %s: %v", step.prefix, err)
		}
		if err := p.ProduceSync(ctxT(t), records(topic, values(step.prefix, step.n))...).FirstErr(); err != nil {
			t.Fatalf("produce %s: %v", step.prefix, err)
		}
		if err := p.EndTransaction(ctxT(t), kgo.TransactionEndTry(step.commit)); err != nil {
			t.Fatalf("end %s: %v", step.prefix, err)
		}
		// The coordinator completes the transaction once every leader
		// wrote its marker; until then the next one cannot start (and
		// franz-go would retry CONCURRENT_TRANSACTIONS without end).
		state := "CompleteAbort"
		if step.commit {
			state = "CompleteCommit"
		}
		if !awaitTxnState(t, adm, "cluster-a", state, 30*time.Second) {
			t.Fatalf("transaction %s (%s) never reached %s: markers to partitions led by other nodes not written?", "cluster-a", step.prefix, state)
		}
	}
	waitStable(t, adm, topic, 30*time.Second)
	got := readValues(t, nodes[0], topic, kgo.ReadCommitted(), 60)
	checkValues(t, "read_committed", got, map[string]int{"c": 60})
	got = readValues(t, nodes[0], topic, kgo.ReadUncommitted(), 90)
	checkValues(t, "read_uncommitted", got, map[string]int{"c": 60, "a": 30})

	// Coordinator failover with a transaction open.
	const id = "cluster-failover"
	f := newClient(t, nodes[0], kgo.SeedBrokers(nodes[0].Addr, nodes[1].Addr, nodes[2].Addr),
		kgo.TransactionalID(id), kgo.TransactionTimeout(6*time.Second), kgo.RetryTimeout(45*time.Second),
		kgo.RecordDeliveryTimeout(40*time.Second))
	if err := f.BeginTransaction(); err != nil {
		t.Fatalf("begin failover: %v", err)
	}
	if err := f.ProduceSync(ctxT(t), records(topic, values("f", 30))...).FirstErr(); err != nil {
		t.Fatalf("produce failover: %v", err)
	}
	var coord int32 = -1
	adm.FindTxnCoordinators(ctxT(t), id).Each(func(r kadm.FindCoordinatorResponse) {
		if r.Err == nil {
			coord = r.NodeID
		}
	})
	if coord < 1 || coord > 3 {
		t.Fatalf("coordinator of %s: node %d", id, coord)
	}
	t.Logf("killing node %d, coordinator of %s", coord, id)
	nodes[coord-1].Kill()
	live := nodes[coord%3] // any other node
	ladm := kadm.NewClient(newClient(t, live))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	commitErr := f.EndTransaction(ctx, kgo.TryCommit)
	t.Logf("commit with the coordinator killed: %v", commitErr)
	waitStable(t, ladm, topic, 60*time.Second)
	want := 60
	if commitErr == nil {
		want += 30
	}
	got = readValues(t, live, topic, kgo.ReadCommitted(), want)
	switch n := countPrefix(got, "f"); {
	case commitErr == nil && n != 30:
		t.Errorf("commit succeeded but read_committed sees %d of its 30 records", n)
	case n != 0 && n != 30:
		t.Errorf("read_committed sees %d of the transaction's 30 records: not atomic", n)
	}
	if n := countPrefix(got, "a"); n != 0 {
		t.Errorf("read_committed sees %d aborted records after the failover", n)
	}
	nodes[coord-1].Restart(t)
}

// waitLeaders waits until every partition of topic has a leader.
func waitLeaders(t *testing.T, adm *kadm.Client, topic string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		md, err := adm.Metadata(ctxT(t), topic)
		if err == nil {
			ok := len(md.Topics[topic].Partitions) == n
			leaders := map[int32]int{}
			for _, p := range md.Topics[topic].Partitions {
				if p.Leader < 0 || p.Err != nil {
					ok = false
				}
				leaders[p.Leader]++
			}
			if ok {
				t.Logf("%s leaders by node: %v", topic, leaders)
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: partitions without a leader after 30 s (%v)", topic, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// awaitTxnState polls DescribeTransactions until txnID is in state.
func awaitTxnState(t *testing.T, adm *kadm.Client, txnID, state string, within time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		d, err := adm.DescribeTransactions(ctxT(t), txnID)
		if err == nil && d[txnID].Err == nil && d[txnID].State == state {
			return true
		}
		time.Sleep(200 * time.Millisecond)
	}
	d, err := adm.DescribeTransactions(ctxT(t), txnID)
	t.Logf("transaction %s: %+v (%v)", txnID, d[txnID], err)
	return false
}

// findCoordinatorOnFollower asks a node that is not the controller, and
// only that node, for the coordinator of a new transactional id: the first
// such request creates __transaction_state, which must work from any
// node (the request goes to the controller), within a few seconds.
func findCoordinatorOnFollower(t *testing.T, adm *kadm.Client, nodes []*testbroker.Broker) {
	t.Helper()
	md, err := adm.Metadata(ctxT(t))
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	var asked *testbroker.Broker
	for _, n := range nodes {
		if int32(n.NodeID) != md.Controller {
			asked = n
			break
		}
	}
	cl := newClient(t, asked)
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorType = 1
	req.CoordinatorKey = "first-txn-id"
	req.CoordinatorKeys = []string{"first-txn-id"}
	start := time.Now()
	var code int16
	for time.Since(start) < 10*time.Second {
		resp, err := cl.Broker(asked.NodeID).Request(ctxT(t), req)
		if err != nil {
			t.Fatalf("FindCoordinator on node %d: %v", asked.NodeID, err)
		}
		r := resp.(*kmsg.FindCoordinatorResponse)
		code = r.ErrorCode
		if len(r.Coordinators) > 0 {
			code = r.Coordinators[0].ErrorCode
		}
		if code == 0 {
			t.Logf("node %d (controller %d) found the transaction coordinator after %v", asked.NodeID, md.Controller, time.Since(start).Round(10*time.Millisecond))
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("FindCoordinator(transaction) asked of node %d, not the controller (%d): still %v after 10 s",
		asked.NodeID, md.Controller, kerr.ErrorForCode(code))
}
