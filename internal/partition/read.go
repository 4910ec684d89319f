package partition

import (
	"github.com/gregor-stream/gregor/internal/storage"
)

// Isolation levels of Fetch and ListOffsets.
const (
	ReadUncommitted = 0
	ReadCommitted   = 1
)

// ReadResult is what a fetch of one partition returns.
type ReadResult struct {
	Records          []byte
	HighWatermark    int64
	LastStableOffset int64
	LogStartOffset   int64
	// Aborted lists, for read_committed, the aborted transactions that
	// overlap the returned records, so clients can drop their records.
	Aborted []storage.AbortedTxn
}

// Read returns batches from fetchOffset, bounded by the high watermark (or
// the last stable offset for read_committed). Consumers may read from the
// leader only (follower fetching comes with replication).
func (p *Partition) Read(fetchOffset int64, maxBytes int32, isolation int8, minOneBatch bool, currentLeaderEpoch int32) (ReadResult, error) {
	p.mu.Lock()
	leader, epoch := p.leader, p.leaderEpoch
	p.mu.Unlock()
	if leader != p.nodeID {
		return ReadResult{}, ErrNotLeader
	}
	if currentLeaderEpoch >= 0 {
		if currentLeaderEpoch < epoch {
			return ReadResult{}, ErrFencedLeaderEpoch
		}
		if currentLeaderEpoch > epoch {
			return ReadResult{}, ErrUnknownLeaderEpoch
		}
	}
	res := ReadResult{
		HighWatermark:    p.HighWatermark(),
		LastStableOffset: p.LastStableOffset(),
		LogStartOffset:   p.log.LogStartOffset(),
	}
	limit := res.HighWatermark
	if isolation == ReadCommitted {
		limit = res.LastStableOffset
	}
	if fetchOffset >= limit {
		// Nothing committed to return; an offset past the log end is an
		// error, one between HW and LEO is simply "wait".
		if fetchOffset > p.log.LogEndOffset() || fetchOffset < res.LogStartOffset {
			return res, storage.ErrOffsetOutOfRange
		}
		return res, nil
	}
	recs, err := p.log.Read(fetchOffset, maxBytes, limit, minOneBatch)
	if err != nil {
		return res, err
	}
	res.Records = recs
	if isolation == ReadCommitted && len(recs) > 0 {
		res.Aborted = p.abortedIn(fetchOffset, limit)
	}
	return res, nil
}

// DeleteRecordsBefore moves the log start offset (DeleteRecords).
// offset -1 means the high watermark.
func (p *Partition) DeleteRecordsBefore(offset int64) (int64, error) {
	if !p.IsLeader() {
		return 0, ErrNotLeader
	}
	hw := p.HighWatermark()
	if offset == -1 {
		offset = hw
	}
	if offset < 0 || offset > hw {
		return 0, storage.ErrOffsetOutOfRange
	}
	low, err := p.log.DeleteRecordsBefore(offset)
	if err != nil {
		return 0, err
	}
	p.wakeWatchers()
	return low, nil
}
