package storage

import (
	"fmt"
	"testing"
	"time"

	"github.com/gregor-stream/gregor/internal/record"
)

// fillKeyed appends n single-record batches cycling through keys keys and
// rolls, returning the offset after them.
func fillKeyed(t *testing.T, l *Log, n, keys int, tag string) int64 {
	t.Helper()
	for i := 0; i < n; i++ {
		mustAppend(t, l, keyedBatch(t, record.None, 1, kv{key: fmt.Sprint("k", i%keys), value: fmt.Sprint(tag, i)}), 0)
	}
	if err := l.rollLockedForTest(); err != nil {
		t.Fatal(err)
	}
	return l.LogEndOffset()
}

func TestCleanerStopsAtHighWatermarkAndOpenTransaction(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("limits", compactConfig())
	hw := fillKeyed(t, l, 100, 5, "a")
	fillKeyed(t, l, 100, 5, "b")
	l.SetHighWatermark(hw)
	if err := e.m.CleanNow(); err != nil {
		t.Fatal(err)
	}
	recs := readKeyed(t, l)
	var above int
	for _, r := range recs {
		if r.offset >= hw {
			above++
		}
	}
	if above != 100 {
		t.Fatalf("%d records at or above the high watermark %d, want all 100 untouched", above, hw)
	}
	if l.firstDirty() > hw {
		t.Fatalf("first dirty offset %d past the high watermark %d", l.firstDirty(), hw)
	}
	// An open transaction holds the cleaner back at its first offset.
	l.SetHighWatermark(-1)
	p := &txnProducer{t: t, l: l, pid: 8}
	open := p.send(1).FirstOffset
	fillKeyed(t, l, 100, 5, "c")
	if err := e.m.CleanNow(); err != nil {
		t.Fatal(err)
	}
	if fd := l.firstDirty(); fd > open {
		t.Fatalf("cleaned past the open transaction at %d (first dirty %d)", open, fd)
	}
	var after int
	for _, r := range readKeyed(t, l) {
		if r.offset > open {
			after++
		}
	}
	if after != 100 {
		t.Fatalf("%d records after the open transaction, want 100", after)
	}
	p.end(true)
	fillKeyed(t, l, 1, 1, "d")
	if err := e.m.CleanNow(); err != nil {
		t.Fatal(err)
	}
	if n := len(readKeyed(t, l)); n > 12 {
		t.Fatalf("%d records once the transaction ended", n)
	}
}

func TestCleanerIOThrottle(t *testing.T) {
	dir := t.TempDir()
	const rate = 2 << 20
	m, err := OpenManager(Options{Dir: dir, Logger: discardLogger(), RetentionCheckInterval: time.Hour,
		CheckpointInterval: time.Hour, Cleaner: CleanerOptions{Disable: true, IOMaxBytesPerSecond: rate}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cfg := compactConfig()
	cfg.SegmentBytes = 256 << 10
	l, err := m.Open("throttled", 0, [16]byte{1}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; l.Size() < 3<<19; i++ {
		if _, err := l.Append(makeBatch(t, batchSpec{n: 10, valueSize: 1000, tag: fmt.Sprint(i)}), 0, -1); err != nil {
			t.Fatal(err)
		}
	}
	l.rollLockedForTest()
	start := time.Now()
	if err := m.CleanNow(); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	st := m.CleanerStats()
	io := st.BytesRead + st.BytesWritten
	if io < 3<<19 {
		t.Fatalf("the pass did %d bytes of I/O", io)
	}
	// The first second's worth may go at once; the rest waits.
	if minTook := time.Duration(float64(io-rate) / rate * float64(time.Second)); took < minTook {
		t.Fatalf("%d bytes of I/O in %v at %d B/s (at least %v expected)", io, took, rate, minTook)
	}
	t.Logf("%d bytes of cleaner I/O in %v", io, took)
}
