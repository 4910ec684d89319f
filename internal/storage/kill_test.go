package storage

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const childDirEnv = "GREGOR_STORAGE_KILL_CHILD_DIR"

// TestKill9KeepsAcknowledged runs a real child process that appends and
// prints each offset once WhenFlushed acknowledges it, kills it with
// SIGKILL mid-stream, and checks that a new Manager on the same directory
// recovers with every acknowledged record intact.
func TestKill9KeepsAcknowledged(t *testing.T) {
	if dir := os.Getenv(childDirEnv); dir != "" {
		runKillChild(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9KeepsAcknowledged$")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked int64 = -1
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "acked ") {
			continue
		}
		o, err := strconv.ParseInt(strings.TrimPrefix(line, "acked "), 10, 64)
		if err != nil {
			t.Fatalf("child said %q", line)
		}
		acked = max(acked, o)
		if !killed && acked >= 3000 {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("child exited before being killed; last ack %d", acked)
	}
	m, err := OpenManager(Options{
		Dir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		RetentionCheckInterval: time.Hour, CheckpointInterval: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	l := m.Get("killed", 0)
	if l == nil {
		t.Fatal("log missing after restart")
	}
	if m.RecoveredBytes() == 0 {
		t.Fatal("no recovery scan after SIGKILL")
	}
	if l.LogEndOffset() <= acked {
		t.Fatalf("log end %d, but offset %d was acknowledged", l.LogEndOffset(), acked)
	}
	recs := readAll(t, l)
	checkContiguous(t, recs, 0, l.LogEndOffset())
	for i, r := range recs[:acked+1] {
		if want := fmt.Sprintf("%d/0|", i); !strings.HasPrefix(r.value, want) {
			t.Fatalf("offset %d holds %q, want %q", i, r.value, want)
		}
	}
}

// runKillChild appends one-record batches forever, tagging each with its
// sequence number, and reports acknowledged offsets on stdout.
func runKillChild(dir string) {
	m, err := OpenManager(Options{
		Dir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		CheckpointInterval: 50 * time.Millisecond,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	cfg := DefaultLogConfig()
	cfg.SegmentBytes = 64 << 10
	l, err := m.Open("killed", 0, [16]byte{}, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	acks := make(chan int64, 1024)
	go func() {
		w := bufio.NewWriter(os.Stdout)
		for o := range acks {
			fmt.Fprintf(w, "acked %d\n", o)
			if len(acks) == 0 {
				w.Flush()
			}
		}
	}()
	for i := 0; ; i++ {
		raw := makeBatch(nopTB{}, batchSpec{n: 1, valueSize: 200, tag: strconv.Itoa(i)})
		info, err := l.Append(raw, 0, -1)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		off := info.FirstOffset
		l.WhenFlushed(off+1, func(err error) {
			if err == nil {
				acks <- off
			}
		})
	}
}

// nopTB lets the child reuse makeBatch outside a test.
type nopTB struct{ testing.TB }

func (nopTB) Helper()           {}
func (nopTB) Fatal(args ...any) { fmt.Fprintln(os.Stderr, args...); os.Exit(2) }
