package storage

import (
	"fmt"
	"sort"
)

// TruncateTo removes everything at and after offset (a follower
// reconciling with a new leader). If offset falls inside a batch, the whole
// batch goes, as in Kafka, so the new log end may be below offset.
func (l *Log) TruncateTo(offset int64) error {
	l.structMu.Lock()
	l.mu.Lock()
	if err := l.usableLocked(); err != nil {
		l.mu.Unlock()
		l.structMu.Unlock()
		return fmt.Errorf("truncate: %w", err)
	}
	err := l.truncateLocked(offset)
	end := l.next
	l.mu.Unlock()
	l.structMu.Unlock()
	// Waiters run without l.mu: their callbacks may call back into the log.
	l.failWaiters(end, fmt.Errorf("%s truncated to %d: %w", l, end, ErrStorage))
	if err != nil {
		return err
	}
	// Segments below the old recovery point now end differently; the
	// lower point must be on disk before new appends can land there.
	if err := l.m.writeCheckpoints(); err != nil {
		return fmt.Errorf("truncate %s: %w: %w", l, err, ErrStorage)
	}
	return nil
}

// truncateLocked cuts the log at offset. If that fails midway the
// segments no longer match the log's state, so the log goes offline
// (every call fails with ErrStorage) until a restart recovers it from
// disk, as Kafka takes a failed log directory offline. l.structMu and
// l.mu must be held.
func (l *Log) truncateLocked(offset int64) error {
	if offset >= l.next {
		return nil
	}
	if err := l.truncateSegmentsLocked(offset); err != nil {
		l.offline = err
		l.logger.Error("log offline after failed truncation", "err", err)
		return err
	}
	return nil
}

// truncateSegmentsLocked does truncateLocked's work. l.mu must be held.
func (l *Log) truncateSegmentsLocked(offset int64) error {
	l.truncGen++
	// Data appended after the cut is dirty again.
	l.cleanerOffset = min(l.cleanerOffset, offset)
	if offset < l.logStart || offset <= l.segs[0].base {
		// Nothing survives: start over with an empty segment at offset.
		l.deleteSegmentsLocked(l.segs)
		s, err := createSegment(l.fs, l.dir, max(offset, 0), l.nowMs())
		if err != nil {
			return fmt.Errorf("truncate %s: %w: %w", l, err, ErrStorage)
		}
		l.segs = []*segment{s}
		l.logStart = s.base
	} else {
		i := sort.Search(len(l.segs), func(i int) bool { return l.segs[i].base > offset }) - 1
		if i+1 < len(l.segs) {
			l.deleteSegmentsLocked(l.segs[i+1:])
			l.segs = l.segs[:i+1]
		}
		s := l.segs[i]
		pos, _, ok, err := s.find(offset, s.size)
		if err != nil {
			return fmt.Errorf("truncate %s: %w: %w", l, err, ErrStorage)
		}
		if !ok {
			pos = s.size
		}
		if err := s.log.Truncate(pos); err != nil {
			return fmt.Errorf("truncate %s: %w: %w", l, err, ErrStorage)
		}
		if _, err := s.rebuild(l.cfg, false, true); err != nil {
			return fmt.Errorf("truncate %s: %w: %w", l, err, ErrStorage)
		}
		if err := s.txn.trimTo(s.next); err != nil {
			return fmt.Errorf("truncate %s: %w: %w", l, err, ErrStorage)
		}
		s.needSync = true
	}
	l.next = l.active().next
	l.logStart = min(l.logStart, l.next)
	if l.flushed.Load() > l.next {
		l.flushed.Store(l.next)
	}
	l.dirDirty = true
	if err := l.truncateEpochsFromEndLocked(l.next); err != nil {
		return fmt.Errorf("truncate %s epochs: %w: %w", l, err, ErrStorage)
	}
	if err := l.rebuildProducersLocked(); err != nil {
		return fmt.Errorf("truncate %s: %w: %w", l, err, ErrStorage)
	}
	return nil
}

// DeleteRecordsBefore moves the log start offset up to offset and deletes
// the segments wholly below it.
func (l *Log) DeleteRecordsBefore(offset int64) (newLogStart int64, err error) {
	l.structMu.Lock()
	l.mu.Lock()
	unlock := func() {
		l.mu.Unlock()
		l.structMu.Unlock()
	}
	if err := l.usableLocked(); err != nil {
		unlock()
		return 0, fmt.Errorf("delete records: %w", err)
	}
	if offset > l.next || offset < 0 {
		start, end := l.logStart, l.next
		unlock()
		return 0, fmt.Errorf("delete records %s before %d, log is [%d, %d]: %w", l, offset, start, end, ErrOffsetOutOfRange)
	}
	if offset <= l.logStart {
		start := l.logStart
		unlock()
		return start, nil
	}
	l.logStart = offset
	err = l.dropBelowStartLocked()
	start := l.logStart
	unlock()
	if err != nil {
		return start, err
	}
	// The new start must survive a restart before it is acknowledged.
	if err := l.m.writeCheckpoints(); err != nil {
		return start, fmt.Errorf("delete records %s: %w: %w", l, err, ErrStorage)
	}
	return start, nil
}

// dropBelowStartLocked deletes segments that end at or below the log start
// and trims the epoch cache. l.structMu and l.mu must be held.
func (l *Log) dropBelowStartLocked() error {
	n := 0
	for n+1 < len(l.segs) && l.segs[n+1].base <= l.logStart {
		n++
	}
	if n > 0 {
		l.deleteSegmentsLocked(l.segs[:n])
		l.segs = append([]*segment(nil), l.segs[n:]...)
	}
	if err := l.truncateEpochsFromStartLocked(l.logStart); err != nil {
		return fmt.Errorf("trim epochs %s: %w: %w", l, err, ErrStorage)
	}
	return nil
}
