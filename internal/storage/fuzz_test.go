package storage

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"reflect"
	"testing"
	"time"
)

func FuzzDecodeIndex(f *testing.F) {
	f.Add(appendIndexEntry(appendIndexEntry(nil, indexEntry{0, 0}), indexEntry{5, 100}), int64(200))
	f.Add([]byte{1, 2, 3}, int64(10))
	f.Fuzz(func(t *testing.T, data []byte, logSize int64) {
		es, err := decodeIndex(data, logSize)
		if err != nil {
			return
		}
		var re []byte
		for i, e := range es {
			if int64(e.Pos) >= logSize || (i > 0 && (e.Rel <= es[i-1].Rel || e.Pos <= es[i-1].Pos)) {
				t.Fatalf("accepted bad entry %d: %+v", i, e)
			}
			re = appendIndexEntry(re, e)
		}
		if !bytes.Equal(re, data) {
			t.Fatal("index does not round trip")
		}
	})
}

func FuzzDecodeTimeIndex(f *testing.F) {
	f.Add(appendTimeEntry(appendTimeEntry(nil, timeEntry{10, 0}), timeEntry{20, 3}))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := decodeTimeIndex(data)
		if err != nil {
			return
		}
		var re []byte
		for _, e := range es {
			re = appendTimeEntry(re, e)
		}
		if !bytes.Equal(re, data) {
			t.Fatal("time index does not round trip")
		}
	})
}

func FuzzOffsetCheckpoint(f *testing.F) {
	f.Add(encodeOffsetCheckpoint(map[topicPartition]int64{{"a", 0}: 5, {"b-c", 3}: 1 << 40}))
	f.Add([]byte("0\n0\n"))
	f.Add([]byte("0\n1\nt 0 -1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeOffsetCheckpoint(data)
		if err != nil {
			return
		}
		back, err := decodeOffsetCheckpoint(encodeOffsetCheckpoint(m))
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("re-encoded checkpoint differs: %v %v", back, err)
		}
	})
}

func FuzzEpochCheckpoint(f *testing.F) {
	f.Add(encodeEpochCheckpoint([]epochEntry{{0, 0}, {4, 100}}))
	f.Add([]byte("0\n1\n3 x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := decodeEpochCheckpoint(data)
		if err != nil {
			return
		}
		for i := 1; i < len(es); i++ {
			if es[i].Epoch <= es[i-1].Epoch || es[i].StartOffset < es[i-1].StartOffset {
				t.Fatalf("accepted non-increasing epochs %v", es)
			}
		}
		back, err := decodeEpochCheckpoint(encodeEpochCheckpoint(es))
		if err != nil || !reflect.DeepEqual(back, es) {
			t.Fatalf("re-encoded epochs differ: %v %v", back, err)
		}
	})
}

func FuzzPartitionMetadata(f *testing.F) {
	f.Add(encodePartitionMetadata([16]byte{1, 2, 3}))
	f.Add([]byte("version: 0\ntopic_id: !!\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		id, err := decodePartitionMetadata(data)
		if err != nil {
			return
		}
		back, err := decodePartitionMetadata(encodePartitionMetadata(id))
		if err != nil || back != id {
			t.Fatalf("topic id does not round trip: %v", err)
		}
	})
}

func FuzzProducerSnapshot(f *testing.F) {
	f.Add(encodeSnapshot(map[int64]*producerEntry{
		4: {Epoch: 1, LastTimestamp: 99, CoordinatorEpoch: -1, TxnFirst: -1, Batches: []batchMeta{{0, 2, 10, 12, 99}}},
		9: {Epoch: 0, CoordinatorEpoch: 3, TxnFirst: 11},
	}))
	f.Add(encodeSnapshot(map[int64]*producerEntry{}))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeSnapshot(data)
		if err != nil {
			return
		}
		back, err := decodeSnapshot(encodeSnapshot(m))
		if err != nil || len(back) != len(m) {
			t.Fatalf("snapshot does not round trip: %v", err)
		}
		for id, e := range m {
			b := back[id]
			if b == nil || b.Epoch != e.Epoch || b.LastTimestamp != e.LastTimestamp || len(b.Batches) != len(e.Batches) ||
				b.CoordinatorEpoch != e.CoordinatorEpoch || b.TxnFirst != e.TxnFirst {
				t.Fatalf("producer %d differs after round trip", id)
			}
		}
	})
}

