package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gregor-stream/gregor/internal/record"
)

const partitionMetadataFile = "partition.metadata"

// Log is one partition's log: a list of segments, the last one active.
type Log struct {
	m         *Manager
	fs        FS
	logger    *slog.Logger
	topic     string
	partition int32
	dir       string

	// structMu serialises every change to sealed segments (truncation,
	// deletion below the log start, the cleaner's swap), so the swap can
	// do its fsyncs and renames holding it but not mu: appends and reads
	// go on meanwhile.
	structMu sync.Mutex
	// flushMu serialises flushes of this log (the flusher's, Flush, close).
	flushMu sync.Mutex

	mu        sync.RWMutex
	topicID   [16]byte
	cfg       LogConfig
	segs      []*segment
	logStart  int64
	next      int64
	producers map[int64]*producerEntry
	epochs    []epochEntry
	closed    bool
	offline   error // set when a failed truncation left the segments unusable
	// configured is false for logs loaded from disk until Open or
	// SetConfig gives them their topic's settings: retention must not
	// apply default settings to a topic that keeps data forever.
	configured bool
	dirDirty   bool   // a segment file was created: the directory needs an fsync
	truncGen   uint64 // bumped by every truncation, so a flush started before one cannot publish a stale offset
	// cleanerOffset is the first dirty offset: everything below it was
	// compacted by the last pass (-1 before any, then the log start).
	cleanerOffset int64
	ongoingTxns   int // producers with TxnFirst >= 0

	policy        atomic.Int32 // cfg.FlushPolicy, read without l.mu on the hot path
	shut          atomic.Bool  // set under wmu by close, so no waiter is queued after the last failWaiters
	flushed       atomic.Int64
	queued        atomic.Bool
	unflushedMsgs atomic.Int64
	lastFlushMs   atomic.Int64
	hw            atomic.Int64 // SetHighWatermark; -1 until set
	lastCleanMs   atomic.Int64 // when the cleaner last finished a pass, 0 if never

	wmu     sync.Mutex
	waiters []waiter
}

type waiter struct {
	offset int64
	fn     func(error)
}

// AppendInfo describes where an append landed.
type AppendInfo struct {
	FirstOffset, LastOffset int64
	LogAppendTime           int64 // -1 when the batches keep CreateTime
	LogStartOffset          int64
	MaxTimestamp            int64
}

func (l *Log) Topic() string    { return l.topic }
func (l *Log) Partition() int32 { return l.partition }
func (l *Log) Dir() string      { return l.dir }

func (l *Log) TopicID() [16]byte {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.topicID
}

// SetConfig applies new topic settings; they take effect on the next
// append, roll or retention pass.
func (l *Log) SetConfig(cfg LogConfig) {
	cfg = cfg.sanitized()
	l.mu.Lock()
	l.cfg = cfg
	l.configured = true
	l.mu.Unlock()
	l.policy.Store(int32(cfg.FlushPolicy))
}

func (l *Log) config() LogConfig {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.cfg
}

func (l *Log) LogStartOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.logStart
}

// LogEndOffset is the next offset to be assigned.
func (l *Log) LogEndOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.next
}

// FlushedOffset: every offset below it is fsynced.
func (l *Log) FlushedOffset() int64 { return l.flushed.Load() }

// recoveryPoint is what may be checkpointed as needing no scan: the
// flushed offset, but no later than the start of a sealed segment whose
// index files are not yet fsynced (a roll can land between a flush's
// capture and its fsync), since start-up trusts those indexes.
func (l *Log) recoveryPoint() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	rp := l.flushed.Load()
	for _, s := range l.segs[:max(len(l.segs)-1, 0)] {
		if s.needSync {
			rp = min(rp, s.base)
			break
		}
	}
	return rp
}

// Size is the total bytes of the log's segments.
func (l *Log) Size() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var n int64
	for _, s := range l.segs {
		n += s.size
	}
	return n
}

// NumSegments reports how many segments the log has.
func (l *Log) NumSegments() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.segs)
}

// ProducerState returns the producer's epoch and last sequence.
func (l *Log) ProducerState(producerID int64) (epoch int16, lastSeq int32, ok bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	e := l.producers[producerID]
	if e == nil {
		return 0, 0, false
	}
	return e.Epoch, e.lastSeq(), true
}

func (l *Log) active() *segment { return l.segs[len(l.segs)-1] }

