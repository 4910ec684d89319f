package group

import (
	"github.com/gregor-stream/gregor/internal/coordinator"
)

// cleanupMinRecords is how many records a partition of __consumer_offsets
// holds before cleanup considers it.
const cleanupMinRecords = 1000

// Cleanup keeps __consumer_offsets bounded: in every shard whose log holds
// more than twice as many records as it has live keys, the live records in
// the older half are appended again (same values, so nothing changes) and
// the log start offset moves to the oldest record still live, which lets
// retention delete whole segments. It does what compaction would, with
// the same outcome for a reader of the topic: the latest value of every
// key is still there.
func (c *Coordinator) Cleanup() {
	for _, s := range c.allShards() {
		s.cleanup(cleanupMinRecords)
	}
}

func (s *shard) cleanup(minRecords int64) {
	s.mu.Lock()
	p := s.p
	s.mu.Unlock()
	if p == nil {
		return
	}
	// Partition calls stay outside s.mu (see doc.go); the offsets read
	// here only decide whether a pass is worth it.
	start, hw := p.Log().LogStartOffset(), p.HighWatermark()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded || s.closed || s.inflight > 0 {
		return
	}
	live := 0
	for _, g := range s.groups {
		live += len(g.offsets)
		if g.metaValue != nil {
			live++
		}
	}
	if hw-start < minRecords || hw-start < int64(2*live) {
		return
	}
	cutoff := start + (hw-start)/2
	var kvs []coordinator.KV
	for _, g := range s.groups {
		for tp, o := range g.offsets {
			if g.offsetPos[tp] < cutoff {
				kvs = append(kvs, coordinator.KV{Key: offsetKey(g.id, tp.topic, tp.part), Value: offsetValue(o)})
			}
		}
		if g.metaValue != nil && g.metaPos < cutoff {
			kvs = append(kvs, coordinator.KV{Key: groupKey(g.id), Value: g.metaValue})
		}
	}
	if len(kvs) == 0 {
		s.trimLocked()
		return
	}
	s.appendRecords(kvs, func(_ int64, err error) {
		if err != nil {
			s.c.log.Warn("copy live offsets forward", "partition", s.part, "err", err)
			return
		}
		if s.inflight == 0 {
			s.trimLocked()
		}
	})
}

// trimLocked moves the log start offset to the oldest live record, on its
// own goroutine. s.mu must be held.
func (s *shard) trimLocked() {
	if s.closed || s.p == nil {
		return
	}
	p := s.p
	oldest := p.HighWatermark()
	for _, pend := range s.pendingTxn {
		for _, po := range pend {
			oldest = min(oldest, po.pos)
		}
	}
	for _, g := range s.groups {
		for tp := range g.offsets {
			oldest = min(oldest, g.offsetPos[tp])
		}
		if g.metaValue != nil {
			oldest = min(oldest, g.metaPos)
		}
	}
	go func() {
		if oldest <= p.Log().LogStartOffset() {
			return
		}
		if _, err := p.DeleteRecordsBefore(oldest); err != nil {
			s.c.log.Warn("trim offsets partition", "partition", s.part, "err", err)
			return
		}
		s.c.log.Debug("trimmed offsets partition", "partition", s.part, "log_start", oldest)
	}()
}
