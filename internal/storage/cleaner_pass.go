package storage

import (
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"time"

	"github.com/gregor-stream/gregor/internal/record"
)

// errCleanAborted: the log changed under a pass (truncation, retention,
// deletion); the pass's work is dropped and the next one starts over.
var errCleanAborted = errors.New("log changed during cleaning")

// cleanPlan is what a pass works from, captured under the log's lock.
type cleanPlan struct {
	l          *Log
	cfg        LogConfig
	now        int64
	segs       []*segment // the sealed segments, oldest first
	sizes      []int64    // their sizes when planned
	nexts      []int64    // their end offsets when planned
	firstDirty int64
	limit      int64 // first offset the pass may not clean
	truncGen   uint64
	lastData   map[int64]int64 // live producer -> last offset of its last data batch
	aborted    map[int64][]AbortedTxn
	cleanBytes int64
	dirtyBytes int64
	forced     bool // max.compaction.lag.ms passed
}

func (p *cleanPlan) ratio() float64 {
	if p.cleanBytes+p.dirtyBytes == 0 {
		return 0
	}
	return float64(p.dirtyBytes) / float64(p.cleanBytes+p.dirtyBytes)
}

// eligible reports whether the plan calls for a pass now.
func (p *cleanPlan) eligible() bool {
	return p.dirtyBytes > 0 && (p.forced || p.ratio() >= p.cfg.MinCleanableDirtyRatio)
}

// planClean captures the log's cleanable range: from the first dirty
// offset up to the first of the active segment, the first unstable offset
// (an open transaction's fate is unknown), the high watermark when the
// partition set one, and the first segment younger than
// min.compaction.lag.ms. withTxn also captures what filtering needs.
func (l *Log) planClean(now int64, withTxn bool) *cleanPlan {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if !l.cfg.Compact || l.usableLocked() != nil || len(l.segs) < 2 {
		return nil
	}
	p := &cleanPlan{l: l, cfg: l.cfg, now: now, truncGen: l.truncGen}
	p.firstDirty = l.cleanerOffset
	if p.firstDirty < l.logStart || p.firstDirty > l.next {
		p.firstDirty = l.logStart
	}
	p.limit = l.active().base
	if fuo, ok := l.firstUnstableLocked(); ok {
		p.limit = min(p.limit, fuo)
	}
	if hw := l.hw.Load(); hw >= 0 {
		p.limit = min(p.limit, hw)
	}
	sealed := l.segs[:len(l.segs)-1]
	for _, s := range sealed {
		if p.cfg.MinCompactionLagMs > 0 && s.next > p.firstDirty && s.maxTs >= 0 && now-s.maxTs < p.cfg.MinCompactionLagMs {
			p.limit = min(p.limit, s.base)
			break
		}
	}
	for _, s := range sealed {
		p.segs = append(p.segs, s)
		p.sizes = append(p.sizes, s.size)
		p.nexts = append(p.nexts, s.next)
		switch {
		case s.next <= p.firstDirty:
			p.cleanBytes += s.size
		case s.base < p.limit && p.firstDirty < p.limit:
			p.dirtyBytes += s.size
		}
	}
	if p.dirtyBytes > 0 && p.cfg.MaxCompactionLagMs < math.MaxInt64 {
		for i, s := range sealed {
			if s.next > p.firstDirty {
				if hdr, err := s.readHeader(0, p.sizes[i]); err == nil && now-hdr.MaxTimestamp() > p.cfg.MaxCompactionLagMs {
					p.forced = true
				}
				break
			}
		}
	}
	if !withTxn {
		return p
	}
	p.lastData = map[int64]int64{}
	for pid, e := range l.producers {
		if len(e.Batches) > 0 {
			p.lastData[pid] = e.Batches[len(e.Batches)-1].LastOffset
		} else {
			p.lastData[pid] = -1
		}
	}
	p.aborted = map[int64][]AbortedTxn{}
	for _, s := range l.segs {
		entries, err := s.txn.entries()
		if err != nil {
			l.logger.Warn("cleaner: read txn index", "segment", s.base, "err", err)
		}
		for _, e := range entries {
			p.aborted[e.ProducerID] = append(p.aborted[e.ProducerID], AbortedTxn{ProducerID: e.ProducerID, FirstOffset: e.FirstOffset, LastOffset: e.LastOffset})
		}
	}
	return p
}

