package kcheck

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Record batch v2 header layout (offsets into the batch).
const (
	offLength      = 8
	offMagic       = 16
	offCRC         = 17
	offAttributes  = 21
	offLastDelta   = 23
	offFirstTS     = 27
	offMaxTS       = 35
	offProducerID  = 43
	offProducerEp  = 51
	offBaseSeq     = 53
	offRecordCount = 57
	headerSize     = 61
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Codec names by the low three attribute bits.
var codecNames = map[int8]string{0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}

// Batch is the header of one v2 record batch as served by a broker.
type Batch struct {
	Partition       int32
	BaseOffset      int64
	LastOffsetDelta int32
	Magic           int8
	CRC             uint32
	CRCValid        bool
	Attributes      int16
	FirstTimestamp  int64
	MaxTimestamp    int64
	ProducerID      int64
	ProducerEpoch   int16
	BaseSequence    int32
	NumRecords      int32
	Raw             []byte // the whole batch, header included
}

// LastOffset is the offset of the batch's last record.
func (b Batch) LastOffset() int64 { return b.BaseOffset + int64(b.LastOffsetDelta) }

// Codec names the batch's compression codec.
func (b Batch) Codec() string {
	if n, ok := codecNames[int8(b.Attributes&7)]; ok {
		return n
	}
	return fmt.Sprintf("unknown(%d)", b.Attributes&7)
}

// IsControl reports whether the batch holds a transaction marker.
func (b Batch) IsControl() bool { return b.Attributes&0x20 != 0 }

// Check returns an error describing the first thing wrong with the batch
// header: magic, CRC, or a record count that does not fit the offset delta.
func (b Batch) Check() error {
	switch {
	case b.Magic != 2:
		return fmt.Errorf("batch at %d: magic %d, want 2", b.BaseOffset, b.Magic)
	case !b.CRCValid:
		return fmt.Errorf("batch at %d: crc32c mismatch (header %08x)", b.BaseOffset, b.CRC)
	case b.NumRecords <= 0 && !b.IsControl():
		return fmt.Errorf("batch at %d: %d records", b.BaseOffset, b.NumRecords)
	case b.LastOffsetDelta < 0:
		return fmt.Errorf("batch at %d: negative last offset delta %d", b.BaseOffset, b.LastOffsetDelta)
	}
	return nil
}

// ParseBatches splits a Fetch response's records field into batches. A
// trailing partial batch (a broker may cut the last one at the size limit)
// is dropped, as Kafka clients do; anything else malformed is an error.
func ParseBatches(partition int32, data []byte) ([]Batch, error) {
	var out []Batch
	for len(data) > 0 {
		if len(data) < offLength+4 {
			break // partial trailing batch
		}
		length := int32(binary.BigEndian.Uint32(data[offLength:]))
		if length < headerSize-offLength-4 {
			return out, fmt.Errorf("batch at %d: length %d below header size",
				int64(binary.BigEndian.Uint64(data)), length)
		}
		total := offLength + 4 + int(length)
		if total > len(data) {
			break // partial trailing batch
		}
		raw := data[:total]
		data = data[total:]
		b := Batch{
			Partition:       partition,
			BaseOffset:      int64(binary.BigEndian.Uint64(raw)),
			Magic:           int8(raw[offMagic]),
			CRC:             binary.BigEndian.Uint32(raw[offCRC:]),
			Attributes:      int16(binary.BigEndian.Uint16(raw[offAttributes:])),
			LastOffsetDelta: int32(binary.BigEndian.Uint32(raw[offLastDelta:])),
			FirstTimestamp:  int64(binary.BigEndian.Uint64(raw[offFirstTS:])),
			MaxTimestamp:    int64(binary.BigEndian.Uint64(raw[offMaxTS:])),
			ProducerID:      int64(binary.BigEndian.Uint64(raw[offProducerID:])),
			ProducerEpoch:   int16(binary.BigEndian.Uint16(raw[offProducerEp:])),
			BaseSequence:    int32(binary.BigEndian.Uint32(raw[offBaseSeq:])),
			NumRecords:      int32(binary.BigEndian.Uint32(raw[offRecordCount:])),
			Raw:             raw,
		}
		b.CRCValid = crc32.Checksum(raw[offAttributes:], castagnoli) == b.CRC
		out = append(out, b)
	}
	return out, nil
}
