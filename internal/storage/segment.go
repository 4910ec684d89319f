package storage

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/gregor-stream/gregor/internal/record"
)

// segment is one .log file and its two indexes. Its fields are guarded by
// the owning Log's mutex; file reads below a captured size need no lock
// because appends only write past it.
type segment struct {
	base int64
	dir  string
	log  File
	idx  offsetIndex
	tidx timeIndex
	txn  txnIndex

	size            int64 // bytes of whole batches in the log file
	next            int64 // offset after the last batch
	maxTs           int64 // largest batch max timestamp, -1 if none
	maxTsOffset     int64 // base offset of the batch holding maxTs
	rollMs          int64 // when segment.ms counts from
	bytesSinceIndex int64
	needSync        bool // sealed since the last flush: files still to fsync

	deleted atomic.Bool
}

// errBadSegment marks stored data that does not parse. It deliberately
// does not wrap record.ErrCorrupt: a damaged file is a storage error, not
// a corrupt message from the client.
var errBadSegment = errors.New("malformed segment data")

func segmentFile(dir string, base int64, ext string) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", base, ext))
}

const (
	extLog       = ".log"
	extIndex     = ".index"
	extTimeIndex = ".timeindex"
	extSnapshot  = ".snapshot"
	extDeleted   = ".deleted"
)

// segmentExts are the files of one segment; .txnindex may be missing.
var segmentExts = []string{extLog, extIndex, extTimeIndex, extTxnIndex}

