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
	recs := make([]record.Record, len(kvs))
	for i, kv := range kvs {
		recs[i] = record.Record{OffsetDelta: int32(i), Key: kv.Key, Value: kv.Value}
	}
	ts := now.UnixMilli()
	batch, err := record.Build(record.BuildOptions{
		ProducerID:     -1,
		ProducerEpoch:  -1,
		BaseSequence:   -1,
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

// Replay calls fn for every record of p from offset from up to its log end
// offset at the time of the call, in log order, and returns the offset to
// continue from. Control batches (transaction markers) are skipped.
//
// It reads to the log end, not the high watermark, as Kafka's coordinators
// load: a new leader's high watermark can trail writes that were already
// acknowledged, and its log is what every replica converges on.
func Replay(p *partition.Partition, from int64, fn func(offset int64, key, value []byte)) (int64, error) {
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
			if !b.IsControl() {
				recs, err := b.Records()
				if err != nil {
					return fmt.Errorf("batch at %d: %w", b.BaseOffset(), err)
				}
				for _, r := range recs {
					off := b.BaseOffset() + int64(r.OffsetDelta)
					if off >= next {
						fn(off, r.Key, r.Value)
					}
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
