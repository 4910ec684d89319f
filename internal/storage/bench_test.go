package storage

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

const (
	benchRecordSize = 1 << 10
	benchBatchSize  = 16 << 10
	benchAppenders  = 8
)

// BenchmarkAppendFlushAlways is the acks=all hot path: several producers
// append 16 KiB batches of 1 KiB records and each waits for its fsync.
// Compare its MB/s with BenchmarkDiskSequentialWrite from the same run.
func BenchmarkAppendFlushAlways(b *testing.B) {
	m, err := OpenManager(Options{
		Dir: b.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		RetentionCheckInterval: time.Hour, CheckpointInterval: time.Hour,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	l, err := m.Open("bench", 0, [16]byte{}, DefaultLogConfig())
	if err != nil {
		b.Fatal(err)
	}
	proto := makeBatch(b, batchSpec{n: benchBatchSize / benchRecordSize, valueSize: benchRecordSize - 40})
	b.SetBytes(int64(len(proto)))
	b.SetParallelism(max(1, benchAppenders/max(1, runtimeProcs())))
	var ops atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		batch := append([]byte(nil), proto...)
		done := make(chan error, 1)
		for pb.Next() {
			info, err := l.Append(batch, 0, -1)
			if err != nil {
				b.Error(err)
				return
			}
			l.WhenFlushed(info.LastOffset+1, func(err error) { done <- err })
			if err := <-done; err != nil {
				b.Error(err)
				return
			}
			ops.Add(1)
		}
	})
	b.StopTimer()
	if ops.Load() > 0 {
		b.ReportMetric(float64(m.fsyncs.Load())/float64(ops.Load()), "fsyncs/op")
	}
}

// BenchmarkDiskSequentialWrite writes the same 16 KiB batches with a plain
// os.File, fsyncing every 1 MiB: the disk's sequential write bandwidth
// with durability, the yardstick for BenchmarkAppendFlushAlways.
func BenchmarkDiskSequentialWrite(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "seq"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	proto := makeBatch(b, batchSpec{n: benchBatchSize / benchRecordSize, valueSize: benchRecordSize - 40})
	b.SetBytes(int64(len(proto)))
	b.ResetTimer()
	var unsynced int
	for i := 0; i < b.N; i++ {
		if _, err := f.Write(proto); err != nil {
			b.Fatal(err)
		}
		unsynced += len(proto)
		if unsynced >= 1<<20 {
			if err := f.Sync(); err != nil {
				b.Fatal(err)
			}
			unsynced = 0
		}
	}
	if err := f.Sync(); err != nil {
		b.Fatal(err)
	}
}
