package quorum

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// LogStore is raft's log in one append-only file. Every entry is kept in
// memory as well: the metadata log is small because raft snapshots and
// compacts it. Each write is fsynced before it returns; a torn or corrupt
// tail found at open is truncated (those entries were never acknowledged).
//
// Frame: u32 payload length, u32 CRC32C of the payload, payload. Payload:
// u64 index, u64 term, u8 type, i64 appended-at (unix ns), u32 data length,
// data, u32 extensions length, extensions. All big-endian.
type LogStore struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	size    int64
	entries []raft.Log // contiguous indexes
	offsets []int64    // file offset of each entry's frame
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

const (
	frameHeader = 8
	fixedFields = 8 + 8 + 1 + 8 + 4 + 4
	maxPayload  = 256 << 20
)

var _ raft.LogStore = (*LogStore)(nil)
var _ raft.MonotonicLogStore = (*LogStore)(nil)

// OpenLogStore opens or creates the log file at path.
func OpenLogStore(path string, logger *slog.Logger) (*LogStore, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open raft log: %w", err)
	}
	s := &LogStore{path: path, f: f}
	if err := s.load(logger); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

func (s *LogStore) load(logger *slog.Logger) error {
	data, err := io.ReadAll(s.f)
	if err != nil {
		return fmt.Errorf("read raft log: %w", err)
	}
	var off int64
	for off < int64(len(data)) {
		l, n, err := DecodeFrame(data[off:])
		if err == nil && len(s.entries) > 0 && l.Index != s.entries[len(s.entries)-1].Index+1 {
			err = fmt.Errorf("index %d after %d", l.Index, s.entries[len(s.entries)-1].Index)
		}
		if err != nil {
			if logger != nil {
				logger.Warn("truncating raft log tail", "path", s.path, "offset", off, "dropped_bytes", int64(len(data))-off, "reason", err)
			}
			if err := s.f.Truncate(off); err != nil {
				return fmt.Errorf("truncate raft log: %w", err)
			}
			if err := s.f.Sync(); err != nil {
				return fmt.Errorf("sync raft log: %w", err)
			}
			break
		}
		s.entries = append(s.entries, l)
		s.offsets = append(s.offsets, off)
		off += int64(n)
	}
	s.size = off
	if _, err := s.f.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("seek raft log: %w", err)
	}
	return nil
}

// IsMonotonic tells raft this store cannot hold gaps, so after installing a
// snapshot raft empties it instead of leaving a hole.
func (s *LogStore) IsMonotonic() bool { return true }

// FirstIndex returns the first index held, 0 when empty.
func (s *LogStore) FirstIndex() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) == 0 {
		return 0, nil
	}
	return s.entries[0].Index, nil
}

// LastIndex returns the last index held, 0 when empty.
func (s *LogStore) LastIndex() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) == 0 {
		return 0, nil
	}
	return s.entries[len(s.entries)-1].Index, nil
}

// GetLog copies the entry at index into out.
func (s *LogStore) GetLog(index uint64, out *raft.Log) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.pos(index)
	if !ok {
		return raft.ErrLogNotFound
	}
	*out = s.entries[i]
	return nil
}

// s.mu must be held.
func (s *LogStore) pos(index uint64) (int, bool) {
	if len(s.entries) == 0 || index < s.entries[0].Index {
		return 0, false
	}
	i := index - s.entries[0].Index
	if i >= uint64(len(s.entries)) {
		return 0, false
	}
	return int(i), true
}

// StoreLog appends one entry.
func (s *LogStore) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

// StoreLogs appends entries, which must continue the log, and fsyncs.
func (s *LogStore) StoreLogs(logs []*raft.Log) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(logs) == 0 {
		return nil
	}
	next := uint64(0)
	if len(s.entries) > 0 {
		next = s.entries[len(s.entries)-1].Index + 1
	}
	w := bufio.NewWriter(s.f)
	off := s.size
	var offsets []int64
	for _, l := range logs {
		if next != 0 && l.Index != next {
			return fmt.Errorf("store raft log %d: not contiguous with %d", l.Index, next-1)
		}
		next = l.Index + 1
		frame := EncodeFrame(l)
		offsets = append(offsets, off)
		off += int64(len(frame))
		if _, err := w.Write(frame); err != nil {
			return s.undo(fmt.Errorf("write raft log: %w", err))
		}
	}
	if err := w.Flush(); err != nil {
		return s.undo(fmt.Errorf("write raft log: %w", err))
	}
	if err := s.f.Sync(); err != nil {
		return s.undo(fmt.Errorf("sync raft log: %w", err))
	}
	for i, l := range logs {
		e := *l
		e.Data = append([]byte(nil), l.Data...)
		e.Extensions = append([]byte(nil), l.Extensions...)
		s.entries = append(s.entries, e)
		s.offsets = append(s.offsets, offsets[i])
	}
	s.size = off
	return nil
}

// undo cuts a partly written append off so the file matches memory again.
// s.mu must be held.
func (s *LogStore) undo(err error) error {
	if terr := s.f.Truncate(s.size); terr != nil {
		return errors.Join(err, fmt.Errorf("truncate raft log: %w", terr))
	}
	if _, serr := s.f.Seek(s.size, io.SeekStart); serr != nil {
		return errors.Join(err, fmt.Errorf("seek raft log: %w", serr))
	}
	return err
}

