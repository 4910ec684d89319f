package storage

import (
	"errors"
	"math"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// CleanerOptions configure the log cleaner (compaction), named after the
// broker's Kafka configs.
type CleanerOptions struct {
	// Disable is log.cleaner.enable=false: compacted logs are then never
	// cleaned (CleanNow still works, for tests and tools).
	Disable bool
	// DedupeBufferSize is log.cleaner.dedupe.buffer.size: the memory of the
	// key -> offset map, 24 bytes a key. A pass covers as much dirty data
	// as the map can hold; the rest waits for the next pass. Default
	// 128 MiB (Kafka's); allocated on the first pass that needs it, and
	// only as large as the dirty data calls for.
	DedupeBufferSize int64
	// IOMaxBytesPerSecond is log.cleaner.io.max.bytes.per.second (read and
	// written together); <= 0 is unlimited, the default.
	IOMaxBytesPerSecond float64
	// Backoff is log.cleaner.backoff.ms: the sleep when no log needs
	// cleaning. Default 15 s.
	Backoff time.Duration
}

// CleanerStats is what the cleaner reports for /metrics.
type CleanerStats struct {
	Enabled          bool
	Passes           int64
	BytesRead        int64         // read from segments, map building included
	BytesWritten     int64         // written to cleaned segments and indexes
	BytesCleaned     int64         // size of the segments rewritten, before cleaning
	BytesAfter       int64         // their size after cleaning
	LastPassDuration time.Duration // of the most recent pass
	Partitions       []PartitionCleanerStats
}

// PartitionCleanerStats describes one compacted partition.
type PartitionCleanerStats struct {
	Topic     string
	Partition int32
	// DirtyRatio is dirty bytes / (clean + dirty bytes) of the cleanable
	// part, what min.cleanable.dirty.ratio is compared with.
	DirtyRatio       float64
	FirstDirtyOffset int64
	// LastClean is when a pass last finished on this partition since the
	// process started (zero if none); SinceLastClean is now minus it, or
	// -1 if none.
	LastClean      time.Time
	SinceLastClean time.Duration
}

// errCleanerCrash is returned by a test hook to stop a pass at a step as
// a crash would: nothing is cleaned up.
var errCleanerCrash = errors.New("simulated crash in cleaner")

// cleaner runs the compaction passes of one Manager. One pass runs at a
// time (c.mu); its goroutine holds no lock while reading and writing
// segment files and takes the log's lock only to plan and to swap.
type cleaner struct {
	m    *Manager
	opts CleanerOptions
	th   *throttler

	mu           sync.Mutex // one pass at a time; guards the fields below
	omap         *offsetMap
	bytesRead    int64
	bytesWritten int64
	hookFn       func(step string) error // tests: inject a crash at a step

	passes       atomic.Int64
	statRead     atomic.Int64
	statWritten  atomic.Int64
	statCleaned  atomic.Int64
	statAfter    atomic.Int64
	lastDuration atomic.Int64
}

func newCleaner(m *Manager, opts CleanerOptions) *cleaner {
	if opts.DedupeBufferSize <= 0 {
		opts.DedupeBufferSize = 128 << 20
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 15 * time.Second
	}
	return &cleaner{m: m, opts: opts, th: &throttler{rate: opts.IOMaxBytesPerSecond, stop: m.stop}}
}

func (c *cleaner) hook(step string) error {
	if c.hookFn == nil {
		return nil
	}
	return c.hookFn(step)
}

// mapFor returns the offset map, sized for dirty bytes of data within the
// configured buffer: a slot per 16 bytes, since a stored record with its
// framing rarely takes less. A map too small (highly compressed tiny
// records) only shortens the pass; the next one continues.
func (c *cleaner) mapFor(dirty int64) *offsetMap {
	want := min(c.opts.DedupeBufferSize, max(dirty/16*mapSlotSize, 1<<20))
	if c.omap == nil || int64(len(c.omap.slots))*mapSlotSize < want {
		c.omap = nil // let the old one go before allocating
		c.omap = newOffsetMap(want)
	}
	return c.omap
}

func (c *cleaner) recordPass(in, out int64, took time.Duration) {
	c.passes.Add(1)
	c.statCleaned.Add(in)
	c.statAfter.Add(out)
	c.lastDuration.Store(int64(took))
}

// publishIO moves the pass's I/O counters to the stats.
func (c *cleaner) publishIO() {
	c.statRead.Add(c.bytesRead)
	c.statWritten.Add(c.bytesWritten)
	c.bytesRead, c.bytesWritten = 0, 0
}

// pick returns the plan of the log most in need of cleaning: one past
// max.compaction.lag.ms first, then the highest dirty ratio at or above
// its min.cleanable.dirty.ratio.
func (c *cleaner) pick(skip map[*Log]bool) *Log {
	now := c.m.now().UnixMilli()
	var best *Log
	var bestPlan *cleanPlan
	for _, l := range c.m.Logs() {
		if skip[l] {
			continue
		}
		p := l.planClean(now, false)
		if p == nil || !p.eligible() {
			continue
		}
		if bestPlan == nil || (p.forced && !bestPlan.forced) || (p.forced == bestPlan.forced && p.ratio() > bestPlan.ratio()) {
			best, bestPlan = l, p
		}
	}
	return best
}

// runUntilIdle cleans logs until none is eligible. A log whose pass made
// no progress (its dirty part is not yet cleanable) is skipped for the
// rest of the round.
func (c *cleaner) runUntilIdle() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	skip := map[*Log]bool{}
	var errs []error
	for {
		l := c.pick(skip)
		if l == nil {
			return errors.Join(errs...)
		}
		skip[l] = true // one pass per log per round; the next round continues
		p := l.planClean(c.m.now().UnixMilli(), true)
		if p == nil {
			continue
		}
		err := c.clean(p)
		c.publishIO()
		if err != nil && !errors.Is(err, errCleanerCrash) && l.unusable() {
			err = errCleanAborted // closed or deleted under the pass
		}
		switch {
		case err == nil:
		case errors.Is(err, errCleanAborted):
			l.logger.Info("cleaning pass abandoned: the log changed")
		case errors.Is(err, errCleanerStopped):
			return nil
		default:
			l.logger.Error("cleaning pass", "err", err)
			errs = append(errs, err)
		}
		if errors.Is(err, errCleanerCrash) {
			return err
		}
	}
}

