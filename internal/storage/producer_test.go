package storage

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func idem(t *testing.T, pid int64, epoch int16, seq int32, n int) []byte {
	return makeBatch(t, batchSpec{n: n, pid: pid, epoch: epoch, seq: seq, tag: "p"})
}

func TestIdempotentProducer(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("idem", testConfig())
	mustAppend(t, l, makeBatch(t, batchSpec{n: 2}), 0) // a plain batch first: offsets 0-1
	first := mustAppend(t, l, idem(t, 7, 0, 0, 3), 0)  // seq 0-2 at offsets 2-4
	mustAppend(t, l, idem(t, 7, 0, 3, 2), 0)           // seq 3-4 at 5-6

	// A retry of the first batch: success with the original offsets, nothing written.
	info, err := l.Append(idem(t, 7, 0, 0, 3), 0, -1)
	if !errors.Is(err, ErrDuplicateSequence) {
		t.Fatalf("retry: %v", err)
	}
	if info.FirstOffset != first.FirstOffset || info.LastOffset != first.LastOffset {
		t.Fatalf("duplicate reports %d-%d, original was %d-%d", info.FirstOffset, info.LastOffset, first.FirstOffset, first.LastOffset)
	}
	if l.LogEndOffset() != 7 {
		t.Fatalf("duplicate was written: log end %d", l.LogEndOffset())
	}
	// A gap.
	if _, err := l.Append(idem(t, 7, 0, 9, 1), 0, -1); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("gap: %v", err)
	}
	// A new producer must start at 0.
	if _, err := l.Append(idem(t, 8, 0, 4, 1), 0, -1); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("unknown producer at seq 4: %v", err)
	}
	// Epoch bump: must restart at 0; afterwards the old epoch is fenced.
	if _, err := l.Append(idem(t, 7, 1, 5, 1), 0, -1); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("new epoch not at 0: %v", err)
	}
	mustAppend(t, l, idem(t, 7, 1, 0, 1), 0)
	if _, err := l.Append(idem(t, 7, 0, 5, 1), 0, -1); !errors.Is(err, ErrInvalidProducerEpoch) {
		t.Fatalf("old epoch: %v", err)
	}
	if ep, seq, ok := l.ProducerState(7); !ok || ep != 1 || seq != 0 {
		t.Fatalf("producer state %d %d %v", ep, seq, ok)
	}
	// Only the last five batches are remembered.
	for s := int32(1); s <= 6; s++ {
		mustAppend(t, l, idem(t, 7, 1, s, 1), 0)
	}
	if _, err := l.Append(idem(t, 7, 1, 1, 1), 0, -1); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("retry older than the 5-batch window: %v", err)
	}
	if _, err := l.Append(idem(t, 7, 1, 2, 1), 0, -1); !errors.Is(err, ErrDuplicateSequence) {
		t.Fatalf("retry inside the window: %v", err)
	}
	// A blob whose second batch fails appends nothing.
	blob := append(idem(t, 9, 0, 0, 1), idem(t, 9, 0, 5, 1)...)
	end := l.LogEndOffset()
	if _, err := l.Append(blob, 0, -1); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("blob with a gap: %v", err)
	}
	if l.LogEndOffset() != end {
		t.Fatal("half a blob was appended")
	}
	if _, _, ok := l.ProducerState(9); ok {
		t.Fatal("producer state of a rejected blob was kept")
	}
}

func TestSequenceWrapsAround(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("wrap", testConfig())
	// Reaching MaxInt32 for real takes 2^31 records; set the remembered
	// last sequence directly instead.
	raw := idem(t, 3, 0, 0, 1)
	mustAppend(t, l, raw, 0)
	l.mu.Lock()
	l.producers[3].Batches[0].FirstSeq = math.MaxInt32 - 1
	l.producers[3].Batches[0].LastSeq = math.MaxInt32
	l.mu.Unlock()
	mustAppend(t, l, idem(t, 3, 0, 0, 2), 0) // MaxInt32 + 1 wraps to 0
}

