package txn

import (
	"reflect"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestTxnRecordRoundTrip(t *testing.T) {
	in := &Txn{ID: "orders-etl", ProducerID: 4001, Epoch: 7, TimeoutMs: 60000, State: Ongoing,
		Partitions: map[TP]struct{}{{"out", 1}: {}, {"out", 0}: {}, {"__consumer_offsets", 12}: {}},
		StartMs:    1700000000000, UpdateMs: 1700000000500}
	key, value := encode(in)
	id, out, err := decode(key, value)
	if err != nil || id != in.ID {
		t.Fatalf("decode: %q %v", id, err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip:\n in  %+v\n out %+v", in, out)
	}
	// Kafka's own layout: key version 0 then the id; franz-go reads ours.
	k := kmsg.NewTxnMetadataKey()
	if err := k.ReadFrom(key); err != nil || k.Version != 0 || k.TransactionalID != in.ID {
		t.Fatalf("kmsg key: %+v %v", k, err)
	}
	if got := out.SortedPartitions(); got[0].Topic != "__consumer_offsets" || got[1] != (TP{"out", 0}) {
		t.Fatalf("sorted partitions %v", got)
	}
	if _, tomb, err := decode(key, nil); err != nil || tomb != nil {
		t.Fatalf("tombstone: %v %v", tomb, err)
	}
}

func FuzzDecode(f *testing.F) {
	key, value := encode(&Txn{ID: "x", ProducerID: 1, State: CompleteCommit, Partitions: map[TP]struct{}{{"t", 0}: {}}})
	f.Add(key, value)
	f.Add([]byte{0, 0}, []byte{0, 1, 2})
	f.Fuzz(func(t *testing.T, key, value []byte) {
		id, txn, err := decode(key, value)
		if err != nil || txn == nil {
			return
		}
		k2, v2 := encode(txn)
		id2, txn2, err := decode(k2, v2)
		if err != nil || id2 != id || !reflect.DeepEqual(txn, txn2) {
			t.Fatalf("re-encode changed %+v into %+v (%v)", txn, txn2, err)
		}
	})
}
