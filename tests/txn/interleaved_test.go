package txn

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestInterleavedTransactions: several producers run transactions at the
// same time on the same partitions, committing some and aborting others,
// so open, committed and aborted transactions interleave in each log.
// read_committed must return exactly the committed records (the aborted
// index and the LSO are right for overlapping transactions), and
// read_uncommitted every record.
func TestInterleavedTransactions(t *testing.T) {
	b := startBroker(t)
	const topic, producers, txns, perTxn = "interleaved", 6, 12, 10
	createTopic(t, b, topic, 3)

	want := map[string]bool{} // committed values
	all := map[string]bool{}  // every value
	var wantMu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < producers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr), kgo.TransactionalID(fmt.Sprintf("interleaved-%d", i)), kgo.RetryTimeout(30*time.Second))
			if err != nil {
				t.Errorf("producer %d: %v", i, err)
				return
			}
			defer cl.Close()
			for j := 0; j < txns; j++ {
				commit := (i+j)%3 != 0
				vals := values(fmt.Sprintf("p%d-t%d", i, j), perTxn)
				if err := cl.BeginTransaction(); err != nil {
					t.Errorf("producer %d begin %d: %v", i, j, err)
					return
				}
				if err := cl.ProduceSync(ctxT(t), records(topic, vals)...).FirstErr(); err != nil {
					t.Errorf("producer %d produce %d: %v", i, j, err)
					return
				}
				if err := cl.EndTransaction(ctxT(t), kgo.TransactionEndTry(commit)); err != nil {
					t.Errorf("producer %d end %d (commit=%v): %v", i, j, commit, err)
					return
				}
				wantMu.Lock()
				for _, v := range vals {
					all[v] = true
					if commit {
						want[v] = true
					}
				}
				wantMu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	adm := newAdmin(t, b)
	waitStable(t, adm, topic, 20*time.Second)
	check := func(what string, got []string, expect map[string]bool) {
		t.Helper()
		seen := map[string]int{}
		for _, v := range got {
			seen[v]++
		}
		var extra, dup, missing int
		var exExtra, exMissing string
		for v, n := range seen {
			if !expect[v] {
				extra++
				exExtra = v
			} else if n > 1 {
				dup++
			}
		}
		for v := range expect {
			if seen[v] == 0 {
				missing++
				exMissing = v
			}
		}
		if extra+dup+missing > 0 {
			t.Errorf("%s: %d records; %d unexpected (e.g. %q), %d duplicated, %d missing (e.g. %q) of %d",
				what, len(got), extra, exExtra, dup, missing, exMissing, len(expect))
		}
	}
	check("read_committed", readValues(t, b, topic, kgo.ReadCommitted(), len(want)), want)
	check("read_uncommitted", readValues(t, b, topic, kgo.ReadUncommitted(), len(all)), all)

	// And the same after a kill -9: the aborted index and the producer
	// state are rebuilt from disk.
	b.Kill()
	b.Restart(t)
	check("read_committed after kill -9", readValues(t, b, topic, kgo.ReadCommitted(), len(want)), want)
}
