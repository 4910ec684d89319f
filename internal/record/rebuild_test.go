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
