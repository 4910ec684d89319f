package record

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

var allCodecs = []Codec{None, Gzip, Snappy, LZ4, Zstd}

func sampleRecords(n int) []Record {
	recs := make([]Record, n)
	for i := range recs {
		recs[i] = Record{
			TimestampDelta: int64(i * 3),
			OffsetDelta:    int32(i),
			Key:            []byte(fmt.Sprintf("key-%d", i)),
			Value:          bytes.Repeat([]byte{byte('a' + i%26)}, 50+i),
			Headers:        []Header{{Key: "h", Value: []byte(fmt.Sprint(i))}, {Key: "nullv", Value: nil}},
		}
	}
	// Null key and empty (non-null) value must survive the round trip.
	recs[0].Key = nil
	recs[0].Value = []byte{}
	return recs
}

func plainOpts() BuildOptions {
	return BuildOptions{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, FirstTimestamp: 1_700_000_000_000}
}

func TestBuildRoundTripAllCodecs(t *testing.T) {
	for _, c := range allCodecs {
		t.Run(c.String(), func(t *testing.T) {
			recs := sampleRecords(20)
			opts := plainOpts()
			opts.Codec = c
			opts.BaseOffset = 1000
			opts.PartitionLeaderEpoch = 7
			raw, err := Build(opts, recs)
			if err != nil {
				t.Fatal(err)
			}
			b := Batch(raw)
			if err := Validate(b, true); err != nil {
				t.Fatalf("validate: %v", err)
			}
			if b.Length() != len(raw) || b.Codec() != c || b.Magic() != 2 {
				t.Fatalf("header: length %d/%d codec %v magic %d", b.Length(), len(raw), b.Codec(), b.Magic())
			}
			if b.BaseOffset() != 1000 || b.LastOffset() != 1019 || b.NumRecords() != 20 || b.PartitionLeaderEpoch() != 7 {
				t.Fatalf("offsets: base %d last %d n %d epoch %d", b.BaseOffset(), b.LastOffset(), b.NumRecords(), b.PartitionLeaderEpoch())
			}
			if b.MaxTimestamp() != opts.FirstTimestamp+19*3 {
				t.Fatalf("max timestamp %d", b.MaxTimestamp())
			}
			if b.ProducerID() != -1 || b.ProducerEpoch() != -1 || b.BaseSequence() != -1 {
				t.Fatalf("producer fields %d %d %d", b.ProducerID(), b.ProducerEpoch(), b.BaseSequence())
			}
			got, err := b.Records()
			if err != nil {
				t.Fatal(err)
			}
			assertRecordsEqual(t, got, recs)
		})
	}
}

func assertRecordsEqual(t *testing.T, got, want []Record) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.OffsetDelta != w.OffsetDelta || g.TimestampDelta != w.TimestampDelta || g.Attributes != w.Attributes {
			t.Fatalf("record %d: %+v want %+v", i, g, w)
		}
		if !bytes.Equal(g.Key, w.Key) || (g.Key == nil) != (w.Key == nil) {
			t.Fatalf("record %d key %q (nil=%v) want %q (nil=%v)", i, g.Key, g.Key == nil, w.Key, w.Key == nil)
		}
		if !bytes.Equal(g.Value, w.Value) || (g.Value == nil) != (w.Value == nil) {
			t.Fatalf("record %d value %q want %q", i, g.Value, w.Value)
		}
		if len(g.Headers) != len(w.Headers) {
			t.Fatalf("record %d: %d headers want %d", i, len(g.Headers), len(w.Headers))
		}
		for j := range w.Headers {
			gh, wh := g.Headers[j], w.Headers[j]
			if gh.Key != wh.Key || !bytes.Equal(gh.Value, wh.Value) || (gh.Value == nil) != (wh.Value == nil) {
				t.Fatalf("record %d header %d: %+v want %+v", i, j, gh, wh)
			}
		}
	}
}

func TestOffsetAssignmentKeepsCRC(t *testing.T) {
	raw, err := Build(plainOpts(), sampleRecords(3))
	if err != nil {
		t.Fatal(err)
	}
	b := Batch(raw)
	crc := b.CRC()
	b.SetBaseOffset(1 << 40)
	b.SetPartitionLeaderEpoch(42)
	if b.BaseOffset() != 1<<40 || b.PartitionLeaderEpoch() != 42 || b.LastOffset() != 1<<40+2 {
		t.Fatalf("base %d epoch %d last %d", b.BaseOffset(), b.PartitionLeaderEpoch(), b.LastOffset())
	}
	if b.CRC() != crc {
		t.Fatal("crc field changed")
	}
	if err := Validate(b, true); err != nil {
		t.Fatalf("after offset assignment: %v", err)
	}
}

