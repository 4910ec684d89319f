package txn

import (
	"encoding/binary"
	"hash/crc32"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/tests/kcheck"
)

// txnBatch builds a transactional record batch: kcheck's batch with the
// transactional attribute bit set and the CRC32C recomputed over it.
func txnBatch(pid int64, epoch int16, seq int32, vals ...string) []byte {
	kvs := make([]kcheck.KV, len(vals))
	for i, v := range vals {
		kvs[i] = kcheck.KV{Value: []byte(v)}
	}
	b := kcheck.BuildBatch(kcheck.BatchSpec{ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq,
		Timestamp: time.Now().UnixMilli(), Records: kvs})
	// Header: baseOffset 8, length 4, leader epoch 4, magic 1, crc 4,
	// then attributes; the CRC covers everything from the attributes on.
	const crcAt, attrAt = 17, 21
	attrs := binary.BigEndian.Uint16(b[attrAt:])
	binary.BigEndian.PutUint16(b[attrAt:], attrs|0x10)
	binary.BigEndian.PutUint32(b[crcAt:], crc32.Checksum(b[attrAt:], crc32.MakeTable(crc32.Castagnoli)))
	return b
}

// produceRaw sends one batch to topic/partition with acks=all and returns
// the partition's error code.
func (r rawTxn) produceRaw(txnID *string, topic string, part int32, batch []byte) int16 {
	r.t.Helper()
	req := kmsg.NewPtrProduceRequest()
	req.TransactionID, req.Acks, req.TimeoutMillis = txnID, -1, 10000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition, rp.Records = part, batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp, err := r.cl.Broker(1).Request(ctxT(r.t), req)
	if err != nil {
		r.t.Fatalf("produce: %v", err)
	}
	for _, t := range resp.(*kmsg.ProduceResponse).Topics {
		for _, p := range t.Partitions {
			return p.ErrorCode
		}
	}
	r.t.Fatalf("produce: no partition in the response")
	return 0
}

// TestProduceVerification (KIP-890): a transactional write is accepted
// only into a partition added to the producer's ongoing transaction. A
// write to a partition never added, a late write after the commit and a
// write with a stale epoch are refused, never become visible, and leave no
// partition behind an open transaction.
func TestProduceVerification(t *testing.T) {
	b := startBroker(t)
	const topic, id = "verify", "verified"
	createTopic(t, b, topic, 2)
	adm := newAdmin(t, b)
	r := rawTxn{t, newClient(t, b)}
	txnID := id

	pid, epoch, code := r.initPID(id, 30000)
	if code != 0 {
		t.Fatalf("InitProducerId: %v", kerr.ErrorForCode(code))
	}
	if got := r.addPartitions(id, pid, epoch, topic, 0); got[tpKey(topic, 0)] != 0 {
		t.Fatalf("AddPartitionsToTxn: %v", kerr.ErrorForCode(got[tpKey(topic, 0)]))
	}
	if c := r.produceRaw(&txnID, topic, 0, txnBatch(pid, epoch, 0, "in-0", "in-1")); c != 0 {
		t.Fatalf("transactional produce to an added partition: %v", kerr.ErrorForCode(c))
	}
	expectCode(t, "transactional produce to a partition not in the transaction",
		r.produceRaw(&txnID, topic, 1, txnBatch(pid, epoch, 0, "stray-0")), kerr.InvalidTxnState, kerr.TransactionAbortable)
	if epoch > 0 {
		expectCode(t, "transactional produce with an older epoch",
			r.produceRaw(&txnID, topic, 0, txnBatch(pid, epoch-1, 2, "stale-0")), kerr.InvalidProducerEpoch, kerr.ProducerFenced)
	}
	if c := r.produceRaw(nil, topic, 0, txnBatch(pid, epoch, 2, "noid-0")); c == 0 {
		t.Errorf("transactional batch in a produce request without a transactional id was accepted")
	}

	if c := r.endTxn(id, pid, epoch, true); c != 0 {
		t.Fatalf("EndTxn(commit): %v", kerr.ErrorForCode(c))
	}
	waitTxnState(t, adm, id, "CompleteCommit")
	// A late write of the same producer, as a delayed retry would be,
	// must not open a transaction that nobody will ever end.
	expectCode(t, "transactional produce after the commit",
		r.produceRaw(&txnID, topic, 0, txnBatch(pid, epoch, 2, "late-0")), kerr.InvalidTxnState, kerr.TransactionAbortable)

	waitStable(t, adm, topic, 10*time.Second)
	got := readValues(t, b, topic, kgo.ReadCommitted(), 2)
	checkValues(t, "read_committed", got, map[string]int{"in": 2})
	got = readValues(t, b, topic, kgo.ReadUncommitted(), 2)
	checkValues(t, "read_uncommitted", got, map[string]int{"in": 2})
}