// openSegmentFiles opens (creating if asked and missing) the three files.
func openSegmentFiles(fsys FS, dir string, base int64, create bool) (*segment, error) {
	flag := os.O_RDWR
	if create {
		flag |= os.O_CREATE | os.O_TRUNC
	}
	s := &segment{base: base, dir: dir, next: base, maxTs: -1, maxTsOffset: -1}
	var err error
	if s.log, err = fsys.OpenFile(segmentFile(dir, base, extLog), flag, 0o644); err != nil {
		return nil, fmt.Errorf("open segment %d: %w", base, err)
	}
	// Index files are derived data: a missing one is recreated.
	if s.idx.f, err = fsys.OpenFile(segmentFile(dir, base, extIndex), flag|os.O_CREATE, 0o644); err != nil {
		s.log.Close()
		return nil, fmt.Errorf("open index %d: %w", base, err)
	}
	if s.tidx.f, err = fsys.OpenFile(segmentFile(dir, base, extTimeIndex), flag|os.O_CREATE, 0o644); err != nil {
		s.log.Close()
		s.idx.f.Close()
		return nil, fmt.Errorf("open time index %d: %w", base, err)
	}
	if create {
		// A stale .txnindex at this base belongs to data that is gone.
		if err := fsys.Remove(segmentFile(dir, base, extTxnIndex)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.close()
			return nil, fmt.Errorf("remove stale txn index %d: %w", base, err)
		}
		s.txn = txnIndex{last: -1}
	} else if s.txn, err = openTxnIndex(fsys, dir, base); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

func createSegment(fsys FS, dir string, base, nowMs int64) (*segment, error) {
	s, err := openSegmentFiles(fsys, dir, base, true)
	if err != nil {
		return nil, err
	}
	s.idx.mem = []indexEntry{}
	s.tidx.mem = []timeEntry{}
	s.rollMs = nowMs
	return s, nil
}

func (s *segment) close() error {
	err := errors.Join(s.log.Close(), s.idx.f.Close(), s.tidx.f.Close(), s.txn.close())
	if err != nil {
		return fmt.Errorf("close segment %d: %w", s.base, err)
	}
	return nil
}

// syncAll fsyncs the log and both indexes.
func (s *segment) syncAll() error {
	if err := s.log.Sync(); err != nil {
		return fmt.Errorf("sync segment %d: %w", s.base, err)
	}
	if err := s.idx.f.Sync(); err != nil {
		return fmt.Errorf("sync index %d: %w", s.base, err)
	}
	if err := s.tidx.f.Sync(); err != nil {
		return fmt.Errorf("sync time index %d: %w", s.base, err)
	}
	if err := s.txn.sync(); err != nil {
		return fmt.Errorf("sync txn index %d: %w", s.base, err)
	}
	return nil
}

// readHeader reads the batch header at pos, bounded by limit.
func (s *segment) readHeader(pos, limit int64) (record.Batch, error) {
	if pos+record.HeaderSize > limit {
		return nil, fmt.Errorf("segment %d: header at %d past %d: %w", s.base, pos, limit, errBadSegment)
	}
	h := make([]byte, record.HeaderSize)
	if _, err := s.log.ReadAt(h, pos); err != nil {
		return nil, fmt.Errorf("read segment %d at %d: %w", s.base, pos, err)
	}
	b := record.Batch(h)
	if n := int64(b.Length()); n < record.HeaderSize || pos+n > limit {
		return nil, fmt.Errorf("segment %d: batch at %d has length %d: %w", s.base, pos, n, errBadSegment)
	}
	return b, nil
}

// find returns the position and header of the first batch whose last
// offset is >= offset, scanning from the index hint; ok is false if the
// segment (up to limit) has none.
func (s *segment) find(offset, limit int64) (pos int64, hdr record.Batch, ok bool, err error) {
	if offset > s.base {
		rel := offset - s.base
		if rel > int64(^uint32(0)) {
			rel = int64(^uint32(0))
		}
		if pos, err = s.idx.lookup(uint32(rel)); err != nil {
			return 0, nil, false, err
		}
	}
	for pos < limit {
		if hdr, err = s.readHeader(pos, limit); err != nil {
			return 0, nil, false, err
		}
		if hdr.LastOffset() >= offset {
			return pos, hdr, true, nil
		}
		pos += int64(hdr.Length())
	}
	return pos, nil, false, nil
}

// headers calls fn for every batch header from pos up to limit.
func (s *segment) headers(pos, limit int64, fn func(pos int64, hdr record.Batch) error) error {
	for pos < limit {
		hdr, err := s.readHeader(pos, limit)
		if err != nil {
			return err
		}
		if err := fn(pos, hdr); err != nil {
			return err
		}
		pos += int64(hdr.Length())
	}
	return nil
}

// noteBatch updates the in-memory bookkeeping for a batch at pos and
// returns the index entries it calls for (not yet written).
func (s *segment) noteBatch(b record.Batch, pos int64, interval int32) (ie *indexEntry, te *timeEntry) {
	if pos == 0 || s.bytesSinceIndex >= int64(interval) {
		ie = &indexEntry{Rel: uint32(b.BaseOffset() - s.base), Pos: uint32(pos)}
		s.bytesSinceIndex = 0
	}
	s.bytesSinceIndex += int64(b.Length())
	if ts := b.MaxTimestamp(); ts > s.maxTs {
		s.maxTs, s.maxTsOffset = ts, b.BaseOffset()
	}
	if ie != nil && s.maxTs >= 0 && (s.tidx.n == 0 || s.maxTs > s.tidx.last.Timestamp) {
		te = &timeEntry{Timestamp: s.maxTs, Rel: uint32(s.maxTsOffset - s.base)}
	}
	s.next = b.LastOffset() + 1
	return ie, te
}

// sealTimeIndex writes a final time index entry so the segment's largest
// timestamp is known later without scanning it.
func (s *segment) sealTimeIndex() error {
	if s.maxTs < 0 || (s.tidx.n > 0 && s.maxTs <= s.tidx.last.Timestamp) {
		return nil
	}
	return s.tidx.append(timeEntry{Timestamp: s.maxTs, Rel: uint32(s.maxTsOffset - s.base)})
}

// recoverChunk is how much of a log file recovery reads at a time.
const recoverChunk = 1 << 20

// rebuild scans the whole log file, checking each batch's length, magic and
// (if verify) CRC, truncates the file at the first bad or torn batch and
// rebuilds both indexes. It returns how many bytes were cut off.
func (s *segment) rebuild(cfg LogConfig, verify, active bool) (truncated int64, err error) {
	st, err := s.log.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat segment %d: %w", s.base, err)
	}
	fileSize := st.Size()
	if err := s.idx.reset(active); err != nil {
		return 0, err
	}
	if err := s.tidx.reset(active); err != nil {
		return 0, err
	}
	s.size, s.next, s.maxTs, s.maxTsOffset, s.bytesSinceIndex = 0, s.base, -1, -1, 0
	var ies []indexEntry
	var buf []byte
	var pos int64
	expect := s.base
	for pos < fileSize {
		want := min(int64(recoverChunk), fileSize-pos)
		if int64(cap(buf)) < want {
			buf = make([]byte, want)
		}
		buf = buf[:want]
		if _, err := s.log.ReadAt(buf, pos); err != nil && err != io.EOF {
			return 0, fmt.Errorf("read segment %d at %d: %w", s.base, pos, err)
		}
		consumed, bad := s.scanChunk(buf, pos, fileSize, verify, &expect, cfg, &ies)
		pos += consumed
		if bad {
			break
		}
		if consumed == 0 {
			// A batch larger than the chunk: read exactly it next round.
			n := int64(int32(be32(buf[8:12]))) + record.LogOverhead
			if int64(cap(buf)) < n {
				buf = make([]byte, 0, n)
			}
			whole := buf[:n]
			if _, err := s.log.ReadAt(whole, pos); err != nil {
				return 0, fmt.Errorf("read segment %d at %d: %w", s.base, pos, err)
			}
			c, bad := s.scanChunk(whole, pos, fileSize, verify, &expect, cfg, &ies)
			pos += c
			if bad || c == 0 {
				break
			}
		}
	}
	if pos < fileSize {
		if err := s.log.Truncate(pos); err != nil {
			return 0, fmt.Errorf("truncate segment %d at %d: %w", s.base, pos, err)
		}
	}
	s.size = pos
	if err := s.idx.append(ies); err != nil {
		return 0, err
	}
	if err := s.sealTimeIndex(); err != nil {
		return 0, err
	}
	return fileSize - pos, nil
}

