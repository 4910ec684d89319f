package storage

import (
	"errors"
	"fmt"
	"sort"

	"github.com/gregor-stream/gregor/internal/record"
)

// ErrTransactionCoordinatorFenced: a transaction marker carries a
// coordinator epoch older than one already seen for the producer (a
// zombie coordinator). Kafka TRANSACTION_COORDINATOR_FENCED.
var ErrTransactionCoordinatorFenced = errors.New("transaction coordinator fenced")

// ErrInvalidTxnState: a producer with an ongoing transaction wrote a
// non-transactional batch. Kafka INVALID_TXN_STATE.
var ErrInvalidTxnState = errors.New("invalid transaction state")

// producerView is producer state being changed by one append: writes are
// staged until commit so that a failed append leaves l.producers as it
// was. With staged nil (replay, where nothing can fail halfway) writes go
// straight to base.
type producerView struct {
	base   map[int64]*producerEntry
	staged map[int64]*producerEntry
}

func stagedView(base map[int64]*producerEntry) *producerView {
	return &producerView{base: base, staged: map[int64]*producerEntry{}}
}

func (v *producerView) get(pid int64) *producerEntry {
	if e, ok := v.staged[pid]; ok {
		return e
	}
	return v.base[pid]
}

// mutable returns the entry for pid that this view may change (nil for
// an unknown producer).
func (v *producerView) mutable(pid int64) *producerEntry {
	if v.staged == nil {
		return v.base[pid]
	}
	if e, ok := v.staged[pid]; ok {
		return e
	}
	return cloneProducer(v.base[pid])
}

func (v *producerView) put(pid int64, e *producerEntry) {
	if v.staged == nil {
		v.base[pid] = e
		return
	}
	v.staged[pid] = e
}

// commit applies the staged entries and returns by how much the number of
// ongoing transactions changed.
func (v *producerView) commit() (ongoingDelta int) {
	for pid, e := range v.staged {
		if old := v.base[pid]; old != nil && old.TxnFirst >= 0 {
			ongoingDelta--
		}
		if e.TxnFirst >= 0 {
			ongoingDelta++
		}
		v.base[pid] = e
	}
	clear(v.staged)
	return ongoingDelta
}

// countOngoing counts the producers with an open transaction.
func countOngoing(m map[int64]*producerEntry) int {
	n := 0
	for _, e := range m {
		if e.TxnFirst >= 0 {
			n++
		}
	}
	return n
}

// firstUnstable is the smallest first offset of an ongoing transaction.
func (v *producerView) firstUnstable() (int64, bool) {
	first, ok := int64(-1), false
	note := func(e *producerEntry) {
		if e.TxnFirst >= 0 && (!ok || e.TxnFirst < first) {
			first, ok = e.TxnFirst, true
		}
	}
	for pid, e := range v.base {
		if _, shadowed := v.staged[pid]; !shadowed {
			note(e)
		}
	}
	for _, e := range v.staged {
		note(e)
	}
	return first, ok
}

// controlOf decodes a control batch's marker; ok is false for a batch
// that is not a transaction marker.
func controlOf(b record.Batch) (ci record.ControlInfo, ok bool, err error) {
	if !b.IsControl() {
		return ci, false, nil
	}
	ci, err = record.ParseControl(b)
	if err != nil {
		return ci, false, err
	}
	return ci, ci.IsMarker(), nil
}

// applyBatch records one appended batch in v: idempotence state, the
// start of a transaction, the end of one at a marker (ci, when isMarker).
// It returns the .txnindex entry an ABORT marker of an ongoing transaction
// calls for. It never fails: followers and replay use it on batches already
// accepted.
func applyBatch(v *producerView, b record.Batch, ci record.ControlInfo, isMarker bool) *txnEntry {
	pid := b.ProducerID()
	if pid < 0 {
		return nil
	}
	e := updateProducer(v.mutable(pid), b)
	var aborted *txnEntry
	switch {
	case isMarker:
		if ci.Type == record.ControlAbort && e.TxnFirst >= 0 {
			aborted = &txnEntry{ProducerID: pid, FirstOffset: e.TxnFirst, LastOffset: b.BaseOffset()}
		}
		e.TxnFirst = -1
		e.CoordinatorEpoch = ci.CoordinatorEpoch
	case b.IsControl():
	case b.IsTransactional() && e.TxnFirst < 0:
		e.TxnFirst = b.BaseOffset()
	}
	v.put(pid, e)
	if aborted != nil {
		aborted.LastStable = b.LastOffset() + 1
		if first, ok := v.firstUnstable(); ok {
			aborted.LastStable = first
		}
	}
	return aborted
}

// checkTxn applies the transactional rules that go beyond idempotence to
// a produced batch.
func checkTxn(e *producerEntry, b record.Batch) error {
	if e != nil && e.TxnFirst >= 0 && !b.IsTransactional() && b.ProducerEpoch() == e.Epoch {
		return fmt.Errorf("producer %d wrote a non-transactional batch inside its transaction: %w", b.ProducerID(), ErrInvalidTxnState)
	}
	return nil
}

