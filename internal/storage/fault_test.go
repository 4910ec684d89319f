package storage

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/gregor-stream/gregor/internal/record"
)

func segmentPath(l *Log, base int64) string {
	return filepath.Join(l.Dir(), fmt.Sprintf("%020d.log", base))
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func TestDiskFullDuringAppend(t *testing.T) {
	ffs := NewFaultFS(nil)
	e := newEnv(t, ffs)
	l := e.log("full", testConfig())
	for i := 0; i < 5; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{n: 3, valueSize: 100, tag: fmt.Sprint(i)}), 0)
	}
	sizeBefore := fileSize(t, segmentPath(l, 0))

	// The disk fills up 50 bytes into the next write: a torn write.
	ffs.FailWrites(syscall.ENOSPC, 50)
	blob := append(makeBatch(t, batchSpec{n: 2, tag: "lost-a"}), makeBatch(t, batchSpec{n: 2, tag: "lost-b"})...)
	_, err := l.Append(blob, 0, -1)
	if !errors.Is(err, ErrStorage) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("append on full disk: %v", err)
	}
	if l.LogEndOffset() != 15 {
		t.Fatalf("log end moved to %d", l.LogEndOffset())
	}
	if got := fileSize(t, segmentPath(l, 0)); got != sizeBefore {
		t.Fatalf("partial write left in the file: %d bytes, was %d", got, sizeBefore)
	}
	checkContiguous(t, readAll(t, l), 0, 15)

	ffs.FailWrites(nil, 0)
	info := mustAppend(t, l, makeBatch(t, batchSpec{n: 2, tag: "ok"}), 0)
	if info.FirstOffset != 15 {
		t.Fatalf("append after the disk freed up at %d, want 15", info.FirstOffset)
	}
	if err := waitFlushed(t, l, 17); err != nil {
		t.Fatal(err)
	}
	e.crashRestart(nil)
	l = e.m.Get("full", 0)
	recs := readAll(t, l)
	checkContiguous(t, recs, 0, 17)
	if recs[15].value != "ok/0|" {
		t.Fatalf("offset 15 holds %q", recs[15].value)
	}
}

func TestDiskFullWhileIndexing(t *testing.T) {
	ffs := NewFaultFS(nil)
	e := newEnv(t, ffs)
	cfg := testConfig()
	cfg.IndexIntervalBytes = 1
	l := e.log("idxfull", cfg)
	mustAppend(t, l, makeBatch(t, batchSpec{n: 1}), 0)
	raw := makeBatch(t, batchSpec{n: 1})
	// The log write fits, the index entry after it does not.
	ffs.FailWrites(syscall.ENOSPC, int64(len(raw)))
	if _, err := l.Append(raw, 0, -1); !errors.Is(err, ErrStorage) {
		t.Fatalf("append with failing index write: %v", err)
	}
	ffs.FailWrites(nil, 0)
	if l.LogEndOffset() != 1 {
		t.Fatalf("log end %d", l.LogEndOffset())
	}
	mustAppend(t, l, makeBatch(t, batchSpec{n: 1, tag: "second"}), 0)
	e.restart()
	l = e.m.Get("idxfull", 0)
	recs := readAll(t, l)
	checkContiguous(t, recs, 0, 2)
	if recs[1].value != "second/0|" {
		t.Fatalf("offset 1 holds %q", recs[1].value)
	}
}

func TestSyncFailure(t *testing.T) {
	ffs := NewFaultFS(nil)
	e := newEnv(t, ffs)
	l := e.log("sync", testConfig())
	acked := mustAppend(t, l, makeBatch(t, batchSpec{n: 4, tag: "acked"}), 0)
	if err := waitFlushed(t, l, acked.LastOffset+1); err != nil {
		t.Fatal(err)
	}

	ffs.FailSync(syscall.EIO)
	failed := mustAppend(t, l, makeBatch(t, batchSpec{n: 4, tag: "unacked"}), 0)
	err := waitFlushed(t, l, failed.LastOffset+1)
	if !errors.Is(err, ErrStorage) || !errors.Is(err, syscall.EIO) {
		t.Fatalf("waiter after failed fsync: %v", err)
	}
	if l.FlushedOffset() != 4 {
		t.Fatalf("flushed offset %d after failed fsync, want 4", l.FlushedOffset())
	}

	ffs.FailSync(nil)
	again := mustAppend(t, l, makeBatch(t, batchSpec{n: 2, tag: "retry"}), 0)
	if err := waitFlushed(t, l, again.LastOffset+1); err != nil {
		t.Fatalf("flush after the fault cleared: %v", err)
	}
	// Power loss now: everything acknowledged must be there.
	e.crashRestart(func() {
		if err := ffs.Crash(); err != nil {
			t.Fatal(err)
		}
	})
	l = e.m.Get("sync", 0)
	recs := readAll(t, l)
	checkContiguous(t, recs, 0, l.LogEndOffset())
	if l.LogEndOffset() < again.LastOffset+1 {
		t.Fatalf("acknowledged offset %d lost: log end %d", again.LastOffset, l.LogEndOffset())
	}
	seen := map[string]bool{}
	for _, r := range recs {
		seen[r.value] = true
	}
	for _, v := range []string{"acked/0|", "acked/3|", "retry/0|", "retry/1|"} {
		if !seen[v] {
			t.Fatalf("acknowledged record %q lost; have %v", v, recs)
		}
	}
}

