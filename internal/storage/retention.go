package storage

import "fmt"

// applyRetention deletes the oldest segments past retention.ms or
// retention.bytes. As in Kafka, time retention may delete the active
// segment's data by rolling first; size retention never touches it.
func (l *Log) applyRetention() (deleted int, err error) {
	l.structMu.Lock()
	defer l.structMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.usableLocked() != nil || !l.configured {
		return 0, nil
	}
	now := l.nowMs()
	cfg := l.cfg
	for pid, e := range l.producers {
		// An ongoing transaction holds the last stable offset back; its
		// producer expires only once the coordinator ended it.
		if now-e.LastTimestamp > cfg.ProducerIDExpirationMs && e.TxnFirst < 0 {
			delete(l.producers, pid)
		}
	}
	if !cfg.deletes() {
		return 0, nil // cleanup.policy=compact: the cleaner's job
	}
	n := 0
	if cfg.RetentionMs >= 0 {
		for n < len(l.segs) {
			s := l.segs[n]
			ts := s.maxTs
			if ts < 0 {
				ts = s.rollMs
			}
			// A sealed segment the cleaner emptied still ages by its roll
			// time; an empty active one has nothing to delete.
			if (s.size == 0 && n == len(l.segs)-1) || now-ts <= cfg.RetentionMs {
				break
			}
			n++
		}
		if n == len(l.segs) {
			if err := l.rollLocked(now); err != nil {
				return 0, fmt.Errorf("roll %s for retention: %w: %w", l, err, ErrStorage)
			}
		}
	}
	if cfg.RetentionBytes >= 0 {
		var total int64
		for _, s := range l.segs {
			total += s.size
		}
		diff := total - cfg.RetentionBytes
		for i, s := range l.segs[:len(l.segs)-1] {
			if i < n {
				diff -= s.size
				continue
			}
			if diff-s.size < 0 {
				break
			}
			diff -= s.size
			n = i + 1
		}
	}
	if n == 0 {
		return 0, nil
	}
	l.logStart = max(l.logStart, l.segs[n].base)
	if err := l.dropBelowStartLocked(); err != nil {
		return n, err
	}
	l.logger.Info("retention deleted segments", "segments", n, "log_start", l.logStart)
	return n, nil
}
