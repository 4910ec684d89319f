package record

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func TestMarkerDecodesInKmsg(t *testing.T) {
	for _, commit := range []bool{false, true} {
		raw := BuildMarker(MarkerOptions{ProducerID: 42, ProducerEpoch: 3, Commit: commit, CoordinatorEpoch: 7, PartitionLeaderEpoch: 5, Timestamp: 1234})
		b := Batch(raw)
		if err := Validate(b, true); err != nil {
			t.Fatalf("marker does not validate: %v", err)
		}
		if !b.IsControl() || !b.IsTransactional() || b.ProducerID() != 42 || b.ProducerEpoch() != 3 ||
			b.BaseSequence() != -1 || b.NumRecords() != 1 || b.MaxTimestamp() != 1234 || b.PartitionLeaderEpoch() != 5 {
			t.Fatalf("marker header: control %v txn %v pid %d epoch %d seq %d n %d ts %d",
				b.IsControl(), b.IsTransactional(), b.ProducerID(), b.ProducerEpoch(), b.BaseSequence(), b.NumRecords(), b.MaxTimestamp())
		}
		var kb kmsg.RecordBatch
		if err := kb.ReadFrom(raw); err != nil {
			t.Fatal(err)
		}
		if kb.Attributes&0x30 != 0x30 {
			t.Fatalf("kmsg sees attributes %#x", kb.Attributes)
		}
		recs, err := b.Records()
		if err != nil {
			t.Fatal(err)
		}
		var key kmsg.ControlRecordKey
		if err := key.ReadFrom(recs[0].Key); err != nil {
			t.Fatal(err)
		}
		wantType := kmsg.ControlRecordKeyTypeAbort
		if commit {
			wantType = kmsg.ControlRecordKeyTypeCommit
		}
		if key.Type != wantType || key.Version != 0 {
			t.Fatalf("kmsg key %+v, want type %v", key, wantType)
		}
		var val kmsg.EndTxnMarker
		if err := val.ReadFrom(recs[0].Value); err != nil {
			t.Fatal(err)
		}
		if val.CoordinatorEpoch != 7 {
			t.Fatalf("kmsg coordinator epoch %d", val.CoordinatorEpoch)
		}
		ci, err := ParseControl(b)
		if err != nil {
			t.Fatal(err)
		}
		if ci.CoordinatorEpoch != 7 || (ci.Type == ControlCommit) != commit || !ci.IsMarker() {
			t.Fatalf("ParseControl %+v", ci)
		}
	}
}

func TestParseControlRejects(t *testing.T) {
	plain, err := Build(BuildOptions{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1}, []Record{{Key: []byte("k")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseControl(Batch(plain)); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("plain batch: %v", err)
	}
	two, err := Build(BuildOptions{ProducerID: 1, Control: true, Transactional: true, BaseSequence: -1},
		[]Record{{Key: []byte{0, 0, 0, 1}, Value: make([]byte, 6)}, {OffsetDelta: 1, Key: []byte{0, 0, 0, 1}, Value: make([]byte, 6)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseControl(Batch(two)); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("two control records: %v", err)
	}
	if _, err := ParseControlRecord([]byte{0, 0}, nil); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("short key: %v", err)
	}
	if _, err := ParseControlRecord([]byte{0, 0, 0, 0}, []byte{0, 0}); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("short marker value: %v", err)
	}
	ci, err := ParseControlRecord([]byte{0, 0, 0, 5}, nil)
	if err != nil || ci.IsMarker() {
		t.Fatalf("unknown control type: %+v %v", ci, err)
	}
}

func FuzzParseControlRecord(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0}, []byte{0, 0, 0, 0, 0, 9})
	f.Add([]byte{0, 0, 0, 1}, []byte{0, 0, 0, 0, 0, 1})
	f.Add([]byte{0, 1, 0, 3}, []byte{})
	f.Add([]byte{0xff, 0xff}, []byte{0xff})
	f.Fuzz(func(t *testing.T, key, value []byte) {
		ci, err := ParseControlRecord(key, value)
		if err != nil {
			return
		}
		if !ci.IsMarker() {
			return
		}
		again := BuildMarker(MarkerOptions{ProducerID: 1, Commit: ci.Type == ControlCommit, CoordinatorEpoch: ci.CoordinatorEpoch})
		back, err := ParseControl(Batch(again))
		if err != nil || back != ci {
			t.Fatalf("marker %+v does not round trip: %+v %v", ci, back, err)
		}
	})
}
