package txn

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// rawTxn sends transactional requests by hand so that they can be wrong
// in ways no client library would allow.
type rawTxn struct {
	t  *testing.T
	cl *kgo.Client
}

func (r rawTxn) req(req kmsg.Request) kmsg.Response {
	r.t.Helper()
	resp, err := r.cl.Request(ctxT(r.t), req)
	if err != nil {
		r.t.Fatalf("%s: %v", kmsg.NameForKey(req.Key()), err)
	}
	return resp
}

func (r rawTxn) initPID(id string, timeoutMs int32) (int64, int16, int16) {
	r.t.Helper()
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionalID = &id
	req.TransactionTimeoutMillis = timeoutMs
	resp := r.req(req).(*kmsg.InitProducerIDResponse)
	return resp.ProducerID, resp.ProducerEpoch, resp.ErrorCode
}

// addPartitions sends AddPartitionsToTxn and returns each partition's
// error code by "topic/partition".
func (r rawTxn) addPartitions(id string, pid int64, epoch int16, topic string, parts ...int32) map[string]int16 {
	r.t.Helper()
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	// franz-go sends this at v3 at most: the client form (v4+ is the
	// broker-side batch).
	req.TransactionalID, req.ProducerID, req.ProducerEpoch = id, pid, epoch
	rt := kmsg.NewAddPartitionsToTxnRequestTopic()
	rt.Topic, rt.Partitions = topic, parts
	req.Topics = append(req.Topics, rt)
	resp := r.req(req).(*kmsg.AddPartitionsToTxnResponse)
	out := map[string]int16{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			out[tpKey(t.Topic, p.Partition)] = p.ErrorCode
		}
	}
	return out
}

func (r rawTxn) endTxn(id string, pid int64, epoch int16, commit bool) int16 {
	r.t.Helper()
	req := kmsg.NewPtrEndTxnRequest()
	req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = id, pid, epoch, commit
	return r.req(req).(*kmsg.EndTxnResponse).ErrorCode
}

// marker sends WriteTxnMarkers for one partition and returns its code.
func (r rawTxn) marker(pid int64, epoch int16, commit bool, topic string, part int32) int16 {
	r.t.Helper()
	req := kmsg.NewPtrWriteTxnMarkersRequest()
	m := kmsg.NewWriteTxnMarkersRequestMarker()
	m.ProducerID, m.ProducerEpoch, m.Committed, m.CoordinatorEpoch = pid, epoch, commit, 0
	mt := kmsg.NewWriteTxnMarkersRequestMarkerTopic()
	mt.Topic, mt.Partitions = topic, []int32{part}
	m.Topics = append(m.Topics, mt)
	req.Markers = append(req.Markers, m)
	// WriteTxnMarkers goes to the partition leader; one node leads all.
	resp, err := r.cl.Broker(1).Request(ctxT(r.t), req)
	if err != nil {
		r.t.Fatalf("WriteTxnMarkers: %v", err)
	}
	for _, rm := range resp.(*kmsg.WriteTxnMarkersResponse).Markers {
		for _, rt := range rm.Topics {
			for _, rp := range rt.Partitions {
				return rp.ErrorCode
			}
		}
	}
	r.t.Fatalf("WriteTxnMarkers: no partition in the response")
	return 0
}

func tpKey(topic string, p int32) string { return fmt.Sprintf("%s/%d", topic, p) }

// expectCode fails unless got is one of want.
func expectCode(t *testing.T, what string, got int16, want ...*kerr.Error) {
	t.Helper()
	var names []string
	for _, w := range want {
		if got == w.Code {
			return
		}
		names = append(names, w.Message)
	}
	if got == 0 {
		t.Errorf("%s: no error, want %s", what, strings.Join(names, " or "))
		return
	}
	t.Errorf("%s: %v, want %s", what, kerr.ErrorForCode(got), strings.Join(names, " or "))
}

