package storage

import (
	"fmt"
	"sort"

	"github.com/gregor-stream/gregor/internal/record"
)

// Read returns whole batches starting with the one that contains
// fetchOffset: at most maxBytes bytes, except that with minOneBatch the
// first batch comes whole even if larger. Batches reaching maxOffset (the
// high watermark, exclusive) are left out. One segment is read per call.
// The bytes are copied once, from the file into the returned slice.
func (l *Log) Read(fetchOffset int64, maxBytes int32, maxOffset int64, minOneBatch bool) ([]byte, error) {
	l.mu.RLock()
	if err := l.usableLocked(); err != nil {
		l.mu.RUnlock()
		return nil, fmt.Errorf("read: %w", err)
	}
	if fetchOffset < l.logStart || fetchOffset > l.next {
		start, end := l.logStart, l.next
		l.mu.RUnlock()
		return nil, fmt.Errorf("read %s at %d, log is [%d, %d]: %w", l, fetchOffset, start, end, ErrOffsetOutOfRange)
	}
	maxOffset = min(maxOffset, l.next)
	if fetchOffset >= maxOffset {
		l.mu.RUnlock()
		return nil, nil
	}
	var (
		seg   *segment
		pos   int64
		limit int64
		hdr   record.Batch
	)
	i := max(sort.Search(len(l.segs), func(i int) bool { return l.segs[i].base > fetchOffset })-1, 0)
	for ; i < len(l.segs); i++ {
		s := l.segs[i]
		p, h, ok, err := s.find(fetchOffset, s.size)
		if err != nil {
			l.mu.RUnlock()
			return nil, fmt.Errorf("read %s at %d: %w: %w", l, fetchOffset, err, ErrStorage)
		}
		if ok {
			seg, pos, limit, hdr = s, p, s.size, h
			break
		}
	}
	if seg != nil && hdr.LastOffset() < maxOffset && maxOffset < seg.next {
		// Stop at the batch holding the high watermark rather than read
		// bytes past it only to throw them away.
		if p, _, ok, err := seg.find(maxOffset, limit); err == nil && ok {
			limit = p
		}
	}
	l.mu.RUnlock()
	if seg == nil || hdr.LastOffset() >= maxOffset {
		return nil, nil
	}
	first := int64(hdr.Length())
	want := min(int64(max(maxBytes, 0)), limit-pos)
	if first > want {
		if !minOneBatch {
			return nil, nil
		}
		want = first
	}
	buf := make([]byte, want)
	if _, err := seg.log.ReadAt(buf, pos); err != nil {
		if seg.deleted.Load() {
			return nil, fmt.Errorf("read %s at %d: segment deleted: %w", l, fetchOffset, ErrOffsetOutOfRange)
		}
		return nil, fmt.Errorf("read %s at %d: %w: %w", l, fetchOffset, err, ErrStorage)
	}
	// Keep only whole batches below maxOffset.
	var end int
	for end+record.LogOverhead <= len(buf) {
		n := int(record.Batch(buf[end:]).Length())
		if n < record.HeaderSize || end+n > len(buf) {
			break
		}
		if record.Batch(buf[end:end+n]).LastOffset() >= maxOffset {
			break
		}
		end += n
	}
	return buf[:end:end], nil
}

// recordTimestamp is the timestamp a consumer sees for a record.
func recordTimestamp(b record.Batch, r *record.Record) int64 {
	if b.IsLogAppendTime() {
		return b.MaxTimestamp()
	}
	return b.FirstTimestamp() + r.TimestampDelta
}

// readBatch reads the whole batch at pos. l.mu must be held.
func (s *segment) readBatch(pos int64, hdr record.Batch) (record.Batch, error) {
	buf := make([]byte, hdr.Length())
	if _, err := s.log.ReadAt(buf, pos); err != nil {
		return nil, fmt.Errorf("read segment %d at %d: %w", s.base, pos, err)
	}
	return record.Batch(buf), nil
}

// OffsetForTimestamp returns the first offset whose record timestamp is
// >= ts; found is false when no record is that recent.
func (l *Log) OffsetForTimestamp(ts int64) (offset, timestamp int64, leaderEpoch int32, found bool, err error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if err := l.usableLocked(); err != nil {
		return -1, -1, -1, false, fmt.Errorf("offset for time: %w", err)
	}
	for _, s := range l.segs {
		if s.maxTs < ts || s.size == 0 {
			continue
		}
		start := max(s.base, l.logStart)
		if rel, ok, err := s.tidx.lookup(ts); err != nil {
			return 0, 0, 0, false, fmt.Errorf("time index %s: %w: %w", l, err, ErrStorage)
		} else if ok {
			start = max(start, s.base+int64(rel))
		}
		pos, _, ok, err := s.find(start, s.size)
		if err != nil {
			return 0, 0, 0, false, fmt.Errorf("offset for time %s: %w: %w", l, err, ErrStorage)
		}
		if !ok {
			continue
		}
		var res struct {
			off, ts int64
			epoch   int32
			ok      bool
		}
		err = s.headers(pos, s.size, func(p int64, hdr record.Batch) error {
			if hdr.MaxTimestamp() < ts {
				return nil
			}
			b, err := s.readBatch(p, hdr)
			if err != nil {
				return err
			}
			recs, err := b.Records()
			if err != nil {
				return fmt.Errorf("stored batch at %d: %v: %w", b.BaseOffset(), err, errBadSegment)
			}
			for i := range recs {
				off := b.BaseOffset() + int64(recs[i].OffsetDelta)
				if rts := recordTimestamp(b, &recs[i]); rts >= ts && off >= l.logStart {
					res.off, res.ts, res.epoch, res.ok = off, rts, b.PartitionLeaderEpoch(), true
					return errStop
				}
			}
			return nil
		})
		if err != nil && err != errStop {
			return 0, 0, 0, false, fmt.Errorf("offset for time %s: %w: %w", l, err, ErrStorage)
		}
		if res.ok {
			return res.off, res.ts, res.epoch, true, nil
		}
	}
	return -1, -1, -1, false, nil
}

var errStop = fmt.Errorf("stop")

// MaxTimestamp returns the offset and timestamp of the record with the
// largest timestamp (ListOffsets -3), or -1s for an empty log.
func (l *Log) MaxTimestamp() (offset, timestamp int64, leaderEpoch int32) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.usableLocked() != nil {
		return -1, -1, -1
	}
	var best *segment
	for _, s := range l.segs {
		if s.size > 0 && s.maxTs >= 0 && (best == nil || s.maxTs > best.maxTs) {
			best = s
		}
	}
	if best == nil {
		return -1, -1, -1
	}
	pos, hdr, ok, err := best.find(best.maxTsOffset, best.size)
	if err != nil || !ok {
		return best.maxTsOffset, best.maxTs, -1
	}
	b, err := best.readBatch(pos, hdr)
	if err != nil {
		return hdr.LastOffset(), best.maxTs, hdr.PartitionLeaderEpoch()
	}
	recs, err := b.Records()
	if err == nil {
		for i := range recs {
			if recordTimestamp(b, &recs[i]) == b.MaxTimestamp() {
				return b.BaseOffset() + int64(recs[i].OffsetDelta), b.MaxTimestamp(), b.PartitionLeaderEpoch()
			}
		}
	}
	return b.LastOffset(), b.MaxTimestamp(), b.PartitionLeaderEpoch()
}
