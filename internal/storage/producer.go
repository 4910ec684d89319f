package storage

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"sort"

	"github.com/gregor-stream/gregor/internal/record"
)

// maxProducerBatches is how many recent batches per producer are kept to
// recognise a retried batch, the same window as Kafka's.
const maxProducerBatches = 5

type batchMeta struct {
	FirstSeq, LastSeq       int32
	FirstOffset, LastOffset int64
	Timestamp               int64 // the batch's max timestamp as stored
}

type producerEntry struct {
	Epoch            int16
	LastTimestamp    int64
	CoordinatorEpoch int32       // from the producer's last transaction marker, -1 if none
	TxnFirst         int64       // first offset of its ongoing transaction, -1 if none
	Batches          []batchMeta // oldest first, at most maxProducerBatches
}

func newProducerEntry(epoch int16) *producerEntry {
	return &producerEntry{Epoch: epoch, CoordinatorEpoch: -1, TxnFirst: -1}
}

func (e *producerEntry) lastSeq() int32 {
	if len(e.Batches) == 0 {
		return -1
	}
	return e.Batches[len(e.Batches)-1].LastSeq
}

// nextSeq is the sequence after s, wrapping at MaxInt32 like Kafka.
func nextSeq(s int32) int32 {
	if s == math.MaxInt32 {
		return 0
	}
	return s + 1
}

// checkProducer applies the idempotence rules to one batch against e (nil
// for an unknown producer). It returns the original batch for a duplicate.
func checkProducer(e *producerEntry, b record.Batch) (*batchMeta, error) {
	epoch, first, last := b.ProducerEpoch(), b.BaseSequence(), b.LastSequence()
	if b.IsControl() || first < 0 {
		// Transaction markers and non-idempotent transactional writes carry
		// no sequence; only the epoch is fenced.
		if e != nil && epoch < e.Epoch {
			return nil, fmt.Errorf("producer %d epoch %d below %d: %w", b.ProducerID(), epoch, e.Epoch, ErrInvalidProducerEpoch)
		}
		return nil, nil
	}
	if e == nil {
		if first != 0 {
			return nil, fmt.Errorf("unknown producer %d starts at sequence %d: %w", b.ProducerID(), first, ErrOutOfOrderSequence)
		}
		return nil, nil
	}
	switch {
	case epoch < e.Epoch:
		return nil, fmt.Errorf("producer %d epoch %d below %d: %w", b.ProducerID(), epoch, e.Epoch, ErrInvalidProducerEpoch)
	case epoch > e.Epoch:
		if first != 0 {
			return nil, fmt.Errorf("producer %d new epoch %d starts at sequence %d: %w", b.ProducerID(), epoch, first, ErrOutOfOrderSequence)
		}
		return nil, nil
	}
	for i := range e.Batches {
		if e.Batches[i].FirstSeq == first && e.Batches[i].LastSeq == last {
			m := e.Batches[i]
			return &m, nil
		}
	}
	if len(e.Batches) == 0 {
		// An epoch bump from a control batch leaves no sequence yet.
		if first != 0 {
			return nil, fmt.Errorf("producer %d epoch %d starts at sequence %d: %w", b.ProducerID(), epoch, first, ErrOutOfOrderSequence)
		}
		return nil, nil
	}
	if want := nextSeq(e.lastSeq()); first != want {
		return nil, fmt.Errorf("producer %d sequence %d, expected %d: %w", b.ProducerID(), first, want, ErrOutOfOrderSequence)
	}
	return nil, nil
}

// updateProducer returns e (created if nil) with batch b recorded.
func updateProducer(e *producerEntry, b record.Batch) *producerEntry {
	if e == nil {
		e = newProducerEntry(b.ProducerEpoch())
	}
	if b.ProducerEpoch() > e.Epoch {
		e.Epoch = b.ProducerEpoch()
		e.Batches = e.Batches[:0]
	}
	e.LastTimestamp = b.MaxTimestamp()
	if b.IsControl() || b.BaseSequence() < 0 {
		return e
	}
	if len(e.Batches) == maxProducerBatches {
		copy(e.Batches, e.Batches[1:])
		e.Batches = e.Batches[:maxProducerBatches-1]
	}
	e.Batches = append(e.Batches, batchMeta{
		FirstSeq: b.BaseSequence(), LastSeq: b.LastSequence(),
		FirstOffset: b.BaseOffset(), LastOffset: b.LastOffset(), Timestamp: b.MaxTimestamp(),
	})
	return e
}

func cloneProducer(e *producerEntry) *producerEntry {
	if e == nil {
		return nil
	}
	c := *e
	c.Batches = append([]batchMeta(nil), e.Batches...)
	return &c
}