func TestSetLogAppendTime(t *testing.T) {
	opts := plainOpts()
	opts.Codec = Gzip
	raw, err := Build(opts, sampleRecords(4))
	if err != nil {
		t.Fatal(err)
	}
	b := Batch(raw)
	if b.IsLogAppendTime() {
		t.Fatal("new batch claims log append time")
	}
	b.SetLogAppendTime(1_800_000_000_000)
	if !b.IsLogAppendTime() || b.MaxTimestamp() != 1_800_000_000_000 || b.Codec() != Gzip {
		t.Fatalf("attrs %x max ts %d", b.Attributes(), b.MaxTimestamp())
	}
	if err := Validate(b, true); err != nil {
		t.Fatalf("crc not recomputed: %v", err)
	}
}

func TestAttributeFlags(t *testing.T) {
	opts := BuildOptions{ProducerID: 9, ProducerEpoch: 2, BaseSequence: 5, Transactional: true, Control: true, Codec: Snappy}
	raw, err := Build(opts, []Record{{Key: []byte{0, 0, 0, 1}, Value: []byte{0, 0, 0, 0, 0, 0}}})
	if err != nil {
		t.Fatal(err)
	}
	b := Batch(raw)
	if !b.IsTransactional() || !b.IsControl() || b.IsLogAppendTime() || b.Codec() != Snappy {
		t.Fatalf("attributes %016b", b.Attributes())
	}
	if b.ProducerID() != 9 || b.ProducerEpoch() != 2 || b.BaseSequence() != 5 || b.LastSequence() != 5 {
		t.Fatalf("producer %d/%d seq %d..%d", b.ProducerID(), b.ProducerEpoch(), b.BaseSequence(), b.LastSequence())
	}
}

func TestLastSequenceWraps(t *testing.T) {
	opts := plainOpts()
	opts.ProducerID, opts.ProducerEpoch, opts.BaseSequence = 1, 0, 2147483646
	raw, err := Build(opts, sampleRecords(4))
	if err != nil {
		t.Fatal(err)
	}
	if got := Batch(raw).LastSequence(); got != 1 {
		t.Fatalf("last sequence %d, want 1 (wrapped)", got)
	}
}

func TestValidateRejects(t *testing.T) {
	good, err := Build(plainOpts(), sampleRecords(5))
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(b []byte) []byte) Batch {
		b := append([]byte(nil), good...)
		return Batch(f(b))
	}
	refixCRC := func(b []byte) []byte {
		be.PutUint32(b[offCRC:], Batch(b).ComputeCRC())
		return b
	}
	cases := []struct {
		name string
		b    Batch
		deep bool
		want error
	}{
		{"flipped value byte", mutate(func(b []byte) []byte { b[len(b)-10] ^= 1; return b }), false, ErrCorrupt},
		{"truncated", mutate(func(b []byte) []byte { return b[:len(b)-1] }), false, ErrCorrupt},
		{"shorter than header", mutate(func(b []byte) []byte { return b[:40] }), false, ErrCorrupt},
		{"magic 1", mutate(func(b []byte) []byte { b[offMagic] = 1; return b }), false, ErrCorrupt},
		{"count mismatch", mutate(func(b []byte) []byte { be.PutUint32(b[offNumRecords:], 4); return refixCRC(b) }), false, ErrInvalidRecord},
		{"zero records", mutate(func(b []byte) []byte {
			be.PutUint32(b[offNumRecords:], 0)
			be.PutUint32(b[offLastOffsetDelta:], uint32(0xffffffff))
			return refixCRC(b)
		}), false, ErrInvalidRecord},
		{"codec 6", mutate(func(b []byte) []byte { b[offAttributes+1] |= 6; return refixCRC(b) }), false, ErrUnsupportedCodec},
		{"count and delta agree but records disagree", mutate(func(b []byte) []byte {
			be.PutUint32(b[offNumRecords:], 6)
			be.PutUint32(b[offLastOffsetDelta:], 5)
			return refixCRC(b)
		}), true, ErrInvalidRecord},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.b, tc.deep)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestValidateDeepRejectsOffsetDeltaOrder(t *testing.T) {
	recs := sampleRecords(3)
	recs[1].OffsetDelta, recs[2].OffsetDelta = 2, 1
	raw, err := Build(plainOpts(), recs)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(Batch(raw), false); err != nil {
		t.Fatalf("shallow validation should not decode records: %v", err)
	}
	if err := Validate(Batch(raw), true); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("deep: got %v, want ErrInvalidRecord", err)
	}
}

