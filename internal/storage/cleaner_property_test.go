package storage

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/gregor-stream/gregor/internal/record"
)

// produced is the model's copy of one record as a producer sent it.
type produced struct {
	offset     int64
	key, value string
	tomb       bool
	ts         int64 // the record's timestamp
	batchMaxTs int64
}

type cleanerModel struct {
	recs []produced // in offset order
}

// truncate forgets records at or past end (lost in a power cut).
func (m *cleanerModel) truncate(end int64) {
	for len(m.recs) > 0 && m.recs[len(m.recs)-1].offset >= end {
		m.recs = m.recs[:len(m.recs)-1]
	}
}

// state is the table a consumer builds by replaying records in order.
func state[T any](recs []T, kv func(T) (string, string, bool)) map[string]string {
	out := map[string]string{}
	for _, r := range recs {
		k, v, tomb := kv(r)
		if tomb {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func (m *cleanerModel) check(t *testing.T, l *Log, now, deleteRetentionMs int64, step string) {
	t.Helper()
	byOffset := map[int64]produced{}
	latest := map[string]produced{}
	for _, r := range m.recs {
		byOffset[r.offset] = r
		latest[r.key] = r
	}
	got := readKeyed(t, l)
	seen := map[int64]bool{}
	for _, r := range got {
		p, ok := byOffset[r.offset]
		if !ok {
			t.Fatalf("%s: offset %d was never produced", step, r.offset)
		}
		if p.key != r.key || p.value != r.value || p.tomb != r.tomb || p.ts != r.ts ||
			len(r.headers) != 1 || string(r.headers[0].Value) != "hv-"+r.key {
			t.Fatalf("%s: offset %d reads %+v, produced %+v", step, r.offset, r, p)
		}
		seen[r.offset] = true
	}
	want := state(m.recs, func(p produced) (string, string, bool) { return p.key, p.value, p.tomb })
	have := state(got, func(r keyedRecord) (string, string, bool) { return r.key, r.value, r.tomb })
	if len(want) != len(have) {
		t.Fatalf("%s: replay gives %d keys, model %d", step, len(have), len(want))
	}
	for k, v := range want {
		if have[k] != v {
			t.Fatalf("%s: key %s replays to %q, model %q", step, k, have[k], v)
		}
	}
	for k, p := range latest {
		mustStay := !p.tomb || p.batchMaxTs >= now-deleteRetentionMs
		if mustStay && !seen[p.offset] {
			t.Fatalf("%s: latest record of %s (offset %d, tombstone %v) is gone", step, k, p.offset, p.tomb)
		}
	}
	// Below the first dirty offset every key appears at most once.
	clean := l.firstDirty()
	keys := map[string]int64{}
	for _, r := range got {
		if r.offset >= clean {
			break
		}
		if prev, dup := keys[r.key]; dup {
			t.Fatalf("%s: key %s at %d and %d, both below the first dirty offset %d", step, r.key, prev, r.offset, clean)
		}
		keys[r.key] = r.offset
	}
}

var crashSteps = []string{"cleaned", "manifest", "old-renamed", "renamed"}

// TestCleanerPropertyWithCrashes runs 4 seeds; GREGOR_CLEANER_SEEDS=n runs
// n of them.
func TestCleanerPropertyWithCrashes(t *testing.T) {
	seeds := int64(4)
	if s := os.Getenv("GREGOR_CLEANER_SEEDS"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			t.Fatalf("GREGOR_CLEANER_SEEDS=%q", s)
		}
		seeds = n
	}
	for seed := int64(1); seed <= seeds; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { runCleanerProperty(t, seed, 300) })
	}
}

func runCleanerProperty(t *testing.T, seed int64, steps int) {
	rng := rand.New(rand.NewSource(seed))
	ffs := NewFaultFS(nil)
	e := newEnv(t, ffs)
	cfg := compactConfig()
	cfg.SegmentBytes = 1500
	cfg.MinCleanableDirtyRatio = 0.2
	l := e.log("prop", cfg)
	m := &cleanerModel{}
	codecs := []record.Codec{record.None, record.Gzip, record.Snappy, record.LZ4, record.Zstd}
	reopen := func() {
		l = e.m.Get("prop", 0)
		if l == nil {
			t.Fatal("log gone after restart")
		}
		l.SetConfig(cfg)
		m.truncate(l.LogEndOffset())
	}
	counts := map[string]int{}
	for i := 0; i < steps; i++ {
		op := rng.Intn(100)
		var name string
		switch {
		case op < 60:
			name = "produce"
			n := 1 + rng.Intn(8)
			now := e.clock.ms.Load()
			kvs := make([]kv, n)
			for j := range kvs {
				kvs[j] = kv{key: fmt.Sprintf("key-%02d", rng.Intn(30)), value: fmt.Sprintf("v%d.%d", i, j)}
				if rng.Intn(100) < 15 {
					kvs[j] = kv{key: kvs[j].key, tomb: true}
				}
			}
			info := mustAppend(t, l, keyedBatch(t, codecs[rng.Intn(len(codecs))], now, kvs...), 0)
			for j, x := range kvs {
				m.recs = append(m.recs, produced{offset: info.FirstOffset + int64(j), key: x.key, value: x.value, tomb: x.tomb,
					ts: now + int64(j), batchMaxTs: now + int64(n-1)})
			}
			if rng.Intn(3) == 0 {
				e.clock.advance(time.Duration(rng.Intn(30)) * time.Second)
			}
		case op < 75:
			name = "clean"
			if err := e.m.CleanNow(); err != nil {
				t.Fatalf("step %d: clean: %v", i, err)
			}
		case op < 87:
			step := crashSteps[rng.Intn(len(crashSteps))]
			power := rng.Intn(2) == 0
			name = "crash-at-" + step
			if power {
				// A power cut drops what was not fsynced; make sure the
				// data being cleaned was, so the pass has work.
				if err := waitFlushed(t, l, l.LogEndOffset()); err != nil {
					t.Fatal(err)
				}
			}
			e.m.cleaner.hookFn = func(s string) error {
				if s == step {
					return errCleanerCrash
				}
				return nil
			}
			err := e.m.CleanNow()
			e.m.cleaner.hookFn = nil
			if err != nil {
				counts["crashed-mid-pass"]++
			}
			e.crashRestart(func() {
				if power {
					if err := ffs.Crash(); err != nil {
						t.Fatal(err)
					}
				}
			})
			reopen()
		case op < 92:
			name = "roll"
			if err := l.rollLockedForTest(); err != nil {
				t.Fatal(err)
			}
		case op < 96:
			name = "restart"
			e.restart()
			reopen()
		default:
			name = "advance"
			e.clock.advance(time.Duration(rng.Intn(90)) * time.Second)
		}
		counts[name]++
		m.check(t, l, e.clock.ms.Load(), cfg.DeleteRetentionMs, fmt.Sprintf("seed %d step %d (%s)", seed, i, name))
	}
	if counts["crashed-mid-pass"] == 0 || counts["clean"] == 0 {
		t.Fatalf("the run never crashed a pass or never cleaned: %v", counts)
	}
	t.Logf("ops %v, final log %d bytes in %d segments, %d records produced", counts, l.Size(), l.NumSegments(), len(m.recs))
}