// AppendControl writes a transaction marker for the producer (Kafka's
// WriteTxnMarkers on a partition leader) and ends its ongoing transaction;
// an ABORT is recorded in the active segment's .txnindex. A marker from an
// older producer epoch is ErrInvalidProducerEpoch, one from an older
// coordinator epoch ErrTransactionCoordinatorFenced; a newer producer epoch
// fences the current one. A marker for a producer with no ongoing
// transaction is still written, so coordinator retries are harmless.
func (l *Log) AppendControl(producerID int64, producerEpoch int16, commit bool, coordinatorEpoch int32, leaderEpoch int32, timestamp int64) (AppendInfo, error) {
	if producerID < 0 {
		return AppendInfo{}, fmt.Errorf("marker for producer %d: %w", producerID, record.ErrInvalidRecord)
	}
	raw := record.BuildMarker(record.MarkerOptions{
		ProducerID: producerID, ProducerEpoch: producerEpoch, Commit: commit,
		CoordinatorEpoch: coordinatorEpoch, PartitionLeaderEpoch: leaderEpoch, Timestamp: timestamp,
	})
	b := record.Batch(raw)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.usableLocked(); err != nil {
		return AppendInfo{}, fmt.Errorf("append marker: %w", err)
	}
	if e := l.producers[producerID]; e != nil {
		if producerEpoch < e.Epoch {
			return AppendInfo{}, fmt.Errorf("marker for producer %d epoch %d below %d: %w", producerID, producerEpoch, e.Epoch, ErrInvalidProducerEpoch)
		}
		if coordinatorEpoch < e.CoordinatorEpoch {
			return AppendInfo{}, fmt.Errorf("marker for producer %d from coordinator epoch %d below %d: %w", producerID, coordinatorEpoch, e.CoordinatorEpoch, ErrTransactionCoordinatorFenced)
		}
	}
	b.SetBaseOffset(l.next)
	v := stagedView(l.producers)
	ci := record.ControlInfo{Type: record.ControlAbort, CoordinatorEpoch: coordinatorEpoch}
	if commit {
		ci.Type = record.ControlCommit
	}
	var aborted []txnEntry
	if ab := applyBatch(v, b, ci, true); ab != nil {
		aborted = append(aborted, *ab)
	}
	if err := l.assignEpochLocked(leaderEpoch, l.next); err != nil {
		return AppendInfo{}, fmt.Errorf("append to %s: %w: %w", l, err, ErrStorage)
	}
	if err := l.writeLocked(raw, []record.Batch{b}, aborted); err != nil {
		return AppendInfo{}, err
	}
	l.ongoingTxns += v.commit()
	l.afterAppend(1)
	return AppendInfo{
		FirstOffset: b.BaseOffset(), LastOffset: b.BaseOffset(), LogAppendTime: -1,
		LogStartOffset: l.logStart, MaxTimestamp: timestamp,
	}, nil
}

// FirstUnstableOffset is the smallest first offset among ongoing
// transactions; ok is false if there is none. The last stable offset is
// min(high watermark, this).
func (l *Log) FirstUnstableOffset() (offset int64, ok bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.firstUnstableLocked()
}

// firstUnstableLocked is FirstUnstableOffset; l.mu must be held. Without
// open transactions (the common case) it costs nothing per producer.
func (l *Log) firstUnstableLocked() (int64, bool) {
	if l.ongoingTxns == 0 {
		return -1, false
	}
	return (&producerView{base: l.producers}).firstUnstable()
}

// ProducerInfo describes one producer's state in this partition
// (DescribeProducers).
type ProducerInfo struct {
	ProducerID       int64
	Epoch            int16
	LastSequence     int32
	LastTimestamp    int64
	CoordinatorEpoch int32
	TxnStartOffset   int64 // -1 if no transaction is ongoing
}

// Producers lists the producers the partition tracks, by id.
func (l *Log) Producers() []ProducerInfo {
	l.mu.RLock()
	out := make([]ProducerInfo, 0, len(l.producers))
	for pid, e := range l.producers {
		out = append(out, ProducerInfo{
			ProducerID: pid, Epoch: e.Epoch, LastSequence: e.lastSeq(), LastTimestamp: e.LastTimestamp,
			CoordinatorEpoch: e.CoordinatorEpoch, TxnStartOffset: e.TxnFirst,
		})
	}
	l.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ProducerID < out[j].ProducerID })
	return out
}

// AbortedTransactions lists the aborted transactions whose range overlaps
// [from, upTo), oldest marker first: what a read_committed Fetch returns
// so that clients drop the aborted records.
func (l *Log) AbortedTransactions(from, upTo int64) []AbortedTxn {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.usableLocked() != nil || from >= upTo {
		return nil
	}
	var out []AbortedTxn
	for _, s := range l.segs {
		if s.next <= from || s.txn.n == 0 {
			continue
		}
		entries, err := s.txn.entries()
		if err != nil {
			l.logger.Error("read txn index", "segment", s.base, "err", err)
		}
		for _, e := range entries {
			if e.LastOffset >= from && e.FirstOffset < upTo {
				out = append(out, AbortedTxn{ProducerID: e.ProducerID, FirstOffset: e.FirstOffset, LastOffset: e.LastOffset})
			}
			// Every later abort started after this entry's stable point.
			if e.LastStable >= upTo {
				return out
			}
		}
	}
	return out
}
