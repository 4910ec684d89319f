package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// The transaction index (.txnindex, Kafka's format) lists the aborted
// transactions whose ABORT marker lives in the segment, in marker order:
//
//	version int16 (0) | producerId int64 | firstOffset int64 |
//	lastOffset int64 (the marker) | lastStableOffset int64
//
// lastStableOffset is the partition's first unstable offset right after
// the marker (or the marker offset + 1 with nothing ongoing). A reader
// collecting aborted transactions below some upper bound can stop at the
// first entry whose lastStableOffset reaches the bound: every later aborted
// transaction started after it.
//
// The file exists only for segments that hold an ABORT marker, so most
// segments cost no extra file descriptor. It is derived data: entries for
// markers after the producer snapshot are re-derived on start-up.
const (
	txnEntrySize    = 34
	txnIndexVersion = 0
	extTxnIndex     = ".txnindex"
)

// AbortedTxn is one aborted transaction: its producer and offset range,
// the last offset being its ABORT marker.
type AbortedTxn struct{ ProducerID, FirstOffset, LastOffset int64 }

type txnEntry struct {
	ProducerID, FirstOffset, LastOffset, LastStable int64
}

func appendTxnEntry(dst []byte, e txnEntry) []byte {
	dst = binary.BigEndian.AppendUint16(dst, txnIndexVersion)
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.ProducerID))
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.FirstOffset))
	dst = binary.BigEndian.AppendUint64(dst, uint64(e.LastOffset))
	return binary.BigEndian.AppendUint64(dst, uint64(e.LastStable))
}

// decodeTxnIndex parses a whole .txnindex. It returns the longest valid
// prefix and an error describing the first bad entry, if any: version 0,
// a producer id >= 0, firstOffset <= lastOffset, markers in increasing
// order and a whole number of entries.
func decodeTxnIndex(data []byte) ([]txnEntry, error) {
	out := make([]txnEntry, 0, len(data)/txnEntrySize)
	for i := 0; i+txnEntrySize <= len(data); i += txnEntrySize {
		d := data[i:]
		if v := int16(binary.BigEndian.Uint16(d)); v != txnIndexVersion {
			return out, fmt.Errorf("txn index entry %d: version %d: %w", len(out), v, ErrCorrupt)
		}
		e := txnEntry{
			ProducerID:  int64(binary.BigEndian.Uint64(d[2:])),
			FirstOffset: int64(binary.BigEndian.Uint64(d[10:])),
			LastOffset:  int64(binary.BigEndian.Uint64(d[18:])),
			LastStable:  int64(binary.BigEndian.Uint64(d[26:])),
		}
		if e.ProducerID < 0 || e.FirstOffset < 0 || e.FirstOffset > e.LastOffset {
			return out, fmt.Errorf("txn index entry %d: producer %d range %d-%d: %w", len(out), e.ProducerID, e.FirstOffset, e.LastOffset, ErrCorrupt)
		}
		if len(out) > 0 && e.LastOffset <= out[len(out)-1].LastOffset {
			return out, fmt.Errorf("txn index entry %d does not increase: %w", len(out), ErrCorrupt)
		}
		out = append(out, e)
	}
	if len(data)%txnEntrySize != 0 {
		return out, fmt.Errorf("txn index of %d bytes: %w", len(data), ErrCorrupt)
	}
	return out, nil
}

// txnIndex is one segment's .txnindex; f is nil until the segment gets its
// first ABORT marker. The owning log's mutex guards it.
type txnIndex struct {
	f        File
	n        int
	last     int64 // lastOffset of the newest entry, -1 if none
	unsynced bool  // written since the flusher last captured it
}

// openTxnIndex opens the segment's .txnindex if it exists, keeping its
// valid entries whose marker lies below next and cutting off the rest (a
// torn write, or markers truncated away with the log).
func openTxnIndex(fsys FS, dir string, base int64) (txnIndex, error) {
	x := txnIndex{last: -1}
	f, err := fsys.OpenFile(segmentFile(dir, base, extTxnIndex), os.O_RDWR, 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		return x, nil
	}
	if err != nil {
		return x, fmt.Errorf("open txn index %d: %w", base, err)
	}
	x.f = f
	return x, nil
}

// load reads the file and keeps the valid entries below next.
func (x *txnIndex) load(next int64) (cut bool, err error) {
	x.n, x.last = 0, -1
	if x.f == nil {
		return false, nil
	}
	st, err := x.f.Stat()
	if err != nil {
		return false, fmt.Errorf("stat txn index: %w", err)
	}
	data := make([]byte, st.Size())
	if _, err := x.f.ReadAt(data, 0); err != nil && len(data) > 0 {
		return false, fmt.Errorf("read txn index: %w", err)
	}
	entries, derr := decodeTxnIndex(data)
	keep := len(entries)
	for keep > 0 && entries[keep-1].LastOffset >= next {
		keep--
	}
	if keep > 0 {
		x.last = entries[keep-1].LastOffset
	}
	x.n = keep
	if derr != nil || keep*txnEntrySize != len(data) {
		if err := x.f.Truncate(int64(keep) * txnEntrySize); err != nil {
			return true, fmt.Errorf("truncate txn index: %w", err)
		}
		x.unsynced = true
		return true, nil
	}
	return false, nil
}

// trimTo drops entries whose marker is at or after next.
func (x *txnIndex) trimTo(next int64) error {
	if x.f == nil || x.last < next {
		return nil
	}
	_, err := x.load(next)
	return err
}

// append adds entries, creating the file on first use. A failed write is
// cut back so the file keeps whole entries.
func (x *txnIndex) append(fsys FS, dir string, base int64, es []txnEntry) (created bool, err error) {
	if len(es) == 0 {
		return false, nil
	}
	if x.f == nil {
		f, err := fsys.OpenFile(segmentFile(dir, base, extTxnIndex), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return false, fmt.Errorf("create txn index %d: %w", base, err)
		}
		x.f, x.n, x.last, created = f, 0, -1, true
	}
	buf := make([]byte, 0, len(es)*txnEntrySize)
	for _, e := range es {
		buf = appendTxnEntry(buf, e)
	}
	if _, err := x.f.WriteAt(buf, int64(x.n)*txnEntrySize); err != nil {
		_ = x.f.Truncate(int64(x.n) * txnEntrySize)
		return created, fmt.Errorf("write txn index %d: %w", base, err)
	}
	x.n += len(es)
	x.last = es[len(es)-1].LastOffset
	x.unsynced = true
	return created, nil
}

// entries reads every entry. The owning log's mutex must be held (shared).
func (x *txnIndex) entries() ([]txnEntry, error) {
	if x.f == nil || x.n == 0 {
		return nil, nil
	}
	data := make([]byte, x.n*txnEntrySize)
	if _, err := x.f.ReadAt(data, 0); err != nil {
		return nil, fmt.Errorf("read txn index: %w", err)
	}
	return decodeTxnIndex(data)
}

func (x *txnIndex) sync() error {
	if x.f == nil {
		return nil
	}
	return x.f.Sync()
}

func (x *txnIndex) close() error {
	if x.f == nil {
		return nil
	}
	return x.f.Close()
}