// TestBadInput sends transactional requests with wrong producer ids and
// epochs, unknown transactional ids, EndTxn without AddPartitions,
// oversized transactional ids and markers for unknown producers. Each gets
// Kafka's error code, and a transaction that was open the whole time keeps
// its state: it still commits, and survives a restart after that.
func TestBadInput(t *testing.T) {
	b := startBroker(t)
	const topic = "bad"
	createTopic(t, b, topic, 2)
	adm := newAdmin(t, b)
	r := rawTxn{t, newClient(t, b)}

	// A well-behaved transaction kept open across all the bad requests.
	good := newClient(t, b, kgo.TransactionalID("good"), kgo.RetryTimeout(20*time.Second))
	if err := good.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := good.ProduceSync(ctxT(t), records(topic, values("good", 20))...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	before := describeTxn(t, adm, "good")
	if before.State != "Ongoing" {
		t.Fatalf("good transaction: state %q, want Ongoing", before.State)
	}

	// An id of our own, driven by hand.
	pid, epoch, code := r.initPID("raw", 60000)
	if code != 0 {
		t.Fatalf("InitProducerId raw: %v", kerr.ErrorForCode(code))
	}

	t.Run("addoffsets-before-any-group", func(t *testing.T) {
		// Kafka maps the group to its __consumer_offsets partition by
		// offsets.topic.num.partitions and adds it whether or not the
		// topic exists yet; a producer's first sendOffsetsToTransaction
		// on a fresh cluster must not wait for some group to appear.
		r := rawTxn{t, r.cl}
		opid, oepoch, code := r.initPID("raw-offsets", 60000)
		if code != 0 {
			t.Fatalf("InitProducerId raw-offsets: %v", kerr.ErrorForCode(code))
		}
		req := kmsg.NewPtrAddOffsetsToTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Group = "raw-offsets", opid, oepoch, "first-group"
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := r.cl.Request(ctx, req)
		switch {
		case err != nil:
			t.Errorf("AddOffsetsToTxn before any group exists: %v, want success", err)
		case resp.(*kmsg.AddOffsetsToTxnResponse).ErrorCode != 0:
			t.Errorf("AddOffsetsToTxn before any group exists: %v, want success", kerr.ErrorForCode(resp.(*kmsg.AddOffsetsToTxnResponse).ErrorCode))
		default:
			if c := r.endTxn("raw-offsets", opid, oepoch, false); c != 0 {
				t.Errorf("EndTxn(abort) after AddOffsetsToTxn: %v", kerr.ErrorForCode(c))
			}
		}
	})

	// The remaining checks need __consumer_offsets to exist, as it does
	// once any group was used: FindCoordinator creates it.
	waitGroupCoordinator(t, adm, "some-group")

	t.Run("wrong-epoch", func(t *testing.T) {
		r := rawTxn{t, r.cl}
		if epoch > 0 {
			got := r.addPartitions("raw", pid, epoch-1, topic, 0)
			expectCode(t, "AddPartitionsToTxn with an older epoch", got[tpKey(topic, 0)], kerr.ProducerFenced, kerr.InvalidProducerEpoch)
		}
		got := r.addPartitions("raw", pid, epoch+1, topic, 0)
		expectCode(t, "AddPartitionsToTxn with a newer epoch", got[tpKey(topic, 0)], kerr.ProducerFenced, kerr.InvalidProducerEpoch)
		expectCode(t, "EndTxn with a newer epoch", r.endTxn("raw", pid, epoch+1, true), kerr.ProducerFenced, kerr.InvalidProducerEpoch)
		got = r.addPartitions("raw", pid+1000, epoch, topic, 0)
		expectCode(t, "AddPartitionsToTxn with another producer id", got[tpKey(topic, 0)], kerr.InvalidProducerIDMapping)
		expectCode(t, "EndTxn with another producer id", r.endTxn("raw", pid+1000, epoch, true), kerr.InvalidProducerIDMapping)
	})

	t.Run("unknown-transactional-id", func(t *testing.T) {
		r := rawTxn{t, r.cl}
		got := r.addPartitions("never-initialized", pid, epoch, topic, 0)
		expectCode(t, "AddPartitionsToTxn for an unknown id", got[tpKey(topic, 0)], kerr.InvalidProducerIDMapping)
		expectCode(t, "EndTxn for an unknown id", r.endTxn("never-initialized", pid, epoch, true), kerr.InvalidProducerIDMapping)
		req := kmsg.NewPtrAddOffsetsToTxnRequest()
		req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Group = "never-initialized", pid, epoch, "g"
		expectCode(t, "AddOffsetsToTxn for an unknown id", r.req(req).(*kmsg.AddOffsetsToTxnResponse).ErrorCode, kerr.InvalidProducerIDMapping)
		d, err := adm.DescribeTransactions(ctxT(t), "never-initialized")
		if err != nil {
			t.Fatalf("describe: %v", err)
		}
		if dt := d["never-initialized"]; dt.Err != kerr.TransactionalIDNotFound {
			t.Errorf("DescribeTransactions for an unknown id: %v, want TRANSACTIONAL_ID_NOT_FOUND", dt.Err)
		}
	})

	t.Run("endtxn-without-addpartitions", func(t *testing.T) {
		r := rawTxn{t, r.cl}
		expectCode(t, "EndTxn(commit) with nothing added", r.endTxn("raw", pid, epoch, true), kerr.InvalidTxnState)
		if dt := describeTxn(t, adm, "raw"); dt.State != "Empty" {
			t.Errorf("after a refused EndTxn: state %q, want Empty", dt.State)
		}
		// The id still works: add a partition, end it.
		if got := r.addPartitions("raw", pid, epoch, topic, 1); got[tpKey(topic, 1)] != 0 {
			t.Fatalf("AddPartitionsToTxn: %v", kerr.ErrorForCode(got[tpKey(topic, 1)]))
		}
		if code := r.endTxn("raw", pid, epoch, false); code != 0 {
			t.Errorf("EndTxn(abort) after AddPartitionsToTxn: %v", kerr.ErrorForCode(code))
		}
		waitTxnState(t, adm, "raw", "CompleteAbort")
	})

	t.Run("unknown-partition", func(t *testing.T) {
		r := rawTxn{t, r.cl}
		got := r.addPartitions("raw", pid, epoch, "no-such-topic", 0)
		expectCode(t, "AddPartitionsToTxn of an unknown topic", got[tpKey("no-such-topic", 0)], kerr.UnknownTopicOrPartition)
		got = r.addPartitions("raw", pid, epoch, topic, 7)
		expectCode(t, "AddPartitionsToTxn of a partition past the end", got[tpKey(topic, 7)], kerr.UnknownTopicOrPartition)
	})

	t.Run("timeout-over-max", func(t *testing.T) {
		r := rawTxn{t, r.cl}
		_, _, code := r.initPID("too-slow", 900001)
		expectCode(t, "InitProducerId with transaction.timeout.ms over the max", code, kerr.InvalidTransactionTimeout)
		_, _, code = r.initPID("negative", -5)
		expectCode(t, "InitProducerId with a negative timeout", code, kerr.InvalidTransactionTimeout)
	})

	t.Run("oversized-transactional-id", func(t *testing.T) {
		r := rawTxn{t, r.cl}
		// The longest id an int16 string holds works as any other id.
		long := strings.Repeat("L", 32767)
		lpid, lepoch, code := r.initPID(long, 60000)
		if code != 0 {
			t.Errorf("InitProducerId with a 32767-byte id: %v", kerr.ErrorForCode(code))
		} else if c := r.endTxn(long, lpid, lepoch, true); c != kerr.InvalidTxnState.Code {
			t.Errorf("EndTxn for the 32767-byte id with nothing added: %v, want INVALID_TXN_STATE", kerr.ErrorForCode(c))
		}
		// An id larger than a __transaction_state record may be must be
		// refused (Kafka answers UNKNOWN_SERVER_ERROR from its log
		// append), and leave no trace.
		huge := strings.Repeat("H", 2<<20)
		_, _, code = r.initPID(huge, 60000)
		if code == 0 {
			t.Errorf("InitProducerId with a 2 MiB transactional id succeeded")
		} else {
			t.Logf("InitProducerId with a 2 MiB transactional id: %v", kerr.ErrorForCode(code))
		}
		lt, err := adm.ListTransactions(ctxT(t), nil, nil)
		if err != nil {
			t.Fatalf("list transactions: %v", err)
		}
		if _, ok := lt[huge]; ok {
			t.Errorf("the refused 2 MiB id is listed")
		}
	})

	t.Run("markers", func(t *testing.T) {
		r := rawTxn{t, r.cl}
		hw := offsets(t, adm, topic, false)
		lso := offsets(t, adm, topic, true)
		// A marker for a producer the partition never saw changes no
		// visible data (Kafka appends it as a no-op).
		code := r.marker(987654321, 0, true, topic, 0)
		t.Logf("marker for an unknown producer: %v", kerr.ErrorForCode(code))
		if code != 0 && code != kerr.InvalidProducerEpoch.Code && code != kerr.UnknownProducerID.Code {
			t.Errorf("marker for an unknown producer: %v", kerr.ErrorForCode(code))
		}
		expectCode(t, "marker on an unknown topic", r.marker(987654321, 0, true, "no-such-topic", 0), kerr.UnknownTopicOrPartition)
		// A stale-epoch abort marker for the open good transaction must
		// not end it.
		gd := describeTxn(t, adm, "good")
		if gd.ProducerEpoch > 0 {
			expectCode(t, "abort marker with an older epoch", r.marker(gd.ProducerID, gd.ProducerEpoch-1, false, topic, 0),
				kerr.InvalidProducerEpoch, kerr.ProducerFenced)
		}
		if now := offsets(t, adm, topic, true); now[0] != lso[0] || now[1] != lso[1] {
			t.Errorf("markers that end no transaction moved the LSO from %v to %v (high watermark was %v)", lso, now, hw)
		}
	})

	// The good transaction was not disturbed.
	after := describeTxn(t, adm, "good")
	if after.State != "Ongoing" || after.ProducerID != before.ProducerID || after.ProducerEpoch != before.ProducerEpoch {
		t.Errorf("good transaction after bad input: %+v, want it as before: %+v", after, before)
	}
	if err := good.EndTransaction(ctxT(t), kgo.TryCommit); err != nil {
		t.Fatalf("commit good: %v", err)
	}
	waitStable(t, adm, topic, 20*time.Second)
	got := readValues(t, b, topic, kgo.ReadCommitted(), 20)
	checkValues(t, "read_committed", got, map[string]int{"good": 20})

	b.Restart(t)
	if dt := describeTxn(t, adm, "good"); dt.State != "CompleteCommit" || dt.ProducerID != before.ProducerID {
		t.Errorf("good transaction after restart: %+v, want CompleteCommit with producer id %d", dt, before.ProducerID)
	}
	got = readValues(t, b, topic, kgo.ReadCommitted(), 20)
	checkValues(t, "read_committed after restart", got, map[string]int{"good": 20})
}

// describeTxn describes one transactional id, retrying while the
// coordinator loads.
func describeTxn(t *testing.T, adm *kadm.Client, id string) kadm.DescribedTransaction {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		d, err := adm.DescribeTransactions(ctxT(t), id)
		if err == nil && d[id].Err == nil {
			return d[id]
		}
		if time.Now().After(deadline) {
			t.Fatalf("describe transaction %s: %v / %v", id, err, d[id].Err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitGroupCoordinator waits until FindCoordinator answers for group.
func waitGroupCoordinator(t *testing.T, adm *kadm.Client, group string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var err error
		adm.FindGroupCoordinators(ctxT(t), group).Each(func(r kadm.FindCoordinatorResponse) { err = r.Err })
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("find coordinator of group %s: %v", group, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
