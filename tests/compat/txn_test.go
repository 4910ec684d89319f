package compat

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// TestFranzGoTransactions: a transactional franz-go producer commits one
// transaction and aborts another; a read_committed consumer sees exactly
// the committed records, a read_uncommitted one sees both, and the aborted
// records never reach the committed reader.
func TestFranzGoTransactions(t *testing.T) {
	b := testbroker.Start(t)
	adm := newAdmin(t, b)
	const topic = "txn"
	createTopic(t, adm, topic, 2, nil)

	// A bounded retry time makes a missing coordinator fail in seconds.
	p := openKgo(t, b, kgo.TransactionalID("compat-txn"), kgo.DefaultProduceTopic(topic), kgo.RetryTimeout(10*time.Second))
	defer p.Close()
	run := func(prefix string, commit bool) {
		t.Helper()
		if err := p.BeginTransaction(); err != nil {
			t.Fatalf("begin %s: %v", prefix, err)
		}
		rs := make([]*kgo.Record, 10)
		for i := range rs {
			rs[i] = &kgo.Record{Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("%s-%d", prefix, i))}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := p.ProduceSync(ctx, rs...).FirstErr(); err != nil {
			t.Fatalf("produce %s: %v", prefix, err)
		}
		if err := p.EndTransaction(ctxT(t), kgo.TransactionEndTry(commit)); err != nil {
			t.Fatalf("end %s (commit=%v): %v", prefix, commit, err)
		}
	}
	run("committed", true)
	run("aborted", false)
	run("later", true)

	read := func(level kgo.IsolationLevel, want int) map[string]bool {
		t.Helper()
		cl := newKgo(t, b, kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(level),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		got := map[string]bool{}
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		for len(got) < want && ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachError(func(_ string, _ int32, err error) {
				if ctx.Err() == nil {
					t.Errorf("fetch: %v", err)
				}
			})
			fs.EachRecord(func(r *kgo.Record) { got[string(r.Value)] = true })
		}
		return got
	}
	committed := read(kgo.ReadCommitted(), 20)
	if len(committed) != 20 {
		t.Errorf("read_committed saw %d records, want the 20 committed", len(committed))
	}
	for v := range committed {
		if len(v) >= 7 && v[:7] == "aborted" {
			t.Errorf("read_committed saw aborted record %s", v)
		}
	}
	all := read(kgo.ReadUncommitted(), 30)
	if len(all) != 30 {
		t.Errorf("read_uncommitted saw %d records, want all 30", len(all))
	}
}
