package quorum

import (
	"bytes"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

// listFSM appends every command; enough to see what raft replays.
type listFSM struct {
	mu   sync.Mutex
	cmds []string
}

func (f *listFSM) Apply(l *raft.Log) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cmds = append(f.cmds, string(l.Data))
	return len(f.cmds)
}

func (f *listFSM) Snapshot() (raft.FSMSnapshot, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b bytes.Buffer
	for _, c := range f.cmds {
		b.WriteString(c + "\n")
	}
	return snap(b.Bytes()), nil
}

func (f *listFSM) Restore(r io.ReadCloser) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cmds = nil
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(line) > 0 {
			f.cmds = append(f.cmds, string(line))
		}
	}
	return nil
}

func (f *listFSM) list() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.cmds...)
}

type snap []byte

func (s snap) Persist(sink raft.SnapshotSink) error {
	if _, err := sink.Write(s); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}
func (s snap) Release() {}

func waitLeader(t *testing.T, q *Quorum) time.Duration {
	t.Helper()
	start := time.Now()
	select {
	case <-q.Raft.LeaderCh():
	case <-time.After(10 * time.Second):
		t.Fatal("no leader after 10s")
	}
	for !q.IsLeader() {
		if time.Since(start) > 10*time.Second {
			t.Fatal("not leader")
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestSingleVoterRestartReplays(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{NodeID: 1, Dir: dir, BindAddr: "127.0.0.1:0", Logger: quietLogger()}
	fsm := &listFSM{}
	q, err := Open(cfg, fsm)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Bootstrapped {
		t.Error("fresh dir not bootstrapped")
	}
	took := waitLeader(t, q)
	t.Logf("leader after %v", took)
	if id, _ := q.Leader(); id != 1 {
		t.Errorf("leader id %d", id)
	}
	for _, c := range []string{"a", "b", "c"} {
		f := q.Raft.Apply([]byte(c), 5*time.Second)
		if err := f.Error(); err != nil {
			t.Fatal(err)
		}
	}
	if got := fsm.list(); len(got) != 3 || got[2] != "c" {
		t.Fatalf("applied %v", got)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopen without a snapshot: the log replays once leadership returns.
	fsm2 := &listFSM{}
	q, err = Open(cfg, fsm2)
	if err != nil {
		t.Fatal(err)
	}
	if q.Bootstrapped {
		t.Error("existing state bootstrapped again")
	}
	waitLeader(t, q)
	if err := q.Raft.Barrier(5 * time.Second).Error(); err != nil {
		t.Fatal(err)
	}
	if got := fsm2.list(); len(got) != 3 || got[0] != "a" {
		t.Fatalf("replayed %v", got)
	}
	// Snapshot, more entries, restart: snapshot restore plus tail replay.
	if err := q.Raft.Snapshot().Error(); err != nil {
		t.Fatal(err)
	}
	if err := q.Raft.Apply([]byte("d"), 5*time.Second).Error(); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	fsm3 := &listFSM{}
	q, err = Open(cfg, fsm3)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	waitLeader(t, q)
	if err := q.Raft.Barrier(5 * time.Second).Error(); err != nil {
		t.Fatal(err)
	}
	if got := fsm3.list(); len(got) != 4 || got[3] != "d" {
		t.Fatalf("after snapshot restart %v", got)
	}
}

func TestCompactionThenRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{NodeID: 1, Dir: dir, BindAddr: "127.0.0.1:0", Logger: quietLogger(), TrailingLogs: 10}
	fsm := &listFSM{}
	q, err := Open(cfg, fsm)
	if err != nil {
		t.Fatal(err)
	}
	waitLeader(t, q)
	const total = 200
	for i := 0; i < total; i++ {
		if err := q.Raft.Apply([]byte{'a' + byte(i%26)}, 5*time.Second).Error(); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Raft.Snapshot().Error(); err != nil {
		t.Fatal(err)
	}
	first, _ := q.logs.FirstIndex()
	last, _ := q.logs.LastIndex()
	if first <= 1 || last-first+1 > 20 {
		t.Errorf("log not compacted: %d..%d", first, last)
	}
	for i := 0; i < 5; i++ {
		if err := q.Raft.Apply([]byte("z"), 5*time.Second).Error(); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}

	fsm2 := &listFSM{}
	q, err = Open(cfg, fsm2)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	waitLeader(t, q)
	if err := q.Raft.Barrier(5 * time.Second).Error(); err != nil {
		t.Fatal(err)
	}
	got := fsm2.list()
	if len(got) != total+5 || got[0] != "a" || got[total-1] != string(rune('a'+(total-1)%26)) || got[total+4] != "z" {
		t.Fatalf("after compaction and restart: %d commands, first %v last %v", len(got), got[:1], got[len(got)-1:])
	}
}

func TestSecondOpenOfADirFails(t *testing.T) {
	dir := t.TempDir()
	q, err := Open(Config{NodeID: 1, Dir: dir, BindAddr: "127.0.0.1:0", Logger: quietLogger()}, &listFSM{})
	if err != nil {
		t.Fatal(err)
	}
	if q2, err := Open(Config{NodeID: 1, Dir: dir, BindAddr: "127.0.0.1:0", Logger: quietLogger()}, &listFSM{}); err == nil {
		q2.Close()
		t.Fatal("second open of the same dir succeeded")
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	q, err = Open(Config{NodeID: 1, Dir: dir, BindAddr: "127.0.0.1:0", Logger: quietLogger()}, &listFSM{})
	if err != nil {
		t.Fatalf("reopen after close: %v", err)
	}
	q.Close()
}
