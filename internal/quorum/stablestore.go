package quorum

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/hashicorp/raft"
)

// StableStore keeps raft's few durable keys (current term, last vote) in a
// small JSON file, replaced crash-safely on every change. Changes are rare:
// once per election.
type StableStore struct {
	mu   sync.Mutex
	path string
	kv   map[string][]byte
}

var _ raft.StableStore = (*StableStore)(nil)

// OpenStableStore loads the store at path, empty if it does not exist.
func OpenStableStore(path string) (*StableStore, error) {
	s := &StableStore{path: path, kv: map[string][]byte{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read raft stable store: %w", err)
	}
	if err := json.Unmarshal(data, &s.kv); err != nil {
		return nil, fmt.Errorf("decode raft stable store %s: %w", path, err)
	}
	return s, nil
}

// Set stores val under key durably.
func (s *StableStore) Set(key, val []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, had := s.kv[string(key)]
	s.kv[string(key)] = append([]byte(nil), val...)
	if err := s.persist(); err != nil {
		if had {
			s.kv[string(key)] = old
		} else {
			delete(s.kv, string(key))
		}
		return err
	}
	return nil
}

// Get returns the value of key, empty when not set.
func (s *StableStore) Get(key []byte) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.kv[string(key)]...), nil
}

// SetUint64 stores a number under key durably.
func (s *StableStore) SetUint64(key []byte, val uint64) error {
	return s.Set(key, binary.BigEndian.AppendUint64(nil, val))
}

// GetUint64 returns the number under key, 0 when not set.
func (s *StableStore) GetUint64(key []byte) (uint64, error) {
	v, _ := s.Get(key)
	if len(v) == 0 {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("raft stable store key %q: not a uint64", key)
	}
	return binary.BigEndian.Uint64(v), nil
}

// s.mu must be held.
func (s *StableStore) persist() error {
	data, err := json.Marshal(s.kv)
	if err != nil {
		return fmt.Errorf("encode raft stable store: %w", err)
	}
	return writeFileAtomic(s.path, data)
}

// writeFileAtomic replaces path with data: temp file, fsync, rename, fsync
// the directory.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}
