package storage

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gregor-stream/gregor/internal/record"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable time source for retention and roll tests.
type clock struct{ ms atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ms.Store(1_700_000_000_000)
	return c
}
func (c *clock) now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *clock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

type env struct {
	t     *testing.T
	dir   string
	fs    FS
	clock *clock
	m     *Manager
}

func newEnv(t *testing.T, fsys FS) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), fs: fsys, clock: newClock()}
	e.open()
	t.Cleanup(func() {
		if e.m != nil {
			e.m.Close()
		}
	})
	return e
}

func (e *env) open() {
	e.t.Helper()
	m, err := OpenManager(Options{
		Dir: e.dir, FS: e.fs, Now: e.clock.now,
		Logger:                 slog.New(slog.NewTextHandler(io.Discard, nil)),
		RetentionCheckInterval: time.Hour, CheckpointInterval: time.Hour,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.m = m
}

// restart closes cleanly and reopens.
func (e *env) restart() {
	e.t.Helper()
	if err := e.m.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

// crashRestart stops without flushing or checkpointing and reopens.
func (e *env) crashRestart(afterCrash func()) {
	e.t.Helper()
	e.m.crash()
	e.m = nil
	if afterCrash != nil {
		afterCrash()
	}
	e.open()
}

func testConfig() LogConfig {
	c := DefaultLogConfig()
	c.FileDeleteDelayMs = 0
	c.IndexIntervalBytes = 256
	return c
}

func (e *env) log(topic string, cfg LogConfig) *Log {
	e.t.Helper()
	l, err := e.m.Open(topic, 0, [16]byte{1, 2, 3}, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

type batchSpec struct {
	n         int
	valueSize int
	ts        int64 // first timestamp; record i at ts+i
	pid       int64
	epoch     int16
	seq       int32
	codec     record.Codec
	tag       string
}

// makeBatch builds a batch whose record values say which batch and record
// they are, so reads can be checked for content, not just counts.
func makeBatch(t testing.TB, s batchSpec) []byte {
	t.Helper()
	if s.n == 0 {
		s.n = 1
	}
	if s.pid == 0 {
		s.pid, s.epoch, s.seq = -1, -1, -1
	}
	recs := make([]record.Record, s.n)
	for i := range recs {
		v := []byte(fmt.Sprintf("%s/%d|", s.tag, i))
		if len(v) < s.valueSize {
			v = append(v, bytes.Repeat([]byte{'x'}, s.valueSize-len(v))...)
		}
		recs[i] = record.Record{OffsetDelta: int32(i), TimestampDelta: int64(i), Key: []byte(fmt.Sprint(i)), Value: v}
	}
	raw, err := record.Build(record.BuildOptions{
		Codec: s.codec, ProducerID: s.pid, ProducerEpoch: s.epoch, BaseSequence: s.seq,
		FirstTimestamp: s.ts,
	}, recs)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func mustAppend(t testing.TB, l *Log, raw []byte, epoch int32) AppendInfo {
	t.Helper()
	info, err := l.Append(raw, epoch, -1)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return info
}

// waitFlushed blocks until WhenFlushed reports for offset.
func waitFlushed(t testing.TB, l *Log, offset int64) error {
	t.Helper()
	ch := make(chan error, 1)
	l.WhenFlushed(offset, func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("WhenFlushed never called back")
		return nil
	}
}

type readRecord struct {
	offset int64
	value  string
	ts     int64
	epoch  int32
}

// readAll reads the whole log through Read, checking every batch.
func readAll(t testing.TB, l *Log) []readRecord {
	t.Helper()
	var out []readRecord
	off := l.LogStartOffset()
	end := l.LogEndOffset()
	for off < end {
		data, err := l.Read(off, 64<<10, end, true)
		if err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
		if len(data) == 0 {
			t.Fatalf("read at %d of [%d,%d) returned nothing", off, l.LogStartOffset(), end)
		}
		err = record.Split(data, func(b record.Batch) error {
			if err := record.Validate(b, true); err != nil {
				return err
			}
			recs, err := b.Records()
			if err != nil {
				return err
			}
			for _, r := range recs {
				o := b.BaseOffset() + int64(r.OffsetDelta)
				if o >= off {
					out = append(out, readRecord{o, string(r.Value), b.FirstTimestamp() + r.TimestampDelta, b.PartitionLeaderEpoch()})
				}
			}
			off = b.LastOffset() + 1
			return nil
		})
		if err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
	}
	return out
}

// checkContiguous asserts offsets run from start to end-1 with no gap.
func checkContiguous(t testing.TB, recs []readRecord, start, end int64) {
	t.Helper()
	if int64(len(recs)) != end-start {
		t.Fatalf("read %d records, want %d (offsets %d..%d)", len(recs), end-start, start, end-1)
	}
	for i, r := range recs {
		if r.offset != start+int64(i) {
			t.Fatalf("record %d has offset %d, want %d", i, r.offset, start+int64(i))
		}
	}
}