// loop is the background cleaner goroutine.
func (c *cleaner) loop() {
	defer c.m.wg.Done()
	t := time.NewTimer(c.opts.Backoff)
	defer t.Stop()
	for {
		select {
		case <-c.m.stop:
			return
		case <-t.C:
		}
		if err := c.runUntilIdle(); err != nil {
			c.m.logger.Error("log cleaner", "err", err)
		}
		t.Reset(c.opts.Backoff)
	}
}

// CleanNow runs cleaning passes until no compacted log is eligible (by its
// dirty ratio or max.compaction.lag.ms), whether or not the background
// cleaner is enabled, and returns the errors of failed passes.
func (m *Manager) CleanNow() error { return m.cleaner.runUntilIdle() }

// CleanerStats reports the cleaner's totals and, for every compacted log,
// its dirty ratio and last clean.
func (m *Manager) CleanerStats() CleanerStats {
	c := m.cleaner
	st := CleanerStats{
		Enabled: !c.opts.Disable, Passes: c.passes.Load(),
		BytesRead: c.statRead.Load(), BytesWritten: c.statWritten.Load(),
		BytesCleaned: c.statCleaned.Load(), BytesAfter: c.statAfter.Load(),
		LastPassDuration: time.Duration(c.lastDuration.Load()),
	}
	now := m.now()
	for _, l := range m.Logs() {
		p := l.planClean(now.UnixMilli(), false)
		if p == nil {
			continue
		}
		ps := PartitionCleanerStats{Topic: l.topic, Partition: l.partition, DirtyRatio: p.ratio(), FirstDirtyOffset: p.firstDirty, SinceLastClean: -1}
		if ms := l.lastCleanMs.Load(); ms > 0 {
			ps.LastClean = time.UnixMilli(ms)
			ps.SinceLastClean = now.Sub(ps.LastClean)
		}
		if math.IsNaN(ps.DirtyRatio) {
			ps.DirtyRatio = 0
		}
		st.Partitions = append(st.Partitions, ps)
	}
	sort.Slice(st.Partitions, func(i, j int) bool {
		a, b := st.Partitions[i], st.Partitions[j]
		return a.Topic < b.Topic || (a.Topic == b.Topic && a.Partition < b.Partition)
	})
	return st
}

// SetHighWatermark tells the cleaner how far the partition's data is
// replicated: it never cleans at or past hw, since a follower may still
// truncate there. Until it is called the cleaner is bounded only by the
// active segment and open transactions.
func (l *Log) SetHighWatermark(hw int64) { l.hw.Store(hw) }

// firstDirty is the cleaner's checkpointed offset, -1 if never cleaned.
func (l *Log) firstDirty() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.cleanerOffset
}

func (l *Log) unusable() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.usableLocked() != nil
}
