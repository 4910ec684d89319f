package storage

import (
	"encoding/binary"
	"fmt"
	"io"
	"sort"
)

// The offset index maps a batch's base offset (relative to the segment
// base) to its byte position in the .log file, every index.interval.bytes.
// The time index maps the largest timestamp seen so far in the segment to
// the base offset (relative) of the batch that holds it.
//
// Memory: only the active segment keeps entries in RAM, and only its most
// recent memTail entries (the ones tail-following consumers hit). Older
// entries and sealed segments are found by binary search with ReadAt on the
// file, which the page cache makes cheap, so RAM per partition is bounded
// and does not grow with segment size or count.
const (
	indexEntrySize = 8
	timeEntrySize  = 12
	memTail        = 1024
)

type indexEntry struct {
	Rel uint32 // offset - segment base
	Pos uint32 // byte position in the log file
}

type timeEntry struct {
	Timestamp int64
	Rel       uint32
}

// decodeIndex parses offset index bytes, checking that offsets and
// positions strictly increase and that positions lie inside the log.
func decodeIndex(data []byte, logSize int64) ([]indexEntry, error) {
	if len(data)%indexEntrySize != 0 {
		return nil, fmt.Errorf("offset index of %d bytes: %w", len(data), ErrCorrupt)
	}
	out := make([]indexEntry, len(data)/indexEntrySize)
	for i := range out {
		e := indexEntry{binary.BigEndian.Uint32(data[i*8:]), binary.BigEndian.Uint32(data[i*8+4:])}
		if int64(e.Pos) >= logSize {
			return nil, fmt.Errorf("offset index entry %d points at %d past the log (%d): %w", i, e.Pos, logSize, ErrCorrupt)
		}
		if i > 0 && (e.Rel <= out[i-1].Rel || e.Pos <= out[i-1].Pos) {
			return nil, fmt.Errorf("offset index entry %d does not increase: %w", i, ErrCorrupt)
		}
		out[i] = e
	}
	return out, nil
}

func decodeTimeIndex(data []byte) ([]timeEntry, error) {
	if len(data)%timeEntrySize != 0 {
		return nil, fmt.Errorf("time index of %d bytes: %w", len(data), ErrCorrupt)
	}
	out := make([]timeEntry, len(data)/timeEntrySize)
	for i := range out {
		e := timeEntry{int64(binary.BigEndian.Uint64(data[i*12:])), binary.BigEndian.Uint32(data[i*12+8:])}
		if i > 0 && (e.Timestamp <= out[i-1].Timestamp || e.Rel <= out[i-1].Rel) {
			return nil, fmt.Errorf("time index entry %d does not increase: %w", i, ErrCorrupt)
		}
		out[i] = e
	}
	return out, nil
}

func appendIndexEntry(dst []byte, e indexEntry) []byte {
	dst = binary.BigEndian.AppendUint32(dst, e.Rel)
	return binary.BigEndian.AppendUint32(dst, e.Pos)
}

func appendTimeEntry(dst []byte, e timeEntry) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.Timestamp))
	return binary.BigEndian.AppendUint32(dst, e.Rel)
}

// offsetIndex is one segment's .index file. The owning log's mutex guards it.
type offsetIndex struct {
	f        File
	n        int          // entries in the file
	mem      []indexEntry // entries [memStart, n) while the segment is active, else nil
	memStart int
}

func (x *offsetIndex) entry(i int) (indexEntry, error) {
	if x.mem != nil && i >= x.memStart {
		return x.mem[i-x.memStart], nil
	}
	var b [indexEntrySize]byte
	if _, err := x.f.ReadAt(b[:], int64(i)*indexEntrySize); err != nil {
		return indexEntry{}, fmt.Errorf("read offset index entry %d: %w", i, err)
	}
	return indexEntry{binary.BigEndian.Uint32(b[:]), binary.BigEndian.Uint32(b[4:])}, nil
}

// lookup returns the position of the last indexed batch whose relative base
// offset is <= rel, or 0 when there is none.
func (x *offsetIndex) lookup(rel uint32) (int64, error) {
	var err error
	lo := 0
	if len(x.mem) > 0 && x.mem[0].Rel <= rel {
		lo = x.memStart // the answer is in the in-memory tail
	}
	i := lo + sort.Search(x.n-lo, func(j int) bool {
		if err != nil {
			return true
		}
		e, rerr := x.entry(lo + j)
		if rerr != nil {
			err = rerr
			return true
		}
		return e.Rel > rel
	})
	if err != nil {
		return 0, err
	}
	if i == 0 {
		return 0, nil
	}
	e, err := x.entry(i - 1)
	return int64(e.Pos), err
}

// append writes entries at the end of the file; memory is updated only if
// the write fully succeeded.
func (x *offsetIndex) append(es []indexEntry) error {
	if len(es) == 0 {
		return nil
	}
	buf := make([]byte, 0, len(es)*indexEntrySize)
	for _, e := range es {
		buf = appendIndexEntry(buf, e)
	}
	if _, err := x.f.WriteAt(buf, int64(x.n)*indexEntrySize); err != nil {
		_ = x.f.Truncate(int64(x.n) * indexEntrySize)
		return fmt.Errorf("write offset index: %w", err)
	}
	x.n += len(es)
	if x.mem != nil {
		x.mem = append(x.mem, es...)
		if len(x.mem) > memTail {
			x.mem = append([]indexEntry(nil), x.mem[len(x.mem)-memTail/2:]...)
			x.memStart = x.n - len(x.mem)
		}
	}
	return nil
}

