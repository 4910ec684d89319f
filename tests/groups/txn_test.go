package groups

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestTransactionalOffsets: exactly-once consume-transform-produce with
// franz-go's GroupTransactSession. Offsets committed in an aborted
// transaction do not take effect; in a committed one they do, together
// with the produced records, and nothing is produced twice.
func TestTransactionalOffsets(t *testing.T) {
	b := startBroker(t)
	const in, out, group = "eos-in", "eos-out", "g-eos"
	createTopic(t, b, in, 2)
	createTopic(t, b, out, 2)
	vals := produce(t, b, in, "a", 100)

	newSess := func() *kgo.GroupTransactSession {
		sess, err := kgo.NewGroupTransactSession(
			kgo.SeedBrokers(b.Addr),
			kgo.TransactionalID("eos-txn"),
			kgo.ConsumerGroup(group),
			kgo.ConsumeTopics(in),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()),
			kgo.RequireStableFetchOffsets(),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
			kgo.SessionTimeout(6*time.Second),
		)
		if err != nil {
			t.Fatalf("transact session: %v", err)
		}
		return sess
	}
	// transform reads once, produces upper-cased copies and ends the
	// transaction with commit or abort; it returns how many it read.
	transform := func(sess *kgo.GroupTransactSession, commit kgo.TransactionEndTry) int {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		fs := sess.PollFetches(ctx)
		if err := fs.Err0(); err != nil && ctx.Err() == nil {
			t.Fatalf("poll: %v", err)
		}
		if err := sess.Begin(); err != nil {
			t.Fatalf("begin: %v", err)
		}
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			sess.Produce(ctx, &kgo.Record{Topic: out, Key: r.Key, Value: []byte(strings.ToUpper(string(r.Value)))}, nil)
		})
		committed, err := sess.End(ctx, commit)
		if err != nil {
			t.Fatalf("end: %v", err)
		}
		if commit == kgo.TryCommit && !committed {
			t.Fatalf("transaction was not committed")
		}
		return n
	}

	sess := newSess()
	if n := transform(sess, kgo.TryAbort); n == 0 {
		t.Fatal("first poll read nothing")
	}
	sess.Close()
	if got := committed(t, b, group, in); len(got) != 0 {
		t.Fatalf("offsets of an aborted transaction took effect: %v", got)
	}

	sess = newSess()
	total := 0
	for total < len(vals) {
		total += transform(sess, kgo.TryCommit)
	}
	sess.Close()
	var sum int64
	for _, o := range committed(t, b, group, in) {
		sum += o
	}
	if sum != 100 {
		t.Errorf("committed offsets sum to %d, want 100", sum)
	}

	// The output holds each input record exactly once (read_committed).
	s := newSeen()
	cl := newClient(t, b, kgo.ConsumeTopics(out), kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	want := make([]string, len(vals))
	for i, v := range vals {
		want[i] = strings.ToUpper(v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { s.add(string(r.Value)) })
		s.mu.Lock()
		n := len(s.counts)
		s.mu.Unlock()
		if n >= len(want) {
			break
		}
	}
	s.waitAll(t, want, time.Second)
	for v, n := range s.counts {
		if n != 1 {
			t.Errorf("%q in the output %d times", v, n)
		}
	}
}

// TestRequireStable: while a transaction holds a group's offset, an
// OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT for it;
// after the commit marker the new offset is there, also after a restart.
func TestRequireStable(t *testing.T) {
	b := startBroker(t)
	const topic, group = "stable-topic", "g-stable"
	createTopic(t, b, topic, 1)
	produce(t, b, topic, "a", 10)
	findCoordinator(t, b, group) // creates __consumer_offsets
	tx := newClient(t, b, kgo.TransactionalID("stable-txn"))
	ctx := ctxT(t)
	if err := tx.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	// AddOffsetsToTxn then TxnOffsetCommit, as a transactional consumer does.
	pid, epoch := producerIDOf(t, tx)
	add := kmsg.NewPtrAddOffsetsToTxnRequest()
	add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = "stable-txn", pid, epoch, group
	ar, err := add.RequestWith(ctx, tx)
	if err != nil || ar.ErrorCode != 0 {
		t.Fatalf("add offsets to txn: %v %v", err, kerr.ErrorForCode(ar.ErrorCode))
	}
	toc := kmsg.NewPtrTxnOffsetCommitRequest()
	toc.TransactionalID, toc.Group, toc.ProducerID, toc.ProducerEpoch = "stable-txn", group, pid, epoch
	toc.Generation = -1
	p := kmsg.NewTxnOffsetCommitRequestTopicPartition()
	p.Partition, p.Offset = 0, 7
	toc.Topics = []kmsg.TxnOffsetCommitRequestTopic{{Topic: topic, Partitions: []kmsg.TxnOffsetCommitRequestTopicPartition{p}}}
	tr, err := toc.RequestWith(ctx, tx)
	if err != nil || tr.Topics[0].Partitions[0].ErrorCode != 0 {
		t.Fatalf("txn offset commit: %v %+v", err, tr)
	}
	fetch := func(stable bool) (int64, int16) {
		req := kmsg.NewPtrOffsetFetchRequest()
		req.RequireStable = stable
		req.Groups = []kmsg.OffsetFetchRequestGroup{{Group: group, Topics: []kmsg.OffsetFetchRequestGroupTopic{{Topic: topic, Partitions: []int32{0}}}}}
		resp, err := req.RequestWith(ctx, newClient(t, b))
		if err != nil {
			t.Fatal(err)
		}
		pp := resp.Groups[0].Topics[0].Partitions[0]
		return pp.Offset, pp.ErrorCode
	}
	if _, code := fetch(true); code != kerr.UnstableOffsetCommit.Code {
		t.Errorf("require_stable during the transaction: %s, want UNSTABLE_OFFSET_COMMIT", code2(code))
	}
	if off, code := fetch(false); code != 0 || off != -1 {
		t.Errorf("without require_stable during the transaction: offset %d, %s; want -1", off, code2(code))
	}
	if err := tx.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatalf("commit: %v", err)
	}
	waitFor(t, 10*time.Second, "the offset after the commit marker", func() bool {
		off, code := fetch(true)
		return code == 0 && off == 7
	})
	// Replayed after a restart: the transactional record and its marker
	// give the same offset.
	b.Restart(t)
	waitFor(t, 30*time.Second, "the offset after a restart", func() bool {
		off, code := fetch(true)
		return code == 0 && off == 7
	})
}

// producerIDOf reads the producer id and epoch a transactional client got.
func producerIDOf(t *testing.T, cl *kgo.Client) (int64, int16) {
	t.Helper()
	// Producing one record makes the client initialize its producer id.
	if err := cl.ProduceSync(ctxT(t), &kgo.Record{Topic: "stable-topic", Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatalf("produce in txn: %v", err)
	}
	id, epoch, err := cl.ProducerID(ctxT(t))
	if err != nil {
		t.Fatal(fmt.Errorf("producer id: %w", err))
	}
	return id, epoch
}
