package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gregor-stream/gregor/internal/record"
)

func TestAppendAssignsOffsetsAndReadsBack(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.SegmentBytes = 8 << 10 // many segments
	l := e.log("orders", cfg)
	var next int64
	for i := 0; i < 60; i++ {
		n := 1 + i%7
		raw := makeBatch(t, batchSpec{n: n, valueSize: 40 + i*5, ts: 1000 + int64(i), tag: fmt.Sprint(i), codec: record.Codec(i % 5)})
		info := mustAppend(t, l, raw, 3)
		if info.FirstOffset != next || info.LastOffset != next+int64(n)-1 || info.LogAppendTime != -1 {
			t.Fatalf("batch %d: info %+v, want first %d", i, info, next)
		}
		next += int64(n)
	}
	if l.LogEndOffset() != next {
		t.Fatalf("log end %d want %d", l.LogEndOffset(), next)
	}
	if l.NumSegments() < 3 {
		t.Fatalf("expected rolling to several segments, got %d", l.NumSegments())
	}
	recs := readAll(t, l)
	checkContiguous(t, recs, 0, next)
	for _, r := range recs {
		if r.epoch != 3 {
			t.Fatalf("offset %d leader epoch %d, want 3", r.offset, r.epoch)
		}
	}
	// Every offset is found through the indexes: the first batch returned
	// contains it.
	for off := int64(0); off < next; off++ {
		data, err := l.Read(off, 1, next, true)
		if err != nil {
			t.Fatal(err)
		}
		b := record.Batch(data)
		if len(data) == 0 || b.Length() != len(data) || b.BaseOffset() > off || b.LastOffset() < off {
			t.Fatalf("read at %d returned batch [%d,%d] of %d bytes", off, b.BaseOffset(), b.LastOffset(), len(data))
		}
	}
	// After a clean restart the sealed segments answer from their files.
	e.restart()
	l = e.m.Get("orders", 0)
	checkContiguous(t, readAll(t, l), 0, next)
}

func TestReadLimits(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("limits", testConfig())
	var sizes []int
	for i := 0; i < 5; i++ {
		raw := makeBatch(t, batchSpec{n: 2, valueSize: 300, tag: fmt.Sprint(i)})
		sizes = append(sizes, len(raw))
		mustAppend(t, l, raw, 0)
	}
	// maxBytes below the first batch: nothing unless minOneBatch.
	if data, err := l.Read(0, 10, 10, false); err != nil || len(data) != 0 {
		t.Fatalf("small maxBytes without minOneBatch: %d bytes, %v", len(data), err)
	}
	if data, err := l.Read(0, 10, 10, true); err != nil || len(data) != sizes[0] {
		t.Fatalf("minOneBatch: %d bytes, %v; want %d", len(data), err, sizes[0])
	}
	// maxBytes cuts at whole batches.
	data, err := l.Read(0, int32(sizes[0]+sizes[1]+10), 10, false)
	if err != nil || len(data) != sizes[0]+sizes[1] {
		t.Fatalf("two batches: %d bytes, %v", len(data), err)
	}
	// The high watermark excludes batches reaching it.
	data, err = l.Read(0, 1<<20, 5, false)
	if err != nil || len(data) != sizes[0]+sizes[1] {
		t.Fatalf("hw 5: %d bytes, %v, want 2 batches", len(data), err)
	}
	if data, err := l.Read(4, 1<<20, 4, true); err != nil || len(data) != 0 {
		t.Fatalf("fetch at hw: %d bytes %v", len(data), err)
	}
	if data, err := l.Read(10, 1<<20, 10, true); err != nil || len(data) != 0 {
		t.Fatalf("fetch at log end: %d bytes %v", len(data), err)
	}
	if _, err := l.Read(11, 1<<20, 11, true); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("past log end: %v", err)
	}
	if _, err := l.Read(-1, 1<<20, 11, true); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("negative: %v", err)
	}
}