// load reads the whole file into memory (active segment).
func (x *offsetIndex) load(logSize int64) error {
	st, err := x.f.Stat()
	if err != nil {
		return err
	}
	buf := make([]byte, st.Size())
	if _, err := x.f.ReadAt(buf, 0); err != nil && err != io.EOF {
		return err
	}
	es, err := decodeIndex(buf, logSize)
	if err != nil {
		return err
	}
	x.n = len(es)
	tail := es[max(0, len(es)-memTail/2):]
	x.mem = append(make([]indexEntry, 0, len(tail)), tail...)
	x.memStart = x.n - len(x.mem)
	return nil
}

// reset drops every entry.
func (x *offsetIndex) reset(keepInMemory bool) error {
	if err := x.f.Truncate(0); err != nil {
		return fmt.Errorf("truncate offset index: %w", err)
	}
	x.n, x.memStart = 0, 0
	x.mem = nil
	if keepInMemory {
		x.mem = []indexEntry{}
	}
	return nil
}

// timeIndex is one segment's .timeindex file; same rules as offsetIndex.
type timeIndex struct {
	f        File
	n        int
	mem      []timeEntry // entries [memStart, n) while active, else nil
	memStart int
	last     timeEntry // the last entry, valid when n > 0
}

func (x *timeIndex) entry(i int) (timeEntry, error) {
	if x.mem != nil && i >= x.memStart {
		return x.mem[i-x.memStart], nil
	}
	var b [timeEntrySize]byte
	if _, err := x.f.ReadAt(b[:], int64(i)*timeEntrySize); err != nil {
		return timeEntry{}, fmt.Errorf("read time index entry %d: %w", i, err)
	}
	return timeEntry{int64(binary.BigEndian.Uint64(b[:])), binary.BigEndian.Uint32(b[8:])}, nil
}

// lookup returns the relative offset of the last entry whose timestamp is
// below ts: no record before that batch can have a timestamp >= ts. ok is
// false when there is no such entry (start at the segment base).
func (x *timeIndex) lookup(ts int64) (uint32, bool, error) {
	var err error
	lo := 0
	if len(x.mem) > 0 && x.mem[0].Timestamp < ts {
		lo = x.memStart
	}
	i := lo + sort.Search(x.n-lo, func(j int) bool {
		if err != nil {
			return true
		}
		e, rerr := x.entry(lo + j)
		if rerr != nil {
			err = rerr
			return true
		}
		return e.Timestamp >= ts
	})
	if err != nil || i == 0 {
		return 0, false, err
	}
	e, err := x.entry(i - 1)
	return e.Rel, err == nil, err
}

func (x *timeIndex) append(e timeEntry) error {
	if x.n > 0 && (e.Timestamp <= x.last.Timestamp || e.Rel <= x.last.Rel) {
		return nil
	}
	buf := appendTimeEntry(nil, e)
	if _, err := x.f.WriteAt(buf, int64(x.n)*timeEntrySize); err != nil {
		_ = x.f.Truncate(int64(x.n) * timeEntrySize)
		return fmt.Errorf("write time index: %w", err)
	}
	x.n++
	x.last = e
	if x.mem != nil {
		x.mem = append(x.mem, e)
		if len(x.mem) > memTail {
			x.mem = append([]timeEntry(nil), x.mem[len(x.mem)-memTail/2:]...)
			x.memStart = x.n - len(x.mem)
		}
	}
	return nil
}

func (x *timeIndex) load() error {
	st, err := x.f.Stat()
	if err != nil {
		return err
	}
	buf := make([]byte, st.Size())
	if _, err := x.f.ReadAt(buf, 0); err != nil && err != io.EOF {
		return err
	}
	es, err := decodeTimeIndex(buf)
	if err != nil {
		return err
	}
	x.n = len(es)
	tail := es[max(0, len(es)-memTail/2):]
	x.mem = append(make([]timeEntry, 0, len(tail)), tail...)
	x.memStart = x.n - len(x.mem)
	if x.n > 0 {
		x.last = es[x.n-1]
	}
	return nil
}

// loadLast reads only the last entry (sealed segments).
func (x *timeIndex) loadLast() error {
	st, err := x.f.Stat()
	if err != nil {
		return err
	}
	if st.Size()%timeEntrySize != 0 {
		return fmt.Errorf("time index of %d bytes: %w", st.Size(), ErrCorrupt)
	}
	x.n = int(st.Size() / timeEntrySize)
	x.mem, x.memStart = nil, 0
	if x.n > 0 {
		x.last, err = x.entry(x.n - 1)
	}
	return err
}

func (x *timeIndex) reset(keepInMemory bool) error {
	if err := x.f.Truncate(0); err != nil {
		return fmt.Errorf("truncate time index: %w", err)
	}
	x.n, x.memStart = 0, 0
	x.last = timeEntry{}
	x.mem = nil
	if keepInMemory {
		x.mem = []timeEntry{}
	}
	return nil
}
