package group

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/coordinator"
	"github.com/gregor-stream/gregor/internal/partition"
)

// loadTimeout bounds the wait for the local log of a newly led partition.
const loadTimeout = 2 * time.Minute

// shard holds the groups of one __consumer_offsets partition this node
// leads.
type shard struct {
	c     *Coordinator
	part  int32
	epoch int32

	mu     sync.Mutex
	p      *partition.Partition
	loaded bool
	closed bool
	groups map[string]*group
	// inflight counts appends not yet completed; cleanup copies records
	// forward only when it is zero, so a copy never lands after a newer
	// value of the same key that is still in flight.
	inflight int
	// pendingTxn holds transactional offset commits by producer id until
	// the transaction's marker commits (applies) or aborts (drops) them.
	pendingTxn map[int64][]pendingOffset
}

// pendingOffset is a transactional offset commit awaiting its marker.
type pendingOffset struct {
	group string
	tp    topicPartition
	off   offset
	pos   int64
}

// replayRecord applies one record read back from the log, honouring
// transactions: offsets written in a transaction wait for its marker.
// s.mu must be held.
func (s *shard) replayRecord(off int64, key, value []byte, b coordinator.BatchInfo) error {
	if b.Control {
		if commit, ok := coordinator.ControlCommit(key); ok {
			s.completeTxnLocked(b.ProducerID, commit)
		}
		return nil
	}
	if b.Transactional {
		return s.addPendingTxn(b.ProducerID, off, key, value)
	}
	return s.apply(off, key, value)
}

// addPendingTxn records a transactional offset commit. s.mu must be held.
func (s *shard) addPendingTxn(pid, off int64, key, value []byte) error {
	d, ok, err := decodeRecord(key, value)
	if err != nil || !ok || !d.isOffset || d.off == nil {
		return err
	}
	if s.pendingTxn == nil {
		s.pendingTxn = map[int64][]pendingOffset{}
	}
	s.pendingTxn[pid] = append(s.pendingTxn[pid], pendingOffset{d.group, topicPartition{d.topic, d.part}, *d.off, off})
	return nil
}

// completeTxnLocked applies (commit) or drops (abort) a producer's pending
// offsets. s.mu must be held.
func (s *shard) completeTxnLocked(pid int64, commit bool) {
	pend := s.pendingTxn[pid]
	delete(s.pendingTxn, pid)
	if !commit {
		return
	}
	for _, po := range pend {
		g := s.groups[po.group]
		if g == nil {
			g = newGroup(po.group, time.Now())
			s.groups[po.group] = g
		}
		if po.pos < g.offsetPos[po.tp] {
			continue
		}
		g.offsetPos[po.tp] = po.pos
		g.offsets[po.tp] = po.off
	}
}

// hasPendingTxn reports whether a transaction still holds an offset of
// group g for tp. s.mu must be held.
func (s *shard) hasPendingTxn(g string, tp topicPartition) bool {
	for _, pend := range s.pendingTxn {
		for _, po := range pend {
			if po.group == g && po.tp == tp {
				return true
			}
		}
	}
	return false
}

func newShard(c *Coordinator, part, epoch int32) *shard {
	return &shard{c: c, part: part, epoch: epoch, groups: map[string]*group{}}
}

