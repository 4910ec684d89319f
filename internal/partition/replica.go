package partition

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gregor-stream/gregor/internal/config"
	"github.com/gregor-stream/gregor/internal/metadata"
	"github.com/gregor-stream/gregor/internal/storage"
)

// alterFunc asks the controller for a new ISR (metadata.Node.AlterPartition).
type alterFunc func(ctx context.Context, req metadata.AlterPartition) (metadata.Partition, error)

// alterTimeout bounds one AlterPartition round trip.
const alterTimeout = 10 * time.Second

// followerState is what the leader knows of one follower, from its
// fetches: Kafka's replica state, for the high watermark and the ISR.
type followerState struct {
	// lastCaughtUp is the last time the follower had everything the
	// leader had: it fetched at the leader's log end, or at the log end
	// the leader had when it fetched before.
	lastCaughtUp  time.Time
	lastFetchLEO  int64
	lastFetchTime time.Time
}

// ReadAsReplica serves a follower's fetch on the leader: records up to
// the log end (not the high watermark), and records the follower's log end
// offset (its fetch offset), which may advance the high watermark and
// bring the follower back into the ISR.
func (p *Partition) ReadAsReplica(replica int32, fetchOffset int64, maxBytes int32, currentLeaderEpoch int32) (ReadResult, error) {
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
	leo := p.log.LogEndOffset()
	start := p.log.LogStartOffset()
	if fetchOffset > leo || fetchOffset < start {
		return ReadResult{HighWatermark: p.HighWatermark(), LastStableOffset: p.LastStableOffset(), LogStartOffset: start}, storage.ErrOffsetOutOfRange
	}
	p.updateFollower(replica, fetchOffset, leo)
	p.maybeAdvanceHW()
	res := ReadResult{HighWatermark: p.HighWatermark(), LastStableOffset: p.LastStableOffset(), LogStartOffset: start}
	if fetchOffset < leo {
		recs, err := p.log.Read(fetchOffset, maxBytes, leo, true)
		if err != nil {
			return res, err
		}
		res.Records = recs
	}
	return res, nil
}

// updateFollower records a follower fetch at offset while the leader's log
// ends at leo, and asks the controller to add the follower to the ISR once
// it has caught up with the high watermark within this leader epoch.
func (p *Partition) updateFollower(replica int32, offset, leo int64) {
	now := p.now()
	p.mu.Lock()
	if p.leader != p.nodeID || !slices.Contains(p.replicas, replica) {
		p.mu.Unlock()
		return
	}
	f := p.followers[replica]
	if f == nil {
		f = &followerState{}
		p.followers[replica] = f
	}
	switch {
	case offset >= leo:
		f.lastCaughtUp = now
	case offset >= f.lastFetchLEO && !f.lastFetchTime.IsZero():
		f.lastCaughtUp = f.lastFetchTime
	}
	f.lastFetchLEO, f.lastFetchTime = leo, now
	if p.followerLEO == nil {
		p.followerLEO = make(map[int32]int64)
	}
	p.followerLEO[replica] = offset
	var req *metadata.AlterPartition
	if !slices.Contains(p.isr, replica) && !p.isrInFlight && p.alter != nil &&
		offset >= p.hw.Load() && offset >= p.epochStart {
		req = p.isrChangeLocked(append(slices.Clone(p.isr), replica))
		p.isrAdding = replica
	}
	p.mu.Unlock()
	if req != nil {
		go p.sendISR(*req)
	}
}

// isrChangeLocked builds the AlterPartition for isr and marks it in
// flight. p.mu must be held.
func (p *Partition) isrChangeLocked(isr []int32) *metadata.AlterPartition {
	p.isrInFlight = true
	return &metadata.AlterPartition{
		TopicID: p.TopicID, Partition: p.Index, Broker: p.nodeID,
		LeaderEpoch: p.leaderEpoch, PartitionEpoch: p.partitionEpoch, ISR: isr,
	}
}

// sendISR commits an ISR change through the controller and adopts the
// answer. The high watermark is computed over the maximal ISR meanwhile
// (a follower being added counts at once, one being removed until the
// removal is committed), so it never passes what any replica the
// controller may elect has.
func (p *Partition) sendISR(req metadata.AlterPartition) {
	ctx, cancel := context.WithTimeout(context.Background(), alterTimeout)
	got, err := p.alter(ctx, req)
	cancel()
	p.mu.Lock()
	p.isrInFlight = false
	p.isrAdding = -1
	if err == nil && p.leader == p.nodeID && p.leaderEpoch == got.LeaderEpoch && got.PartitionEpoch >= p.partitionEpoch {
		p.isr = got.ISR
		p.partitionEpoch = got.PartitionEpoch
	}
	p.mu.Unlock()
	if err != nil {
		return
	}
	p.maybeAdvanceHW()
}

