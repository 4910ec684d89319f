package storage

import (
	"fmt"
	"sync"
)

// WhenFlushed calls fn once every offset below offset is durable under the
// log's flush policy, or with an error wrapping ErrStorage if the flush
// failed. With FlushAlways this is the group commit: fn runs on the
// flusher goroutine (or right away if already flushed) and must not block.
// With FlushInterval or FlushNever fn is called right away with nil.
func (l *Log) WhenFlushed(offset int64, fn func(error)) {
	if FlushPolicy(l.policy.Load()) != FlushAlways {
		fn(nil)
		return
	}
	l.wmu.Lock()
	if l.flushed.Load() >= offset {
		l.wmu.Unlock()
		fn(nil)
		return
	}
	if l.shut.Load() {
		l.wmu.Unlock()
		fn(fmt.Errorf("%s: %w", l, ErrClosed))
		return
	}
	l.waiters = append(l.waiters, waiter{offset, fn})
	l.wmu.Unlock()
	l.m.markDirty(l)
}

// Flush fsyncs everything appended so far, whatever the policy.
func (l *Log) Flush() error {
	if err := l.flush(); err != nil {
		return err
	}
	l.completeWaiters()
	return nil
}

// flush makes all data up to the current log end durable: sealed segments
// not yet synced (log and indexes), the active log file, and the directory
// if files were created. It runs without l.mu during the fsyncs, so
// appends continue meanwhile and the next flush covers them.
func (l *Log) flush() error {
	// One flush at a time: a second one must not see a sealed segment the
	// first is still syncing as clean and publish an offset past it.
	l.flushMu.Lock()
	defer l.flushMu.Unlock()
	l.mu.Lock()
	if l.closed || l.offline != nil {
		l.mu.Unlock()
		return nil
	}
	target, gen := l.next, l.truncGen
	var sealed []*segment
	for _, s := range l.segs[:len(l.segs)-1] {
		if s.needSync {
			sealed = append(sealed, s)
			s.needSync = false
			s.txn.unsynced = false
		}
	}
	active := l.active()
	activeDirty := active.needSync
	active.needSync = false
	var activeTxn File // the active segment's .txnindex, if an ABORT landed since the last flush
	if active.txn.unsynced {
		activeTxn = active.txn.f
		active.txn.unsynced = false
	}
	dirDirty := l.dirDirty
	l.dirDirty = false
	l.mu.Unlock()

	if target <= l.flushed.Load() && len(sealed) == 0 && !dirDirty && !activeDirty && activeTxn == nil {
		return nil
	}
	err := func() error {
		for _, s := range sealed {
			if s.deleted.Load() {
				continue
			}
			if err := s.syncAll(); err != nil {
				return err
			}
		}
		if !active.deleted.Load() {
			l.m.fsyncs.Add(1)
			if err := active.log.Sync(); err != nil {
				return fmt.Errorf("sync segment %d: %w", active.base, err)
			}
			if activeTxn != nil {
				if err := activeTxn.Sync(); err != nil {
					return fmt.Errorf("sync txn index %d: %w", active.base, err)
				}
			}
		}
		if dirDirty {
			if err := l.fs.SyncDir(l.dir); err != nil {
				return fmt.Errorf("sync dir: %w", err)
			}
		}
		return nil
	}()
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		for _, s := range sealed {
			s.needSync = true
			s.txn.unsynced = s.txn.n > 0
		}
		active.needSync = active.needSync || activeDirty
		active.txn.unsynced = active.txn.unsynced || activeTxn != nil
		l.dirDirty = l.dirDirty || dirDirty
		return fmt.Errorf("flush %s: %w: %w", l, err, ErrStorage)
	}
	if gen == l.truncGen && target > l.flushed.Load() {
		l.flushed.Store(target)
	}
	l.unflushedMsgs.Store(0)
	l.lastFlushMs.Store(l.nowMs())
	return nil
}

// completeWaiters runs every waiter the flushed offset now covers.
func (l *Log) completeWaiters() {
	flushed := l.flushed.Load()
	l.wmu.Lock()
	var done []waiter
	keep := l.waiters[:0]
	for _, w := range l.waiters {
		if w.offset <= flushed {
			done = append(done, w)
		} else {
			keep = append(keep, w)
		}
	}
	clear(l.waiters[len(keep):])
	l.waiters = keep
	l.wmu.Unlock()
	for _, w := range done {
		w.fn(nil)
	}
}

// failWaiters completes with err every waiter waiting for more than above.
func (l *Log) failWaiters(above int64, err error) {
	l.wmu.Lock()
	var failed []waiter
	keep := l.waiters[:0]
	for _, w := range l.waiters {
		if w.offset > above {
			failed = append(failed, w)
		} else {
			keep = append(keep, w)
		}
	}
	clear(l.waiters[len(keep):])
	l.waiters = keep
	l.wmu.Unlock()
	for _, w := range failed {
		w.fn(err)
	}
}

// flushFailed handles a failed fsync. Linux may drop the dirty pages of a
// failed writeback, so the unflushed tail cannot be trusted: with
// FlushAlways it is truncated away (none of it was acknowledged as
// durable), its waiters fail, and the log carries on from the flushed
// offset once the disk works again.
func (l *Log) flushFailed(cause error) {
	l.logger.Error("flush failed", "err", cause)
	l.structMu.Lock()
	l.mu.Lock()
	fl := l.flushed.Load()
	truncated := false
	if l.cfg.FlushPolicy == FlushAlways && l.usableLocked() == nil && fl < l.next {
		if err := l.truncateLocked(fl); err != nil {
			l.logger.Error("truncate unflushed tail after failed flush", "err", err)
		} else {
			truncated = true
		}
	}
	l.mu.Unlock()
	l.structMu.Unlock()
	l.failWaiters(fl, cause)
	if truncated {
		if err := l.m.writeCheckpoints(); err != nil {
			l.logger.Error("checkpoint after truncation", "err", err)
		}
	}
}

// markDirty queues l for the flusher.
func (m *Manager) markDirty(l *Log) {
	if !l.queued.CompareAndSwap(false, true) {
		return
	}
	m.dirtyMu.Lock()
	m.dirty = append(m.dirty, l)
	m.dirtyMu.Unlock()
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// flushParallelism bounds concurrent fsyncs in one round: enough to keep a
// device queue busy with many partitions, few enough not to thrash.
const flushParallelism = 8

// flusher is the group-commit loop: each round takes every log appended to
// since the last round, fsyncs them (in parallel across logs) and
// completes their waiters. Appends arriving during a round's fsyncs are
// covered by the next round, so one fsync serves many producers.
func (m *Manager) flusher() {
	defer m.wg.Done()
	for {
		select {
		case <-m.stop:
			return
		case <-m.kick:
		}
		m.dirtyMu.Lock()
		logs := m.dirty
		m.dirty = nil
		m.dirtyMu.Unlock()
		if len(logs) == 1 {
			m.flushOne(logs[0])
			continue
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, flushParallelism)
		for _, l := range logs {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.flushOne(l)
				<-sem
			}()
		}
		wg.Wait()
	}
}

func (m *Manager) flushOne(l *Log) {
	l.queued.Store(false)
	if err := l.flush(); err != nil {
		l.flushFailed(err)
		return
	}
	l.completeWaiters()
}
