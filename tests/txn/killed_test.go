package txn

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// TestKilledProducerTimesOut: a producer process writes into a
// transaction with transaction.timeout.ms=3000 and is killed with SIGKILL
// before ending it. While it hangs, the last stable offset stays at the
// transaction's first offset; after the timeout the coordinator aborts it,
// the LSO moves to the high watermark (past the abort marker), and a
// read_committed consumer sees later committed records but none of the
// hung ones.
func TestKilledProducerTimesOut(t *testing.T) {
	b := startBroker(t)
	const topic, txnID = "killed", "killed-producer"
	createTopic(t, b, topic, 1)
	adm := newAdmin(t, b)

	// Committed records before the hung transaction, so the LSO has
	// something to stay behind.
	commitTxn(t, b, "before-producer", topic, values("before", 5))

	c := startChild(t, b, childHang, topic, txnID)
	c.waitReady(t, 30*time.Second)
	hw := offsets(t, adm, topic, false)[0]
	lso := offsets(t, adm, topic, true)[0]
	// 5 records + 1 commit marker precede the hung transaction.
	if hw != 6+hangCount || lso != 6 {
		t.Errorf("while the transaction is open: high watermark %d, LSO %d; want %d and 6", hw, lso, 6+hangCount)
	}
	killedAt := time.Now()
	c.kill()

	ends := waitStable(t, adm, topic, 20*time.Second)
	t.Logf("LSO reached the high watermark %d in %v after the kill (timeout 3 s)", ends[0], time.Since(killedAt).Round(100*time.Millisecond))
	if ends[0] != hw+1 {
		t.Errorf("after the timeout: high watermark %d, want %d (one abort marker after the hung records)", ends[0], hw+1)
	}
	d, err := adm.DescribeTransactions(ctxT(t), txnID)
	if err != nil {
		t.Fatalf("describe %s: %v", txnID, err)
	}
	if dt := d[txnID]; dt.Err != nil || dt.State != "CompleteAbort" {
		t.Errorf("describe %s after timeout: state %q err %v, want CompleteAbort", txnID, dt.State, dt.Err)
	}

	commitTxn(t, b, "after-producer", topic, values("after", 5))
	got := readValues(t, b, topic, kgo.ReadCommitted(), 10)
	checkValues(t, "read_committed", got, map[string]int{"before": 5, "after": 5})
	got = readValues(t, b, topic, kgo.ReadUncommitted(), 10+hangCount)
	checkValues(t, "read_uncommitted", got, map[string]int{"before": 5, "hung": hangCount, "after": 5})
}

// commitTxn writes vals in one committed franz-go transaction.
func commitTxn(t *testing.T, b *testbroker.Broker, txnID, topic string, vals []string) {
	t.Helper()
	cl := openClient(t, b, kgo.TransactionalID(txnID), kgo.RetryTimeout(20*time.Second))
	defer cl.Close()
	if err := cl.BeginTransaction(); err != nil {
		t.Fatalf("%s begin: %v", txnID, err)
	}
	if err := cl.ProduceSync(ctxT(t), records(topic, vals)...).FirstErr(); err != nil {
		t.Fatalf("%s produce: %v", txnID, err)
	}
	if err := cl.EndTransaction(ctxT(t), kgo.TryCommit); err != nil {
		t.Fatalf("%s commit: %v", txnID, err)
	}
}

// TestSlowProducerTimedOut: a live producer that lets its transaction run
// past transaction.timeout.ms finds it aborted: its commit fails with a
// fencing error (the coordinator bumped the epoch when it aborted), and
// read_committed never shows its records.
func TestSlowProducerTimedOut(t *testing.T) {
	b := startBroker(t)
	const topic, txnID = "slow", "slow-producer"
	createTopic(t, b, topic, 2)
	adm := newAdmin(t, b)
	p := newClient(t, b, kgo.TransactionalID(txnID), kgo.TransactionTimeout(2*time.Second), kgo.RetryTimeout(20*time.Second))
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := p.ProduceSync(ctxT(t), records(topic, values("slow", 10))...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	waitTxnState(t, adm, txnID, "CompleteAbort")
	err := p.EndTransaction(ctxT(t), kgo.TryCommit)
	if err == nil {
		t.Errorf("commit after the transaction timed out succeeded")
	} else if !isFenced(err) {
		t.Errorf("commit after the transaction timed out: %v, want a fencing error (PRODUCER_FENCED / INVALID_PRODUCER_EPOCH)", err)
	}
	waitStable(t, adm, topic, 10*time.Second)
	commitTxn(t, b, "slow-next", topic, values("next", 4))
	got := readValues(t, b, topic, kgo.ReadCommitted(), 4)
	checkValues(t, "read_committed", got, map[string]int{"next": 4})
}