// load waits for the local leader replica, then replays it.
func (s *shard) load() {
	ctx, cancel := context.WithTimeout(s.c.ctx, loadTimeout)
	defer cancel()
	start := time.Now()
	p, err := coordinator.WaitLeader(ctx, s.c.cfg.Meta, s.c.cfg.Parts, OffsetsTopic, s.part)
	if err != nil {
		s.c.log.Warn("load offsets partition", "partition", s.part, "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.p = p
	bad := 0
	next, err := coordinator.ReplayBatches(p, 0, func(off int64, key, value []byte, b coordinator.BatchInfo) {
		if err := s.replayRecord(off, key, value, b); err != nil {
			bad++
		}
	})
	if err != nil {
		// Serving with part of the state would hand out stale offsets.
		s.c.log.Error("replay offsets partition", "partition", s.part, "err", err)
		return
	}
	now := time.Now()
	for id, g := range s.groups {
		if g.deleted && len(g.offsets) == 0 && len(g.members) == 0 {
			delete(s.groups, id)
			continue
		}
		g.deleted = false
		for _, m := range g.members {
			s.armSession(g, m, now)
		}
	}
	s.loaded = true
	s.c.log.Info("loaded offsets partition", "partition", s.part, "epoch", s.epoch, "groups", len(s.groups),
		"next_offset", next, "skipped_records", bad, "took", time.Since(start).Round(time.Millisecond))
}

// apply applies one record of the partition at log offset off. It is the
// only way offsets change, both on replay and after a live commit.
// s.mu must be held.
func (s *shard) apply(off int64, key, value []byte) error {
	d, ok, err := decodeRecord(key, value)
	if err != nil || !ok {
		return err
	}
	g := s.groups[d.group]
	if d.isOffset {
		tp := topicPartition{d.topic, d.part}
		if g == nil {
			if d.off == nil {
				return nil
			}
			g = newGroup(d.group, time.Now())
			s.groups[d.group] = g
		}
		if off < g.offsetPos[tp] {
			return nil
		}
		g.offsetPos[tp] = off
		if d.off == nil {
			delete(g.offsets, tp)
		} else {
			g.offsets[tp] = *d.off
		}
		return nil
	}
	if g == nil {
		if d.meta == nil {
			return nil
		}
		g = newGroup(d.group, time.Now())
		s.groups[d.group] = g
	}
	if off < g.metaPos {
		return nil
	}
	g.metaPos = off
	g.metaValue = value
	// Group metadata is applied from the log on replay only: on the live
	// path the state machine already holds what the record says.
	if s.loaded {
		return nil
	}
	if d.meta == nil {
		g.members = map[string]*member{}
		g.static = map[string]string{}
		g.state = stateEmpty
		g.generation = 0
		g.protocolType = ""
		g.protocol = ""
		g.leader = ""
		g.deleted = true
		return nil
	}
	restoreGroup(g, d.meta)
	return nil
}

// restoreGroup sets g to the generation a group metadata record describes.
func restoreGroup(g *group, v *kmsg.GroupMetadataValue) {
	g.deleted = false
	g.protocolType = v.ProtocolType
	g.generation = v.Generation
	g.protocol = deref(v.Protocol)
	g.leader = deref(v.Leader)
	if v.CurrentStateTimestamp > 0 {
		g.stateTime = time.UnixMilli(v.CurrentStateTimestamp)
	}
	g.members = map[string]*member{}
	g.static = map[string]string{}
	for i, vm := range v.Members {
		m := &member{
			id:               vm.MemberID,
			instanceID:       deref(vm.InstanceID),
			clientID:         vm.ClientID,
			host:             vm.ClientHost,
			sessionTimeout:   time.Duration(vm.SessionTimeoutMillis) * time.Millisecond,
			rebalanceTimeout: time.Duration(vm.RebalanceTimeoutMillis) * time.Millisecond,
			protocols:        []protocol{{name: g.protocol, metadata: vm.Subscription}},
			assignment:       vm.Assignment,
			joinSeq:          uint64(i),
		}
		if m.rebalanceTimeout <= 0 {
			m.rebalanceTimeout = m.sessionTimeout
		}
		g.members[m.id] = m
		if m.instanceID != "" {
			g.static[m.instanceID] = m.id
		}
	}
	if len(g.members) > 0 {
		g.state = stateStable
	} else {
		g.state = stateEmpty
	}
}

// close drops the shard: timers stop and every waiting request is told
// NOT_COORDINATOR so its client finds the new coordinator.
func (s *shard) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	for _, g := range s.groups {
		g.stopTimers()
		g.consumer = nil
		for _, m := range g.members {
			if m.timer != nil {
				m.timer.Stop()
			}
			if m.joinReply != nil {
				m.joinReply(joinError(kerr.NotCoordinator, m.id))
				m.joinReply = nil
			}
			if m.syncReply != nil {
				m.syncReply(syncError(kerr.NotCoordinator))
				m.syncReply = nil
			}
		}
	}
}

// appendRecords writes kvs to the shard's partition; done runs with s.mu
// held once they are committed (or failed). s.mu must be held.
//
// The append itself runs on its own goroutine, never under s.mu: a
// partition may complete other waiters (a transaction marker, whose
// completion calls CompleteTxn) from inside Append, and those take s.mu.
// Records carry their log offsets, so appends that land out of call order
// still apply in log order.
func (s *shard) appendRecords(kvs []coordinator.KV, done func(first int64, err error)) {
	s.inflight++
	p, now := s.p, time.Now()
	go coordinator.Append(p, kvs, now, func(first int64, err error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.inflight--
		if err == nil && s.closed {
			err = kerr.NotCoordinator
		}
		if err == nil {
			for i, kv := range kvs {
				if aerr := s.apply(first+int64(i), kv.Key, kv.Value); aerr != nil {
					s.c.log.Error("apply own record", "partition", s.part, "err", aerr)
				}
			}
		}
		done(first, err)
	})
}

// storeErrorCode maps an append failure to what Kafka answers for a failed
// write to __consumer_offsets: clients then look the coordinator up again.
func storeErrorCode(err error) int16 {
	if ke, ok := err.(*kerr.Error); ok {
		return ke.Code
	}
	return kerr.NotCoordinator.Code
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
