package storage

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gregor-stream/gregor/internal/record"
)

const cleanerChildDirEnv = "GREGOR_STORAGE_KILL_CLEANER_DIR"

// The child writes record o with a key and value that are functions of o,
// so that whatever survives a kill can be checked without knowing what
// the child managed to do.
func killKey(o int64) string { return fmt.Sprintf("k%02d", (o*7919)%40) }
func killValue(o int64) []byte {
	if o%13 == 0 {
		return nil // a tombstone
	}
	return []byte(fmt.Sprintf("v%d|%s", o, strings.Repeat("x", 100)))
}

func killCleanerConfig() LogConfig {
	c := DefaultLogConfig()
	c.Compact, c.Delete = true, false
	c.SegmentBytes = 16 << 10
	c.MinCleanableDirtyRatio = 0.05
	c.DeleteRetentionMs = int64(24 * time.Hour / time.Millisecond)
	c.FileDeleteDelayMs = 0
	return c
}

// TestKill9DuringCleaning runs a real child process that appends keyed
// records and runs cleaning passes back to back, kills it with SIGKILL at
// a random moment, and checks that the reopened log is a valid compaction
// of what was written: every record where it was written, the replayed
// table equal to replaying everything, nothing half-swapped left behind.
func TestKill9DuringCleaning(t *testing.T) {
	if dir := os.Getenv(cleanerChildDirEnv); dir != "" {
		runKillCleanerChild(dir)
		return
	}
	for round := 0; round < 5; round++ {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestKill9DuringCleaning$")
		cmd.Env = append(os.Environ(), cleanerChildDirEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		started := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		passes := 0
		wantPasses := 5 + rand.Intn(10)
		for sc.Scan() {
			if sc.Text() == "pass" {
				passes++
			}
			if passes == wantPasses {
				// Land anywhere in the next pass.
				time.Sleep(time.Duration(rand.Intn(3000)) * time.Microsecond)
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				break
			}
		}
		_ = cmd.Wait()
		if passes < wantPasses {
			t.Fatalf("child died after %d passes", passes)
		}
		killed := time.Now()
		checkKilledCleaner(t, dir)
		t.Logf("round %d: killed after %d passes at %v, checked in %v", round, passes, killed.Sub(started), time.Since(killed))
	}
}

func checkKilledCleaner(t *testing.T, dir string) {
	t.Helper()
	m, err := OpenManager(Options{Dir: dir, Logger: discardLogger(), RetentionCheckInterval: time.Hour,
		CheckpointInterval: time.Hour, Cleaner: CleanerOptions{Disable: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	l := m.Get("kc", 0)
	if l == nil {
		t.Fatal("log missing after kill")
	}
	l.SetConfig(killCleanerConfig())
	entries, _ := os.ReadDir(l.Dir())
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), extCleaned) || e.Name() == cleanerSwapFile {
			t.Fatalf("%s left after start-up", e.Name())
		}
	}
	check := func(when string) {
		got := readKeyed(t, l)
		have := map[string]string{}
		for _, r := range got {
			if r.key != killKey(r.offset) || (r.tomb != (killValue(r.offset) == nil)) || (!r.tomb && r.value != string(killValue(r.offset))) {
				t.Fatalf("%s: offset %d holds %s=%.10q", when, r.offset, r.key, r.value)
			}
			if r.tomb {
				delete(have, r.key)
			} else {
				have[r.key] = r.value
			}
		}
		want := map[string]string{}
		for o := int64(0); o < l.LogEndOffset(); o++ {
			if v := killValue(o); v == nil {
				delete(want, killKey(o))
			} else {
				want[killKey(o)] = string(v)
			}
		}
		if len(have) != len(want) {
			t.Fatalf("%s: %d live keys, want %d", when, len(have), len(want))
		}
		for k, v := range want {
			if have[k] != v {
				t.Fatalf("%s: key %s = %.12q, want %.12q", when, k, have[k], v)
			}
		}
		if len(got) >= int(l.LogEndOffset()) && l.LogEndOffset() > 2000 {
			t.Fatalf("%s: nothing compacted (%d records)", when, len(got))
		}
	}
	check("after kill")
	// The recovered log cleans on.
	if err := m.CleanNow(); err != nil {
		t.Fatal(err)
	}
	check("after another pass")
}

// runKillCleanerChild appends batches of keyed records and, in another
// goroutine, cleans back to back, printing "pass" after each pass that
// rewrote something.
func runKillCleanerChild(dir string) {
	fail := func(err error) { fmt.Fprintln(os.Stderr, err); os.Exit(2) }
	m, err := OpenManager(Options{Dir: dir, Logger: discardLogger(), CheckpointInterval: 20 * time.Millisecond,
		Cleaner: CleanerOptions{Disable: true}})
	if err != nil {
		fail(err)
	}
	l, err := m.Open("kc", 0, [16]byte{}, killCleanerConfig())
	if err != nil {
		fail(err)
	}
	go func() {
		for {
			before := m.CleanerStats().Passes
			if err := m.CleanNow(); err != nil {
				fail(err)
			}
			if m.CleanerStats().Passes > before {
				fmt.Println("pass")
			}
			time.Sleep(time.Millisecond)
		}
	}()
	for {
		if l.Size() > 2<<20 {
			// Let the cleaner keep up: a log that outgrows it makes every
			// pass, and the parent's checks, slower.
			time.Sleep(time.Millisecond)
			continue
		}
		next := l.LogEndOffset()
		recs := make([]record.Record, 10)
		for i := range recs {
			o := next + int64(i)
			recs[i] = record.Record{OffsetDelta: int32(i), Key: []byte(killKey(o)), Value: killValue(o),
				Headers: []record.Header{{Key: "h", Value: []byte("hv-" + killKey(o))}}}
		}
		raw, err := record.Build(record.BuildOptions{Codec: record.Codec(next / 10 % 5), ProducerID: -1, ProducerEpoch: -1,
			BaseSequence: -1, FirstTimestamp: time.Now().UnixMilli()}, recs)
		if err != nil {
			fail(err)
		}
		if _, err := l.Append(raw, 0, -1); err != nil {
			fail(err)
		}
	}
}
