// Command diskwrite measures how fast this disk takes sequential writes that
// are made durable the way a broker makes them durable: buffered writes
// through the page cache, 1 MiB at a time, with an fsync every 16 MiB and
// one at the end. The time includes every fsync, so the figure is the
// bandwidth of data that would survive a power cut.
//
// It is the denominator of bench/run.sh's "produce MB/s ÷ disk MB/s" ratio.
// dd with oflag=direct measures something else: it bypasses the page cache
// (the broker does not) and, with conv=fsync, syncs once at the very end.
package main

import (
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func main() {
	dir := flag.String("dir", ".", "directory on the disk to measure")
	sizeMiB := flag.Int("size-mib", 1024, "total MiB to write")
	chunkKiB := flag.Int("chunk-kib", 1024, "KiB per write call")
	syncMiB := flag.Int("sync-every-mib", 16, "fsync after this many MiB")
	asJSON := flag.Bool("json", false, "print the result as JSON")
	flag.Parse()

	res, err := measure(*dir, int64(*sizeMiB)<<20, *chunkKiB<<10, int64(*syncMiB)<<20)
	if err != nil {
		fmt.Fprintln(os.Stderr, "diskwrite:", err)
		os.Exit(1)
	}
	if *asJSON {
		json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	fmt.Printf("wrote %d MiB in %.2fs with an fsync every %d MiB: %.1f MB/s (fsyncs: %d, slowest %.1f ms)\n",
		res.Bytes>>20, res.Seconds, *syncMiB, res.MBPerSec, res.Fsyncs, res.MaxFsyncMs)
}

type result struct {
	Bytes      int64   `json:"bytes"`
	Seconds    float64 `json:"seconds"`
	MBPerSec   float64 `json:"mb_per_s"` // 1 MB = 1,000,000 bytes, as in gregor bench
	Fsyncs     int     `json:"fsyncs"`
	MaxFsyncMs float64 `json:"max_fsync_ms"`
}

func measure(dir string, total int64, chunk int, syncEvery int64) (res result, err error) {
	if chunk <= 0 || total <= 0 || syncEvery <= 0 {
		return res, fmt.Errorf("sizes must be positive")
	}
	f, err := os.CreateTemp(dir, "diskwrite-*.tmp")
	if err != nil {
		return res, fmt.Errorf("create test file: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	// Random bytes, so a compressing or deduplicating layer cannot flatter
	// the figure.
	buf := make([]byte, chunk)
	if _, err := rand.Read(buf); err != nil {
		return res, fmt.Errorf("random data: %w", err)
	}
	fsync := func() error {
		t := time.Now()
		if err := f.Sync(); err != nil {
			return fmt.Errorf("fsync %s: %w", filepath.Base(f.Name()), err)
		}
		res.Fsyncs++
		res.MaxFsyncMs = max(res.MaxFsyncMs, float64(time.Since(t).Microseconds())/1000)
		return nil
	}
	start := time.Now()
	var sinceSync int64
	for res.Bytes < total {
		n := int(min(int64(chunk), total-res.Bytes))
		if _, err := f.Write(buf[:n]); err != nil {
			return res, fmt.Errorf("write at %d: %w", res.Bytes, err)
		}
		res.Bytes += int64(n)
		sinceSync += int64(n)
		if sinceSync >= syncEvery {
			if err := fsync(); err != nil {
				return res, err
			}
			sinceSync = 0
		}
	}
	if sinceSync > 0 {
		if err := fsync(); err != nil {
			return res, err
		}
	}
	res.Seconds = time.Since(start).Seconds()
	res.MBPerSec = float64(res.Bytes) / 1e6 / res.Seconds
	return res, nil
}
