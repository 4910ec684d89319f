package record

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestRebuildKeepsHeaderAndRecords(t *testing.T) {
	for _, c := range []Codec{None, Gzip, Snappy, LZ4, Zstd} {
		recs := make([]Record, 6)
		for i := range recs {
			recs[i] = Record{OffsetDelta: int32(i), TimestampDelta: int64(i * 3), Key: []byte(fmt.Sprint("k", i)),
				Value: bytes.Repeat([]byte{byte('a' + i)}, 50), Headers: []Header{{Key: "h", Value: []byte{byte(i)}}}}
		}
		orig, err := Build(BuildOptions{Codec: c, BaseOffset: 100, ProducerID: 7, ProducerEpoch: 2, BaseSequence: 40,
			Transactional: true, FirstTimestamp: 5000, PartitionLeaderEpoch: 3}, recs)
		if err != nil {
			t.Fatal(err)
		}
		ob := Batch(orig)
		kept := []Record{recs[1], recs[3]} // the last ones removed
		raw, err := Rebuild(ob, kept)
		if err != nil {
			t.Fatal(err)
		}
		b := Batch(raw)
		if b.CRC() != b.ComputeCRC() || b.Length() != len(b) {
			t.Fatalf("%v: bad frame", c)
		}
		if b.BaseOffset() != 100 || b.LastOffsetDelta() != 5 || b.ProducerID() != 7 || b.BaseSequence() != 40 ||
			b.LastSequence() != 45 || b.Codec() != c || !b.IsTransactional() || b.FirstTimestamp() != 5000 ||
			b.MaxTimestamp() != ob.MaxTimestamp() || b.PartitionLeaderEpoch() != 3 || b.NumRecords() != 2 {
			t.Fatalf("%v: header changed", c)
		}
		got, err := b.Records()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].OffsetDelta != 1 || got[1].OffsetDelta != 3 || !bytes.Equal(got[1].Value, recs[3].Value) ||
			got[1].TimestampDelta != 9 || len(got[1].Headers) != 1 || got[1].Headers[0].Value[0] != 3 {
			t.Fatalf("%v: records %+v", c, got)
		}
		// franz-go decodes it too.
		var kb kmsg.RecordBatch
		if err := kb.ReadFrom(raw); err != nil || kb.NumRecords != 2 || kb.LastOffsetDelta != 5 {
			t.Fatalf("%v: kmsg %v %d %d", c, err, kb.NumRecords, kb.LastOffsetDelta)
		}
		empty, err := Rebuild(ob, nil)
		if err != nil {
			t.Fatal(err)
		}
		eb := Batch(empty)
		if eb.NumRecords() != 0 || eb.Codec() != None || len(eb) != HeaderSize || eb.CRC() != eb.ComputeCRC() || eb.LastSequence() != 45 {
			t.Fatalf("%v: empty batch n %d codec %v len %d", c, eb.NumRecords(), eb.Codec(), len(eb))
		}
		if r, err := eb.Records(); err != nil || len(r) != 0 {
			t.Fatalf("%v: empty batch records %v %v", c, r, err)
		}
		if _, err := Rebuild(ob, []Record{{OffsetDelta: 6}}); err == nil {
			t.Fatalf("%v: record past the batch accepted", c)
		}
	}
}

func TestScanAgreesWithRecords(t *testing.T) {
	recs := []Record{
		{OffsetDelta: 0, Key: []byte("a"), Value: []byte("1"), Headers: []Header{{Key: "x", Value: []byte("y")}}},
		{OffsetDelta: 2, Key: nil, Value: []byte("keyless")},
		{OffsetDelta: 5, Key: []byte("b"), Value: nil},
	}
	for _, c := range []Codec{None, Gzip, Zstd} {
		raw, err := Build(BuildOptions{Codec: c, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}, recs)
		if err != nil {
			t.Fatal(err)
		}
		var got []KeyInfo
		if err := Batch(raw).Scan(func(k KeyInfo) bool { got = append(got, k); return true }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 || string(got[0].Key) != "a" || got[0].NullValue || got[1].Key != nil || got[1].OffsetDelta != 2 ||
			string(got[2].Key) != "b" || !got[2].NullValue || got[2].OffsetDelta != 5 {
			t.Fatalf("%v: scan %+v", c, got)
		}
	}
}

func FuzzScan(f *testing.F) {
	raw, _ := Build(BuildOptions{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1},
		[]Record{{Key: []byte("k"), Value: []byte("v")}, {OffsetDelta: 1, Value: nil}})
	f.Add(raw)
	f.Add(raw[:len(raw)-2])
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < HeaderSize {
			return
		}
		b := Batch(data)
		var scanned []KeyInfo
		serr := b.Scan(func(k KeyInfo) bool { scanned = append(scanned, k); return true })
		recs, rerr := b.Records()
		if rerr != nil {
			return // Scan checks less; it may accept what Records refuses
		}
		if serr != nil {
			t.Fatalf("Records decodes what Scan refuses: %v", serr)
		}
		if len(scanned) != len(recs) {
			t.Fatalf("scan saw %d records, Records %d", len(scanned), len(recs))
		}
		for i := range recs {
			if !bytes.Equal(scanned[i].Key, recs[i].Key) || (scanned[i].Key == nil) != (recs[i].Key == nil) ||
				scanned[i].OffsetDelta != recs[i].OffsetDelta || scanned[i].NullValue != (recs[i].Value == nil) {
				t.Fatalf("record %d: scan %+v, Records %+v", i, scanned[i], recs[i])
			}
		}
	})
}
