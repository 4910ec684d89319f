package coordinator

import (
	"errors"
	"fmt"
	"time"

	"github.com/gregor-stream/gregor/internal/partition"
	"github.com/gregor-stream/gregor/internal/record"
	"github.com/gregor-stream/gregor/internal/storage"
)

// KV is one record of an internal topic; a nil Value is a tombstone.
type KV struct {
	Key, Value []byte
}

// Append writes kvs as one uncompressed batch with acks=all. done gets the
// offset of the first record once the batch is committed (fsynced on every
// in-sync replica), or the error; it runs on its own goroutine.
func Append(p *partition.Partition, kvs []KV, now time.Time, done func(first int64, err error)) {
	appendBatch(p, kvs, now, -1, -1, false, done)
}

// AppendTxn is Append for records that belong to a producer's transaction:
// the batch carries the producer id and epoch and the transactional flag,
// and no sequence (as Kafka's coordinators write them), so it takes effect
// only with the transaction's commit marker.
func AppendTxn(p *partition.Partition, kvs []KV, now time.Time, pid int64, epoch int16, done func(first int64, err error)) {
	appendBatch(p, kvs, now, pid, epoch, true, done)
}

func appendBatch(p *partition.Partition, kvs []KV, now time.Time, pid int64, epoch int16, txn bool, done func(first int64, err error)) {
	recs := make([]record.Record, len(kvs))
	for i, kv := range kvs {
		recs[i] = record.Record{OffsetDelta: int32(i), Key: kv.Key, Value: kv.Value}
	}
	ts := now.UnixMilli()
	batch, err := record.Build(record.BuildOptions{
		ProducerID:     pid,
		ProducerEpoch:  epoch,
		BaseSequence:   -1,
		Transactional:  txn,
		FirstTimestamp: ts,
		MaxTimestamp:   ts,
	}, recs)
	if err != nil {
		go done(-1, fmt.Errorf("build %s-%d batch: %w", p.Topic, p.Index, err))
		return
	}
	p.Append(batch, -1, func(info storage.AppendInfo, err error) {
		go done(info.FirstOffset, err)
	})
}

// replayChunk bounds one read while replaying.
const replayChunk = 1 << 20

// BatchInfo describes the batch a replayed record came from.
type BatchInfo struct {
	ProducerID    int64
	Transactional bool
	// Control is set for transaction markers; the record key then says
	// commit or abort (see ControlCommit).
	Control bool
}

// ControlCommit decodes a transaction marker's key: version int16, then
// type int16 (0 abort, 1 commit).
func ControlCommit(key []byte) (commit, ok bool) {
	if len(key) < 4 {
		return false, false
	}
	switch int16(key[2])<<8 | int16(key[3]) {
	case 0:
		return false, true
	case 1:
		return true, true
	}
	return false, false
}

// Replay calls fn for every record of p from offset from up to its log end
// offset at the time of the call, in log order, and returns the offset to
// continue from. Transaction markers are skipped; ReplayBatches passes them
// on.
func Replay(p *partition.Partition, from int64, fn func(offset int64, key, value []byte)) (int64, error) {
	return ReplayBatches(p, from, func(off int64, key, value []byte, b BatchInfo) {
		if !b.Control {
			fn(off, key, value)
		}
	})
}

// ReplayBatches is Replay with each record's batch described, markers
// included (Control set), for state machines that honour transactions.
//
// It reads to the log end, not the high watermark, as Kafka's coordinators
// load: a new leader's high watermark can trail writes that were already
// acknowledged, and its log is what every replica converges on.
func ReplayBatches(p *partition.Partition, from int64, fn func(offset int64, key, value []byte, b BatchInfo)) (int64, error) {
	l := p.Log()
	if lso := l.LogStartOffset(); from < lso {
		from = lso
	}
	end := l.LogEndOffset()
	next := from
	for next < end {
		recs, err := l.Read(next, replayChunk, end, true)
		if err != nil {
			return next, fmt.Errorf("replay %s-%d at %d: %w", p.Topic, p.Index, next, err)
		}
		if len(recs) == 0 {
			break
		}
		progressed := false
		err = record.Split(recs, func(b record.Batch) error {
			if b.LastOffset() < next {
				return nil
			}
			recs, err := b.Records()
			if err != nil {
				return fmt.Errorf("batch at %d: %w", b.BaseOffset(), err)
			}
			info := BatchInfo{ProducerID: b.ProducerID(), Transactional: b.IsTransactional(), Control: b.IsControl()}
			for _, r := range recs {
				off := b.BaseOffset() + int64(r.OffsetDelta)
				if off >= next {
					fn(off, r.Key, r.Value, info)
				}
			}
			next = b.LastOffset() + 1
			progressed = true
			return nil
		})
		// A read may end in a partial batch; what came before it counts.
		if err != nil && !(progressed && errors.Is(err, record.ErrCorrupt)) {
			return next, fmt.Errorf("replay %s-%d: %w", p.Topic, p.Index, err)
		}
		if !progressed {
			break
		}
	}
	return next, nil
}