// isAborted reports whether offset belongs to an aborted transaction of pid.
func (p *cleanPlan) isAborted(pid, offset int64) bool {
	list := p.aborted[pid]
	i := sort.Search(len(list), func(i int) bool { return list[i].LastOffset >= offset })
	return i < len(list) && list[i].FirstOffset <= offset
}

// eachBatch calls fn with every whole batch of s in [pos, limit), reading
// in chunks through the throttle. The batch is valid only during fn.
func eachBatch(s *segment, pos, limit int64, th *throttler, read *int64, fn func(b record.Batch) error) error {
	var buf []byte
	for pos < limit {
		want := min(int64(recoverChunk), limit-pos)
		if int64(cap(buf)) < want {
			buf = make([]byte, want)
		}
		buf = buf[:want]
		if err := th.wait(want); err != nil {
			return err
		}
		if _, err := s.log.ReadAt(buf, pos); err != nil && err != io.EOF {
			return fmt.Errorf("read segment %d at %d: %w", s.base, pos, err)
		}
		*read += want
		consumed := 0
		for consumed+record.LogOverhead <= len(buf) {
			n := int(record.Batch(buf[consumed:]).Length())
			if n < record.HeaderSize {
				return fmt.Errorf("segment %d at %d: batch length %d: %w", s.base, pos+int64(consumed), n, errBadSegment)
			}
			if consumed+n > len(buf) {
				break
			}
			if err := fn(record.Batch(buf[consumed : consumed+n : consumed+n])); err != nil {
				return err
			}
			consumed += n
		}
		if consumed == 0 {
			// One batch larger than the chunk: read exactly it.
			n := int64(record.Batch(buf).Length())
			if pos+n > limit {
				return fmt.Errorf("segment %d at %d: batch of %d past %d: %w", s.base, pos, n, limit, errBadSegment)
			}
			whole := make([]byte, n)
			if err := th.wait(n); err != nil {
				return err
			}
			if _, err := s.log.ReadAt(whole, pos); err != nil {
				return fmt.Errorf("read segment %d at %d: %w", s.base, pos, err)
			}
			*read += n
			if err := fn(record.Batch(whole)); err != nil {
				return err
			}
			consumed = int(n)
		}
		pos += int64(consumed)
	}
	return nil
}

// buildMap fills m with the latest offset of every key in
// [firstDirty, limit), skipping control batches and aborted transactions.
// It stops early, at a batch boundary, when the map is full; the returned
// end is where the map's coverage stops (the new first dirty offset).
func (c *cleaner) buildMap(p *cleanPlan, m *offsetMap) (end int64, err error) {
	end = p.firstDirty
	errFull := errors.New("map full")
	for i, s := range p.segs {
		if p.nexts[i] <= p.firstDirty {
			continue
		}
		if s.base >= p.limit {
			break
		}
		var pos int64
		if p.firstDirty > s.base {
			p.l.mu.RLock()
			pos, _, _, err = s.find(p.firstDirty, p.sizes[i])
			p.l.mu.RUnlock()
			if err != nil {
				return end, err
			}
		}
		err = eachBatch(s, pos, p.sizes[i], c.th, &c.bytesRead, func(b record.Batch) error {
			if b.LastOffset() >= p.limit {
				return errFull // not past the limit: stop here
			}
			if b.IsControl() || (b.IsTransactional() && p.isAborted(b.ProducerID(), b.BaseOffset())) {
				end = b.LastOffset() + 1
				return nil
			}
			if int(b.NumRecords()) > m.room() && end > p.firstDirty {
				return errFull
			}
			var perr error
			err := b.Scan(func(k record.KeyInfo) bool {
				off := b.BaseOffset() + int64(k.OffsetDelta)
				if k.Key == nil || off < p.firstDirty {
					return true
				}
				if !m.put(k.Key, off) {
					perr = fmt.Errorf("dedupe buffer of %d entries cannot hold one batch of %d records", len(m.slots), b.NumRecords())
					return false
				}
				return true
			})
			if err != nil {
				return fmt.Errorf("stored batch at %d: %v: %w", b.BaseOffset(), err, errBadSegment)
			}
			if perr != nil {
				return perr
			}
			end = b.LastOffset() + 1
			return nil
		})
		if errors.Is(err, errFull) {
			return end, nil
		}
		if err != nil {
			return end, err
		}
	}
	return end, nil
}

