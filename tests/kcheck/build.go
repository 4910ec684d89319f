package kcheck

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// KV is one record of a hand-built batch.
type KV struct{ Key, Value []byte }

// BatchSpec describes an uncompressed v2 batch for BuildBatch. Set
// ProducerID, ProducerEpoch and BaseSequence to -1 for a non-idempotent
// batch.
type BatchSpec struct {
	ProducerID    int64
	ProducerEpoch int16
	BaseSequence  int32
	Timestamp     int64 // ms; every record gets this CreateTime
	Records       []KV
}

// BuildBatch encodes an uncompressed record batch v2 with base offset 0, a
// correct length and CRC32C, as a producer would send it.
func BuildBatch(s BatchSpec) []byte {
	var records []byte
	for i, kv := range s.Records {
		r := kmsg.Record{OffsetDelta: int32(i), Key: kv.Key, Value: kv.Value}
		// Length is a varint prefix over the rest; encode once to learn it.
		body := r.AppendTo(nil)
		r.Length = int32(len(body) - 1) // a zero varint is one byte
		records = r.AppendTo(records)
	}
	rb := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1,
		Magic:                2,
		LastOffsetDelta:      int32(len(s.Records) - 1),
		FirstTimestamp:       s.Timestamp,
		MaxTimestamp:         s.Timestamp,
		ProducerID:           s.ProducerID,
		ProducerEpoch:        s.ProducerEpoch,
		FirstSequence:        s.BaseSequence,
		NumRecords:           int32(len(s.Records)),
		Records:              records,
	}
	raw := rb.AppendTo(nil)
	binary.BigEndian.PutUint32(raw[offLength:], uint32(len(raw)-offLength-4))
	binary.BigEndian.PutUint32(raw[offCRC:], crc32.Checksum(raw[offAttributes:], castagnoli))
	return raw
}