// usableLocked reports why the log cannot serve requests, if it cannot.
// l.mu must be held.
func (l *Log) usableLocked() error {
	if l.closed {
		return fmt.Errorf("%s: %w", l, ErrClosed)
	}
	if l.offline != nil {
		return fmt.Errorf("%s offline: %w: %w", l, l.offline, ErrStorage)
	}
	return nil
}

func (l *Log) nowMs() int64 { return l.m.now().UnixMilli() }

// loadParams are what the manager knows about a log before opening it.
type loadParams struct {
	clean         bool
	recoveryPoint int64 // -1 when unknown
	logStart      int64
}

// loadLog opens an existing (or empty) partition directory. It scans only
// segments from the one holding the recovery point on, and none after a
// clean shutdown.
func loadLog(m *Manager, dir string, tp topicPartition, cfg LogConfig, p loadParams) (*Log, error) {
	l := &Log{
		m: m, fs: m.fs, topic: tp.Topic, partition: tp.Partition, dir: dir,
		cfg: cfg, producers: map[int64]*producerEntry{}, cleanerOffset: -1,
		logger: m.logger.With("topic", tp.Topic, "partition", tp.Partition),
	}
	l.hw.Store(-1)
	if err := recoverCleanerSwap(l.fs, dir, l.logger); err != nil {
		return nil, fmt.Errorf("recover cleaner swap in %s: %w", dir, err)
	}
	l.policy.Store(int32(cfg.FlushPolicy))
	entries, err := l.fs.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read dir %s: %w", dir, err)
	}
	var bases []int64
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, extDeleted):
			// Leftovers of an interrupted atomic write or delayed delete.
			_ = l.fs.Remove(filepath.Join(dir, name))
		case strings.HasSuffix(name, extLog):
			base, err := strconv.ParseInt(strings.TrimSuffix(name, extLog), 10, 64)
			if err == nil && base >= 0 {
				bases = append(bases, base)
			}
		}
	}
	sort.Slice(bases, func(i, j int) bool { return bases[i] < bases[j] })
	if data, err := readFile(l.fs, filepath.Join(dir, partitionMetadataFile)); err == nil {
		if id, err := decodePartitionMetadata(data); err == nil {
			l.topicID = id
		} else {
			l.logger.Warn("ignoring unreadable partition.metadata", "err", err)
		}
	}
	nowMs := l.nowMs()
	if len(bases) == 0 {
		s, err := createSegment(l.fs, dir, p.logStart, nowMs)
		if err != nil {
			return nil, err
		}
		l.segs = []*segment{s}
		l.dirDirty = true
	}
	for _, base := range bases {
		s, err := openSegmentFiles(l.fs, dir, base, false)
		if err != nil {
			l.closeSegments()
			return nil, err
		}
		l.segs = append(l.segs, s)
	}
	if err := l.recoverSegments(p); err != nil {
		l.closeSegments()
		return nil, err
	}
	for _, s := range l.segs {
		if cut, err := s.txn.load(s.next); err != nil {
			l.closeSegments()
			return nil, fmt.Errorf("load txn index %d: %w", s.base, err)
		} else if cut {
			l.logger.Warn("cut txn index to its valid entries", "segment", s.base)
		}
	}
	l.next = l.active().next
	l.logStart = max(p.logStart, l.segs[0].base)
	l.logStart = min(l.logStart, l.next)
	l.flushed.Store(l.next)
	l.lastFlushMs.Store(nowMs)

	if data, err := readFile(l.fs, filepath.Join(dir, epochCheckpointFile)); err == nil {
		if l.epochs, err = decodeEpochCheckpoint(data); err != nil {
			l.logger.Warn("ignoring unreadable leader-epoch-checkpoint", "err", err)
			l.epochs = nil
		}
	}
	if err := l.truncateEpochsFromEndLocked(l.next); err != nil {
		l.closeSegments()
		return nil, fmt.Errorf("load leader epochs: %w", err)
	}
	if err := l.truncateEpochsFromStartLocked(l.logStart); err != nil {
		l.closeSegments()
		return nil, fmt.Errorf("load leader epochs: %w", err)
	}
	if err := l.rebuildProducersLocked(); err != nil {
		l.closeSegments()
		return nil, err
	}
	return l, nil
}