// filterState carries what filtering learns across the segments of a pass.
type filterState struct {
	txnKept   map[int64]bool // producer -> some batch of its open transaction was kept
	abortKeep map[int64]bool // offsets of kept ABORT markers
	keep      []bool         // scratch: which records of the batch stay
}

// filterBatch decides what of b survives: the original bytes (keep
// unchanged), a rebuilt batch, or nothing.
func (p *cleanPlan) filterBatch(b record.Batch, m *offsetMap, end int64, st *filterState) (out []byte, err error) {
	if b.BaseOffset() >= end {
		return b, nil // beyond the map's coverage: untouched
	}
	horizon := p.now - p.cfg.DeleteRetentionMs
	pid := b.ProducerID()
	last, live := p.lastData[pid]
	if b.IsControl() {
		ci, isMarker, err := controlOf(b)
		if err != nil || !isMarker {
			return b, nil
		}
		keep := st.txnKept[pid] || b.MaxTimestamp() >= horizon || (live && b.BaseOffset() > last)
		delete(st.txnKept, pid)
		if !keep {
			return nil, nil
		}
		if ci.Type == record.ControlAbort {
			st.abortKeep[b.BaseOffset()] = true
		}
		return b, nil
	}
	lastOfProducer := pid >= 0 && live && b.LastOffset() == last
	aborted := b.IsTransactional() && p.isAborted(pid, b.BaseOffset())
	// Decide from keys alone; decode whole records only for a batch that
	// keeps some and loses some.
	st.keep = st.keep[:0]
	nkept := 0
	if !aborted {
		err := b.Scan(func(k record.KeyInfo) bool {
			off := b.BaseOffset() + int64(k.OffsetDelta)
			keep := k.Key != nil
			if keep {
				if latest, ok := m.get(k.Key); ok && latest > off {
					keep = false
				}
			}
			if keep && k.NullValue && b.MaxTimestamp() < horizon {
				keep = false
			}
			st.keep = append(st.keep, keep)
			if keep {
				nkept++
			}
			return true
		})
		if err != nil {
			return nil, fmt.Errorf("stored batch at %d: %v: %w", b.BaseOffset(), err, errBadSegment)
		}
	}
	if b.IsTransactional() && (nkept > 0 || lastOfProducer) {
		st.txnKept[pid] = true
	}
	switch {
	case !aborted && nkept == len(st.keep):
		return b, nil
	case nkept == 0 && !lastOfProducer:
		return nil, nil
	case nkept == 0:
		return record.Rebuild(b, nil)
	}
	recs, err := b.Records()
	if err != nil {
		return nil, fmt.Errorf("stored batch at %d: %v: %w", b.BaseOffset(), err, errBadSegment)
	}
	kept := make([]record.Record, 0, nkept)
	for i := range recs {
		if st.keep[i] {
			kept = append(kept, recs[i])
		}
	}
	return record.Rebuild(b, kept)
}