// maybeShrinkISR drops the followers that have not caught up for longer
// than lag (replica.lag.time.max.ms) from the ISR.
func (p *Partition) maybeShrinkISR(lag time.Duration) {
	now := p.now()
	p.mu.Lock()
	if p.leader != p.nodeID || p.isrInFlight || p.alter == nil {
		p.mu.Unlock()
		return
	}
	var keep []int32
	for _, r := range p.isr {
		if r == p.nodeID {
			keep = append(keep, r)
			continue
		}
		last := p.leaderSince
		if f := p.followers[r]; f != nil && f.lastCaughtUp.After(last) {
			last = f.lastCaughtUp
		}
		if now.Sub(last) <= lag {
			keep = append(keep, r)
		}
	}
	var req *metadata.AlterPartition
	if len(keep) < len(p.isr) {
		req = p.isrChangeLocked(keep)
	}
	p.mu.Unlock()
	if req != nil {
		go p.sendISR(*req)
	}
}

// FollowerState is what the replica fetcher needs: the leader this replica
// follows, at which epoch, and where its log ends. ok is false unless this
// node follows another.
func (p *Partition) FollowerState() (leader, epoch int32, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.leader, p.leaderEpoch, p.leader >= 0 && p.leader != p.nodeID
}

// FetchPosition is where a fetch from leader at epoch starts: this
// replica's log end, read atomically with the check that it still follows
// that leader in that epoch. A fetch that reported a log end holding
// another leader's records would let a deposed leader count them as
// replicated.
func (p *Partition) FetchPosition(leader, epoch int32) (int64, bool) {
	p.replicaMu.Lock()
	defer p.replicaMu.Unlock()
	if !p.follows(leader, epoch) {
		return 0, false
	}
	return p.log.LogEndOffset(), true
}

// AppendAsFollower appends batches fetched from leader at epoch, makes
// them durable per the flush policy before returning (so the next fetch,
// which tells the leader this log end, only reports durable data), and
// sets the high watermark to min(leaderHW, log end).
func (p *Partition) AppendAsFollower(leader, epoch int32, records []byte, leaderHW int64) error {
	p.replicaMu.Lock()
	defer p.replicaMu.Unlock()
	if !p.follows(leader, epoch) {
		return ErrNotLeader
	}
	if len(records) > 0 {
		if err := p.log.AppendAsFollower(records); err != nil {
			return fmt.Errorf("append as follower: %w", err)
		}
		if p.Config().FlushPolicy == config.FlushAlways {
			if err := p.log.Flush(); err != nil {
				return fmt.Errorf("flush as follower: %w", err)
			}
		}
	}
	p.setFollowerHW(leaderHW)
	return nil
}

// TruncateAsFollower cuts the log at offset (divergent history found with
// OffsetForLeaderEpoch) while following leader at epoch.
func (p *Partition) TruncateAsFollower(leader, epoch int32, offset int64) error {
	p.replicaMu.Lock()
	defer p.replicaMu.Unlock()
	if !p.follows(leader, epoch) {
		return ErrNotLeader
	}
	if offset >= p.log.LogEndOffset() {
		return nil
	}
	if err := p.log.TruncateTo(offset); err != nil {
		return fmt.Errorf("truncate as follower: %w", err)
	}
	p.setFollowerHW(p.hw.Load())
	return nil
}

func (p *Partition) follows(leader, epoch int32) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.leader == leader && p.leaderEpoch == epoch && leader != p.nodeID
}

func (p *Partition) setFollowerHW(leaderHW int64) {
	hw := leaderHW
	if leo := p.log.LogEndOffset(); hw > leo {
		hw = leo
	}
	if hw < 0 {
		hw = 0
	}
	p.hw.Store(hw)
	p.log.SetHighWatermark(hw)
}

// WatchLogEnd signals w once the log end moves (or the role changes):
// replica fetches wait on it, as followers need data before the high
// watermark can move. One-shot, like Watch.
func (p *Partition) WatchLogEnd(w *Waiter) {
	p.mu.Lock()
	p.endWatchers = p.endWatchers.add(w)
	p.mu.Unlock()
}

// UnwatchLogEnd removes w.
func (p *Partition) UnwatchLogEnd(w *Waiter) {
	p.mu.Lock()
	delete(p.endWatchers, w)
	p.mu.Unlock()
}

func (p *Partition) wakeLogEnd() {
	p.mu.Lock()
	watchers := p.endWatchers
	p.endWatchers = nil
	p.mu.Unlock()
	watchers.signalAll()
}

// ISR returns the in-sync replicas as this node knows them.
func (p *Partition) ISR() []int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.isr)
}