func TestPowerLossKeepsAcknowledged(t *testing.T) {
	ffs := NewFaultFS(nil)
	e := newEnv(t, ffs)
	cfg := testConfig()
	cfg.SegmentBytes = 4096
	l := e.log("power", cfg)
	var ackedEnd int64
	for i := 0; i < 40; i++ {
		info := mustAppend(t, l, makeBatch(t, batchSpec{n: 2, valueSize: 150, tag: fmt.Sprint(i)}), 0)
		if i < 30 {
			if err := waitFlushed(t, l, info.LastOffset+1); err != nil {
				t.Fatal(err)
			}
			ackedEnd = info.LastOffset + 1
		}
	}
	e.crashRestart(func() {
		if err := ffs.Crash(); err != nil {
			t.Fatal(err)
		}
	})
	l = e.m.Get("power", 0)
	if l.LogEndOffset() < ackedEnd {
		t.Fatalf("log end %d below acknowledged %d", l.LogEndOffset(), ackedEnd)
	}
	checkContiguous(t, readAll(t, l), 0, l.LogEndOffset())
	// And the log keeps working.
	info := mustAppend(t, l, makeBatch(t, batchSpec{n: 1}), 0)
	if info.FirstOffset != l.LogEndOffset()-1 {
		t.Fatalf("append after recovery at %d", info.FirstOffset)
	}
}

func TestRecoveryTruncatesTornTail(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("torn", testConfig())
	for i := 0; i < 10; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{n: 2, valueSize: 100}), 0)
	}
	path := segmentPath(l, 0)
	good := fileSize(t, path)
	half := makeBatch(t, batchSpec{n: 5, valueSize: 100})
	e.crashRestart(func() {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Half a batch, as a crash mid-write leaves it.
		if _, err := f.Write(half[:len(half)/2]); err != nil {
			t.Fatal(err)
		}
		f.Close()
	})
	l = e.m.Get("torn", 0)
	if got := fileSize(t, path); got != good {
		t.Fatalf("segment is %d bytes after recovery, want %d", got, good)
	}
	if l.LogEndOffset() != 20 || e.m.RecoveredBytes() == 0 {
		t.Fatalf("log end %d, recovered %d bytes", l.LogEndOffset(), e.m.RecoveredBytes())
	}
	checkContiguous(t, readAll(t, l), 0, 20)
	if info := mustAppend(t, l, makeBatch(t, batchSpec{n: 1}), 0); info.FirstOffset != 20 {
		t.Fatalf("next append at %d", info.FirstOffset)
	}
}

func TestRecoveryTruncatesAtBadCRC(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.SegmentBytes = 3000
	l := e.log("crc", cfg)
	var sizes []int
	for i := 0; i < 20; i++ {
		raw := makeBatch(t, batchSpec{n: 1, valueSize: 400})
		sizes = append(sizes, len(raw))
		mustAppend(t, l, raw, 0)
	}
	nsegs := l.NumSegments()
	if nsegs < 3 {
		t.Fatalf("want several segments, have %d", nsegs)
	}
	last := l.active().base
	path := segmentPath(l, last)
	// Corrupt a value byte of the second batch of the last segment.
	off := int64(sizes[0]) + int64(sizes[0])/2
	e.crashRestart(func() {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 1)
		f.ReadAt(b, off)
		b[0] ^= 0xff
		f.WriteAt(b, off)
		f.Close()
	})
	l = e.m.Get("crc", 0)
	if l.LogEndOffset() != last+1 {
		t.Fatalf("log end %d, want %d (cut at the corrupt batch)", l.LogEndOffset(), last+1)
	}
	if got := fileSize(t, path); got != int64(sizes[0]) {
		t.Fatalf("segment %d bytes after recovery, want %d", got, sizes[0])
	}
	checkContiguous(t, readAll(t, l), 0, last+1)
}