// scanChunk checks the whole batches in buf (which starts at file position
// base) and returns the bytes consumed; bad reports a corrupt batch, after
// which nothing more of the file is trusted.
func (s *segment) scanChunk(buf []byte, base, fileSize int64, verify bool, expect *int64, cfg LogConfig, ies *[]indexEntry) (consumed int64, bad bool) {
	for {
		rest := buf[consumed:]
		if len(rest) < record.LogOverhead {
			return consumed, base+consumed+int64(len(rest)) >= fileSize && len(rest) > 0
		}
		n := int64(int32(be32(rest[8:12]))) + record.LogOverhead
		if n < record.HeaderSize || base+consumed+n > fileSize {
			return consumed, true
		}
		if n > int64(len(rest)) {
			return consumed, false
		}
		b := record.Batch(rest[:n])
		if b.Magic() != record.CurrentMagic || b.LastOffsetDelta() < 0 || b.BaseOffset() < *expect ||
			(verify && b.ComputeCRC() != b.CRC()) {
			return consumed, true
		}
		if b.LastOffset()-s.base > int64(^uint32(0)>>1) {
			return consumed, true
		}
		ie, te := s.noteBatch(b, base+consumed, cfg.IndexIntervalBytes)
		if ie != nil {
			*ies = append(*ies, *ie)
		}
		if te != nil {
			if err := s.tidx.append(*te); err != nil {
				return consumed, true
			}
		}
		*expect = b.LastOffset() + 1
		consumed += n
	}
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// loadTrusted opens a segment that needs no scan (clean shutdown or below
// the recovery point). Sealed segments read only their index sizes and the
// last time index entry; the active one loads its indexes into memory and
// walks the few batches after the last index entry to find its end. A
// malformed index falls back to a rebuild.
func (s *segment) loadTrusted(cfg LogConfig, active bool, nowMs int64) (rebuilt bool, err error) {
	st, err := s.log.Stat()
	if err != nil {
		return false, fmt.Errorf("stat segment %d: %w", s.base, err)
	}
	s.size = st.Size()
	if s.size > 0 {
		if hdr, err := s.readHeader(0, s.size); err == nil {
			s.rollMs = hdr.MaxTimestamp()
		}
	}
	if s.rollMs <= 0 {
		s.rollMs = nowMs
	}
	if !active {
		ist, err := s.idx.f.Stat()
		if err != nil {
			return false, err
		}
		if ist.Size()%indexEntrySize != 0 {
			_, err := s.rebuild(cfg, false, false)
			return true, err
		}
		s.idx.n = int(ist.Size() / indexEntrySize)
		if err := s.tidx.loadLast(); err != nil {
			_, err := s.rebuild(cfg, false, false)
			return true, err
		}
		if s.tidx.n > 0 {
			s.maxTs, s.maxTsOffset = s.tidx.last.Timestamp, s.base+int64(s.tidx.last.Rel)
		}
		return false, nil
	}
	if err := s.idx.load(s.size); err != nil {
		_, err := s.rebuild(cfg, false, true)
		return true, err
	}
	if err := s.tidx.load(); err != nil {
		_, err := s.rebuild(cfg, false, true)
		return true, err
	}
	if s.tidx.n > 0 {
		s.maxTs, s.maxTsOffset = s.tidx.last.Timestamp, s.base+int64(s.tidx.last.Rel)
	}
	var start int64
	if s.idx.n > 0 {
		e, err := s.idx.entry(s.idx.n - 1)
		if err != nil {
			return false, err
		}
		start = int64(e.Pos)
	}
	err = s.headers(start, s.size, func(pos int64, hdr record.Batch) error {
		s.bytesSinceIndex += int64(hdr.Length())
		if ts := hdr.MaxTimestamp(); ts > s.maxTs {
			s.maxTs, s.maxTsOffset = ts, hdr.BaseOffset()
		}
		s.next = hdr.LastOffset() + 1
		return nil
	})
	if err != nil {
		_, err := s.rebuild(cfg, true, true)
		return true, err
	}
	return false, nil
}
