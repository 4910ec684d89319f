package quorum

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func entry(i uint64) *raft.Log {
	return &raft.Log{Index: i, Term: 1 + i/10, Type: raft.LogCommand, Data: []byte{byte(i), byte(i >> 8), 7}, AppendedAt: time.Unix(0, int64(i)*1000)}
}

func storeRange(t *testing.T, s *LogStore, from, to uint64) {
	t.Helper()
	var logs []*raft.Log
	for i := from; i <= to; i++ {
		logs = append(logs, entry(i))
	}
	if err := s.StoreLogs(logs); err != nil {
		t.Fatal(err)
	}
}

func checkRange(t *testing.T, s *LogStore, first, last uint64) {
	t.Helper()
	f, _ := s.FirstIndex()
	l, _ := s.LastIndex()
	if f != first || l != last {
		t.Fatalf("range %d..%d, want %d..%d", f, l, first, last)
	}
	for i := first; i <= last && last != 0; i++ {
		var got raft.Log
		if err := s.GetLog(i, &got); err != nil {
			t.Fatalf("get %d: %v", i, err)
		}
		want := entry(i)
		if got.Index != i || got.Term != want.Term || !bytes.Equal(got.Data, want.Data) || !got.AppendedAt.Equal(want.AppendedAt) {
			t.Fatalf("entry %d = %+v, want %+v", i, got, want)
		}
	}
	var none raft.Log
	if err := s.GetLog(last+1, &none); !errors.Is(err, raft.ErrLogNotFound) {
		t.Fatalf("get past the end: %v", err)
	}
}

func TestLogStoreSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raft.log")
	s, err := OpenLogStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkRange(t, s, 0, 0)
	storeRange(t, s, 1, 20)
	if err := s.StoreLog(entry(21)); err != nil {
		t.Fatal(err)
	}
	if err := s.StoreLog(entry(23)); err == nil {
		t.Fatal("gap accepted")
	}
	s.Close()

	s, err = OpenLogStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkRange(t, s, 1, 21)

	// Compaction: drop a prefix; conflict: drop a suffix; then append.
	if err := s.DeleteRange(1, 10); err != nil {
		t.Fatal(err)
	}
	checkRange(t, s, 11, 21)
	if err := s.DeleteRange(18, 21); err != nil {
		t.Fatal(err)
	}
	checkRange(t, s, 11, 17)
	storeRange(t, s, 18, 25)
	s.Close()

	s, err = OpenLogStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkRange(t, s, 11, 25)
	if err := s.DeleteRange(0, 100); err != nil {
		t.Fatal(err)
	}
	checkRange(t, s, 0, 0)
	storeRange(t, s, 40, 42) // after a snapshot install the log restarts anywhere
	s.Close()
	s, err = OpenLogStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkRange(t, s, 40, 42)
}

func TestLogStoreTruncatesTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raft.log")
	s, err := OpenLogStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	storeRange(t, s, 1, 5)
	s.Close()
	good, _ := os.ReadFile(path)

	// A torn write: half of a sixth frame.
	frame := EncodeFrame(entry(6))
	if err := os.WriteFile(path, append(append([]byte(nil), good...), frame[:len(frame)/2]...), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = OpenLogStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkRange(t, s, 1, 5)
	storeRange(t, s, 6, 7)
	s.Close()
	s, err = OpenLogStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkRange(t, s, 1, 7)
	s.Close()

	// A flipped bit in the last frame: it is dropped, the rest kept.
	data, _ := os.ReadFile(path)
	data[len(data)-2] ^= 0x40
	os.WriteFile(path, data, 0o644)
	s, err = OpenLogStore(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checkRange(t, s, 1, 6)
}

func TestStableStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stable.json")
	s, err := OpenStableStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.GetUint64([]byte("CurrentTerm")); v != 0 {
		t.Fatalf("empty store term %d", v)
	}
	if err := s.SetUint64([]byte("CurrentTerm"), 42); err != nil {
		t.Fatal(err)
	}
	if err := s.Set([]byte("LastVoteCand"), []byte("node-1")); err != nil {
		t.Fatal(err)
	}
	s, err = OpenStableStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := s.GetUint64([]byte("CurrentTerm")); v != 42 {
		t.Fatalf("term %d after reopen", v)
	}
	if v, _ := s.Get([]byte("LastVoteCand")); string(v) != "node-1" {
		t.Fatalf("vote %q after reopen", v)
	}
	if v, _ := s.Get([]byte("missing")); len(v) != 0 {
		t.Fatalf("missing key = %q", v)
	}
}

func FuzzDecodeFrame(f *testing.F) {
	f.Add(EncodeFrame(entry(1)))
	f.Add(EncodeFrame(&raft.Log{Index: 9, Extensions: []byte("x")}))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, n, err := DecodeFrame(b)
		if err != nil {
			return
		}
		if n > len(b) {
			t.Fatalf("size %d > input %d", n, len(b))
		}
		again := EncodeFrame(&l)
		l2, _, err := DecodeFrame(again)
		if err != nil || l2.Index != l.Index || l2.Term != l.Term || !bytes.Equal(l2.Data, l.Data) || !bytes.Equal(l2.Extensions, l.Extensions) {
			t.Fatalf("round trip: %+v vs %+v (%v)", l, l2, err)
		}
	})
}

// FuzzOpenLogStore opens arbitrary file contents: the store must come up
// with a contiguous log, cut the file to exactly its valid frames, and
// accept the next append.
func FuzzOpenLogStore(f *testing.F) {
	var good []byte
	for i := uint64(1); i <= 3; i++ {
		good = append(good, EncodeFrame(entry(i))...)
	}
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add(append(append([]byte(nil), good...), EncodeFrame(entry(9))...))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "raft.log")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		s, err := OpenLogStore(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		first, _ := s.FirstIndex()
		last, _ := s.LastIndex()
		var size int
		for i := first; i <= last && last != 0; i++ {
			var l raft.Log
			if err := s.GetLog(i, &l); err != nil {
				t.Fatalf("hole at %d in %d..%d", i, first, last)
			}
			size += len(EncodeFrame(&l))
		}
		if fi, err := os.Stat(path); err != nil || fi.Size() != int64(size) {
			t.Fatalf("file is %d bytes, valid frames %d", fi.Size(), size)
		}
		next := last + 1
		if last == 0 {
			next = 1
		}
		if err := s.StoreLog(entry(next)); err != nil {
			t.Fatal(err)
		}
	})
}