func TestLogAppendTime(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("lat", testConfig())
	raw := makeBatch(t, batchSpec{n: 3, ts: 5, codec: record.Gzip})
	info, err := l.Append(raw, 0, 1_800_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if info.LogAppendTime != 1_800_000_000_000 || info.MaxTimestamp != 1_800_000_000_000 {
		t.Fatalf("info %+v", info)
	}
	data, err := l.Read(0, 1<<20, 3, true)
	if err != nil {
		t.Fatal(err)
	}
	b := record.Batch(data)
	if err := record.Validate(b, true); err != nil {
		t.Fatalf("stored batch invalid: %v", err)
	}
	if !b.IsLogAppendTime() || b.MaxTimestamp() != 1_800_000_000_000 {
		t.Fatalf("stored batch attrs %x max ts %d", b.Attributes(), b.MaxTimestamp())
	}
}

func TestSegmentRollBySizeAndTime(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.SegmentBytes = 4096
	cfg.SegmentMs = 60_000
	l := e.log("roll", cfg)
	raw := func() []byte { return makeBatch(t, batchSpec{n: 1, valueSize: 1000}) }
	size := int64(len(raw()))
	perSeg := cfg.SegmentBytes / size
	for i := int64(0); i < perSeg; i++ {
		mustAppend(t, l, raw(), 0)
	}
	if n := l.NumSegments(); n != 1 {
		t.Fatalf("%d segments before the size limit", n)
	}
	mustAppend(t, l, raw(), 0)
	if n := l.NumSegments(); n != 2 {
		t.Fatalf("%d segments after passing segment.bytes, want 2", n)
	}
	if _, err := os.Stat(filepath.Join(l.Dir(), fmt.Sprintf("%020d.log", perSeg))); err != nil {
		t.Fatalf("new segment file named by its base offset: %v", err)
	}
	e.clock.advance(59 * time.Second)
	mustAppend(t, l, raw(), 0)
	if n := l.NumSegments(); n != 2 {
		t.Fatalf("rolled before segment.ms: %d", n)
	}
	e.clock.advance(2 * time.Second)
	mustAppend(t, l, raw(), 0)
	if n := l.NumSegments(); n != 3 {
		t.Fatalf("%d segments after segment.ms, want 3", n)
	}
	checkContiguous(t, readAll(t, l), 0, perSeg+3)
}

func TestGroupCommitWaiters(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("durable", testConfig())
	done := make(chan error, 100)
	for i := 0; i < 100; i++ {
		info := mustAppend(t, l, makeBatch(t, batchSpec{n: 2}), 0)
		l.WhenFlushed(info.LastOffset+1, func(err error) { done <- err })
	}
	for i := 0; i < 100; i++ {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d of 100 waiters completed", i)
		}
	}
	if l.FlushedOffset() != 200 {
		t.Fatalf("flushed %d, want 200", l.FlushedOffset())
	}
	// Already-flushed offsets answer at once.
	if err := waitFlushed(t, l, 150); err != nil {
		t.Fatal(err)
	}
}

func TestFlushNeverAndInterval(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.FlushPolicy = FlushNever
	l := e.log("never", cfg)
	mustAppend(t, l, makeBatch(t, batchSpec{n: 3}), 0)
	called := false
	l.WhenFlushed(3, func(err error) { called = err == nil })
	if !called {
		t.Fatal("FlushNever: WhenFlushed must answer at once")
	}
	if l.FlushedOffset() != 0 {
		t.Fatalf("FlushNever flushed on its own to %d", l.FlushedOffset())
	}
	if err := l.Flush(); err != nil || l.FlushedOffset() != 3 {
		t.Fatalf("explicit flush: %v, flushed %d", err, l.FlushedOffset())
	}

	cfg.FlushPolicy = FlushInterval
	cfg.FlushMessages = 5
	li := e.log("interval", cfg)
	mustAppend(t, li, makeBatch(t, batchSpec{n: 3}), 0)
	mustAppend(t, li, makeBatch(t, batchSpec{n: 3}), 0)
	deadline := time.Now().Add(5 * time.Second)
	for li.FlushedOffset() != 6 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if li.FlushedOffset() != 6 {
		t.Fatalf("flush.messages=5 after 6 messages: flushed %d", li.FlushedOffset())
	}
}