func FuzzDecodeTxnIndex(f *testing.F) {
	var good []byte
	good = appendTxnEntry(good, txnEntry{ProducerID: 3, FirstOffset: 10, LastOffset: 14, LastStable: 15})
	good = appendTxnEntry(good, txnEntry{ProducerID: 4, FirstOffset: 11, LastOffset: 20, LastStable: 18})
	f.Add(good)
	f.Add(good[:txnEntrySize+5])
	f.Add([]byte{})
	f.Add(appendTxnEntry(nil, txnEntry{ProducerID: -1, FirstOffset: 9, LastOffset: 3}))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := decodeTxnIndex(data)
		if err == nil && len(entries)*txnEntrySize != len(data) {
			t.Fatalf("%d entries from %d bytes without error", len(entries), len(data))
		}
		var back []byte
		for i, e := range entries {
			if e.ProducerID < 0 || e.FirstOffset > e.LastOffset || (i > 0 && e.LastOffset <= entries[i-1].LastOffset) {
				t.Fatalf("entry %d accepted: %+v", i, e)
			}
			back = appendTxnEntry(back, e)
		}
		if !bytes.Equal(back, data[:len(back)]) {
			t.Fatal("valid prefix does not round trip")
		}
	})
}

// FuzzRecoveryGarbageTail appends arbitrary bytes to the active segment of
// a crashed log: recovery must never fail or lose the valid batches.
func FuzzRecoveryGarbageTail(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 200, 1})
	f.Add(makeBatch(f, batchSpec{n: 2}))
	valid := makeBatch(f, batchSpec{n: 1})
	valid[7] = 50 // base offset 50: a real batch after a gap
	f.Add(valid)
	f.Fuzz(func(t *testing.T, garbage []byte) {
		dir := t.TempDir()
		opts := Options{
			Dir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			RetentionCheckInterval: time.Hour, CheckpointInterval: time.Hour,
		}
		m, err := OpenManager(opts)
		if err != nil {
			t.Fatal(err)
		}
		l, err := m.Open("fz", 0, [16]byte{}, testConfig())
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			mustAppend(t, l, makeBatch(t, batchSpec{n: 2, tag: "keep"}), 0)
		}
		path := segmentPath(l, 0)
		m.crash()
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		fh.Write(garbage)
		fh.Close()
		m, err = OpenManager(opts)
		if err != nil {
			t.Fatalf("recovery failed: %v", err)
		}
		defer m.Close()
		l = m.Get("fz", 0)
		if l.LogEndOffset() < 6 {
			t.Fatalf("valid batches lost: log end %d", l.LogEndOffset())
		}
		recs := readAll(t, l)
		for i := 0; i < 6; i++ {
			if recs[i].offset != int64(i) || recs[i].value[:5] != "keep/" {
				t.Fatalf("record %d is %+v", i, recs[i])
			}
		}
	})
}

func FuzzSwapManifest(f *testing.F) {
	f.Add(encodeSwapManifest(swapManifest{New: 100, Old: []int64{100, 250, 300}, HasTxn: true}))
	f.Add(encodeSwapManifest(swapManifest{New: 0, Old: []int64{0}}))
	f.Add([]byte("gregor-cleaner-swap 1\nnew 5\nold 4 5\ntxnindex 0\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeSwapManifest(data)
		if err != nil {
			return
		}
		if len(m.Old) == 0 || m.Old[0] != m.New {
			t.Fatalf("accepted %+v", m)
		}
		for i := 1; i < len(m.Old); i++ {
			if m.Old[i] <= m.Old[i-1] {
				t.Fatalf("accepted non-increasing bases %v", m.Old)
			}
		}
		back, err := decodeSwapManifest(encodeSwapManifest(m))
		if err != nil || back.New != m.New || back.HasTxn != m.HasTxn || len(back.Old) != len(m.Old) {
			t.Fatalf("manifest does not round trip: %+v %v", back, err)
		}
	})
}
