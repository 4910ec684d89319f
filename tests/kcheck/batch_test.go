package kcheck

import (
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// encodeBatch builds a v2 batch with kmsg and a correct CRC32C.
func encodeBatch(base int64, n int32, codec int16) []byte {
	var rb kmsg.RecordBatch
	rb.FirstOffset = base
	rb.Magic = 2
	rb.Attributes = codec
	rb.LastOffsetDelta = n - 1
	rb.FirstTimestamp = 1700000000000
	rb.MaxTimestamp = 1700000000000
	rb.ProducerID = -1
	rb.ProducerEpoch = -1
	rb.FirstSequence = -1
	rb.NumRecords = n
	rb.Records = []byte{0} // contents are not inspected by ParseBatches
	raw := rb.AppendTo(nil)
	binary.BigEndian.PutUint32(raw[offLength:], uint32(len(raw)-offLength-4))
	crc := crc32.Checksum(raw[offAttributes:], castagnoli)
	raw[offCRC], raw[offCRC+1], raw[offCRC+2], raw[offCRC+3] = byte(crc>>24), byte(crc>>16), byte(crc>>8), byte(crc)
	return raw
}

func TestParseBatches(t *testing.T) {
	a := encodeBatch(0, 3, 1)
	b := encodeBatch(3, 2, 4)
	data := append(append(append([]byte{}, a...), b...), b[:20]...) // partial tail
	got, err := ParseBatches(7, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d batches, want 2", len(got))
	}
	for i, want := range []struct {
		base, last int64
		codec      string
	}{{0, 2, "gzip"}, {3, 4, "zstd"}} {
		g := got[i]
		if g.BaseOffset != want.base || g.LastOffset() != want.last || g.Codec() != want.codec || g.Partition != 7 {
			t.Errorf("batch %d = base %d last %d codec %s, want %+v", i, g.BaseOffset, g.LastOffset(), g.Codec(), want)
		}
		if err := g.Check(); err != nil {
			t.Errorf("batch %d: %v", i, err)
		}
	}

	a[len(a)-1] ^= 0xff
	got, err = ParseBatches(0, a)
	if err != nil || len(got) != 1 {
		t.Fatalf("parse corrupted: %v, %d batches", err, len(got))
	}
	if got[0].Check() == nil {
		t.Error("flipped byte passed the CRC check")
	}
}

func FuzzParseBatches(f *testing.F) {
	f.Add(encodeBatch(0, 1, 0))
	f.Add(append(encodeBatch(5, 10, 2), encodeBatch(15, 1, 3)...))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		bs, _ := ParseBatches(0, data)
		total := 0
		for _, b := range bs {
			total += len(b.Raw)
			_ = b.Check()
		}
		if total > len(data) {
			t.Fatalf("batches cover %d bytes of %d", total, len(data))
		}
	})
}

// TestBuildBatch checks BuildBatch against franz-go's own batch reader.
func TestBuildBatch(t *testing.T) {
	raw := BuildBatch(BatchSpec{ProducerID: 9, ProducerEpoch: 1, BaseSequence: 4, Timestamp: 1700000000123,
		Records: []KV{{[]byte("k1"), []byte("v1")}, {nil, []byte("value two")}}})
	bs, err := ParseBatches(0, raw)
	if err != nil || len(bs) != 1 {
		t.Fatalf("parse: %v, %d batches", err, len(bs))
	}
	if err := bs[0].Check(); err != nil {
		t.Fatal(err)
	}
	var rb kmsg.RecordBatch
	if err := rb.ReadFrom(raw); err != nil {
		t.Fatalf("kmsg read: %v", err)
	}
	if rb.NumRecords != 2 || rb.ProducerID != 9 || rb.FirstSequence != 4 {
		t.Fatalf("kmsg sees %+v", rb)
	}
	recs := rb.Records
	var got []string
	for len(recs) > 0 {
		var r kmsg.Record
		if err := r.ReadFrom(recs); err != nil {
			t.Fatalf("record: %v", err)
		}
		n := len(r.AppendTo(nil))
		recs = recs[n:]
		got = append(got, string(r.Key)+"="+string(r.Value))
	}
	if len(got) != 2 || got[0] != "k1=v1" || got[1] != "=value two" {
		t.Errorf("records %q", got)
	}
}
