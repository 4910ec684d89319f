package record

import (
	"fmt"
	"math"
)

// BuildOptions describe the header of a batch made by Build. The zero value
// is NOT a plain batch: set ProducerID to -1 (and ProducerEpoch and
// BaseSequence to -1) for a batch without idempotence, as Kafka does.
type BuildOptions struct {
	Codec                Codec
	BaseOffset           int64
	ProducerID           int64
	ProducerEpoch        int16
	BaseSequence         int32
	Transactional        bool
	Control              bool
	FirstTimestamp       int64
	MaxTimestamp         int64 // 0 means: computed from the records' timestamps
	LogAppendTime        bool
	PartitionLeaderEpoch int32
}

// Build encodes recs into one batch. LastOffsetDelta is the largest record
// OffsetDelta (records from compaction may have gaps); callers making fresh
// batches number the records 0..n-1.
func Build(opts BuildOptions, recs []Record) ([]byte, error) {
	if opts.Codec < None || opts.Codec > Zstd {
		return nil, fmt.Errorf("build batch with codec %d: %w", opts.Codec, ErrUnsupportedCodec)
	}
	if len(recs) > math.MaxInt32 {
		return nil, fmt.Errorf("build batch of %d records: %w", len(recs), ErrInvalidRecord)
	}
	var body, scratch []byte
	var lastDelta int32
	maxTS := opts.FirstTimestamp
	for i := range recs {
		body, scratch = appendRecord(body, &recs[i], scratch)
		if recs[i].OffsetDelta > lastDelta {
			lastDelta = recs[i].OffsetDelta
		}
		if ts := opts.FirstTimestamp + recs[i].TimestampDelta; ts > maxTS {
			maxTS = ts
		}
	}
	if opts.MaxTimestamp != 0 {
		maxTS = opts.MaxTimestamp
	}
	if opts.Codec != None {
		c, err := Compress(opts.Codec, body)
		if err != nil {
			return nil, fmt.Errorf("build batch: %w", err)
		}
		body = c
	}
	out := make([]byte, HeaderSize, HeaderSize+len(body))
	out = append(out, body...)
	if len(out)-LogOverhead > math.MaxInt32 {
		return nil, fmt.Errorf("build batch of %d bytes: %w", len(out), ErrInvalidRecord)
	}
	attrs := uint16(opts.Codec)
	if opts.LogAppendTime {
		attrs |= attrLogAppendTime
	}
	if opts.Transactional {
		attrs |= attrTransactional
	}
	if opts.Control {
		attrs |= attrControl
	}
	be.PutUint64(out[offBaseOffset:], uint64(opts.BaseOffset))
	be.PutUint32(out[offLength:], uint32(len(out)-LogOverhead))
	be.PutUint32(out[offLeaderEpoch:], uint32(opts.PartitionLeaderEpoch))
	out[offMagic] = CurrentMagic
	be.PutUint16(out[offAttributes:], attrs)
	be.PutUint32(out[offLastOffsetDelta:], uint32(lastDelta))
	be.PutUint64(out[offFirstTimestamp:], uint64(opts.FirstTimestamp))
	be.PutUint64(out[offMaxTimestamp:], uint64(maxTS))
	be.PutUint64(out[offProducerID:], uint64(opts.ProducerID))
	be.PutUint16(out[offProducerEpoch:], uint16(opts.ProducerEpoch))
	be.PutUint32(out[offBaseSequence:], uint32(opts.BaseSequence))
	be.PutUint32(out[offNumRecords:], uint32(len(recs)))
	be.PutUint32(out[offCRC:], Batch(out).ComputeCRC())
	return out, nil
}
