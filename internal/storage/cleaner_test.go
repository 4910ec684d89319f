package storage

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gregor-stream/gregor/internal/record"
)

func compactConfig() LogConfig {
	c := testConfig()
	c.Compact, c.Delete = true, false
	c.SegmentBytes = 4096
	c.MinCleanableDirtyRatio = 0.01
	c.DeleteRetentionMs = 60_000
	return c
}

type kv struct {
	key, value string // value "" with tomb = tombstone
	tomb       bool
}

// keyedBatch builds a batch of keyed records with headers.
func keyedBatch(t testing.TB, codec record.Codec, ts int64, kvs ...kv) []byte {
	t.Helper()
	recs := make([]record.Record, len(kvs))
	for i, x := range kvs {
		recs[i] = record.Record{OffsetDelta: int32(i), TimestampDelta: int64(i), Key: []byte(x.key),
			Headers: []record.Header{{Key: "h", Value: []byte("hv-" + x.key)}}}
		if !x.tomb {
			recs[i].Value = []byte(x.value)
		}
	}
	raw, err := record.Build(record.BuildOptions{Codec: codec, ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1, FirstTimestamp: ts}, recs)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

type keyedRecord struct {
	offset     int64
	key, value string
	tomb       bool
	headers    []record.Header
	ts         int64
}

// readKeyed reads the whole log, checking offsets strictly increase.
func readKeyed(t testing.TB, l *Log) []keyedRecord {
	t.Helper()
	var out []keyedRecord
	last := int64(-1)
	for off := l.LogStartOffset(); off < l.LogEndOffset(); {
		data, err := l.Read(off, 1<<20, l.LogEndOffset(), true)
		if err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
		if len(data) == 0 {
			t.Fatalf("read at %d returned nothing", off)
		}
		err = record.Split(data, func(b record.Batch) error {
			if b.ComputeCRC() != b.CRC() {
				return fmt.Errorf("batch at %d: bad crc", b.BaseOffset())
			}
			if b.IsControl() {
				off = b.LastOffset() + 1
				return nil
			}
			recs, err := b.Records()
			if err != nil {
				return err
			}
			for _, r := range recs {
				o := b.BaseOffset() + int64(r.OffsetDelta)
				if o <= last {
					return fmt.Errorf("offset %d after %d", o, last)
				}
				last = o
				out = append(out, keyedRecord{offset: o, key: string(r.Key), value: string(r.Value), tomb: r.Value == nil, headers: r.Headers, ts: b.FirstTimestamp() + r.TimestampDelta})
			}
			off = b.LastOffset() + 1
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestCleanerKeepsLatestPerKey(t *testing.T) {
	e := newEnv(t, nil)
	l := e.log("compact", compactConfig())
	now := e.clock.ms.Load()
	codecs := []record.Codec{record.None, record.Gzip, record.Snappy, record.LZ4, record.Zstd}
	latest := map[string]string{}
	for i := 0; i < 200; i++ {
		var kvs []kv
		for j := 0; j < 5; j++ {
			k := fmt.Sprintf("k%02d", (i*5+j)%20)
			v := fmt.Sprintf("v%d-%d", i, j)
			kvs = append(kvs, kv{key: k, value: v})
			latest[k] = v
		}
		mustAppend(t, l, keyedBatch(t, codecs[i%len(codecs)], now, kvs...), 0)
	}
	before := l.Size()
	if err := l.rollLockedForTest(); err != nil {
		t.Fatal(err)
	}
	if err := e.m.CleanNow(); err != nil {
		t.Fatal(err)
	}
	recs := readKeyed(t, l)
	if len(recs) != len(latest) {
		t.Fatalf("%d records after cleaning, want %d (one per key)", len(recs), len(latest))
	}
	for _, r := range recs {
		if latest[r.key] != r.value {
			t.Fatalf("key %s: %q, want %q", r.key, r.value, latest[r.key])
		}
		if len(r.headers) != 1 || string(r.headers[0].Value) != "hv-"+r.key {
			t.Fatalf("key %s lost its header: %+v", r.key, r.headers)
		}
	}
	if l.Size() >= before/10 {
		t.Fatalf("log is %d bytes after cleaning, was %d", l.Size(), before)
	}
	st := e.m.CleanerStats()
	if st.Passes == 0 || st.BytesCleaned == 0 || len(st.Partitions) != 1 || st.Partitions[0].SinceLastClean < 0 {
		t.Fatalf("stats %+v", st)
	}
	// Survives restarts and reads the same.
	e.restart()
	l = e.m.Get("compact", 0)
	if got := readKeyed(t, l); len(got) != len(recs) {
		t.Fatalf("%d records after restart, want %d", len(got), len(recs))
	}
	e.crashRestart(nil)
	l = e.m.Get("compact", 0)
	if got := readKeyed(t, l); len(got) != len(recs) {
		t.Fatalf("%d records after crash restart, want %d", len(got), len(recs))
	}
	entries, _ := os.ReadDir(l.Dir())
	for _, en := range entries {
		if strings.HasSuffix(en.Name(), extCleaned) || en.Name() == cleanerSwapFile {
			t.Fatalf("leftover %s", en.Name())
		}
	}
	_ = filepath.Join
	_ = bytes.Equal
	_ = time.Second
}
