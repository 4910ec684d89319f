package testbroker

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

// TestLifecycle drives one real broker through every harness operation a
// test relies on: start, stop, restart on the same dir and ports, kill -9.
func TestLifecycle(t *testing.T) {
	b := Start(t)
	if b.PID() == 0 || !b.Running() {
		t.Fatalf("broker not running after Start (pid %d)", b.PID())
	}
	dial(t, b.Addr)
	if fi, err := os.Stat(b.DataDir); err != nil || !fi.IsDir() {
		t.Fatalf("data dir %s: %v", b.DataDir, err)
	}

	if err := b.Stop(); err != nil {
		t.Errorf("SIGTERM shutdown: %v (want exit status 0)", err)
	}
	if b.Running() {
		t.Fatal("still running after Stop")
	}

	addr, dir, pid := b.Addr, b.DataDir, b.PID()
	b.Restart(t)
	if b.Addr != addr || b.DataDir != dir {
		t.Fatalf("restart moved the broker: %s %s -> %s %s", addr, dir, b.Addr, b.DataDir)
	}
	if b.PID() == pid {
		t.Fatalf("restart kept pid %d", pid)
	}
	dial(t, b.Addr)

	b.Kill()
	if b.Running() {
		t.Fatal("still running after Kill")
	}
	select {
	case <-b.Exited():
	case <-time.After(time.Second):
		t.Fatal("Exited not closed after Kill")
	}
	b.Restart(t)
	dial(t, b.Addr)
}

// TestExistingDataDir checks that WithDataDir is honoured and that extra
// arguments reach the command line.
func TestExistingDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mine")
	b := Start(t, WithDataDir(dir), WithArgs("--set", "num.partitions=2"))
	if b.DataDir != dir {
		t.Fatalf("DataDir = %s, want %s", b.DataDir, dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read data dir: %v", err)
	}
	if len(entries) == 0 {
		t.Errorf("broker wrote nothing into %s", dir)
	}
	args := b.Args()
	if args[len(args)-1] != "num.partitions=2" {
		t.Errorf("extra args missing from %v", args)
	}
}

func dial(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial kafka listener %s: %v", addr, err)
	}
	c.Close()
}

// TestFixedAddrs starts a broker on addresses chosen before the start, as a
// multi-node test must.
func TestFixedAddrs(t *testing.T) {
	addrs, err := FreeAddrs(3)
	if err != nil {
		t.Fatal(err)
	}
	b := Start(t, WithAddrs(addrs[0], addrs[1], addrs[2]))
	if b.Addr != addrs[0] || b.HTTPAddr != addrs[1] || b.RaftAddr != addrs[2] {
		t.Fatalf("listening on %s %s %s, asked for %v", b.Addr, b.HTTPAddr, b.RaftAddr, addrs)
	}
	dial(t, b.Addr)
}
