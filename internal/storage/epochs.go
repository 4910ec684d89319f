package storage

import "path/filepath"

const epochCheckpointFile = "leader-epoch-checkpoint"

// The leader epoch cache maps each epoch to the first offset written in
// it; l.mu guards it and every change is persisted before it is used.

// assignEpochLocked records that epoch starts at offset if it is newer than
// the latest known one. l.mu must be held.
func (l *Log) assignEpochLocked(epoch int32, offset int64) error {
	if epoch < 0 {
		return nil
	}
	if n := len(l.epochs); n > 0 && epoch <= l.epochs[n-1].Epoch {
		return nil
	}
	next := append(append([]epochEntry(nil), l.epochs...), epochEntry{epoch, offset})
	if err := l.writeEpochsLocked(next); err != nil {
		return err
	}
	l.epochs = next
	return nil
}

// l.mu must be held.
func (l *Log) writeEpochsLocked(entries []epochEntry) error {
	return writeFileAtomic(l.fs, filepath.Join(l.dir, epochCheckpointFile), encodeEpochCheckpoint(entries))
}

// truncateEpochsFromEndLocked drops epochs starting at or after end.
// l.mu must be held.
func (l *Log) truncateEpochsFromEndLocked(end int64) error {
	n := len(l.epochs)
	for n > 0 && l.epochs[n-1].StartOffset >= end {
		n--
	}
	if n == len(l.epochs) {
		return nil
	}
	next := append([]epochEntry(nil), l.epochs[:n]...)
	l.epochs = next
	return l.writeEpochsLocked(next)
}

// truncateEpochsFromStartLocked drops epochs that ended before start and
// moves the start of the one covering it, as Kafka does. l.mu must be held.
func (l *Log) truncateEpochsFromStartLocked(start int64) error {
	i := 0
	for i+1 < len(l.epochs) && l.epochs[i+1].StartOffset <= start {
		i++
	}
	if len(l.epochs) == 0 || (i == 0 && l.epochs[0].StartOffset >= start) {
		return nil
	}
	next := append([]epochEntry(nil), l.epochs[i:]...)
	if next[0].StartOffset < start {
		next[0].StartOffset = start
	}
	l.epochs = next
	return l.writeEpochsLocked(next)
}

// LatestEpoch returns the newest leader epoch recorded in the log.
func (l *Log) LatestEpoch() (epoch int32, ok bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if len(l.epochs) == 0 {
		return -1, false
	}
	return l.epochs[len(l.epochs)-1].Epoch, true
}

// EndOffsetForEpoch answers OffsetForLeaderEpoch: the largest epoch <= the
// requested one and the offset where the epoch after it starts (the log end
// for the latest epoch). (-1, -1) when the epoch is unknown or newer than
// the latest.
func (l *Log) EndOffsetForEpoch(epoch int32) (foundEpoch int32, endOffset int64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	n := len(l.epochs)
	if epoch < 0 || n == 0 {
		return -1, -1
	}
	if l.epochs[n-1].Epoch == epoch {
		return epoch, l.next
	}
	higher := -1
	for i, e := range l.epochs {
		if e.Epoch > epoch {
			higher = i
			break
		}
	}
	if higher < 0 {
		return -1, -1
	}
	if higher == 0 {
		return epoch, l.epochs[0].StartOffset
	}
	return l.epochs[higher-1].Epoch, l.epochs[higher].StartOffset
}

// Epochs returns a copy of the leader epoch cache, oldest first.
func (l *Log) Epochs() []struct {
	Epoch       int32
	StartOffset int64
} {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]struct {
		Epoch       int32
		StartOffset int64
	}, len(l.epochs))
	for i, e := range l.epochs {
		out[i].Epoch, out[i].StartOffset = e.Epoch, e.StartOffset
	}
	return out
}