func TestCleanRestartScansNothing(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.SegmentBytes = 3000
	l := e.log("clean", cfg)
	for i := 0; i < 20; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{n: 1, valueSize: 400}), 0)
	}
	path := segmentPath(l, l.active().base)
	e.m.Close()
	// Corrupt the last segment behind the broker's back: a clean start
	// must not even notice, because it reads no batch data.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{0xff, 0xff}, 200)
	f.Close()
	size := fileSize(t, path)
	e.open()
	l = e.m.Get("clean", 0)
	if e.m.RecoveredBytes() != 0 {
		t.Fatalf("clean start scanned %d bytes", e.m.RecoveredBytes())
	}
	if l.LogEndOffset() != 20 || fileSize(t, path) != size {
		t.Fatalf("clean start changed the log: end %d", l.LogEndOffset())
	}
	// The marker is consumed: a crash now means a recovery next time.
	e.crashRestart(nil)
	if e.m.RecoveredBytes() == 0 {
		t.Fatal("start after a crash did not recover")
	}
}

func TestRecoveryOnlyScansUnflushed(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.SegmentBytes = 4000
	l := e.log("rp", cfg)
	for i := 0; i < 40; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{n: 1, valueSize: 400}), 0)
	}
	if err := waitFlushed(t, l, 40); err != nil {
		t.Fatal(err)
	}
	if err := e.m.writeCheckpoints(); err != nil {
		t.Fatal(err)
	}
	total := l.Size()
	activeSize := l.active().size
	e.crashRestart(nil)
	got := e.m.RecoveredBytes()
	if got == 0 || got > activeSize || got >= total {
		t.Fatalf("recovered %d bytes; active segment %d, log %d", got, activeSize, total)
	}
	checkContiguous(t, readAll(t, e.m.Get("rp", 0)), 0, 40)
}

func TestFollowerAppendKeepsOffsetsAndEpochs(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("follower", testConfig())
	var blob []byte
	for i, base := range []int64{0, 3, 10} {
		raw := makeBatch(t, batchSpec{n: 3})
		b := record.Batch(raw)
		b.SetBaseOffset(base)
		b.SetPartitionLeaderEpoch(int32(i * 2))
		blob = append(blob, raw...)
	}
	if err := l.AppendAsFollower(blob); err != nil {
		t.Fatal(err)
	}
	if l.LogEndOffset() != 13 {
		t.Fatalf("log end %d", l.LogEndOffset())
	}
	if ep, end := l.EndOffsetForEpoch(2); ep != 2 || end != 10 {
		t.Fatalf("epoch 2 ends at %d (%d)", end, ep)
	}
	stale := makeBatch(t, batchSpec{n: 1})
	record.Batch(stale).SetBaseOffset(5)
	if err := l.AppendAsFollower(stale); !errors.Is(err, ErrInvalidOffset) {
		t.Fatalf("backwards follower append: %v", err)
	}
}

// TestRecoveryAcrossReadChunks recovers a segment larger than recovery's
// read chunk, with batches straddling chunk boundaries and one batch
// larger than a chunk.
func TestRecoveryAcrossReadChunks(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("chunks", testConfig())
	sizes := []int{300 << 10, 500 << 10, 3 << 19, 70 << 10, 400 << 10, 1000}
	for i, s := range sizes {
		mustAppend(t, l, makeBatch(t, batchSpec{n: 1, valueSize: s, tag: fmt.Sprint(i)}), 0)
	}
	if l.Size() <= 2*recoverChunk {
		t.Fatalf("log of %d bytes does not span chunks", l.Size())
	}
	path := segmentPath(l, 0)
	good := fileSize(t, path)
	e.crashRestart(func() {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.Write(makeBatch(t, batchSpec{n: 1, valueSize: 2 << 20})[:recoverChunk+100])
		f.Close()
	})
	l = e.m.Get("chunks", 0)
	if fileSize(t, path) != good || l.LogEndOffset() != int64(len(sizes)) {
		t.Fatalf("after recovery: %d bytes (want %d), log end %d", fileSize(t, path), good, l.LogEndOffset())
	}
	recs := readAll(t, l)
	checkContiguous(t, recs, 0, int64(len(sizes)))
	for i, r := range recs {
		if len(r.value) != sizes[i] {
			t.Fatalf("record %d is %d bytes, want %d", i, len(r.value), sizes[i])
		}
	}
}