func TestTruncateTo(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.SegmentBytes = 2048
	l := e.log("trunc", cfg)
	for i := 0; i < 20; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{n: 2, valueSize: 200, tag: fmt.Sprint(i)}), int32(i/5))
	}
	if err := l.TruncateTo(25); err != nil { // inside batch [24,25]: it goes whole
		t.Fatal(err)
	}
	if l.LogEndOffset() != 24 {
		t.Fatalf("log end %d after truncating into a batch, want 24", l.LogEndOffset())
	}
	cp, err := os.ReadFile(filepath.Join(e.dir, "recovery-point-offset-checkpoint"))
	if err != nil {
		t.Fatal(err)
	}
	if rps, err := decodeOffsetCheckpoint(cp); err != nil || rps[topicPartition{"trunc", 0}] > 24 {
		t.Fatalf("recovery point checkpoint after truncation: %q %v", cp, err)
	}
	checkContiguous(t, readAll(t, l), 0, 24)
	if ep, ok := l.LatestEpoch(); !ok || ep != 2 {
		t.Fatalf("latest epoch %d after truncation, want 2 (epoch 3 began at 30)", ep)
	}
	info := mustAppend(t, l, makeBatch(t, batchSpec{n: 1, tag: "after"}), 4)
	if info.FirstOffset != 24 {
		t.Fatalf("append after truncation at %d", info.FirstOffset)
	}
	e.restart()
	l = e.m.Get("trunc", 0)
	recs := readAll(t, l)
	checkContiguous(t, recs, 0, 25)
	if recs[24].value != "after/0|" {
		t.Fatalf("offset 24 holds %q", recs[24].value)
	}
	if err := l.TruncateTo(0); err != nil {
		t.Fatal(err)
	}
	if l.LogEndOffset() != 0 || len(readAll(t, l)) != 0 {
		t.Fatalf("truncate to 0 left log end %d", l.LogEndOffset())
	}
}

func TestDeleteRecordsBefore(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.SegmentBytes = 2048
	l := e.log("dr", cfg)
	for i := 0; i < 30; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{n: 2, valueSize: 200}), 0)
	}
	segsBefore := l.NumSegments()
	start, err := l.DeleteRecordsBefore(33)
	if err != nil || start != 33 {
		t.Fatalf("delete records: start %d, %v", start, err)
	}
	if l.NumSegments() >= segsBefore {
		t.Fatalf("no segment deleted: %d -> %d", segsBefore, l.NumSegments())
	}
	if _, err := l.Read(32, 1<<20, 60, true); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("read below log start: %v", err)
	}
	recs := readAll(t, l)
	checkContiguous(t, recs, 33, 60)
	if _, err := l.DeleteRecordsBefore(61); !errors.Is(err, ErrOffsetOutOfRange) {
		t.Fatalf("past log end: %v", err)
	}
	if s, err := l.DeleteRecordsBefore(10); err != nil || s != 33 {
		t.Fatalf("moving back: %d %v", s, err)
	}
	e.crashRestart(nil)
	l = e.m.Get("dr", 0)
	if l.LogStartOffset() != 33 {
		t.Fatalf("log start %d after restart, want 33", l.LogStartOffset())
	}
}

