package txn

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// runMember is a consume-transform-produce member: it copies every record
// of topic in to topic out inside a transaction that also commits the
// input offsets (TxnOffsetCommit), until ctx ends. onCommit, if set, gets
// the number of records of each committed transaction.
func runMember(ctx context.Context, addr, group, in, out string, onCommit func(int)) error {
	txnID := fmt.Sprintf("%s-%d-%d", group, os.Getpid(), time.Now().UnixNano())
	s, err := kgo.NewGroupTransactSession(
		kgo.SeedBrokers(addr),
		kgo.TransactionalID(txnID),
		kgo.TransactionTimeout(6*time.Second),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(in),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.RequireStableFetchOffsets(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.SessionTimeout(6*time.Second),
		kgo.HeartbeatInterval(500*time.Millisecond),
		kgo.RetryTimeout(30*time.Second),
	)
	if err != nil {
		return err
	}
	defer s.Close()
	for {
		fs := s.PollRecords(ctx, 100)
		if ctx.Err() != nil {
			return nil
		}
		var outRecs []*kgo.Record
		fs.EachRecord(func(r *kgo.Record) {
			outRecs = append(outRecs, &kgo.Record{Topic: out, Key: r.Key, Value: r.Value})
		})
		if err := s.Begin(); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		var failed bool
		if len(outRecs) > 0 {
			if err := s.ProduceSync(ctx, outRecs...).FirstErr(); err != nil {
				failed = true // End aborts when a produce failed
			}
		}
		committed, err := s.End(ctx, kgo.TryCommit)
		if err != nil && ctx.Err() == nil {
			// A failed commit is aborted and the records are polled
			// again; that is the protocol, not a test failure.
			fmt.Fprintf(os.Stderr, "member %s: end: %v\n", txnID, err)
		}
		if committed && !failed && onCommit != nil {
			onCommit(len(outRecs))
		}
	}
}

// TestGroupTransactSession: consume-transform-produce over four partitions
// with kgo.GroupTransactSession while members join and one member process
// is killed with SIGKILL. The output topic, read with read_committed, must
// hold every input record exactly once. Needs TxnOffsetCommit (key 28).
func TestGroupTransactSession(t *testing.T) {
	b := startBroker(t)
	requireAPI(t, b, 28, "TxnOffsetCommit")
	const in, out, group, n = "ctp-in", "ctp-out", "ctp", 3000
	createTopic(t, b, in, 4)
	createTopic(t, b, out, 4)

	inputs := values("v", n)
	p := newClient(t, b)
	if err := p.ProduceSync(ctxT(t), records(in, inputs)...).FirstErr(); err != nil {
		t.Fatalf("produce input: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	copied := 0
	member := func() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := runMember(ctx, b.Addr, group, in, out, func(k int) {
				mu.Lock()
				copied += k
				mu.Unlock()
			})
			if err != nil {
				t.Errorf("member: %v", err)
			}
		}()
	}
	defer func() { cancel(); wg.Wait() }()

	member()
	victim := startChild(t, b, childMember, group, in, out)
	// Let the group settle and copy some records before it changes.
	waitCopied := func(k int) {
		deadline := time.Now().Add(45 * time.Second)
		for {
			mu.Lock()
			c := copied
			mu.Unlock()
			if c >= k {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("in-process members committed %d records, want at least %d", c, k)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitCopied(200)
	member()
	time.Sleep(time.Second)
	victim.kill()
	member()

	adm := newAdmin(t, b)
	inEnds := offsets(t, adm, in, false)
	deadline := time.Now().Add(90 * time.Second)
	for {
		cm, err := adm.FetchOffsets(ctxT(t), group)
		done := err == nil
		if err == nil {
			for p, e := range inEnds {
				o, ok := cm.Lookup(in, p)
				if !ok || o.Err != nil || o.At < e {
					done = false
				}
			}
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s never committed the input end offsets %v (last: %v, %v)", group, inEnds, cm, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
	cancel()
	wg.Wait()

	waitStable(t, adm, out, 30*time.Second)
	got := readValues(t, b, out, kgo.ReadCommitted(), n)
	counts := map[string]int{}
	for _, v := range got {
		counts[v]++
	}
	var missing, dup int
	var exMissing, exDup string
	for _, v := range inputs {
		switch c := counts[v]; {
		case c == 0:
			missing++
			exMissing = v
		case c > 1:
			dup++
			exDup = v
		}
	}
	if missing > 0 || dup > 0 || len(got) != n {
		t.Errorf("output read_committed: %d records for %d inputs; %d missing (e.g. %q), %d duplicated (e.g. %q)",
			len(got), n, missing, exMissing, dup, exDup)
	}
}

// requireAPI fails the test at once when the broker does not advertise
// the API: without it the test could only time out.
func requireAPI(t *testing.T, b *testbroker.Broker, key int16, name string) {
	t.Helper()
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctxT(t), newClient(t, b))
	if err != nil {
		t.Fatalf("ApiVersions: %v", err)
	}
	for _, k := range resp.ApiKeys {
		if k.ApiKey == key {
			return
		}
	}
	t.Fatalf("broker does not advertise %s (key %d), which this test needs", name, key)
}
