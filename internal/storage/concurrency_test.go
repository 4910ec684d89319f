package storage

import (
	"fmt"
	"sync"
	"testing"

	"github.com/gregor-stream/gregor/internal/record"
)

// TestConcurrentAppendReadRetention runs appenders waiting for fsync,
// readers following the log end, and retention deleting old segments all
// at once; run with -race. Readers must only ever see whole, valid batches
// with increasing offsets.
func TestConcurrentAppendReadRetention(t *testing.T) {
	e := newEnv(t, nil)
	cfg := testConfig()
	cfg.SegmentBytes = 16 << 10
	cfg.RetentionMs = -1
	cfg.RetentionBytes = 64 << 10
	cfg.FileDeleteDelayMs = 50
	l := e.log("busy", cfg)
	const appenders, perAppender = 4, 150
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	stop := make(chan struct{})
	for a := 0; a < appenders; a++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perAppender; i++ {
				raw := makeBatch(t, batchSpec{n: 3, valueSize: 200, tag: fmt.Sprintf("%d-%d", a, i)})
				info, err := l.Append(raw, 0, -1)
				if err != nil {
					errs <- err
					return
				}
				done := make(chan error, 1)
				l.WhenFlushed(info.LastOffset+1, func(err error) { done <- err })
				if err := <-done; err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var readers sync.WaitGroup
	for r := 0; r < 2; r++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			var off int64
			for {
				select {
				case <-stop:
					return
				default:
				}
				if s := l.LogStartOffset(); off < s {
					off = s
				}
				data, err := l.Read(off, 8<<10, l.LogEndOffset(), true)
				if err != nil {
					// Retention may overtake a slow reader.
					continue
				}
				err = record.Split(data, func(b record.Batch) error {
					if err := record.Validate(b, false); err != nil {
						return err
					}
					if b.LastOffset() < off {
						return fmt.Errorf("batch ending at %d returned for offset %d", b.LastOffset(), off)
					}
					off = b.LastOffset() + 1
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	retention := make(chan struct{})
	go func() {
		defer close(retention)
		for {
			select {
			case <-stop:
				return
			default:
				e.m.RunRetention()
				e.m.runDeletes(false)
			}
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()
	<-retention
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if l.LogEndOffset() != appenders*perAppender*3 {
		t.Fatalf("log end %d", l.LogEndOffset())
	}
	e.m.RunRetention()
	if l.Size() > cfg.RetentionBytes+cfg.SegmentBytes {
		t.Fatalf("retention did not keep up: %d bytes", l.Size())
	}
	checkContiguous(t, readAll(t, l), l.LogStartOffset(), l.LogEndOffset())
}

// TestConcurrentAppendReadClean runs an appender, readers from the start
// and cleaning passes at once; run with -race. Readers see valid batches
// with increasing offsets throughout, and at the end the log replays to
// the same table as everything appended.
func TestConcurrentAppendReadClean(t *testing.T) {
	e := newEnv(t, nil)
	cfg := compactConfig()
	cfg.SegmentBytes = 8 << 10
	cfg.FileDeleteDelayMs = 20
	l := e.log("busy-compact", cfg)
	want := map[string]string{}
	stop := make(chan struct{})
	errs := make(chan error, 16)
	var bg sync.WaitGroup
	for r := 0; r < 2; r++ {
		bg.Add(1)
		go func() {
			defer bg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				off, last := l.LogStartOffset(), int64(-1)
				for off < l.LogEndOffset() {
					data, err := l.Read(off, 16<<10, l.LogEndOffset(), true)
					if err != nil {
						errs <- err
						return
					}
					if len(data) == 0 {
						break
					}
					err = record.Split(data, func(b record.Batch) error {
						if b.ComputeCRC() != b.CRC() {
							return fmt.Errorf("bad crc at %d", b.BaseOffset())
						}
						if b.BaseOffset() <= last {
							return fmt.Errorf("batch at %d after %d", b.BaseOffset(), last)
						}
						if _, err := b.Records(); err != nil {
							return err
						}
						last, off = b.LastOffset(), b.LastOffset()+1
						return nil
					})
					if err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	bg.Add(1)
	go func() {
		defer bg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := e.m.CleanNow(); err != nil {
				errs <- err
				return
			}
			e.m.runDeletes(false)
		}
	}()
	codecs := []record.Codec{record.None, record.Snappy, record.Zstd}
	for i := 0; i < 600; i++ {
		var kvs []kv
		for j := 0; j < 4; j++ {
			k, v := fmt.Sprint("key", (i*7+j)%40), fmt.Sprint(i, ".", j)
			kvs = append(kvs, kv{key: k, value: v})
			want[k] = v
		}
		if _, err := l.Append(keyedBatch(t, codecs[i%3], e.clock.ms.Load(), kvs...), 0, -1); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	bg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	l.rollLockedForTest()
	if err := e.m.CleanNow(); err != nil {
		t.Fatal(err)
	}
	got := readKeyed(t, l)
	if len(got) != len(want) {
		t.Fatalf("%d records after the final pass, want %d", len(got), len(want))
	}
	for _, r := range got {
		if want[r.key] != r.value {
			t.Fatalf("key %s = %q, want %q", r.key, r.value, want[r.key])
		}
	}
}