func TestValidateDeepRejectsBadCompressedBody(t *testing.T) {
	for _, c := range []Codec{Gzip, Snappy, LZ4, Zstd} {
		t.Run(c.String(), func(t *testing.T) {
			opts := plainOpts()
			opts.Codec = c
			raw, err := Build(opts, sampleRecords(10))
			if err != nil {
				t.Fatal(err)
			}
			// Garble the compressed payload but keep the CRC right: only
			// decompression can notice.
			for i := HeaderSize + 2; i < len(raw); i += 3 {
				raw[i] ^= 0x5a
			}
			be.PutUint32(raw[offCRC:], Batch(raw).ComputeCRC())
			if err := Validate(Batch(raw), false); err != nil {
				t.Fatalf("shallow: %v", err)
			}
			err = Validate(Batch(raw), true)
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrInvalidRecord) {
				t.Fatalf("deep: got %v", err)
			}
		})
	}
}

func TestSplit(t *testing.T) {
	var blob []byte
	var want []int64
	for i := 0; i < 4; i++ {
		opts := plainOpts()
		opts.BaseOffset = int64(i * 100)
		opts.Codec = allCodecs[i%len(allCodecs)]
		raw, err := Build(opts, sampleRecords(i+1))
		if err != nil {
			t.Fatal(err)
		}
		blob = append(blob, raw...)
		want = append(want, opts.BaseOffset)
	}
	var got []int64
	if err := Split(blob, func(b Batch) error {
		if err := Validate(b, true); err != nil {
			return err
		}
		got = append(got, b.BaseOffset())
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("split gave %v want %v", got, want)
	}

	if err := Split(blob[:len(blob)-1], func(Batch) error { return nil }); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated tail: %v", err)
	}
	if err := Split(append(append([]byte(nil), blob...), 0, 0, 0), func(Batch) error { return nil }); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("short trailing garbage: %v", err)
	}
	stop := errors.New("stop")
	n := 0
	if err := Split(blob, func(Batch) error { n++; return stop }); err != stop || n != 1 {
		t.Fatalf("stop: err %v after %d batches", err, n)
	}
	if err := Split(nil, func(Batch) error { t.Fatal("called on empty input"); return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestXerialSnappy(t *testing.T) {
	payload := bytes.Repeat([]byte("gregor xerial snappy "), 5000)
	framed := append([]byte(nil), xerialMagic...)
	framed = append(framed, 0, 0, 0, 1, 0, 0, 0, 1)
	for rest := payload; len(rest) > 0; {
		n := min(len(rest), 32<<10)
		blk, err := Compress(Snappy, rest[:n])
		if err != nil {
			t.Fatal(err)
		}
		framed = be.AppendUint32(framed, uint32(len(blk)))
		framed = append(framed, blk...)
		rest = rest[n:]
	}
	got, err := Decompress(Snappy, framed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, payload) {
		t.Fatalf("xerial decode: %d bytes, want %d", len(got), len(payload))
	}
	if _, err := Decompress(Snappy, framed[:len(framed)-3]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("truncated xerial: %v", err)
	}
}

func TestDecompressLimit(t *testing.T) {
	old := MaxDecompressedBytes
	MaxDecompressedBytes = 1 << 16
	defer func() { MaxDecompressedBytes = old }()
	big := make([]byte, 1<<17)
	for _, c := range []Codec{Gzip, Snappy, LZ4} {
		comp, err := Compress(c, big)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Decompress(c, comp); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%v: inflating past the limit gave %v", c, err)
		}
	}
	if _, err := Decompress(Codec(5), nil); !errors.Is(err, ErrUnsupportedCodec) {
		t.Fatalf("codec 5: %v", err)
	}
}
