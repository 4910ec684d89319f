package compat

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// codecs are the compression codecs every client must round-trip.
var codecs = []string{"none", "gzip", "snappy", "lz4", "zstd"}

type header struct{ Key, Value string }

// rec is a record as sent or as consumed. Partition and Offset are -1 when
// unknown (a producer that does not report them).
type rec struct {
	Partition int32
	Offset    int64
	Key       []byte
	Value     []byte
	Headers   []header
	Timestamp time.Time
}

// workload is the set of records one client produces: for each codec a run
// of keyed records over a few keys, so that every key's sequence crosses
// batches of different codecs.
type workload struct {
	client  string
	perRun  int
	keys    int
	baseTS  time.Time
	nextSeq map[string]int
	serial  int
}

func newWorkload(client string) *workload {
	return &workload{
		client:  client,
		perRun:  40,
		keys:    7,
		baseTS:  time.Now().Add(-10 * time.Minute).Truncate(time.Millisecond),
		nextSeq: map[string]int{},
	}
}

// run returns the records to send with one codec. Values are unique, carry
// their key's sequence number, and are compressible so every codec really
// compresses.
func (w *workload) run(codec string) []rec {
	out := make([]rec, 0, w.perRun)
	for i := 0; i < w.perRun; i++ {
		key := fmt.Sprintf("key-%d", (w.serial*3+i)%w.keys)
		seq := w.nextSeq[key]
		w.nextSeq[key]++
		w.serial++
		value := fmt.Sprintf("%s|%s|%s|%06d|", w.client, codec, key, seq) +
			strings.Repeat("the quick brown fox jumps over the lazy dog ", 6)
		out = append(out, rec{
			Partition: -1,
			Offset:    -1,
			Key:       []byte(key),
			Value:     []byte(value),
			Headers: []header{
				{"codec", codec},
				{"seq", strconv.Itoa(seq)},
				{"client", w.client},
			},
			Timestamp: w.baseTS.Add(time.Duration(w.serial) * time.Millisecond),
		})
	}
	return out
}

// seqOf extracts the per-key sequence number from a workload value.
func seqOf(value []byte) (key string, seq int, ok bool) {
	parts := strings.SplitN(string(value), "|", 5)
	if len(parts) < 5 {
		return "", 0, false
	}
	n, err := strconv.Atoi(parts[3])
	return parts[2], n, err == nil
}

type checkOpts struct {
	// timestamps: exact compares CreateTime to what was sent; otherwise
	// each must lie in [tsLow, tsHigh] (clients that cannot set one).
	exactTS        bool
	tsLow, tsHigh  time.Time
	partitionCount int32 // >0: every record must land in [0, partitionCount)
}

// checkConsumed asserts that got (in consumption order) holds exactly the
// sent records: same count, keys, values, headers and timestamps; offsets
// strictly increasing per partition; each key in one partition with its
// sequence increasing; and where the producer reported a partition and
// offset, the record is there.
func checkConsumed(t testing.TB, sent, got []rec, o checkOpts) {
	t.Helper()
	byValue := make(map[string]rec, len(sent))
	for _, r := range sent {
		byValue[string(r.Value)] = r
	}
	if len(got) != len(sent) {
		t.Errorf("consumed %d records, produced %d", len(got), len(sent))
	}
	seen := map[string]bool{}
	lastOffset := map[int32]int64{}
	keyPartition := map[string]int32{}
	keySeq := map[string]int{}
	bad := 0
	fail := func(format string, args ...any) {
		bad++
		if bad <= 10 {
			t.Errorf(format, args...)
		}
	}
	for _, g := range got {
		s, ok := byValue[string(g.Value)]
		if !ok {
			fail("consumed a record nobody sent: p%d@%d value %.40q", g.Partition, g.Offset, g.Value)
			continue
		}
		if seen[string(g.Value)] {
			fail("record consumed twice: p%d@%d value %.40q", g.Partition, g.Offset, g.Value)
			continue
		}
		seen[string(g.Value)] = true
		where := fmt.Sprintf("p%d@%d", g.Partition, g.Offset)
		if !bytes.Equal(g.Key, s.Key) {
			fail("%s: key %q, sent %q", where, g.Key, s.Key)
		}
		if !sameHeaders(g.Headers, s.Headers) {
			fail("%s: headers %v, sent %v", where, g.Headers, s.Headers)
		}
		if o.exactTS {
			if g.Timestamp.UnixMilli() != s.Timestamp.UnixMilli() {
				fail("%s: timestamp %d ms, sent %d ms", where, g.Timestamp.UnixMilli(), s.Timestamp.UnixMilli())
			}
		} else if g.Timestamp.Before(o.tsLow.Truncate(time.Millisecond)) || g.Timestamp.After(o.tsHigh) {
			fail("%s: timestamp %v outside the send window [%v, %v]", where, g.Timestamp, o.tsLow, o.tsHigh)
		}
		if s.Partition >= 0 && (s.Partition != g.Partition || s.Offset != g.Offset) {
			fail("record acknowledged at p%d@%d consumed at %s", s.Partition, s.Offset, where)
		}
		if o.partitionCount > 0 && (g.Partition < 0 || g.Partition >= o.partitionCount) {
			fail("%s: partition outside [0, %d)", where, o.partitionCount)
		}
		if last, ok := lastOffset[g.Partition]; ok && g.Offset <= last {
			fail("partition %d: offset %d after %d (not strictly increasing)", g.Partition, g.Offset, last)
		}
		lastOffset[g.Partition] = g.Offset
		key, seq, ok := seqOf(g.Value)
		if !ok {
			fail("%s: malformed value %.40q", where, g.Value)
			continue
		}
		if p, ok := keyPartition[key]; ok && p != g.Partition {
			fail("key %s in partitions %d and %d", key, p, g.Partition)
		}
		keyPartition[key] = g.Partition
		if prev, ok := keySeq[key]; ok && seq <= prev {
			fail("key %s: sequence %d consumed after %d (per-key order broken)", key, seq, prev)
		}
		keySeq[key] = seq
	}
	missing := 0
	for _, s := range sent {
		if !seen[string(s.Value)] {
			missing++
			if missing <= 5 {
				t.Errorf("record never consumed: key %s value %.40q", s.Key, s.Value)
			}
		}
	}
	if bad > 10 {
		t.Errorf("... and %d more mismatches", bad-10)
	}
	if missing > 5 {
		t.Errorf("... and %d more records never consumed", missing-5)
	}
	if len(keyPartition) > 0 && o.partitionCount > 1 {
		parts := map[int32]bool{}
		for _, p := range keyPartition {
			parts[p] = true
		}
		if len(parts) < 2 {
			t.Errorf("all %d keys landed in one partition of %d", len(keyPartition), o.partitionCount)
		}
	}
}

func sameHeaders(a, b []header) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