// DeleteRange removes entries min..max inclusive. Raft only removes a
// prefix (compaction after a snapshot) or a suffix (a conflicting tail on a
// follower): a suffix is a truncate, a prefix rewrites the file crash-safely.
func (s *LogStore) DeleteRange(min, max uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) == 0 || max < min {
		return nil
	}
	first, last := s.entries[0].Index, s.entries[len(s.entries)-1].Index
	if max < first || min > last {
		return nil
	}
	switch {
	case min <= first && max >= last:
		return s.rewrite(nil)
	case max >= last:
		i, _ := s.pos(min)
		if err := s.f.Truncate(s.offsets[i]); err != nil {
			return fmt.Errorf("truncate raft log: %w", err)
		}
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("sync raft log: %w", err)
		}
		s.size = s.offsets[i]
		if _, err := s.f.Seek(s.size, io.SeekStart); err != nil {
			return fmt.Errorf("seek raft log: %w", err)
		}
		s.entries, s.offsets = s.entries[:i], s.offsets[:i]
		return nil
	case min <= first:
		i, _ := s.pos(max)
		return s.rewrite(s.entries[i+1:])
	default:
		return fmt.Errorf("delete raft log %d..%d: only a prefix or a suffix can be deleted", min, max)
	}
}

// rewrite replaces the file with just keep: temp file, fsync, rename, fsync
// the directory, so a crash leaves either the old or the new log.
// s.mu must be held.
func (s *LogStore) rewrite(keep []raft.Log) error {
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("rewrite raft log: %w", err)
	}
	w := bufio.NewWriter(f)
	var off int64
	offsets := make([]int64, 0, len(keep))
	for i := range keep {
		frame := EncodeFrame(&keep[i])
		offsets = append(offsets, off)
		off += int64(len(frame))
		if _, err := w.Write(frame); err != nil {
			f.Close()
			return fmt.Errorf("rewrite raft log: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("rewrite raft log: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync raft log: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		f.Close()
		return fmt.Errorf("replace raft log: %w", err)
	}
	if err := syncDir(filepath.Dir(s.path)); err != nil {
		f.Close()
		return err
	}
	s.f.Close()
	s.f = f
	s.size = off
	s.entries = append([]raft.Log(nil), keep...)
	s.offsets = offsets
	return nil
}

// Close closes the file.
func (s *LogStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}

// EncodeFrame encodes one entry as stored on disk.
func EncodeFrame(l *raft.Log) []byte {
	n := fixedFields + len(l.Data) + len(l.Extensions)
	b := make([]byte, frameHeader, frameHeader+n)
	binary.BigEndian.PutUint32(b[0:], uint32(n))
	b = binary.BigEndian.AppendUint64(b, l.Index)
	b = binary.BigEndian.AppendUint64(b, l.Term)
	b = append(b, byte(l.Type))
	var at int64
	if !l.AppendedAt.IsZero() {
		at = l.AppendedAt.UnixNano()
	}
	b = binary.BigEndian.AppendUint64(b, uint64(at))
	b = binary.BigEndian.AppendUint32(b, uint32(len(l.Data)))
	b = append(b, l.Data...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(l.Extensions)))
	b = append(b, l.Extensions...)
	binary.BigEndian.PutUint32(b[4:], crc32.Checksum(b[frameHeader:], crcTable))
	return b
}

var errShortFrame = errors.New("short frame")

// DecodeFrame decodes the frame at the start of b and returns its size.
func DecodeFrame(b []byte) (raft.Log, int, error) {
	if len(b) < frameHeader {
		return raft.Log{}, 0, errShortFrame
	}
	n := binary.BigEndian.Uint32(b)
	if n < fixedFields || n > maxPayload {
		return raft.Log{}, 0, fmt.Errorf("bad frame length %d", n)
	}
	if uint64(len(b)) < frameHeader+uint64(n) {
		return raft.Log{}, 0, errShortFrame
	}
	p := b[frameHeader : frameHeader+n]
	if crc32.Checksum(p, crcTable) != binary.BigEndian.Uint32(b[4:]) {
		return raft.Log{}, 0, errors.New("crc mismatch")
	}
	var l raft.Log
	l.Index = binary.BigEndian.Uint64(p)
	l.Term = binary.BigEndian.Uint64(p[8:])
	l.Type = raft.LogType(p[16])
	if at := int64(binary.BigEndian.Uint64(p[17:])); at != 0 {
		l.AppendedAt = time.Unix(0, at)
	}
	rest := p[25:]
	dl := binary.BigEndian.Uint32(rest)
	rest = rest[4:]
	if uint64(dl)+4 > uint64(len(rest)) {
		return raft.Log{}, 0, errors.New("bad data length")
	}
	l.Data = append([]byte(nil), rest[:dl]...)
	rest = rest[dl:]
	el := binary.BigEndian.Uint32(rest)
	rest = rest[4:]
	if uint64(el) != uint64(len(rest)) {
		return raft.Log{}, 0, errors.New("bad extensions length")
	}
	if el > 0 {
		l.Extensions = append([]byte(nil), rest...)
	}
	if len(l.Data) == 0 {
		l.Data = nil
	}
	return l, frameHeader + int(n), nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}