// clean runs one pass over the plan's log.
func (c *cleaner) clean(p *cleanPlan) (err error) {
	started := time.Now()
	l := p.l
	m := c.mapFor(p.dirtyBytes)
	m.reset()
	end, err := c.buildMap(p, m)
	if err != nil {
		return err
	}
	if end <= p.firstDirty {
		return nil
	}
	n := 0
	for n < len(p.segs) && p.segs[n].base < end {
		n++
	}
	st := &filterState{txnKept: map[int64]bool{}, abortKeep: map[int64]bool{}}
	var srcBytes, outBytes int64
	for i := 0; i < n; {
		j, in, out, err := c.cleanGroup(p, i, n, m, end, st)
		if err != nil {
			return err
		}
		srcBytes += in
		outBytes += out
		i = j
	}
	l.mu.Lock()
	if l.truncGen == p.truncGen {
		l.cleanerOffset = end
	}
	l.mu.Unlock()
	l.lastCleanMs.Store(c.m.now().UnixMilli())
	if err := c.m.writeCheckpoints(); err != nil {
		// Only costs re-cleaning after a restart.
		l.logger.Warn("write cleaner checkpoint", "err", err)
	}
	c.recordPass(srcBytes, outBytes, time.Since(started))
	l.logger.Info("cleaned log", "segments", n, "first_dirty", p.firstDirty, "end", end,
		"bytes_before", srcBytes, "bytes_after", outBytes, "map_utilization", m.utilization(), "took", time.Since(started))
	return nil
}

// cleanGroup rewrites segments from i (below n) of the plan into one and
// swaps it in, returning where the group ended. It takes the next segment
// while what is written so far plus that segment's whole size still fits
// segment.bytes (cleaning never grows data, so the result fits) and its
// offsets stay within 32 bits of the group's base: already cleaned small
// segments merge with each other and with the dirty ones.
func (c *cleaner) cleanGroup(p *cleanPlan, i, n int, m *offsetMap, end int64, st *filterState) (j int, in, out int64, err error) {
	l := p.l
	base := p.segs[i].base
	w, err := newCleanedWriter(l.fs, l.dir, base, p.cfg.IndexIntervalBytes)
	if err != nil {
		return i, 0, 0, err
	}
	committed := false
	defer func() {
		// A simulated crash leaves the files as a real one would.
		abandon := !committed && !errors.Is(err, errCleanerCrash)
		if cerr := w.close(abandon); cerr != nil && err == nil && abandon {
			err = cerr
		}
	}()
	var srcTxn []txnEntry
	j = i
	for k := i; k < n; k++ {
		if k > i && (w.pos+p.sizes[k] > p.cfg.SegmentBytes || p.nexts[k]-1-base > math.MaxInt32) {
			break
		}
		j = k + 1
		s := p.segs[k]
		in += p.sizes[k]
		err := eachBatch(s, 0, p.sizes[k], c.th, &c.bytesRead, func(b record.Batch) error {
			kept, err := p.filterBatch(b, m, end, st)
			if err != nil || kept == nil {
				return err
			}
			if err := c.th.wait(int64(len(kept))); err != nil {
				return err
			}
			return w.add(record.Batch(kept))
		})
		if err != nil {
			if s.deleted.Load() {
				return 0, 0, 0, errCleanAborted
			}
			return 0, 0, 0, err
		}
		l.mu.RLock()
		entries, err := s.txn.entries()
		l.mu.RUnlock()
		if err != nil {
			return 0, 0, 0, err
		}
		srcTxn = append(srcTxn, entries...)
	}
	for _, e := range srcTxn {
		if e.LastOffset >= end || st.abortKeep[e.LastOffset] {
			w.txn = append(w.txn, e)
		}
	}
	if err := w.finish(); err != nil {
		return 0, 0, 0, err
	}
	c.bytesWritten += w.written
	if err := c.hook("cleaned"); err != nil {
		return 0, 0, 0, err
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return 0, 0, 0, fmt.Errorf("sync dir: %w", err)
	}
	if err := c.swap(p, i, j, base, len(w.txn) > 0); err != nil {
		return 0, 0, 0, err
	}
	committed = true
	return j, in, w.pos, nil
}