func TestRetentionByTime(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.SegmentBytes = 2048
	cfg.RetentionMs = 3600_000
	l := e.log("rt", cfg)
	now := e.clock.now().UnixMilli()
	// Old data: timestamps two hours ago.
	for i := 0; i < 20; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{n: 1, valueSize: 300, ts: now - 7200_000}), 0)
	}
	// Fresh data in new segments.
	if err := l.rollLockedForTest(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{n: 1, valueSize: 300, ts: now}), 0)
	}
	e.m.RunRetention()
	if l.LogStartOffset() != 20 {
		t.Fatalf("log start %d after time retention, want 20", l.LogStartOffset())
	}
	checkContiguous(t, readAll(t, l), 20, 23)
	// When everything expires, the active segment is rolled and deleted too.
	e.clock.advance(2 * time.Hour)
	e.m.RunRetention()
	if l.LogStartOffset() != 23 || l.LogEndOffset() != 23 || l.Size() != 0 {
		t.Fatalf("all expired: start %d end %d size %d", l.LogStartOffset(), l.LogEndOffset(), l.Size())
	}
	info := mustAppend(t, l, makeBatch(t, batchSpec{n: 1, ts: e.clock.now().UnixMilli()}), 0)
	if info.FirstOffset != 23 {
		t.Fatalf("offsets restarted at %d", info.FirstOffset)
	}
}

func TestRetentionBySize(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.SegmentBytes = 2048
	cfg.RetentionMs = -1
	cfg.RetentionBytes = 5000
	l := e.log("rs", cfg)
	for i := 0; i < 40; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{n: 1, valueSize: 300}), 0)
	}
	before := l.Size()
	e.m.RunRetention()
	after := l.Size()
	if after > 5000+cfg.SegmentBytes || after >= before {
		t.Fatalf("size %d -> %d with retention.bytes 5000", before, after)
	}
	if after < 5000-cfg.SegmentBytes {
		t.Fatalf("deleted too much: %d left", after)
	}
	checkContiguous(t, readAll(t, l), l.LogStartOffset(), 40)
	// Deleted segment files are gone from disk.
	entries, _ := os.ReadDir(l.Dir())
	logs := 0
	for _, en := range entries {
		if filepath.Ext(en.Name()) == ".log" {
			logs++
		}
		if filepath.Ext(en.Name()) == ".deleted" {
			// Deletion is delayed to the background loop; run it.
			e.m.runDeletes(true)
		}
	}
	if logs != l.NumSegments() {
		t.Fatalf("%d .log files for %d segments", logs, l.NumSegments())
	}
}

func TestOffsetForTimestampAndMax(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.SegmentBytes = 4096
	l := e.log("ts", cfg)
	// Batch i has records with timestamps 1000*i + j.
	for i := 0; i < 30; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{n: 4, valueSize: 100, ts: int64(1000 * (i + 1)), codec: record.Codec(i % 5)}), int32(i/10))
	}
	cases := []struct {
		ts      int64
		off     int64
		found   bool
		foundTs int64
	}{
		{0, 0, true, 1000},
		{1000, 0, true, 1000},
		{1002, 2, true, 1002},
		{1004, 4, true, 2000}, // next batch
		{15_003, 14*4 + 3, true, 15_003},
		{30_003, 29*4 + 3, true, 30_003},
		{30_004, -1, false, -1},
	}
	check := func() {
		for _, c := range cases {
			off, ts, _, found, err := l.OffsetForTimestamp(c.ts)
			if err != nil || found != c.found || (found && (off != c.off || ts != c.foundTs)) {
				t.Fatalf("ts %d: offset %d ts %d found %v err %v; want %d %d %v", c.ts, off, ts, found, err, c.off, c.foundTs, c.found)
			}
		}
		off, ts, epoch := l.MaxTimestamp()
		if off != 119 || ts != 30_003 || epoch != 2 {
			t.Fatalf("max timestamp: offset %d ts %d epoch %d", off, ts, epoch)
		}
	}
	check()
	e.restart()
	l = e.m.Get("ts", 0)
	check()
}

