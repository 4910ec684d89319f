package partition

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gregor-stream/gregor/internal/config"
	"github.com/gregor-stream/gregor/internal/record"
	"github.com/gregor-stream/gregor/internal/storage"
)

// Partition is one replica hosted by this node.
type Partition struct {
	Topic     string
	Index     int32
	TopicID   [16]byte
	log       *storage.Log
	nodeID    int32
	now       func() time.Time
	cfgHolder atomic.Pointer[config.TopicConfig]

	hw atomic.Int64

	mu          sync.Mutex
	leader      int32
	leaderEpoch int32
	replicas    []int32
	isr         []int32
	followerLEO map[int32]int64
	ackWaiters  []ackWaiter
	watchers    waiterSet

	// Replication state (replica.go).
	partitionEpoch int32
	followers      map[int32]*followerState
	epochStart     int64     // log end when this node became leader
	leaderSince    time.Time // when this node became leader
	isrInFlight    bool      // an AlterPartition is under way
	isrAdding      int32     // the follower that AlterPartition adds, -1 if none
	alter          alterFunc
	endWatchers    waiterSet
	// replicaMu serialises follower appends and truncation with role
	// changes, so no fetched data lands after the role changed. Order:
	// replicaMu -> mu.
	replicaMu sync.Mutex
}

type ackWaiter struct {
	offset int64 // complete once hw >= offset
	fn     func(error)
	// produce waiters answer NOT_ENOUGH_REPLICAS_AFTER_APPEND when the
	// ISR shrank below min.insync.replicas meanwhile.
	produce bool
}

// Waiter is signalled (non-blocking) whenever a watched partition's high
// watermark or log start offset moves.
type Waiter struct{ C chan struct{} }

// NewWaiter returns a waiter with a one-slot signal channel.
func NewWaiter() *Waiter { return &Waiter{C: make(chan struct{}, 1)} }

func (w *Waiter) signal() {
	select {
	case w.C <- struct{}{}:
	default:
	}
}

// Config is the topic configuration in effect.
func (p *Partition) Config() config.TopicConfig { return *p.cfgHolder.Load() }

func (p *Partition) setConfig(c config.TopicConfig) {
	p.cfgHolder.Store(&c)
	p.log.SetConfig(storageConfig(c))
}

// Log exposes the underlying log for metrics and admin APIs.
func (p *Partition) Log() *storage.Log { return p.log }

// HighWatermark is the offset below which records are committed.
func (p *Partition) HighWatermark() int64 { return p.hw.Load() }

// LastStableOffset is the offset below which no transaction is open: the
// high watermark, or the first offset of the oldest ongoing transaction if
// that is lower. read_committed consumers read up to it.
func (p *Partition) LastStableOffset() int64 {
	hw := p.hw.Load()
	if first, ok := p.log.FirstUnstableOffset(); ok && first < hw {
		return first
	}
	return hw
}

// Leader returns the current leader and epoch.
func (p *Partition) Leader() (int32, int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.leader, p.leaderEpoch
}

// IsLeader reports whether this node leads the partition.
func (p *Partition) IsLeader() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.leader == p.nodeID
}

// becomeLeader makes this node the leader at epoch.
func (p *Partition) becomeLeader(epoch int32, replicas, isr []int32) {
	p.replicaMu.Lock()
	defer p.replicaMu.Unlock()
	p.mu.Lock()
	p.followers = make(map[int32]*followerState)
	p.epochStart = p.log.LogEndOffset()
	p.leaderSince = p.now()
	p.isrInFlight = false
	p.isrAdding = -1
	p.leader = p.nodeID
	p.leaderEpoch = epoch
	p.replicas = replicas
	p.isr = isr
	p.followerLEO = make(map[int32]int64)
	p.mu.Unlock()
	p.log.WhenFlushed(p.log.LogEndOffset(), func(error) { p.maybeAdvanceHW() })
	p.maybeAdvanceHW()
}

// becomeFollower records that another node leads.
func (p *Partition) becomeFollower(leader, epoch int32, replicas, isr []int32) {
	p.replicaMu.Lock()
	defer p.replicaMu.Unlock()
	p.mu.Lock()
	if hw, leo := p.hw.Load(), p.log.LogEndOffset(); hw > leo {
		p.hw.Store(leo)
		p.log.SetHighWatermark(leo)
	}
	p.followerLEO = nil
	p.followers = nil
	p.leader = leader
	p.leaderEpoch = epoch
	p.replicas = replicas
	p.isr = isr
	waiters := p.ackWaiters
	p.ackWaiters = nil
	p.mu.Unlock()
	for _, w := range waiters {
		w.fn(ErrNotLeader)
	}
	// Long polls on this node as leader answer NOT_LEADER now.
	p.wakeWatchers()
	p.wakeLogEnd()
}