// swap replaces segments [i, j) of the plan with the cleaned one, if the
// log did not change meanwhile. It holds l.structMu throughout, which
// keeps the sealed segments as they are, and l.mu only to check them and
// to splice the new segment in: the fsyncs and renames of the swap do not
// stall appends or reads, which keep using the old segments' open files.
func (c *cleaner) swap(p *cleanPlan, i, j int, base int64, hasTxn bool) error {
	l := p.l
	l.structMu.Lock()
	defer l.structMu.Unlock()
	n := j - i
	l.mu.RLock()
	at, ok := p.locateLocked(i, j)
	cfg := l.cfg
	l.mu.RUnlock()
	if !ok {
		return errCleanAborted
	}
	old := p.segs[i:j]
	man := swapManifest{New: base, HasTxn: hasTxn}
	for _, s := range old {
		man.Old = append(man.Old, s.base)
	}
	manifest := filepath.Join(l.dir, cleanerSwapFile)
	if err := writeFileAtomic(l.fs, manifest, encodeSwapManifest(man)); err != nil {
		return fmt.Errorf("write cleaner swap manifest: %w", err)
	}
	// From here the swap is committed: a failure leaves the log to the
	// start-up recovery, which completes it.
	fail := func(err error) error {
		l.mu.Lock()
		l.offline = err
		l.mu.Unlock()
		l.logger.Error("log offline after failed cleaner swap", "err", err)
		return fmt.Errorf("cleaner swap %s: %w: %w", l, err, ErrStorage)
	}
	if err := c.hook("manifest"); err != nil {
		return err
	}
	l.renameDeleted(old)
	if err := c.hook("old-renamed"); err != nil {
		return err
	}
	if err := renameCleaned(l.fs, l.dir, base); err != nil {
		return fail(err)
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		return fail(err)
	}
	if err := c.hook("renamed"); err != nil {
		return err
	}
	_ = l.fs.Remove(manifest)
	ns, err := openSegmentFiles(l.fs, l.dir, base, false)
	if err != nil {
		return fail(err)
	}
	if _, err := ns.loadTrusted(cfg, false, l.nowMs()); err != nil {
		ns.close()
		return fail(err)
	}
	ns.next = p.nexts[j-1]
	if ns.size == 0 {
		// Emptied: it still ages like the data it replaced.
		for _, s := range old {
			ns.rollMs = max(ns.rollMs, s.maxTs)
		}
		if ns.rollMs <= 0 {
			ns.rollMs = l.nowMs()
		}
	}
	if _, err := ns.txn.load(ns.next); err != nil {
		ns.close()
		return fail(err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.usableLocked() != nil {
		// Closed meanwhile; the files on disk are the new ones already.
		ns.close()
		return errCleanAborted
	}
	if at >= len(l.segs) || l.segs[at] != old[0] {
		// Cannot happen: only rolls (at the end) run without structMu.
		// Should it anyway, memory no longer matches the disk.
		ns.close()
		l.offline = fmt.Errorf("sealed segments moved during a cleaner swap")
		return fmt.Errorf("cleaner swap %s: %w: %w", l, l.offline, ErrStorage)
	}
	l.retireLocked(old)
	segs := append([]*segment(nil), l.segs[:at]...)
	segs = append(segs, ns)
	l.segs = append(segs, l.segs[at+n:]...)
	return nil
}

// locateLocked finds the plan's segments [i, j) in the log, unchanged and
// sealed, and returns where they start. l.mu must be held.
func (p *cleanPlan) locateLocked(i, j int) (int, bool) {
	l := p.l
	if l.usableLocked() != nil || l.truncGen != p.truncGen {
		return 0, false
	}
	at := -1
	for k, s := range l.segs {
		if s == p.segs[i] {
			at = k
			break
		}
	}
	if at < 0 || at+(j-i) >= len(l.segs) {
		return 0, false
	}
	for k := i; k < j; k++ {
		if s := l.segs[at+k-i]; s != p.segs[k] || s.deleted.Load() || s.size != p.sizes[k] {
			return 0, false
		}
	}
	return at, true
}