// recoverSegments loads the segments below the recovery point as trusted
// and scans the rest. l.mu need not be held: the log is not shared yet.
func (l *Log) recoverSegments(p loadParams) error {
	last := len(l.segs) - 1
	first := len(l.segs) // first segment to scan
	if !p.clean {
		first = 0
		if p.recoveryPoint >= 0 {
			for i, s := range l.segs {
				if s.base <= p.recoveryPoint {
					first = i
				}
			}
		}
	}
	for i := 0; i < first; i++ {
		rebuilt, err := l.segs[i].loadTrusted(l.cfg, i == last, l.nowMs())
		if err != nil {
			return err
		}
		if rebuilt {
			l.logger.Warn("rebuilt index of segment", "base", l.segs[i].base)
		}
	}
	var recovered []*segment
	for i := first; i <= last; i++ {
		s := l.segs[i]
		cut, err := s.rebuild(l.cfg, true, i == last)
		if err != nil {
			return err
		}
		recovered = append(recovered, s)
		l.m.recoveredBytes.Add(s.size + cut)
		// Aborted transactions whose markers did not survive go too; the
		// segment's end is about to become the next one's base, which may
		// lie past the data a crash left.
		if _, err := s.txn.load(s.next); err != nil {
			return fmt.Errorf("load txn index %d: %w", s.base, err)
		}
		s.rollMs = l.nowMs()
		if s.size > 0 {
			if hdr, err := s.readHeader(0, s.size); err == nil && hdr.MaxTimestamp() > 0 {
				s.rollMs = hdr.MaxTimestamp()
			}
		}
		if cut == 0 {
			continue
		}
		l.logger.Warn("truncated corrupt or torn log tail", "segment", s.base, "bytes", cut, "valid_bytes", s.size)
		// Nothing after a corrupt batch can be trusted: drop later segments.
		for _, later := range l.segs[i+1:] {
			later.close()
			for _, ext := range segmentExts {
				_ = l.fs.Remove(segmentFile(l.dir, later.base, ext))
			}
		}
		l.segs = l.segs[:i+1]
		if i != last {
			if err := s.idx.load(s.size); err != nil {
				return fmt.Errorf("reload index %d: %w", s.base, err)
			}
			if err := s.tidx.load(); err != nil {
				return fmt.Errorf("reload time index %d: %w", s.base, err)
			}
		}
		break
	}
	for i := 0; i+1 < len(l.segs); i++ {
		l.segs[i].next = l.segs[i+1].base
	}
	// What recovery read may have come from the page cache of a crashed
	// process; make it durable before calling it flushed.
	for _, s := range recovered {
		if s.deleted.Load() {
			continue
		}
		if err := s.syncAll(); err != nil {
			return fmt.Errorf("sync recovered segment: %w: %w", err, ErrStorage)
		}
	}
	if len(recovered) > 0 {
		if err := l.fs.SyncDir(l.dir); err != nil {
			return fmt.Errorf("sync dir: %w: %w", err, ErrStorage)
		}
	}
	return nil
}

func (l *Log) closeSegments() {
	for _, s := range l.segs {
		s.close()
	}
}

