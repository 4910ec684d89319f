package txn

import (
	"sync"
	"time"
)

// writeThen writes a Prepare state and, once it is durable, answers with
// done and goes on to the markers and the Complete state.
func (s *shard) writeThen(prep *Txn, done func(error)) {
	s.write(prep, func(err error) {
		done(err)
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		s.pending[prep.ID] = true
		s.mu.Unlock()
		s.sendMarkers(prep)
	})
}

// endTransaction writes a Prepare state and completes it, for aborts the
// coordinator starts itself (timeouts, fencing). The id must be pending.
func (s *shard) endTransaction(prep *Txn) {
	s.writeThen(prep, func(err error) {
		if err != nil {
			s.c.cfg.Log.Warn("abort transaction", "transactional_id", prep.ID, "err", err)
		}
	})
}

// sendMarkers writes the markers of a Prepare state to every partition of
// the transaction, retrying until each is written or the shard closes, and
// then writes the Complete state. The id must be pending.
func (s *shard) sendMarkers(prep *Txn) {
	commit := prep.State == PrepareCommit
	tps := prep.SortedPartitions()
	go func() {
		var wg sync.WaitGroup
		for _, tp := range tps {
			wg.Add(1)
			go func(tp TP) {
				defer wg.Done()
				backoff := 50 * time.Millisecond
				for {
					ch := make(chan error, 1)
					s.c.cfg.Markers(tp, prep.ProducerID, prep.Epoch, commit, s.epoch, func(err error) { ch <- err })
					err := <-ch
					if err == nil {
						return
					}
					s.mu.Lock()
					closed := s.closed
					s.mu.Unlock()
					if closed {
						return
					}
					s.c.cfg.Log.Warn("write transaction marker", "transactional_id", prep.ID, "topic", tp.Topic, "partition", tp.Partition, "err", err)
					time.Sleep(backoff)
					if backoff < 2*time.Second {
						backoff *= 2
					}
				}
			}(tp)
		}
		wg.Wait()
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		final := prep.clone()
		final.State = CompleteAbort
		if commit {
			final.State = CompleteCommit
		}
		final.Partitions = map[TP]struct{}{}
		final.UpdateMs = s.c.cfg.Now().UnixMilli()
		s.write(final, func(err error) {
			if err != nil {
				s.c.cfg.Log.Warn("complete transaction", "transactional_id", prep.ID, "err", err)
			}
		})
	}()
}

// abortExpired aborts ongoing transactions older than their timeout, with
// an epoch bump that fences the producer that abandoned them.
func (s *shard) abortExpired() {
	now := s.c.cfg.Now().UnixMilli()
	s.mu.Lock()
	if s.ready() != nil {
		s.mu.Unlock()
		return
	}
	var expired []*Txn
	for id, t := range s.txns {
		if t.State == Ongoing && !s.pending[id] && t.StartMs >= 0 && now-t.StartMs > int64(t.TimeoutMs) {
			prep := t.clone()
			prep.Epoch = bumpEpoch(t.Epoch)
			prep.State = PrepareAbort
			prep.UpdateMs = now
			s.pending[id] = true
			expired = append(expired, prep)
		}
	}
	s.mu.Unlock()
	for _, prep := range expired {
		s.c.cfg.Log.Info("aborting timed-out transaction", "transactional_id", prep.ID, "producer_id", prep.ProducerID, "epoch", prep.Epoch)
		s.endTransaction(prep)
	}
}
