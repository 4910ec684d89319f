package storage

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gregor-stream/gregor/internal/record"
)

// keyedTxnBatch is a transactional batch of keyed records.
func keyedTxnBatch(t testing.TB, pid int64, epoch int16, seq int32, codec record.Codec, ts int64, kvs ...kv) []byte {
	t.Helper()
	recs := make([]record.Record, len(kvs))
	for i, x := range kvs {
		recs[i] = record.Record{OffsetDelta: int32(i), Key: []byte(x.key), Value: []byte(x.value),
			Headers: []record.Header{{Key: "h", Value: []byte("hv-" + x.key)}}}
	}
	raw, err := record.Build(record.BuildOptions{Codec: codec, ProducerID: pid, ProducerEpoch: epoch, BaseSequence: seq,
		Transactional: pid >= 0, FirstTimestamp: ts}, recs)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestCleanerDropsAbortedDataAndOldMarkers(t *testing.T) {
	e := newEnv(t, nil)
	cfg := compactConfig()
	l := e.log("txnclean", cfg)
	now := e.clock.ms.Load()
	// Producer 1 commits a=1, aborts a=2 b=2, commits b=3; producer 2's
	// aborted write of c lands between.
	seq1 := int32(0)
	send := func(pid int64, seq *int32, kvs ...kv) {
		mustAppend(t, l, keyedTxnBatch(t, pid, 0, *seq, record.Zstd, now, kvs...), 0)
		*seq += int32(len(kvs))
	}
	end := func(pid int64, commit bool) int64 {
		info, err := l.AppendControl(pid, 0, commit, 0, 0, now)
		if err != nil {
			t.Fatal(err)
		}
		return info.FirstOffset
	}
	seq2 := int32(0)
	send(1, &seq1, kv{key: "a", value: "1"})
	end(1, true)
	send(1, &seq1, kv{key: "a", value: "2"}, kv{key: "b", value: "2"})
	send(2, &seq2, kv{key: "c", value: "aborted"})
	end(2, false)
	end(1, false)
	send(1, &seq1, kv{key: "b", value: "3"})
	end(1, true)
	// Producer 1 keeps going outside transactions at its next sequence;
	// its last batch is a plain idempotent one.
	mustAppend(t, l, keyedTxnBatch(t, -1, -1, -1, record.None, now, kv{key: "a", value: "4"}), 0)
	if err := l.rollLockedForTest(); err != nil {
		t.Fatal(err)
	}
	if err := e.m.CleanNow(); err != nil {
		t.Fatal(err)
	}
	recs := readKeyed(t, l)
	got := map[string]string{}
	for _, r := range recs {
		if r.key == "c" {
			t.Fatalf("aborted record of c survived at %d", r.offset)
		}
		if prev, dup := got[r.key]; dup {
			t.Fatalf("key %s twice (%s, %s)", r.key, prev, r.value)
		}
		got[r.key] = r.value
	}
	if got["a"] != "4" || got["b"] != "3" || len(got) != 2 {
		t.Fatalf("after cleaning: %v", got)
	}
	// Markers are still there: delete.retention.ms has not passed.
	if n := len(markersIn(t, l)); n != 4 {
		t.Fatalf("%d markers after the first pass, want all 4", n)
	}
	// Later, with no data of theirs left, the markers go; the ones after
	// a live producer's last data batch stay (producer 1's last commit
	// follows its b=3 batch, which is its last data batch).
	e.clock.advance(2 * time.Minute)
	mustAppend(t, l, keyedTxnBatch(t, -1, -1, -1, record.None, e.clock.ms.Load(), kv{key: "z", value: "dirty"}), 0)
	if err := l.rollLockedForTest(); err != nil {
		t.Fatal(err)
	}
	if err := e.m.CleanNow(); err != nil {
		t.Fatal(err)
	}
	markers := markersIn(t, l)
	for off, ci := range markers {
		t.Logf("marker left at %d: %v", off, ci.Type)
	}
	if len(markers) == 0 || len(markers) >= 4 {
		t.Fatalf("%d markers after the horizon, want some removed and the live producers' last kept", len(markers))
	}
	// Only the kept ABORT marker keeps its .txnindex entry.
	var keptAborts []int64
	for off, ci := range markers {
		if ci.Type == record.ControlAbort {
			keptAborts = append(keptAborts, off)
		}
	}
	if a := l.AbortedTransactions(0, l.LogEndOffset()); len(a) != len(keptAborts) || (len(a) == 1 && a[0].LastOffset != keptAborts[0]) {
		t.Fatalf("aborted transactions %+v, kept ABORT markers at %v", a, keptAborts)
	}
	// Both producers keep their state: their next batches are accepted.
	mustAppend(t, l, keyedTxnBatch(t, 1, 0, seq1, record.None, now, kv{key: "a", value: "5"}), 0)
	mustAppend(t, l, keyedTxnBatch(t, 2, 0, seq2, record.None, now, kv{key: "c", value: "ok"}), 0)
}

// TestCleanerKeepsProducerState: an idempotent producer whose records are
// all superseded keeps its last batch (empty), so a replica built from the
// cleaned log, or this log rebuilt without snapshots, still accepts its next
// sequence and recognises its retries.
func TestCleanerKeepsProducerState(t *testing.T) {
	e := newEnv(t, nil)
	cfg := compactConfig()
	l := e.log("pstate", cfg)
	now := e.clock.ms.Load()
	for s := int32(0); s < 10; s++ {
		raw := makeBatch(t, batchSpec{n: 1, pid: 42, epoch: 3, seq: s, ts: now, tag: "p"})
		// makeBatch keys records by index, so every batch writes key "0".
		mustAppend(t, l, raw, 0)
	}
	// Someone else overwrites key "0" afterwards: all of 42's records are
	// superseded.
	mustAppend(t, l, makeBatch(t, batchSpec{n: 1, ts: now, tag: "other"}), 0)
	if err := l.rollLockedForTest(); err != nil {
		t.Fatal(err)
	}
	if err := e.m.CleanNow(); err != nil {
		t.Fatal(err)
	}
	var empty, batches int
	for off := l.LogStartOffset(); off < l.LogEndOffset(); {
		data, err := l.Read(off, 1<<20, l.LogEndOffset(), true)
		if err != nil {
			t.Fatal(err)
		}
		_ = record.Split(data, func(b record.Batch) error {
			batches++
			if b.NumRecords() == 0 {
				empty++
				if b.ProducerID() != 42 || b.BaseSequence() != 9 || b.Codec() != record.None {
					t.Fatalf("empty batch pid %d seq %d codec %v", b.ProducerID(), b.BaseSequence(), b.Codec())
				}
				if b.ComputeCRC() != b.CRC() {
					t.Fatal("empty batch has a bad crc")
				}
			}
			off = b.LastOffset() + 1
			return nil
		})
	}
	if empty != 1 || batches != 2 {
		t.Fatalf("%d batches, %d empty; want the other's record and producer 42's last batch, empty", batches, empty)
	}
	// A replica copying the cleaned log knows the producer.
	follower := e.log("pstate-follower", cfg)
	data, err := l.Read(0, 1<<20, l.LogEndOffset(), true)
	if err != nil {
		t.Fatal(err)
	}
	if err := follower.AppendAsFollower(data); err != nil {
		t.Fatal(err)
	}
	if ep, seq, ok := follower.ProducerState(42); !ok || ep != 3 || seq != 9 {
		t.Fatalf("follower producer state %d %d %v", ep, seq, ok)
	}
	// So does this log rebuilt from the data alone.
	e.crashRestart(func() {
		matches, _ := filepath.Glob(filepath.Join(l.Dir(), "*"+extSnapshot))
		for _, m := range matches {
			os.Remove(m)
		}
	})
	l = e.m.Get("pstate", 0)
	if _, err := l.Append(makeBatch(t, batchSpec{n: 1, pid: 42, epoch: 3, seq: 9, ts: now}), 0, -1); !errors.Is(err, ErrDuplicateSequence) {
		t.Fatalf("retry of the last batch after cleaning and replay: %v", err)
	}
	mustAppend(t, l, makeBatch(t, batchSpec{n: 1, pid: 42, epoch: 3, seq: 10, ts: now}), 0)
}

func TestCleanerRespectsLagsRatioAndPolicy(t *testing.T) {
	e := newEnv(t, nil)
	cfg := compactConfig()
	cfg.MinCompactionLagMs = int64(time.Hour / time.Millisecond)
	l := e.log("lag", cfg)
	now := e.clock.ms.Load()
	for i := 0; i < 50; i++ {
		mustAppend(t, l, keyedBatch(t, record.None, now, kv{key: "k", value: fmt.Sprint(i)}), 0)
	}
	if err := l.rollLockedForTest(); err != nil {
		t.Fatal(err)
	}
	if err := e.m.CleanNow(); err != nil {
		t.Fatal(err)
	}
	if n := len(readKeyed(t, l)); n != 50 {
		t.Fatalf("min.compaction.lag.ms not honoured: %d records left", n)
	}
	e.clock.advance(2 * time.Hour)
	if err := e.m.CleanNow(); err != nil {
		t.Fatal(err)
	}
	if n := len(readKeyed(t, l)); n != 1 {
		t.Fatalf("after the lag: %d records, want 1", n)
	}
	// A high min.cleanable.dirty.ratio holds cleaning back, until
	// max.compaction.lag.ms forces it.
	cfg.MinCompactionLagMs = 0
	cfg.MinCleanableDirtyRatio = 0.99
	l.SetConfig(cfg)
	for i := 0; i < 20; i++ {
		mustAppend(t, l, keyedBatch(t, record.None, e.clock.ms.Load(), kv{key: "k", value: fmt.Sprint(i)}), 0)
	}
	for i := 0; i < 20; i++ {
		mustAppend(t, l, keyedBatch(t, record.None, e.clock.ms.Load(), kv{key: fmt.Sprint("u", i), value: "x"}), 0)
	}
	if err := l.rollLockedForTest(); err != nil {
		t.Fatal(err)
	}
	ratio := e.m.CleanerStats().Partitions[0].DirtyRatio
	if ratio <= 0 || ratio >= 0.99 {
		t.Fatalf("dirty ratio %v", ratio)
	}
	if err := e.m.CleanNow(); err != nil {
		t.Fatal(err)
	}
	if n := len(readKeyed(t, l)); n != 41 {
		t.Fatalf("cleaned below min.cleanable.dirty.ratio: %d records", n)
	}
	cfg.MaxCompactionLagMs = 60_000
	l.SetConfig(cfg)
	e.clock.advance(2 * time.Minute)
	if err := e.m.CleanNow(); err != nil {
		t.Fatal(err)
	}
	if n := len(readKeyed(t, l)); n != 21 {
		t.Fatalf("max.compaction.lag.ms did not force a pass: %d records", n)
	}
	// cleanup.policy=delete: no cleaning at all; compact: no retention.
	cfg.Compact, cfg.Delete = false, true
	l.SetConfig(cfg)
	for i := 0; i < 5; i++ {
		mustAppend(t, l, keyedBatch(t, record.None, e.clock.ms.Load(), kv{key: "k", value: "d"}), 0)
	}
	l.rollLockedForTest()
	e.clock.advance(3 * time.Hour)
	if err := e.m.CleanNow(); err != nil {
		t.Fatal(err)
	}
	if n := len(readKeyed(t, l)); n != 26 {
		t.Fatalf("policy delete was cleaned: %d records", n)
	}
	cfg.Compact, cfg.Delete = true, false
	cfg.RetentionMs = 1
	l.SetConfig(cfg)
	e.m.RunRetention()
	if l.LogStartOffset() != 0 {
		t.Fatalf("retention ran on a compact-only log: start %d", l.LogStartOffset())
	}
}

func TestCleanerBoundedMap(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	m, err := OpenManager(Options{Dir: dir, Now: clk.now, Logger: discardLogger(),
		RetentionCheckInterval: time.Hour, CheckpointInterval: time.Hour,
		Cleaner: CleanerOptions{Disable: true, DedupeBufferSize: 24 * 100}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cfg := compactConfig()
	l, err := m.Open("small-map", 0, [16]byte{9}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// 400 distinct keys, each written twice: a 100-slot map needs several
	// passes, each covering what fits.
	for round := 0; round < 2; round++ {
		for k := 0; k < 400; k += 4 {
			var kvs []kv
			for j := 0; j < 4; j++ {
				kvs = append(kvs, kv{key: fmt.Sprint("k", k+j), value: fmt.Sprint(round)})
			}
			if _, err := l.Append(keyedBatch(t, record.Snappy, clk.ms.Load(), kvs...), 0, -1); err != nil {
				t.Fatal(err)
			}
		}
	}
	l.rollLockedForTest()
	passes := 0
	for l.firstDirty() < l.active().base && passes < 50 {
		if err := m.CleanNow(); err != nil {
			t.Fatal(err)
		}
		passes++
	}
	if passes < 4 {
		t.Fatalf("%d passes with a 100-key map over 400 keys", passes)
	}
	recs := readKeyed(t, l)
	if len(recs) != 400 {
		t.Fatalf("%d records, want 400", len(recs))
	}
	for _, r := range recs {
		if r.value != "1" {
			t.Fatalf("key %s kept %q", r.key, r.value)
		}
	}
	if m.CleanerStats().Enabled {
		t.Fatal("stats say enabled")
	}
	entries, _ := os.ReadDir(l.Dir())
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), extCleaned) {
			t.Fatalf("leftover %s", e.Name())
		}
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