// maybeAdvanceHW recomputes the high watermark (the lowest log end offset
// in the ISR, as in Kafka) and completes the acks=all waits that are both
// replicated and durable on this leader.
func (p *Partition) maybeAdvanceHW() {
	p.mu.Lock()
	if p.leader != p.nodeID {
		p.mu.Unlock()
		return
	}
	hw := p.log.LogEndOffset()
	// The maximal ISR (Kafka's rule): a follower being added counts from
	// the moment it is proposed, since the controller may commit it (and
	// later elect it) before this leader hears back.
	for _, r := range p.isr {
		hw = p.lowerToFollower(r, hw)
	}
	if p.isrAdding >= 0 {
		hw = p.lowerToFollower(p.isrAdding, hw)
	}
	old := p.hw.Load()
	advanced := hw > old
	switch {
	case advanced:
		p.hw.Store(hw)
		p.log.SetHighWatermark(hw)
	case hw < old && hw == p.log.LogEndOffset():
		// The log lost an unflushed tail to a failed fsync (storage
		// truncates it, as the pages may be gone): nothing above the log
		// end can stay visible. None of it was acknowledged with acks=all.
		p.hw.Store(hw)
		p.log.SetHighWatermark(hw)
	default:
		hw = old
	}
	durable := p.durableOffset()
	if durable > hw {
		durable = hw
	}
	var done []ackWaiter
	short := int32(len(p.isr)) < p.Config().MinInsyncReplicas
	if len(p.ackWaiters) > 0 {
		kept := p.ackWaiters[:0]
		for _, w := range p.ackWaiters {
			if w.offset <= durable {
				done = append(done, w)
			} else {
				kept = append(kept, w)
			}
		}
		// Drop the moved-out tail: it would keep finished requests (and their
		// frames) reachable through the backing array.
		clear(p.ackWaiters[len(kept):])
		p.ackWaiters = kept
	}
	var watchers waiterSet
	if advanced {
		watchers = p.watchers
		p.watchers = nil
	}
	p.mu.Unlock()
	for _, w := range done {
		if w.produce && short {
			w.fn(ErrNotEnoughReplicasAfterAppend)
			continue
		}
		w.fn(nil)
	}
	watchers.signalAll()
}

// lowerToFollower lowers hw to follower r's log end offset. p.mu must be
// held.
func (p *Partition) lowerToFollower(r int32, hw int64) int64 {
	if r == p.nodeID {
		return hw
	}
	if off, ok := p.followerLEO[r]; !ok || off < hw {
		return off
	}
	return hw
}

// durableOffset is the offset below which this replica's data is as durable
// as the topic's flush policy promises: fsynced with "always", written with
// "interval" and "never" (which trade durability for speed by choice).
func (p *Partition) durableOffset() int64 {
	if p.Config().FlushPolicy != config.FlushAlways {
		return p.log.LogEndOffset()
	}
	return p.log.FlushedOffset()
}

// Watch signals w once the high watermark moves. Watching is one-shot:
// after a signal the caller watches again if it still waits.
func (p *Partition) Watch(w *Waiter) {
	p.mu.Lock()
	p.watchers = p.watchers.add(w)
	p.mu.Unlock()
}

// Unwatch removes w.
func (p *Partition) Unwatch(w *Waiter) {
	p.mu.Lock()
	delete(p.watchers, w)
	p.mu.Unlock()
}

func (p *Partition) wakeWatchers() {
	p.mu.Lock()
	watchers := p.watchers
	p.watchers = nil
	p.mu.Unlock()
	watchers.signalAll()
}

// waiterSet holds the waiters of one kind of event; Partition.mu guards it.
type waiterSet map[*Waiter]struct{}

func (s waiterSet) add(w *Waiter) waiterSet {
	if s == nil {
		s = make(waiterSet)
	}
	s[w] = struct{}{}
	return s
}

func (s waiterSet) signalAll() {
	for w := range s {
		w.signal()
	}
}

// close fails every pending wait; the partition is going away.
func (p *Partition) close(err error) {
	p.mu.Lock()
	waiters := p.ackWaiters
	p.ackWaiters = nil
	p.leader = -1
	p.mu.Unlock()
	for _, w := range waiters {
		w.fn(err)
	}
	p.wakeWatchers()
	p.wakeLogEnd()
}

func storageConfig(c config.TopicConfig) storage.LogConfig {
	lc := storage.DefaultLogConfig()
	lc.SegmentBytes = c.SegmentBytes
	lc.SegmentMs = c.SegmentMs
	lc.SegmentIndexBytes = c.SegmentIndexBytes
	lc.IndexIntervalBytes = c.IndexIntervalBytes
	lc.RetentionMs = c.RetentionMs
	lc.RetentionBytes = c.RetentionBytes
	lc.FlushMs = c.FlushMs
	lc.FlushMessages = c.FlushMessages
	lc.FileDeleteDelayMs = c.FileDeleteDelayMs
	lc.Compact, lc.Delete = c.Compact, c.Delete
	lc.DeleteRetentionMs = c.DeleteRetentionMs
	lc.MinCompactionLagMs, lc.MaxCompactionLagMs = c.MinCompactionLagMs, c.MaxCompactionLagMs
	lc.MinCleanableDirtyRatio = c.MinCleanableDirtyRatio
	switch c.FlushPolicy {
	case config.FlushInterval:
		lc.FlushPolicy = storage.FlushInterval
	case config.FlushNever:
		lc.FlushPolicy = storage.FlushNever
	default:
		lc.FlushPolicy = storage.FlushAlways
	}
	return lc
}

// codecFor maps compression.type to a codec; ok=false means "producer".
func codecFor(name string) (record.Codec, bool) {
	switch name {
	case "uncompressed", "none":
		return record.None, true
	case "gzip":
		return record.Gzip, true
	case "snappy":
		return record.Snappy, true
	case "lz4":
		return record.LZ4, true
	case "zstd":
		return record.Zstd, true
	}
	return 0, false
}