// Snapshot format (version 2), all big endian:
//
//	version int16 | crc32c uint32 of the rest | count int32 |
//	count x { producerID int64 | epoch int16 | lastTimestamp int64 |
//	          coordinatorEpoch int32 | txnFirstOffset int64 | n int8 |
//	          n x { firstSeq int32 | lastSeq int32 | firstOffset int64 | lastOffset int64 | timestamp int64 } }
//
// Version 1 lacks coordinatorEpoch and txnFirstOffset; it is still read.
const (
	snapshotVersion    = 2
	snapshotV1         = 1
	snapshotHeaderSize = 10
	snapshotEntryHead  = 31
	snapshotV1Head     = 19
	snapshotBatchSize  = 32
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func encodeSnapshot(m map[int64]*producerEntry) []byte {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	buf := make([]byte, snapshotHeaderSize, snapshotHeaderSize+len(ids)*(snapshotEntryHead+maxProducerBatches*snapshotBatchSize))
	binary.BigEndian.PutUint16(buf, snapshotVersion)
	binary.BigEndian.PutUint32(buf[6:], uint32(len(ids)))
	for _, id := range ids {
		e := m[id]
		buf = binary.BigEndian.AppendUint64(buf, uint64(id))
		buf = binary.BigEndian.AppendUint16(buf, uint16(e.Epoch))
		buf = binary.BigEndian.AppendUint64(buf, uint64(e.LastTimestamp))
		buf = binary.BigEndian.AppendUint32(buf, uint32(e.CoordinatorEpoch))
		buf = binary.BigEndian.AppendUint64(buf, uint64(e.TxnFirst))
		buf = append(buf, byte(len(e.Batches)))
		for _, b := range e.Batches {
			buf = binary.BigEndian.AppendUint32(buf, uint32(b.FirstSeq))
			buf = binary.BigEndian.AppendUint32(buf, uint32(b.LastSeq))
			buf = binary.BigEndian.AppendUint64(buf, uint64(b.FirstOffset))
			buf = binary.BigEndian.AppendUint64(buf, uint64(b.LastOffset))
			buf = binary.BigEndian.AppendUint64(buf, uint64(b.Timestamp))
		}
	}
	binary.BigEndian.PutUint32(buf[2:], crc32.Checksum(buf[6:], castagnoli))
	return buf
}

func decodeSnapshot(data []byte) (map[int64]*producerEntry, error) {
	if len(data) < snapshotHeaderSize {
		return nil, fmt.Errorf("producer snapshot of %d bytes: %w", len(data), ErrCorrupt)
	}
	v := binary.BigEndian.Uint16(data)
	head := snapshotEntryHead
	switch v {
	case snapshotVersion:
	case snapshotV1:
		head = snapshotV1Head
	default:
		return nil, fmt.Errorf("producer snapshot version %d: %w", v, ErrCorrupt)
	}
	if crc32.Checksum(data[6:], castagnoli) != binary.BigEndian.Uint32(data[2:]) {
		return nil, fmt.Errorf("producer snapshot crc: %w", ErrCorrupt)
	}
	count := int64(binary.BigEndian.Uint32(data[6:]))
	rest := data[snapshotHeaderSize:]
	if count < 0 || count > int64(len(rest)/head) {
		return nil, fmt.Errorf("producer snapshot count %d: %w", count, ErrCorrupt)
	}
	m := make(map[int64]*producerEntry, count)
	for i := int64(0); i < count; i++ {
		if len(rest) < head {
			return nil, fmt.Errorf("producer snapshot entry %d truncated: %w", i, ErrCorrupt)
		}
		id := int64(binary.BigEndian.Uint64(rest))
		e := newProducerEntry(int16(binary.BigEndian.Uint16(rest[8:])))
		e.LastTimestamp = int64(binary.BigEndian.Uint64(rest[10:]))
		if v == snapshotVersion {
			e.CoordinatorEpoch = int32(binary.BigEndian.Uint32(rest[18:]))
			e.TxnFirst = int64(binary.BigEndian.Uint64(rest[22:]))
			if e.TxnFirst < -1 {
				return nil, fmt.Errorf("producer snapshot entry %d: transaction start %d: %w", i, e.TxnFirst, ErrCorrupt)
			}
		}
		n := int(rest[head-1])
		rest = rest[head:]
		if n > maxProducerBatches || len(rest) < n*snapshotBatchSize {
			return nil, fmt.Errorf("producer snapshot entry %d: %d batches: %w", i, n, ErrCorrupt)
		}
		for j := 0; j < n; j++ {
			e.Batches = append(e.Batches, batchMeta{
				FirstSeq:    int32(binary.BigEndian.Uint32(rest)),
				LastSeq:     int32(binary.BigEndian.Uint32(rest[4:])),
				FirstOffset: int64(binary.BigEndian.Uint64(rest[8:])),
				LastOffset:  int64(binary.BigEndian.Uint64(rest[16:])),
				Timestamp:   int64(binary.BigEndian.Uint64(rest[24:])),
			})
			rest = rest[snapshotBatchSize:]
		}
		if id < 0 || m[id] != nil {
			return nil, fmt.Errorf("producer snapshot entry %d: producer id %d: %w", i, id, ErrCorrupt)
		}
		m[id] = e
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("producer snapshot: %d trailing bytes: %w", len(rest), ErrCorrupt)
	}
	return m, nil
}
