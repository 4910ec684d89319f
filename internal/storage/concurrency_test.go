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
