package handlers

// Produce (key 0), versions 3-12; v0-v2 are advertised (see broker.go) but
// answered with UNSUPPORTED_VERSION for every partition, as Kafka 4 does:
// they carry the old message formats, which Gregor does not store.
//
// Every batch is validated (magic 2, sizes, CRC32C, record count, and a
// walk of the records, decompressing if needed) before anything of the
// partition is appended. acks=0 gets no reply; acks=1 replies once the
// leader appended; acks=all replies once the high watermark passes the
// batch, which with the default flush policy means it was fsynced on every
// in-sync replica. A request still waiting after timeout_ms gets
// REQUEST_TIMED_OUT for the partitions not yet committed (the data may
// still commit, as in Kafka). Idempotent duplicates are answered with the
// original offsets. Produce v13 (topic ids, KIP-516) is not implemented.

import (
	"errors"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/partition"
	"github.com/gregor-stream/gregor/internal/record"
	"github.com/gregor-stream/gregor/internal/storage"
	"github.com/gregor-stream/gregor/internal/txn"
)

func (b *broker) produce(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.ProduceRequest)
	resp := kmsg.NewPtrProduceResponse()
	resp.Topics = make([]kmsg.ProduceResponseTopic, len(req.Topics))

	var mu sync.Mutex
	pending := 0
	finished := false
	var timer *time.Timer
	finish := func() {
		// mu must be held.
		if finished {
			return
		}
		finished = true
		if timer != nil {
			timer.Stop()
		}
		if req.Acks == 0 {
			reply(nil)
			return
		}
		reply(resp)
	}

	img := b.image()
	type work struct {
		p       *partition.Partition
		records []byte
		sp      *kmsg.ProduceResponseTopicPartition
	}
	var todo []work
	for i := range req.Topics {
		rt := &req.Topics[i]
		st := &resp.Topics[i]
		st.Topic = rt.Topic
		st.Partitions = make([]kmsg.ProduceResponseTopicPartition, len(rt.Partitions))
		for j := range rt.Partitions {
			rp := &rt.Partitions[j]
			sp := &st.Partitions[j]
			sp.Partition = rp.Partition
			sp.BaseOffset = -1
			sp.LogAppendTime = -1
			sp.LogStartOffset = -1
			if req.Version < 3 {
				sp.ErrorCode = kerr.UnsupportedVersion.Code
				continue
			}
			p := b.Parts.Get(rt.Topic, rp.Partition)
			if p == nil {
				if t, ok := img.Topics[rt.Topic]; ok && rp.Partition >= 0 && int(rp.Partition) < len(t.Partitions) {
					sp.ErrorCode = kerr.NotLeaderForPartition.Code
				} else {
					sp.ErrorCode = kerr.UnknownTopicOrPartition.Code
				}
				continue
			}
			if code := b.verifyTransactional(req.TransactionID, rt.Topic, rp.Partition, rp.Records); code != 0 {
				sp.ErrorCode = code
				continue
			}
			todo = append(todo, work{p, rp.Records, sp})
		}
	}
	// One extra count keeps the reply from going out before every append
	// has been started.
	pending = len(todo) + 1
	for _, w := range todo {
		sp := w.sp
		w.p.Append(w.records, req.Acks, func(info storage.AppendInfo, err error) {
			mu.Lock()
			defer mu.Unlock()
			if finished {
				return
			}
			sp.ErrorCode = errorCode(err)
			if err != nil {
				if req.Version >= 8 {
					sp.ErrorMessage = errorMessage(err)
				}
			} else {
				sp.BaseOffset = info.FirstOffset
				sp.LogAppendTime = info.LogAppendTime
				sp.LogStartOffset = info.LogStartOffset
			}
			pending--
			if pending == 0 {
				finish()
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	pending--
	if pending == 0 || req.Acks == 0 {
		// acks=0: nothing is sent back; the appends finish on their own.
		finish()
		return
	}
	timeout := time.Duration(req.TimeoutMillis) * time.Millisecond
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	timer = time.AfterFunc(timeout, func() {
		mu.Lock()
		defer mu.Unlock()
		for i := range resp.Topics {
			for j := range resp.Topics[i].Partitions {
				sp := &resp.Topics[i].Partitions[j]
				if sp.ErrorCode == 0 && sp.BaseOffset == -1 {
					sp.ErrorCode = kerr.RequestTimedOut.Code
				}
			}
		}
		finish()
	})
}

// verifyTransactional checks a transactional write against the transaction
// coordinator (KIP-890): the partition must be in the producer's ongoing
// transaction, so a late or zombie write cannot join a finished one.
func (b *broker) verifyTransactional(txnID *string, topic string, part int32, records []byte) int16 {
	if len(records) < record.HeaderSize {
		return 0 // validation answers malformed input
	}
	first := record.Batch(records)
	if !first.IsTransactional() {
		return 0
	}
	if txnID == nil || b.Txns == nil {
		return kerr.TransactionalIDAuthorizationFailed.Code
	}
	err := b.Txns.Verify(*txnID, first.ProducerID(), first.ProducerEpoch(), txn.TP{Topic: topic, Partition: part})
	if errors.Is(err, txn.ErrNotCoordinator) {
		// The coordinator lives on another node: trust the client until
		// verification crosses nodes.
		return 0
	}
	if errors.Is(err, txn.ErrProducerFenced) {
		return kerr.InvalidProducerEpoch.Code
	}
	return txnErrorCode(err)
}
