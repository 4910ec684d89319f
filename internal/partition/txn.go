package partition

import (
	"github.com/gregor-stream/gregor/internal/storage"
)

// AppendMarker writes a transaction marker (commit or abort) for a
// producer as leader and calls done once it is committed and durable, like
// an acks=all produce. The transaction coordinator sends these
// (WriteTxnMarkers).
func (p *Partition) AppendMarker(producerID int64, epoch int16, commit bool, coordinatorEpoch int32, done func(error)) {
	p.mu.Lock()
	leader, leaderEpoch := p.leader, p.leaderEpoch
	p.mu.Unlock()
	if leader != p.nodeID {
		done(ErrNotLeader)
		return
	}
	info, err := p.log.AppendControl(producerID, epoch, commit, coordinatorEpoch, leaderEpoch, p.now().UnixMilli())
	if err != nil {
		done(err)
		return
	}
	end := info.LastOffset + 1
	p.wakeLogEnd()
	p.mu.Lock()
	p.ackWaiters = append(p.ackWaiters, ackWaiter{offset: end, fn: done})
	p.mu.Unlock()
	p.maybeAdvanceHW()
	p.log.WhenFlushed(p.log.LogEndOffset(), func(err error) {
		if err != nil {
			p.failWaiters(end, err)
			return
		}
		p.maybeAdvanceHW()
	})
}

// abortedIn lists the aborted transactions overlapping [from, upTo) for a
// read_committed fetch.
func (p *Partition) abortedIn(from, upTo int64) []storage.AbortedTxn {
	return p.log.AbortedTransactions(from, upTo)
}