func TestProducerStateSurvivesRestart(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.SegmentBytes = 2000
	l := e.log("pstate", cfg)
	var seq int32
	var originals []AppendInfo
	for i := 0; i < 12; i++ {
		originals = append(originals, mustAppend(t, l, idem(t, 11, 2, seq, 3), 0))
		seq += 3
	}
	check := func(label string) {
		t.Helper()
		l := e.m.Get("pstate", 0)
		ep, last, ok := l.ProducerState(11)
		if !ok || ep != 2 || last != seq-1 {
			t.Fatalf("%s: producer state %d %d %v, want epoch 2 seq %d", label, ep, last, ok, seq-1)
		}
		// The last batch is still recognised as a duplicate.
		info, err := l.Append(idem(t, 11, 2, seq-3, 3), 0, -1)
		if !errors.Is(err, ErrDuplicateSequence) || info.FirstOffset != originals[len(originals)-1].FirstOffset {
			t.Fatalf("%s: retry of the last batch: %v %+v", label, err, info)
		}
		if _, err := l.Append(idem(t, 11, 2, seq+1, 1), 0, -1); !errors.Is(err, ErrOutOfOrderSequence) {
			t.Fatalf("%s: gap after restart: %v", label, err)
		}
	}
	e.restart()
	check("clean restart")
	e.crashRestart(nil)
	check("crash restart")
	// Without any snapshot the state is replayed from the log.
	l = e.m.Get("pstate", 0)
	e.crashRestart(func() {
		matches, _ := filepath.Glob(filepath.Join(l.Dir(), "*.snapshot"))
		for _, m := range matches {
			os.Remove(m)
		}
	})
	check("replay without snapshots")
}

func TestLeaderEpochCheckpoint(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("epochs", testConfig())
	for _, ep := range []int32{1, 1, 3, 3, 5} {
		mustAppend(t, l, makeBatch(t, batchSpec{n: 2}), ep)
	}
	data, err := os.ReadFile(filepath.Join(l.Dir(), "leader-epoch-checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "0\n3\n1 0\n3 4\n5 8\n" {
		t.Fatalf("checkpoint %q", data)
	}
	check := func() {
		t.Helper()
		l := e.m.Get("epochs", 0)
		if ep, ok := l.LatestEpoch(); !ok || ep != 5 {
			t.Fatalf("latest epoch %d %v", ep, ok)
		}
		cases := []struct {
			req, ep int32
			end     int64
		}{
			{5, 5, 10}, {4, 3, 8}, {3, 3, 8}, {2, 1, 4}, {1, 1, 4}, {0, 0, 0}, {6, -1, -1}, {-1, -1, -1},
		}
		for _, c := range cases {
			if ep, end := l.EndOffsetForEpoch(c.req); ep != c.ep || end != c.end {
				t.Fatalf("epoch %d: (%d, %d), want (%d, %d)", c.req, ep, end, c.ep, c.end)
			}
		}
	}
	check()
	e.restart()
	check()
	l = e.m.Get("epochs", 0)
	if err := l.TruncateTo(6); err != nil {
		t.Fatal(err)
	}
	if ep, end := l.EndOffsetForEpoch(3); ep != 3 || end != 6 {
		t.Fatalf("after truncation epoch 3 ends at %d (%d)", end, ep)
	}
	got := l.Epochs()
	want := []struct {
		Epoch       int32
		StartOffset int64
	}{{1, 0}, {3, 4}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("epochs %v", got)
	}
	if _, err := l.DeleteRecordsBefore(5); err != nil {
		t.Fatal(err)
	}
	e.crashRestart(nil)
	l = e.m.Get("epochs", 0)
	got = l.Epochs()
	want = want[1:]
	want[0].StartOffset = 5
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("epochs after delete records and restart %v", got)
	}
}

func TestProducerIDExpiration(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.ProducerIDExpirationMs = 3600_000
	l := e.log("expire", cfg)
	now := e.clock.now().UnixMilli()
	mustAppend(t, l, makeBatch(t, batchSpec{n: 1, pid: 5, epoch: 0, seq: 0, ts: now}), 0)
	e.m.RunRetention()
	if _, _, ok := l.ProducerState(5); !ok {
		t.Fatal("fresh producer expired")
	}
	e.clock.advance(2 * time.Hour)
	e.m.RunRetention()
	if _, _, ok := l.ProducerState(5); ok {
		t.Fatal("idle producer kept past producer.id.expiration.ms")
	}
	// An expired producer is unknown again: it must restart at sequence 0.
	if _, err := l.Append(makeBatch(t, batchSpec{n: 1, pid: 5, epoch: 0, seq: 1}), 0, -1); !errors.Is(err, ErrOutOfOrderSequence) {
		t.Fatalf("expired producer at seq 1: %v", err)
	}
}