func TestManagerDelete(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("gone", testConfig())
	mustAppend(t, l, makeBatch(t, batchSpec{n: 1}), 0)
	dir := l.Dir()
	if err := e.m.Delete("gone", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("dir still there: %v", err)
	}
	if e.m.Get("gone", 0) != nil {
		t.Fatal("log still listed")
	}
	if _, err := l.Append(makeBatch(t, batchSpec{n: 1}), 0, -1); !errors.Is(err, ErrClosed) {
		t.Fatalf("append to deleted log: %v", err)
	}
	if err := waitFlushed(t, l, 100); !errors.Is(err, ErrClosed) {
		t.Fatalf("waiting on a deleted log: %v", err)
	}
	// A fresh log of the same name starts empty.
	l2 := e.log("gone", testConfig())
	if l2.LogEndOffset() != 0 {
		t.Fatalf("recreated log end %d", l2.LogEndOffset())
	}
}

func TestPartitionMetadataAndTopicID(t *testing.T) {
	e := newEnv(t, nil)
	id := [16]byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	l, err := e.m.Open("ids", 2, id, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(l.Dir(), "partition.metadata"))
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "version: 0\ntopic_id: 3q2-7wECAwQFBgcICQoLDA\n" {
		t.Fatalf("partition.metadata %q", data)
	}
	e.restart()
	l = e.m.Get("ids", 2)
	if l == nil || l.TopicID() != id {
		t.Fatalf("topic id after restart: %v", l)
	}
	if _, err := e.m.Open("ids", 2, [16]byte{9}, testConfig()); err == nil {
		t.Fatal("opening with another topic id must fail")
	}
}

// TestLargeIndexLookups covers indexes bigger than the in-memory tail: the
// older entries are found through the file, the newer ones in memory.
func TestLargeIndexLookups(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.IndexIntervalBytes = 1 // an entry per batch
	l := e.log("bigindex", cfg)
	const n = 3 * memTail
	for i := 0; i < n; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{n: 1, ts: int64(10 * i)}), 0)
	}
	if got := l.active().idx.n; got != n {
		t.Fatalf("%d index entries, want %d", got, n)
	}
	if len(l.active().idx.mem) > memTail {
		t.Fatalf("%d entries kept in memory", len(l.active().idx.mem))
	}
	check := func() {
		t.Helper()
		for off := int64(0); off < n; off += 7 {
			data, err := l.Read(off, 1, n, true)
			if err != nil || record.Batch(data).BaseOffset() != off {
				t.Fatalf("read %d: %v, got batch at %d", off, err, record.Batch(data).BaseOffset())
			}
			got, ts, _, found, err := l.OffsetForTimestamp(10*off - 5)
			if err != nil || !found || got != off || ts != 10*off {
				t.Fatalf("offset for time %d: %d %d %v %v", 10*off-5, got, ts, found, err)
			}
		}
	}
	check()
	e.restart()
	l = e.m.Get("bigindex", 0)
	check()
}

func TestCloseCompletesCoveredWaiters(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("closing", testConfig())
	e.m.stopLoops() // no flusher: only Close's own flush can complete the waiter
	mustAppend(t, l, makeBatch(t, batchSpec{n: 2}), 0)
	got := make(chan error, 2)
	l.WhenFlushed(2, func(err error) { got <- err })
	l.WhenFlushed(5, func(err error) { got <- err }) // beyond the log end
	if err := e.m.Close(); err != nil {
		t.Fatal(err)
	}
	e.m = nil
	if err := <-got; err != nil {
		t.Fatalf("covered waiter: %v", err)
	}
	if err := <-got; !errors.Is(err, ErrClosed) {
		t.Fatalf("waiter beyond the log end: %v", err)
	}
}

func TestForeignDirectoriesAreLeftAlone(t *testing.T) {
	e := newEnv(t, nil)
	mustAppend(t, e.log("real", testConfig()), makeBatch(t, batchSpec{n: 1}), 0)
	foreign := filepath.Join(e.dir, "raft-1")
	if err := os.MkdirAll(foreign, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(foreign, "state"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.restart()
	if e.m.Get("raft", 1) != nil || e.m.Get("real", 0) == nil {
		t.Fatalf("loaded logs: %v", e.m.Logs())
	}
	entries, _ := os.ReadDir(foreign)
	if len(entries) != 1 {
		t.Fatalf("foreign dir changed: %d entries", len(entries))
	}
}
