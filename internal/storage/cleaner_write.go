package storage

import (
	"errors"
	"fmt"
	"os"

	"github.com/gregor-stream/gregor/internal/record"
)

// cleanedWriter writes one replacement segment under the .cleaned names:
// batches appended in offset order, the offset and time indexes built as
// an append would build them, and the aborted transactions whose markers
// were kept.
type cleanedWriter struct {
	fs       FS
	dir      string
	base     int64
	interval int64

	log        File
	buf        []byte
	pos        int64 // bytes written to the file so far (buffered included)
	sinceIndex int64
	idx        []byte
	tidx       []byte
	lastTs     int64 // timestamp of the last time index entry, -1 if none
	lastTsRel  int64
	maxTs      int64
	maxTsOff   int64
	txn        []txnEntry
	written    int64
}

const cleanedWriteBuffer = 1 << 20

func newCleanedWriter(fsys FS, dir string, base int64, indexInterval int32) (*cleanedWriter, error) {
	f, err := fsys.OpenFile(cleanedFile(dir, base, extLog), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create cleaned segment %d: %w", base, err)
	}
	return &cleanedWriter{
		fs: fsys, dir: dir, base: base, interval: int64(indexInterval), log: f,
		lastTs: -1, lastTsRel: -1, maxTs: -1, maxTsOff: -1,
	}, nil
}

func (w *cleanedWriter) timeEntry() {
	if w.maxTs > w.lastTs && w.maxTsOff-w.base > w.lastTsRel {
		w.tidx = appendTimeEntry(w.tidx, timeEntry{Timestamp: w.maxTs, Rel: uint32(w.maxTsOff - w.base)})
		w.lastTs, w.lastTsRel = w.maxTs, w.maxTsOff-w.base
	}
}

// add appends one batch (already carrying its offsets).
func (w *cleanedWriter) add(b record.Batch) error {
	if w.pos == 0 || w.sinceIndex >= w.interval {
		w.idx = appendIndexEntry(w.idx, indexEntry{Rel: uint32(b.BaseOffset() - w.base), Pos: uint32(w.pos)})
		w.sinceIndex = 0
		if w.pos > 0 {
			w.timeEntry()
		}
	}
	if ts := b.MaxTimestamp(); ts > w.maxTs {
		w.maxTs, w.maxTsOff = ts, b.BaseOffset()
	}
	w.sinceIndex += int64(len(b))
	w.buf = append(w.buf, b...)
	w.pos += int64(len(b))
	if len(w.buf) >= cleanedWriteBuffer {
		return w.flushBuf()
	}
	return nil
}

func (w *cleanedWriter) flushBuf() error {
	if len(w.buf) == 0 {
		return nil
	}
	off := w.pos - int64(len(w.buf))
	if _, err := w.log.WriteAt(w.buf, off); err != nil {
		return fmt.Errorf("write cleaned segment %d: %w", w.base, err)
	}
	w.written += int64(len(w.buf))
	w.buf = w.buf[:0]
	return nil
}

// finish writes the indexes and fsyncs every file. The caller fsyncs the
// directory (once for all the files) before committing the swap.
func (w *cleanedWriter) finish() error {
	if err := w.flushBuf(); err != nil {
		return err
	}
	w.timeEntry()
	if err := w.log.Sync(); err != nil {
		return fmt.Errorf("sync cleaned segment %d: %w", w.base, err)
	}
	write := func(ext string, data []byte) error {
		f, err := w.fs.OpenFile(cleanedFile(w.dir, w.base, ext), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return fmt.Errorf("create cleaned %s %d: %w", ext, w.base, err)
		}
		_, err = f.WriteAt(data, 0)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write cleaned %s %d: %w", ext, w.base, err)
		}
		w.written += int64(len(data))
		return nil
	}
	if err := write(extIndex, w.idx); err != nil {
		return err
	}
	if err := write(extTimeIndex, w.tidx); err != nil {
		return err
	}
	if len(w.txn) > 0 {
		var buf []byte
		for _, e := range w.txn {
			buf = appendTxnEntry(buf, e)
		}
		if err := write(extTxnIndex, buf); err != nil {
			return err
		}
	}
	return nil
}

// close closes the log file; abandon also removes every .cleaned file.
func (w *cleanedWriter) close(abandon bool) error {
	err := w.log.Close()
	if abandon {
		for _, ext := range segmentExts {
			if rerr := w.fs.Remove(cleanedFile(w.dir, w.base, ext)); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				err = errors.Join(err, rerr)
			}
		}
	}
	return err
}
