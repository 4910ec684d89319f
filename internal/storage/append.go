package storage

import (
	"errors"
	"fmt"
	"math"

	"github.com/gregor-stream/gregor/internal/record"
)

// ErrInvalidOffset: a follower append whose offsets go backwards.
var ErrInvalidOffset = errors.New("non-monotonic offset")

// Append assigns offsets to a blob of already-validated batches (writing
// base offset and leader epoch into each header, and the log append time
// when logAppendTime >= 0), checks producer sequences and appends all
// batches or none. A retried batch returns ErrDuplicateSequence with the
// original append's offsets.
func (l *Log) Append(records []byte, leaderEpoch int32, logAppendTime int64) (AppendInfo, error) {
	batches, err := splitBatches(records)
	if err != nil {
		return AppendInfo{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usableLocked(); err != nil {
		return AppendInfo{}, fmt.Errorf("append: %w", err)
	}
	info := AppendInfo{FirstOffset: l.next, LogAppendTime: -1, MaxTimestamp: -1}
	next := l.next
	for _, b := range batches {
		b.SetBaseOffset(next)
		b.SetPartitionLeaderEpoch(leaderEpoch)
		if logAppendTime >= 0 {
			b.SetLogAppendTime(logAppendTime)
		}
		next = b.LastOffset() + 1
		info.MaxTimestamp = max(info.MaxTimestamp, b.MaxTimestamp())
	}
	info.LastOffset = next - 1
	if logAppendTime >= 0 {
		info.LogAppendTime = logAppendTime
	}
	var v *producerView // only idempotent and transactional appends pay for it
	for _, b := range batches {
		pid := b.ProducerID()
		if b.IsControl() {
			// Markers come only from the coordinator, through AppendControl.
			return AppendInfo{}, fmt.Errorf("control batch from a producer: %w", record.ErrInvalidRecord)
		}
		if pid < 0 {
			continue
		}
		if v == nil {
			v = stagedView(l.producers)
		}
		e := v.get(pid)
		dup, err := checkProducer(e, b)
		if err != nil {
			return AppendInfo{}, err
		}
		if dup != nil {
			return AppendInfo{
				FirstOffset: dup.FirstOffset, LastOffset: dup.LastOffset, LogAppendTime: -1,
				LogStartOffset: l.logStart, MaxTimestamp: dup.Timestamp,
			}, fmt.Errorf("producer %d sequence %d: %w", pid, b.BaseSequence(), ErrDuplicateSequence)
		}
		if err := checkTxn(e, b); err != nil {
			return AppendInfo{}, err
		}
		applyBatch(v, b, record.ControlInfo{}, false)
	}
	if err := l.assignEpochLocked(leaderEpoch, info.FirstOffset); err != nil {
		return AppendInfo{}, fmt.Errorf("append to %s: %w: %w", l, err, ErrStorage)
	}
	if err := l.writeLocked(records, batches, nil); err != nil {
		return AppendInfo{}, err
	}
	if v != nil {
		l.ongoingTxns += v.commit()
	}
	info.LogStartOffset = l.logStart
	l.afterAppend(int64(info.LastOffset - info.FirstOffset + 1))
	return info, nil
}

// AppendAsFollower appends batches that already carry their offsets and
// leader epochs (replication). Producer and transaction state (markers
// included, ABORTs into the .txnindex) is recorded without checks: the
// leader made them.
func (l *Log) AppendAsFollower(records []byte) error {
	batches, err := splitBatches(records)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usableLocked(); err != nil {
		return fmt.Errorf("append: %w", err)
	}
	next := l.next
	for _, b := range batches {
		if b.BaseOffset() < next || b.LastOffsetDelta() < 0 {
			return fmt.Errorf("follower batch at %d below %d: %w", b.BaseOffset(), next, ErrInvalidOffset)
		}
		next = b.LastOffset() + 1
	}
	v := stagedView(l.producers)
	var aborted []txnEntry
	for _, b := range batches {
		ci, isMarker, err := controlOf(b)
		if err != nil {
			return fmt.Errorf("follower batch at %d: %w", b.BaseOffset(), err)
		}
		if ab := applyBatch(v, b, ci, isMarker); ab != nil {
			aborted = append(aborted, *ab)
		}
	}
	for _, b := range batches {
		if err := l.assignEpochLocked(b.PartitionLeaderEpoch(), b.BaseOffset()); err != nil {
			return fmt.Errorf("append to %s: %w: %w", l, err, ErrStorage)
		}
	}
	if err := l.writeLocked(records, batches, aborted); err != nil {
		return err
	}
	l.ongoingTxns += v.commit()
	l.afterAppend(next - batches[0].BaseOffset())
	return nil
}

func splitBatches(records []byte) ([]record.Batch, error) {
	var batches []record.Batch
	if err := record.Split(records, func(b record.Batch) error {
		batches = append(batches, b)
		return nil
	}); err != nil {
		return nil, err
	}
	if len(batches) == 0 {
		return nil, fmt.Errorf("append of no batches: %w", record.ErrCorrupt)
	}
	return batches, nil
}

// writeLocked rolls if needed, writes the blob at the end of the active
// segment and indexes it, aborted transactions included. On any failure the
// files are cut back and the in-memory state is left as it was. l.mu must
// be held.
func (l *Log) writeLocked(records []byte, batches []record.Batch, aborted []txnEntry) error {
	last := batches[len(batches)-1].LastOffset()
	if err := l.maybeRollLocked(int64(len(records)), len(batches), last); err != nil {
		return fmt.Errorf("roll %s: %w: %w", l, err, ErrStorage)
	}
	s := l.active()
	size, next, maxTs, maxTsOffset, sinceIndex := s.size, s.next, s.maxTs, s.maxTsOffset, s.bytesSinceIndex
	savedIdx, savedTidx := s.idx, s.tidx
	restore := func() {
		_ = s.log.Truncate(size)
		s.size, s.next, s.maxTs, s.maxTsOffset, s.bytesSinceIndex = size, next, maxTs, maxTsOffset, sinceIndex
		if s.idx.n != savedIdx.n {
			_ = s.idx.f.Truncate(int64(savedIdx.n) * indexEntrySize)
		}
		if s.tidx.n != savedTidx.n {
			_ = s.tidx.f.Truncate(int64(savedTidx.n) * timeEntrySize)
		}
		s.idx, s.tidx = savedIdx, savedTidx
	}
	if _, err := s.log.WriteAt(records, s.size); err != nil {
		restore()
		return fmt.Errorf("write %s segment %d: %w: %w", l, s.base, err, ErrStorage)
	}
	var ies []indexEntry
	pos := s.size
	for _, b := range batches {
		ie, te := s.noteBatch(b, pos, l.cfg.IndexIntervalBytes)
		if ie != nil {
			ies = append(ies, *ie)
		}
		if te != nil {
			if err := s.tidx.append(*te); err != nil {
				restore()
				return fmt.Errorf("index %s segment %d: %w: %w", l, s.base, err, ErrStorage)
			}
		}
		pos += int64(b.Length())
	}
	if err := s.idx.append(ies); err != nil {
		restore()
		return fmt.Errorf("index %s segment %d: %w: %w", l, s.base, err, ErrStorage)
	}
	created, err := s.txn.append(l.fs, l.dir, s.base, aborted)
	if created {
		l.dirDirty = true
	}
	if err != nil {
		restore()
		return fmt.Errorf("index %s segment %d: %w: %w", l, s.base, err, ErrStorage)
	}
	s.size = pos
	l.next = s.next
	return nil
}

// maybeRollLocked starts a new segment when the active one would pass
// segment.bytes, is older than segment.ms, has a full index, or the new
// offsets would not fit its 32-bit relative offsets. l.mu must be held.
func (l *Log) maybeRollLocked(size int64, nbatches int, lastOffset int64) error {
	s := l.active()
	if s.size == 0 {
		return nil
	}
	cfg := l.cfg
	now := l.nowMs()
	segmentMs := cfg.SegmentMs
	if cfg.Compact {
		// The active segment is never cleaned: roll it in time for
		// max.compaction.lag.ms to be met.
		segmentMs = min(segmentMs, cfg.MaxCompactionLagMs)
	}
	switch {
	case s.size+size > cfg.SegmentBytes:
	case now-s.rollMs >= segmentMs:
	case int64(s.idx.n+nbatches) > int64(cfg.SegmentIndexBytes/indexEntrySize):
	case int64(s.tidx.n+nbatches) > int64(cfg.SegmentIndexBytes/timeEntrySize):
	case lastOffset-s.base > math.MaxInt32:
	default:
		return nil
	}
	return l.rollLocked(now)
}

// rollLocked seals the active segment and starts a new one at the log end.
// l.mu must be held.
func (l *Log) rollLocked(nowMs int64) error {
	old := l.active()
	if old.size == 0 {
		// The new segment would have the same base (and files) as this
		// one; an empty segment has nothing to seal.
		return nil
	}
	ns, err := createSegment(l.fs, l.dir, l.next, nowMs)
	if err != nil {
		return err
	}
	if err := old.sealTimeIndex(); err != nil {
		ns.close()
		return err
	}
	old.next = l.next
	old.idx.mem, old.tidx.mem = nil, nil
	old.needSync = true
	l.segs = append(l.segs, ns)
	l.dirDirty = true
	// Replay after a crash starts at the snapshot, so the aborted
	// transactions below it must already be durable. Rare: only segments
	// with an ABORT marker have a .txnindex.
	if old.txn.unsynced {
		if err := old.txn.sync(); err != nil {
			l.logger.Warn("sync txn index on roll; no producer snapshot", "segment", old.base, "err", err)
			l.m.markDirty(l)
			return nil
		}
		old.txn.unsynced = false
		if err := l.fs.SyncDir(l.dir); err != nil {
			l.logger.Warn("sync dir on roll; no producer snapshot", "err", err)
			l.m.markDirty(l)
			return nil
		}
	}
	if err := l.writeSnapshotLocked(); err != nil {
		// The snapshot only shortens replay; the roll itself succeeded.
		l.logger.Warn("producer snapshot on roll", "err", err)
	}
	l.m.markDirty(l)
	return nil
}

// afterAppend does the flush bookkeeping. l.mu must be held.
func (l *Log) afterAppend(msgs int64) {
	switch l.cfg.FlushPolicy {
	case FlushAlways:
		l.m.markDirty(l)
	case FlushInterval:
		n := l.unflushedMsgs.Add(msgs)
		if n >= l.cfg.FlushMessages || l.nowMs()-l.lastFlushMs.Load() >= l.cfg.FlushMs {
			l.m.markDirty(l)
		}
	}
}
