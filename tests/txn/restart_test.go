package txn

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// TestRestart restarts the broker (SIGTERM, and SIGKILL) in the middle of
// a transaction and right after EndTxn. The coordinator must resume: every
// transaction ends up committed or aborted as a whole, the outcome the
// producer was told holds, and no partition stays stuck (the LSO reaches
// the high watermark once the transaction timeout has passed).
func TestRestart(t *testing.T) {
	for _, mode := range []string{"sigterm", "sigkill"} {
		t.Run(mode, func(t *testing.T) {
			b := startBroker(t)
			restart := func() {
				t.Helper()
				if mode == "sigkill" {
					b.Kill()
				}
				b.Restart(t)
			}
			t.Run("after-endtxn", func(t *testing.T) { restartAfterEndTxn(t, b, restart) })
			t.Run("mid-transaction", func(t *testing.T) { restartMidTxn(t, b, restart) })
		})
	}
}

// restartAfterEndTxn commits one transaction and aborts another, and
// restarts the broker as soon as both EndTxn calls returned, before the
// coordinator has necessarily written the markers.
func restartAfterEndTxn(t *testing.T, b *testbroker.Broker, restart func()) {
	const topic = "end-restart"
	createTopic(t, b, topic, 3)
	commit := openClient(t, b, kgo.TransactionalID("end-commit"), kgo.RetryTimeout(20*time.Second))
	abort := openClient(t, b, kgo.TransactionalID("end-abort"), kgo.RetryTimeout(20*time.Second))
	for _, p := range []struct {
		cl     *kgo.Client
		prefix string
	}{{commit, "ec"}, {abort, "ea"}} {
		if err := p.cl.BeginTransaction(); err != nil {
			t.Fatalf("begin %s: %v", p.prefix, err)
		}
		if err := p.cl.ProduceSync(ctxT(t), records(topic, values(p.prefix, 20))...).FirstErr(); err != nil {
			t.Fatalf("produce %s: %v", p.prefix, err)
		}
	}
	if err := commit.EndTransaction(ctxT(t), kgo.TryCommit); err != nil {
		t.Fatalf("commit: %v", err)
	}
	if err := abort.EndTransaction(ctxT(t), kgo.TryAbort); err != nil {
		t.Fatalf("abort: %v", err)
	}
	commit.Close()
	abort.Close()
	restart()

	adm := newAdmin(t, b)
	waitStable(t, adm, topic, 30*time.Second)
	got := readValues(t, b, topic, kgo.ReadCommitted(), 20)
	checkValues(t, "read_committed after restart", got, map[string]int{"ec": 20})
	got = readValues(t, b, topic, kgo.ReadUncommitted(), 40)
	checkValues(t, "read_uncommitted after restart", got, map[string]int{"ec": 20, "ea": 20})
	waitTxnState(t, adm, "end-commit", "CompleteCommit")
	waitTxnState(t, adm, "end-abort", "CompleteAbort")
}

// restartMidTxn restarts the broker while a transaction is open, then asks
// the producer to commit it. Whatever the outcome, the transaction must be
// visible as a whole or not at all, and the partitions must not stay
// behind an open transaction.
func restartMidTxn(t *testing.T, b *testbroker.Broker, restart func()) {
	const topic, txnID = "mid-restart", "mid-txn"
	createTopic(t, b, topic, 2)
	p := openClient(t, b, kgo.TransactionalID(txnID), kgo.TransactionTimeout(10*time.Second), kgo.RetryTimeout(30*time.Second))
	defer p.Close()
	if err := p.BeginTransaction(); err != nil {
		t.Fatalf("begin: %v", err)
	}
	began := time.Now()
	if err := p.ProduceSync(ctxT(t), records(topic, values("mid", 20))...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	// A second transaction is abandoned: its producer never comes back
	// after the restart, so only its timeout can end it.
	lost := openClient(t, b, kgo.TransactionalID("mid-abandoned"), kgo.TransactionTimeout(8*time.Second), kgo.RetryTimeout(30*time.Second))
	defer lost.Close()
	if err := lost.BeginTransaction(); err != nil {
		t.Fatalf("begin abandoned: %v", err)
	}
	if err := lost.ProduceSync(ctxT(t), records(topic, values("lost", 10))...).FirstErr(); err != nil {
		t.Fatalf("produce abandoned: %v", err)
	}
	adm := newAdmin(t, b)
	lsoBefore := offsets(t, adm, topic, true)
	restart()

	// Recovery must rebuild the open transactions from the log: until
	// they end, the LSO stays where it was and read_committed shows none
	// of their records.
	lsoAfter := offsets(t, adm, topic, true)
	early := readValues(t, b, topic, kgo.ReadCommitted(), 0)
	if time.Since(began) < 9*time.Second {
		for p, l := range lsoBefore {
			if lsoAfter[p] != l {
				t.Errorf("partition %d: LSO %d before the restart, %d right after it, while the transactions are open", p, l, lsoAfter[p])
			}
		}
		if n := countPrefix(early, "mid") + countPrefix(early, "lost"); n > 0 {
			t.Errorf("right after the restart read_committed shows %d records of open transactions", n)
		}
	} else {
		t.Logf("restart took too long (%v) to check the LSO before the timeouts", time.Since(began))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	commitErr := p.EndTransaction(ctx, kgo.TryCommit)
	t.Logf("commit after restart: %v", commitErr)

	// The abandoned transaction ends by its 8 s timeout at the latest.
	waitStable(t, adm, topic, 30*time.Second)
	want := 0
	if commitErr == nil {
		want = 20
	}
	got := readValues(t, b, topic, kgo.ReadCommitted(), want)
	switch n := countPrefix(got, "mid"); {
	case commitErr == nil:
		checkValues(t, "read_committed after a successful commit", got, map[string]int{"mid": 20})
	case n != 0 && n != 20:
		t.Errorf("read_committed sees %d of the transaction's 20 records: not atomic", n)
	}
	if n := countPrefix(got, "lost"); n != 0 {
		t.Errorf("read_committed sees %d records of the abandoned transaction", n)
	}
	waitTxnState(t, adm, "mid-abandoned", "CompleteAbort")

	// The id stays usable: a new instance commits a new transaction.
	commitTxn(t, b, txnID, topic, values("next", 5))
	waitStable(t, adm, topic, 20*time.Second)
	got = readValues(t, b, topic, kgo.ReadCommitted(), want+5)
	if n := countPrefix(got, "next"); n != 5 {
		t.Errorf("read_committed sees %d of the 5 records committed after the restart", n)
	}
}

// waitTxnState waits until DescribeTransactions reports state for txnID.
func waitTxnState(t *testing.T, adm *kadm.Client, txnID, state string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var last kadm.DescribedTransaction
	var err error
	for time.Now().Before(deadline) {
		var d kadm.DescribedTransactions
		d, err = adm.DescribeTransactions(ctxT(t), txnID)
		if err == nil {
			last = d[txnID]
			if last.Err == nil && last.State == state {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("transaction %s: state %q (err %v / %v), want %s", txnID, last.State, err, last.Err, state)
}
