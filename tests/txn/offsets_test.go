package txn

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// txnOffsetCommit commits offset for topic/0 inside the transaction and
// returns the partition's error code.
func (r rawTxn) txnOffsetCommit(id string, pid int64, epoch int16, group, topic string, offset int64) int16 {
	r.t.Helper()
	req := kmsg.NewPtrTxnOffsetCommitRequest()
	req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = id, group, pid, epoch
	req.Generation, req.MemberID = -1, ""
	rt := kmsg.NewTxnOffsetCommitRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewTxnOffsetCommitRequestTopicPartition()
	rp.Partition, rp.Offset, rp.LeaderEpoch = 0, offset, -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := r.req(req).(*kmsg.TxnOffsetCommitResponse)
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			return p.ErrorCode
		}
	}
	r.t.Fatalf("TxnOffsetCommit: no partition in the response")
	return 0
}

// fetchOffset is OffsetFetch for topic/0: the committed offset and the
// partition's error code. It is written in the single-group form; franz-go
// turns it into the groups form when the broker speaks v8+.
func (r rawTxn) fetchOffset(group, topic string, requireStable bool) (int64, int16) {
	r.t.Helper()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group, req.RequireStable = group, requireStable
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic, rt.Partitions = topic, []int32{0}
	req.Topics = append(req.Topics, rt)
	resp := r.req(req).(*kmsg.OffsetFetchResponse)
	if resp.ErrorCode != 0 {
		return -1, resp.ErrorCode
	}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			return p.Offset, p.ErrorCode
		}
	}
	r.t.Fatalf("OffsetFetch: no partition in the response")
	return 0, 0
}

// TestTxnOffsetCommit: offsets committed inside a transaction become
// visible only when it commits. While it is open, OffsetFetch with
// require_stable answers UNSTABLE_OFFSET_COMMIT and a plain OffsetFetch
// shows the previous offset; an aborted transaction's offsets never show.
// Needs TxnOffsetCommit (key 28).
func TestTxnOffsetCommit(t *testing.T) {
	b := startBroker(t)
	requireAPI(t, b, 28, "TxnOffsetCommit")
	const topic, group, id = "offsets-in", "txn-offsets", "offset-committer"
	createTopic(t, b, topic, 1)
	adm := newAdmin(t, b)
	waitGroupCoordinator(t, adm, group)
	r := rawTxn{t, newClient(t, b)}

	pid, epoch, code := r.initPID(id, 30000)
	if code != 0 {
		t.Fatalf("InitProducerId: %v", kerr.ErrorForCode(code))
	}
	round := func(offset int64, commit bool, before int64) {
		t.Helper()
		add := kmsg.NewPtrAddOffsetsToTxnRequest()
		add.TransactionalID, add.ProducerID, add.ProducerEpoch, add.Group = id, pid, epoch, group
		if c := r.req(add).(*kmsg.AddOffsetsToTxnResponse).ErrorCode; c != 0 {
			t.Fatalf("AddOffsetsToTxn: %v", kerr.ErrorForCode(c))
		}
		if c := r.txnOffsetCommit(id, pid, epoch, group, topic, offset); c != 0 {
			t.Fatalf("TxnOffsetCommit %d: %v", offset, kerr.ErrorForCode(c))
		}
		_, c := r.fetchOffset(group, topic, true)
		expectCode(t, "OffsetFetch(require_stable) with a pending transactional commit", c, kerr.UnstableOffsetCommit)
		if got, c := r.fetchOffset(group, topic, false); c != 0 || got != before {
			t.Errorf("OffsetFetch while the transaction is open: offset %d (%v), want the previous %d", got, kerr.ErrorForCode(c), before)
		}
		if c := r.endTxn(id, pid, epoch, commit); c != 0 {
			t.Fatalf("EndTxn(commit=%v): %v", commit, kerr.ErrorForCode(c))
		}
		want := before
		if commit {
			want = offset
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			got, c := r.fetchOffset(group, topic, true)
			if c == 0 && got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("after EndTxn(commit=%v): OffsetFetch(require_stable) %d (%v), want %d", commit, got, kerr.ErrorForCode(c), want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	round(42, true, -1)
	round(99, false, 42)
	round(57, true, 42)

	// The committed offset survives a restart, and no transaction is left
	// pending on __consumer_offsets.
	b.Restart(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, c := r.fetchOffset(group, topic, true)
		if c == 0 && got == 57 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart: OffsetFetch(require_stable) %d (%v), want 57", got, kerr.ErrorForCode(c))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
