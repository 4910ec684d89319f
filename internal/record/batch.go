package record

import (
	"encoding/binary"
	"hash/crc32"
)

// Codec is the compression codec stored in attribute bits 0-2.
type Codec int8

// Kafka's codec numbers.
const (
	None   Codec = 0
	Gzip   Codec = 1
	Snappy Codec = 2
	LZ4    Codec = 3
	Zstd   Codec = 4
)

func (c Codec) String() string {
	switch c {
	case None:
		return "none"
	case Gzip:
		return "gzip"
	case Snappy:
		return "snappy"
	case LZ4:
		return "lz4"
	case Zstd:
		return "zstd"
	}
	return "unknown"
}

// Header layout of a v2 batch. Offsets are byte positions in the batch.
const (
	offBaseOffset      = 0
	offLength          = 8
	offLeaderEpoch     = 12
	offMagic           = 16
	offCRC             = 17
	offAttributes      = 21
	offLastOffsetDelta = 23
	offFirstTimestamp  = 27
	offMaxTimestamp    = 35
	offProducerID      = 43
	offProducerEpoch   = 51
	offBaseSequence    = 53
	offNumRecords      = 57

	// HeaderSize is the size of the fixed batch header; records follow it.
	HeaderSize = 61
	// LogOverhead is the offset and length prefix that the length field
	// does not count.
	LogOverhead = 12
)

// Attribute bits.
const (
	codecMask         = 0x07
	attrLogAppendTime = 0x08
	attrTransactional = 0x10
	attrControl       = 0x20
)

// CurrentMagic is the only batch format this package accepts.
const CurrentMagic = 2

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Batch is exactly one whole v2 batch; the header is at b[0:HeaderSize].
// Accessors assume at least HeaderSize bytes (Split and Validate check that).
type Batch []byte

var be = binary.BigEndian

func (b Batch) BaseOffset() int64 { return int64(be.Uint64(b[offBaseOffset:])) }

// Length is the total size of the batch including the 12-byte offset and
// length prefix.
func (b Batch) Length() int {
	return int(int32(be.Uint32(b[offLength:]))) + LogOverhead
}

func (b Batch) PartitionLeaderEpoch() int32 { return int32(be.Uint32(b[offLeaderEpoch:])) }
func (b Batch) Magic() int8                 { return int8(b[offMagic]) }
func (b Batch) CRC() uint32                 { return be.Uint32(b[offCRC:]) }
func (b Batch) Attributes() int16           { return int16(be.Uint16(b[offAttributes:])) }
func (b Batch) Codec() Codec                { return Codec(b.Attributes() & codecMask) }
func (b Batch) IsLogAppendTime() bool       { return b.Attributes()&attrLogAppendTime != 0 }
func (b Batch) IsTransactional() bool       { return b.Attributes()&attrTransactional != 0 }
func (b Batch) IsControl() bool             { return b.Attributes()&attrControl != 0 }
func (b Batch) LastOffsetDelta() int32      { return int32(be.Uint32(b[offLastOffsetDelta:])) }
func (b Batch) LastOffset() int64           { return b.BaseOffset() + int64(b.LastOffsetDelta()) }
func (b Batch) FirstTimestamp() int64       { return int64(be.Uint64(b[offFirstTimestamp:])) }
func (b Batch) MaxTimestamp() int64         { return int64(be.Uint64(b[offMaxTimestamp:])) }
func (b Batch) ProducerID() int64           { return int64(be.Uint64(b[offProducerID:])) }
func (b Batch) ProducerEpoch() int16        { return int16(be.Uint16(b[offProducerEpoch:])) }
func (b Batch) BaseSequence() int32         { return int32(be.Uint32(b[offBaseSequence:])) }
func (b Batch) NumRecords() int32           { return int32(be.Uint32(b[offNumRecords:])) }

// LastSequence is the sequence number of the last record, wrapping at
// MaxInt32 like Kafka does.
func (b Batch) LastSequence() int32 {
	seq := b.BaseSequence()
	if seq < 0 {
		return seq
	}
	d := b.LastOffsetDelta()
	if int64(seq)+int64(d) > int64(^uint32(0)>>1) {
		return int32(int64(seq) + int64(d) - int64(^uint32(0)>>1) - 1)
	}
	return seq + d
}

// SetBaseOffset assigns the batch's first offset. The field is outside the
// CRC, so the checksum stays valid.
func (b Batch) SetBaseOffset(o int64) { be.PutUint64(b[offBaseOffset:], uint64(o)) }

// SetPartitionLeaderEpoch records the leader epoch; outside the CRC as well.
func (b Batch) SetPartitionLeaderEpoch(e int32) { be.PutUint32(b[offLeaderEpoch:], uint32(e)) }

// SetLogAppendTime switches the batch to LogAppendTime with ts as its max
// timestamp. Both live inside the CRC, so the checksum is recomputed.
func (b Batch) SetLogAppendTime(ts int64) {
	attrs := uint16(b.Attributes()) | attrLogAppendTime
	be.PutUint16(b[offAttributes:], attrs)
	be.PutUint64(b[offMaxTimestamp:], uint64(ts))
	be.PutUint32(b[offCRC:], b.ComputeCRC())
}

// ComputeCRC returns the CRC32C of everything from the attributes to the end
// of the batch, which is what the CRC field must hold.
func (b Batch) ComputeCRC() uint32 {
	end := b.Length()
	if end > len(b) || end < offAttributes {
		end = len(b)
	}
	return crc32.Checksum(b[offAttributes:end], castagnoli)
}