// TestFailedTruncationTakesLogOffline: when the disk fails both the fsync
// and the truncation that should discard the unflushed tail, the log stops
// serving (ErrStorage) rather than serve state that disagrees with its
// files; a restart recovers it with everything acknowledged.
func TestFailedTruncationTakesLogOffline(t *testing.T) {
	ffs := NewFaultFS(nil)
	e := newEnv(t, ffs)
	l := e.log("offline", testConfig())
	acked := mustAppend(t, l, makeBatch(t, batchSpec{n: 3, tag: "acked"}), 0)
	if err := waitFlushed(t, l, acked.LastOffset+1); err != nil {
		t.Fatal(err)
	}
	ffs.FailSync(syscall.EIO)
	ffs.FailTruncate(syscall.EIO)
	info := mustAppend(t, l, makeBatch(t, batchSpec{n: 3}), 0)
	if err := waitFlushed(t, l, info.LastOffset+1); !errors.Is(err, ErrStorage) {
		t.Fatalf("waiter: %v", err)
	}
	if _, err := l.Append(makeBatch(t, batchSpec{n: 1}), 0, -1); !errors.Is(err, ErrStorage) {
		t.Fatalf("append to an offline log: %v", err)
	}
	if _, err := l.Read(0, 1<<20, 10, true); !errors.Is(err, ErrStorage) {
		t.Fatalf("read from an offline log: %v", err)
	}
	ffs.FailSync(nil)
	ffs.FailTruncate(nil)
	e.crashRestart(func() {
		if err := ffs.Crash(); err != nil {
			t.Fatal(err)
		}
	})
	l = e.m.Get("offline", 0)
	recs := readAll(t, l)
	if len(recs) < 3 || recs[2].value != "acked/2|" {
		t.Fatalf("acknowledged records lost: %v", recs)
	}
	mustAppend(t, l, makeBatch(t, batchSpec{n: 1}), 0)
}

func TestRecoveryPointStopsAtUnsyncedSealedSegment(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.SegmentBytes = 2048
	l := e.log("rpseal", cfg)
	e.m.stopLoops() // keep the flusher from syncing the sealed segment
	for l.NumSegments() < 2 {
		mustAppend(t, l, makeBatch(t, batchSpec{n: 1, valueSize: 300}), 0)
	}
	sealed := l.segs[0]
	// As if a flush captured the new log end and the roll landed between
	// its capture and its fsync.
	l.flushed.Store(l.LogEndOffset())
	if rp := l.recoveryPoint(); rp != sealed.base {
		t.Fatalf("recovery point %d with segment %d unsynced, want %d", rp, sealed.base, sealed.base)
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if rp := l.recoveryPoint(); rp != l.LogEndOffset() {
		t.Fatalf("recovery point %d after flush, want %d", rp, l.LogEndOffset())
	}
}

// A damaged file found while serving is a storage error, never reported
// as a corrupt message from the client.
func TestDamagedSegmentIsStorageError(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.IndexIntervalBytes = 1 << 20 // only the first batch is indexed: reads walk headers
	raw := makeBatch(t, batchSpec{n: 1, valueSize: 100})
	cfg.SegmentBytes = int64(5 * len(raw)) // batches 0-4 in a sealed segment
	l := e.log("damaged", cfg)
	for i := 0; i < 7; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{n: 1, valueSize: 100}), 0)
	}
	if l.NumSegments() != 2 {
		t.Fatalf("%d segments", l.NumSegments())
	}
	path := segmentPath(l, 0)
	e.m.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Second batch's length field: claims far more than the file holds.
	f.WriteAt([]byte{0x7f, 0xff, 0xff, 0xff}, int64(len(raw))+8)
	f.Close()
	e.open()
	l = e.m.Get("damaged", 0)
	if l.LogEndOffset() != 7 {
		t.Fatalf("clean start changed the log end to %d", l.LogEndOffset())
	}
	_, err = l.Read(3, 1<<20, 7, true)
	if !errors.Is(err, ErrStorage) || errors.Is(err, record.ErrCorrupt) {
		t.Fatalf("read across a damaged header: %v", err)
	}
}

// TestCleanStartReadsLittle: start-up after a clean shutdown reads a few
// headers and index entries, not the log, however big the log is.
func TestCleanStartReadsLittle(t *testing.T) {
	ffs := NewFaultFS(nil)
	e := newEnv(t, ffs)
	cfg := testConfig()
	cfg.SegmentBytes = 32 << 10
	l := e.log("big", cfg)
	plain := e.log("plain", cfg) // no producer ids at all
	for i := 0; i < 400; i++ {
		mustAppend(t, l, makeBatch(t, batchSpec{n: 4, valueSize: 250, pid: 21, epoch: 0, seq: int32(4 * i)}), 0)
		mustAppend(t, plain, makeBatch(t, batchSpec{n: 4, valueSize: 250}), 0)
	}
	size := l.Size() + plain.Size()
	if err := e.m.Close(); err != nil {
		t.Fatal(err)
	}
	before := ffs.ReadBytes()
	e.open()
	read := ffs.ReadBytes() - before
	if read > size/100 {
		t.Fatalf("clean start read %d bytes of a %d-byte log", read, size)
	}
	l = e.m.Get("big", 0)
	if ep, seq, ok := l.ProducerState(21); !ok || ep != 0 || seq != 1599 {
		t.Fatalf("producer state after clean start: %d %d %v", ep, seq, ok)
	}
	t.Logf("clean start read %d bytes of a %d-byte log in %d segments", read, size, l.NumSegments())
}