// snapshotOffsets lists the producer snapshot files, oldest first.
func (l *Log) snapshotOffsets() []int64 {
	entries, err := l.fs.ReadDir(l.dir)
	if err != nil {
		return nil
	}
	var out []int64
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, extSnapshot) {
			if o, err := strconv.ParseInt(strings.TrimSuffix(n, extSnapshot), 10, 64); err == nil {
				out = append(out, o)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// rebuildProducersLocked restores producer state for the current log end:
// the newest usable snapshot at or below it, then a replay of the batch
// headers after it. Snapshots past the end are stale and removed.
// l.mu must be held (or the log not shared yet).
func (l *Log) rebuildProducersLocked() error {
	state := map[int64]*producerEntry{}
	from := l.segs[0].base
	offs := l.snapshotOffsets()
	for i := len(offs) - 1; i >= 0; i-- {
		path := segmentFile(l.dir, offs[i], extSnapshot)
		if offs[i] > l.next {
			_ = l.fs.Remove(path)
			continue
		}
		data, err := readFile(l.fs, path)
		if err == nil {
			var m map[int64]*producerEntry
			if m, err = decodeSnapshot(data); err == nil {
				state, from = m, max(offs[i], from)
				break
			}
		}
		l.logger.Warn("ignoring unreadable producer snapshot", "offset", offs[i], "err", err)
		_ = l.fs.Remove(path)
	}
	if err := l.replayProducers(state, from); err != nil {
		// Damaged data surfaces as storage errors when read; the log
		// still opens, with the producer state replayed up to the damage.
		l.logger.Error("replay producer state", "from", from, "err", err)
	}
	l.producers = state
	l.ongoingTxns = countOngoing(state)
	return nil
}

// replayProducers applies every batch whose last offset is >= from to
// state, and re-derives the .txnindex entries of ABORT markers that a
// crash may have lost (entries are appended only past a segment's newest
// one, so replaying what is already indexed adds nothing). Only control
// batches are read whole; of the rest only headers. l.mu must be held.
func (l *Log) replayProducers(state map[int64]*producerEntry, from int64) error {
	v := &producerView{base: state}
	for _, s := range l.segs {
		if s.next <= from {
			continue
		}
		pos, _, ok, err := s.find(from, s.size)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		var missing []txnEntry
		err = s.headers(pos, s.size, func(p int64, hdr record.Batch) error {
			var ci record.ControlInfo
			var isMarker bool
			if hdr.IsControl() && hdr.ProducerID() >= 0 {
				b, err := s.readBatch(p, hdr)
				if err != nil {
					return err
				}
				if ci, isMarker, err = controlOf(b); err != nil {
					l.logger.Warn("unreadable control batch", "offset", hdr.BaseOffset(), "err", err)
				}
			}
			if ab := applyBatch(v, hdr, ci, isMarker); ab != nil && ab.LastOffset > s.txn.last {
				missing = append(missing, *ab)
			}
			return nil
		})
		if len(missing) > 0 {
			created, werr := s.txn.append(l.fs, l.dir, s.base, missing)
			if created {
				l.dirDirty = true
			}
			if werr != nil {
				return errors.Join(err, werr)
			}
			l.logger.Info("re-derived aborted transactions", "segment", s.base, "entries", len(missing))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeSnapshotLocked persists producer state as of the log end and keeps
// the two newest snapshots. It writes one even with no producers: the
// snapshot's offset is what bounds the replay at the next start to the
// data after it. l.mu must be held.
func (l *Log) writeSnapshotLocked() error {
	if err := writeFileAtomic(l.fs, segmentFile(l.dir, l.next, extSnapshot), encodeSnapshot(l.producers)); err != nil {
		return fmt.Errorf("write producer snapshot: %w", err)
	}
	offs := l.snapshotOffsets()
	for i := 0; i+2 < len(offs); i++ {
		_ = l.fs.Remove(segmentFile(l.dir, offs[i], extSnapshot))
	}
	return nil
}

// deleteSegmentsLocked takes segments out of service: their files are
// renamed to *.deleted now and closed and removed after file.delete.delay.ms
// so that reads already holding them finish. l.mu must be held.
func (l *Log) deleteSegmentsLocked(segs []*segment) {
	l.renameDeleted(segs)
	l.retireLocked(segs)
}

// renameDeleted renames the segments' files to *.deleted.
func (l *Log) renameDeleted(segs []*segment) {
	for _, s := range segs {
		for _, ext := range segmentExts {
			p := segmentFile(l.dir, s.base, ext)
			if err := l.fs.Rename(p, p+extDeleted); err != nil && !errors.Is(err, fs.ErrNotExist) {
				l.logger.Error("rename deleted segment", "base", s.base, "err", err)
			}
		}
	}
}

// retireLocked marks renamed segments deleted and schedules closing and
// removing their files. l.mu must be held.
func (l *Log) retireLocked(segs []*segment) {
	for _, s := range segs {
		s.deleted.Store(true)
		l.m.scheduleDelete(l.dir, s, l.cfg.FileDeleteDelayMs)
	}
	l.dirDirty = true
}

// close flushes (if asked), writes the final time index entry and producer
// snapshot, and closes the files. Waiters still pending get ErrClosed.
func (l *Log) close(clean bool) error {
	var err error
	if clean {
		err = l.flush()
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	if clean && err == nil {
		if serr := l.active().sealTimeIndex(); serr != nil {
			err = serr
		} else if serr := l.active().syncAll(); serr != nil {
			err = serr
		} else {
			err = l.writeSnapshotLocked()
		}
	}
	for _, s := range l.segs {
		if cerr := s.close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	l.mu.Unlock()
	if clean && err == nil {
		l.completeWaiters() // the final flush covered them
	}
	l.wmu.Lock()
	l.shut.Store(true)
	l.wmu.Unlock()
	l.failWaiters(-1, fmt.Errorf("%s-%d: %w", l.topic, l.partition, ErrClosed))
	return err
}

func (l *Log) String() string { return fmt.Sprintf("%s-%d", l.topic, l.partition) }

// mkdirPartition creates a partition directory and its metadata file.
func mkdirPartition(fsys FS, dir string, topicID [16]byte) error {
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := writeFileAtomic(fsys, filepath.Join(dir, partitionMetadataFile), encodePartitionMetadata(topicID)); err != nil {
		return err
	}
	return fsys.SyncDir(filepath.Dir(dir))
}
