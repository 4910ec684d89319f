package storage

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gregor-stream/gregor/internal/record"
)

// Cleaner benchmarks. The dirty log is 64 MiB by default; set
// GREGOR_CLEANER_BENCH_MB=1024 for the 1 GB figure. Keys are 1% unique:
// a pass keeps about 1% of the data.
//
//	go test ./internal/storage -run '^$' -bench 'Cleaner' -benchtime 1x

const (
	benchCleanRecords = 100 // records per batch
	benchCleanValue   = 100 // value bytes
)

func benchCleanBytes(b *testing.B) int64 {
	mb := int64(64)
	if s := os.Getenv("GREGOR_CLEANER_BENCH_MB"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v <= 0 {
			b.Fatalf("GREGOR_CLEANER_BENCH_MB=%q", s)
		}
		mb = v
	}
	return mb << 20
}

func benchCleanManager(b *testing.B, disable bool) *Manager {
	b.Helper()
	m, err := OpenManager(Options{Dir: b.TempDir(), Logger: discardLogger(),
		RetentionCheckInterval: time.Hour, CheckpointInterval: time.Hour,
		Cleaner: CleanerOptions{Disable: disable}})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func benchCompactConfig() LogConfig {
	c := DefaultLogConfig()
	c.Compact, c.Delete = true, false
	c.SegmentBytes = 64 << 20
	c.FlushPolicy = FlushNever
	c.MinCleanableDirtyRatio = 0.01
	return c
}

// keyedBatches makes a pool of batches whose keys come from keys distinct
// values, so appending them over and over gives the wanted uniqueness.
func keyedBatches(b *testing.B, rng *rand.Rand, keys int, codec record.Codec, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		recs := make([]record.Record, benchCleanRecords)
		for j := range recs {
			// Half random, half constant: compresses about 2:1.
			value := make([]byte, benchCleanValue)
			rng.Read(value[:benchCleanValue/2])
			recs[j] = record.Record{OffsetDelta: int32(j), Key: []byte(fmt.Sprintf("key-%08d", rng.Intn(keys))), Value: value}
		}
		raw, err := record.Build(record.BuildOptions{Codec: codec, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
			FirstTimestamp: time.Now().UnixMilli()}, recs)
		if err != nil {
			b.Fatal(err)
		}
		out[i] = raw
	}
	return out
}

// fillDirty appends about size bytes of 1%-unique keyed data and rolls.
func fillDirty(b *testing.B, l *Log, size int64, codec record.Codec) {
	b.Helper()
	rng := rand.New(rand.NewSource(1))
	batchBytes := int64(benchCleanRecords * (benchCleanValue + 20))
	records := size / batchBytes * benchCleanRecords
	pool := keyedBatches(b, rng, max(int(records/100), 1), codec, 64)
	buf := make([]byte, 0, 64<<10)
	for i := 0; l.Size() < size; i++ {
		buf = append(buf[:0], pool[i%len(pool)]...)
		if _, err := l.Append(buf, 0, -1); err != nil {
			b.Fatal(err)
		}
	}
	if err := l.rollLockedForTest(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCleanerThroughput: MB/s of dirty log one cleaning pass gets
// through (map building plus rewrite), per codec.
func BenchmarkCleanerThroughput(b *testing.B) {
	size := benchCleanBytes(b)
	for _, codec := range []record.Codec{record.None, record.LZ4} {
		b.Run(codec.String(), func(b *testing.B) {
			m := benchCleanManager(b, true)
			defer m.Close()
			var total time.Duration
			var cleaned, after int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				l, err := m.Open(fmt.Sprint("bench-", i), 0, [16]byte{1}, benchCompactConfig())
				if err != nil {
					b.Fatal(err)
				}
				fillDirty(b, l, size, codec)
				before := l.Size()
				b.StartTimer()
				start := time.Now()
				if err := m.CleanNow(); err != nil {
					b.Fatal(err)
				}
				total += time.Since(start)
				cleaned += before
				after += l.Size()
			}
			b.ReportMetric(float64(cleaned)/(1<<20)/total.Seconds(), "MB/s")
			b.ReportMetric(float64(after)/float64(cleaned)*100, "%kept")
		})
	}
}

// BenchmarkProduceWhileCleaning: append throughput (16 KiB-ish batches,
// no fsync wait) into a compacted log, with the cleaner idle and with it
// cleaning that log's dirty data in a loop. Both in the same run.
func BenchmarkProduceWhileCleaning(b *testing.B) {
	size := benchCleanBytes(b)
	for _, mode := range []string{"idle", "cleaning"} {
		b.Run(mode, func(b *testing.B) {
			m := benchCleanManager(b, true)
			defer m.Close()
			cfg := benchCompactConfig()
			cfg.SegmentBytes = 8 << 20
			l, err := m.Open("produce", 0, [16]byte{1}, cfg)
			if err != nil {
				b.Fatal(err)
			}
			fillDirty(b, l, size, record.None)
			pool := keyedBatches(b, rand.New(rand.NewSource(2)), 10_000, record.None, 64)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var passes int
			if mode == "cleaning" {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						if err := m.CleanNow(); err != nil {
							b.Error(err)
							return
						}
						passes++
					}
				}()
			}
			b.SetBytes(int64(len(pool[0])))
			b.ResetTimer()
			buf := make([]byte, 0, 64<<10)
			var worst time.Duration
			for i := 0; i < b.N; i++ {
				buf = append(buf[:0], pool[i%len(pool)]...)
				start := time.Now()
				if _, err := l.Append(buf, 0, -1); err != nil {
					b.Fatal(err)
				}
				worst = max(worst, time.Since(start))
			}
			b.StopTimer()
			// The cleaner holds the log's lock only to swap segments in.
			b.ReportMetric(float64(worst.Microseconds()), "max-append-µs")
			close(stop)
			wg.Wait()
			if mode == "cleaning" {
				b.ReportMetric(float64(m.CleanerStats().BytesCleaned)/(1<<20), "MB-cleaned")
			}
		})
	}
}
