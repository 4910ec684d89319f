package record

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// The franz-go client is the oracle here: batches it would write must pass
// our validation and decode to the same records, and ours must decode in it.

var kgoCodecs = map[Codec]kgo.CompressionCodec{
	Gzip:   kgo.GzipCompression(),
	Snappy: kgo.SnappyCompression(),
	LZ4:    kgo.Lz4Compression(),
	Zstd:   kgo.ZstdCompression(),
}

func kmsgRecordBytes(r *kmsg.Record) []byte {
	r.Length = 0
	body := r.AppendTo(nil)[1:] // a zero length varint is one byte
	r.Length = int32(len(body))
	return r.AppendTo(nil)
}

func kgoBatch(t *testing.T, c Codec, n int) ([]byte, []kmsg.Record) {
	t.Helper()
	var body []byte
	recs := make([]kmsg.Record, n)
	for i := range recs {
		recs[i] = kmsg.Record{
			TimestampDelta64: int64(i),
			OffsetDelta:      int32(i),
			Key:              []byte(fmt.Sprintf("k%d", i)),
			Value:            bytes.Repeat([]byte("v"), i*7),
			Headers:          []kmsg.Header{{Key: "trace", Value: []byte{byte(i)}}},
		}
		body = append(body, kmsgRecordBytes(&recs[i])...)
	}
	attrs := int16(0)
	if c != None {
		comp, err := kgo.DefaultCompressor(kgoCodecs[c])
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		out, used := comp.Compress(&buf, body)
		if int8(used) != int8(c) {
			t.Fatalf("kgo used codec %d, want %d", used, c)
		}
		body = append([]byte(nil), out...)
		attrs = int16(c)
	}
	kb := kmsg.RecordBatch{
		FirstOffset:          0,
		PartitionLeaderEpoch: -1,
		Magic:                2,
		Attributes:           attrs,
		LastOffsetDelta:      int32(n - 1),
		FirstTimestamp:       1_700_000_000_000,
		MaxTimestamp:         1_700_000_000_000 + int64(n-1),
		ProducerID:           77,
		ProducerEpoch:        3,
		FirstSequence:        10,
		NumRecords:           int32(n),
		Records:              body,
	}
	raw := kb.AppendTo(nil)
	binary.BigEndian.PutUint32(raw[8:], uint32(len(raw)-12))
	// The CRC is computed with the standard library, not our ComputeCRC, so
	// a wrong CRC range on our side would fail this test.
	crc := crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli))
	binary.BigEndian.PutUint32(raw[17:], crc)
	return raw, recs
}

func TestDecodeFranzGoBatches(t *testing.T) {
	for _, c := range allCodecs {
		t.Run(c.String(), func(t *testing.T) {
			raw, want := kgoBatch(t, c, 25)
			b := Batch(raw)
			if err := Validate(b, true); err != nil {
				t.Fatalf("validate franz-go batch: %v", err)
			}
			if b.ProducerID() != 77 || b.ProducerEpoch() != 3 || b.BaseSequence() != 10 || b.NumRecords() != 25 {
				t.Fatalf("header %d/%d/%d/%d", b.ProducerID(), b.ProducerEpoch(), b.BaseSequence(), b.NumRecords())
			}
			got, err := b.Records()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("%d records want %d", len(got), len(want))
			}
			for i := range want {
				w := want[i]
				g := got[i]
				if g.OffsetDelta != w.OffsetDelta || g.TimestampDelta != w.TimestampDelta64 ||
					!bytes.Equal(g.Key, w.Key) || !bytes.Equal(g.Value, w.Value) ||
					len(g.Headers) != 1 || g.Headers[0].Key != "trace" || !bytes.Equal(g.Headers[0].Value, w.Headers[0].Value) {
					t.Fatalf("record %d: %+v want %+v", i, g, w)
				}
			}
		})
	}
}

func TestFranzGoDecodesOurBatches(t *testing.T) {
	dec := kgo.DefaultDecompressor()
	for _, c := range allCodecs {
		t.Run(c.String(), func(t *testing.T) {
			want := sampleRecords(30)
			opts := plainOpts()
			opts.Codec = c
			opts.BaseOffset = 555
			raw, err := Build(opts, want)
			if err != nil {
				t.Fatal(err)
			}
			var kb kmsg.RecordBatch
			if err := kb.ReadFrom(raw); err != nil {
				t.Fatalf("kmsg decode: %v", err)
			}
			if kb.FirstOffset != 555 || kb.Magic != 2 || kb.NumRecords != 30 || kb.LastOffsetDelta != 29 || int(kb.Length) != len(raw)-12 {
				t.Fatalf("kmsg header %+v", kb)
			}
			if crc := crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli)); uint32(kb.CRC) != crc {
				t.Fatalf("crc %08x, recomputed %08x", uint32(kb.CRC), crc)
			}
			body := kb.Records
			if c != None {
				body, err = dec.Decompress(kb.Records, kgo.CompressionCodecType(c))
				if err != nil {
					t.Fatalf("kgo decompress: %v", err)
				}
			}
			for i := range want {
				var kr kmsg.Record
				if err := kr.ReadFrom(body); err != nil {
					t.Fatalf("record %d: %v", i, err)
				}
				if kr.OffsetDelta != want[i].OffsetDelta || kr.TimestampDelta64 != want[i].TimestampDelta ||
					!bytes.Equal(kr.Key, want[i].Key) || (kr.Key == nil) != (want[i].Key == nil) ||
					!bytes.Equal(kr.Value, want[i].Value) || len(kr.Headers) != len(want[i].Headers) {
					t.Fatalf("record %d: kmsg %+v want %+v", i, kr, want[i])
				}
				// Advance by the full encoded size: the varint length plus
				// the length it announces.
				_, n := binary.Varint(body)
				body = body[n+int(kr.Length):]
			}
			if len(body) != 0 {
				t.Fatalf("%d bytes left after the records", len(body))
			}
		})
	}
}
