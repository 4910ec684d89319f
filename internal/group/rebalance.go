package group

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/coordinator"
)

// prepareRebalance moves g to PreparingRebalance. A group that was Empty
// waits group.initial.rebalance.delay.ms (extended while members keep
// arriving, up to the rebalance timeout) so a starting fleet lands in one
// generation; otherwise the rebalance ends when every member rejoined or
// the rebalance timeout passed. s.mu must be held.
func (s *shard) prepareRebalance(g *group, now time.Time) {
	if g.state == stateCompletingRebalance {
		for _, m := range g.members {
			m.assignment = nil
			if m.syncReply != nil {
				m.syncReply(syncError(kerr.RebalanceInProgress))
				m.syncReply = nil
			}
		}
	}
	wasEmpty := g.state == stateEmpty
	g.setState(statePreparingRebalance, now)
	rt := g.maxRebalanceTimeout()
	delay := time.Duration(s.c.cfg.Broker.GroupInitialRebalanceDelayMs) * time.Millisecond
	if wasEmpty && delay > 0 {
		g.initialDelay = true
		g.newMemberAdded = false
		g.initialEnd = now.Add(rt)
		s.armRebalance(g, min(delay, rt))
		return
	}
	g.initialDelay = false
	s.armRebalance(g, rt)
}

// rebalance starts a rebalance and completes its join phase at once if
// every member is already waiting in a join (a lone member rejoining).
// s.mu must be held.
func (s *shard) rebalance(g *group, now time.Time) {
	s.prepareRebalance(g, now)
	s.tryCompleteJoin(g, now)
}

// maybePrepareRebalance starts a rebalance unless one is under way.
// s.mu must be held.
func (s *shard) maybePrepareRebalance(g *group, now time.Time) {
	switch g.state {
	case stateEmpty, stateStable, stateCompletingRebalance:
		s.prepareRebalance(g, now)
	}
}

// armRebalance (re)arms g's rebalance timer. s.mu must be held.
func (s *shard) armRebalance(g *group, d time.Duration) {
	g.timerSeq++
	seq := g.timerSeq
	if g.timer != nil {
		g.timer.Stop()
	}
	g.timer = time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed || g.timerSeq != seq || s.groups[g.id] != g || g.state != statePreparingRebalance {
			return
		}
		now := time.Now()
		if g.initialDelay {
			delay := time.Duration(s.c.cfg.Broker.GroupInitialRebalanceDelayMs) * time.Millisecond
			if remaining := g.initialEnd.Sub(now); g.newMemberAdded && remaining > 0 {
				g.newMemberAdded = false
				s.armRebalance(g, min(delay, remaining))
				return
			}
			g.initialDelay = false
		}
		s.completeJoin(g, now)
	})
}

// tryCompleteJoin ends the join phase early once every member rejoined.
// s.mu must be held.
func (s *shard) tryCompleteJoin(g *group, now time.Time) {
	if g.state != statePreparingRebalance || g.initialDelay || len(g.pending) > 0 {
		return
	}
	for _, m := range g.members {
		if m.joinReply == nil {
			return
		}
	}
	s.completeJoin(g, now)
}

// completeJoin ends the join phase: members that did not rejoin are
// removed, the generation advances, and every waiting member gets its
// JoinGroup response (the leader with the members' metadata).
// s.mu must be held.
func (s *shard) completeJoin(g *group, now time.Time) {
	g.timerSeq++
	if g.timer != nil {
		g.timer.Stop()
		g.timer = nil
	}
	g.initialDelay = false
	for _, m := range g.members {
		if m.joinReply == nil {
			s.dropMember(g, m)
		}
	}
	for id, t := range g.pending {
		t.Stop()
		delete(g.pending, id)
	}
	g.generation++
	if len(g.members) == 0 {
		g.protocol = ""
		g.leader = ""
		g.setState(stateEmpty, now)
		s.persistGroup(g, nil)
		return
	}
	g.protocol = g.selectProtocol()
	if _, ok := g.members[g.leader]; !ok {
		g.leader = ""
		var first *member
		for _, m := range g.members {
			if first == nil || m.joinSeq < first.joinSeq {
				first = m
			}
		}
		g.leader = first.id
	}
	g.setState(stateCompletingRebalance, now)
	for _, m := range g.members {
		resp := s.joinResponse(g, m, m.joinVersion)
		m.joinReply(resp)
		m.joinReply = nil
		s.armSession(g, m, now)
	}
}

// joinResponse is a successful JoinGroup response for m in the current
// generation; the leader also gets every member's metadata.
func (s *shard) joinResponse(g *group, m *member, version int16) *kmsg.JoinGroupResponse {
	resp := kmsg.NewPtrJoinGroupResponse()
	resp.Version = version
	resp.Generation = g.generation
	pt, p := g.protocolType, g.protocol
	resp.ProtocolType = &pt
	resp.Protocol = &p
	resp.LeaderID = g.leader
	resp.MemberID = m.id
	if m.id == g.leader {
		for _, o := range g.members {
			jm := kmsg.JoinGroupResponseMember{MemberID: o.id, ProtocolMetadata: o.metadataFor(g.protocol)}
			if o.instanceID != "" {
				id := o.instanceID
				jm.InstanceID = &id
			}
			resp.Members = append(resp.Members, jm)
		}
	}
	return resp
}

// dropMember removes m without starting a rebalance; its waiting requests
// are answered. s.mu must be held.
func (s *shard) dropMember(g *group, m *member) {
	if m.timer != nil {
		m.timer.Stop()
	}
	if m.joinReply != nil {
		m.joinReply(joinError(kerr.UnknownMemberID, m.id))
		m.joinReply = nil
	}
	if m.syncReply != nil {
		m.syncReply(syncError(kerr.UnknownMemberID))
		m.syncReply = nil
	}
	delete(g.members, m.id)
	if m.instanceID != "" && g.static[m.instanceID] == m.id {
		delete(g.static, m.instanceID)
	}
}

// removeMember removes m (left or timed out) and rebalances the rest.
// s.mu must be held.
func (s *shard) removeMember(g *group, m *member, now time.Time) {
	s.dropMember(g, m)
	switch g.state {
	case stateStable, stateCompletingRebalance:
		s.prepareRebalance(g, now)
		s.tryCompleteJoin(g, now)
	case statePreparingRebalance:
		s.tryCompleteJoin(g, now)
	}
}

// armSession (re)starts m's session: it is removed unless it heartbeats (or
// commits, joins, syncs) within its session timeout. s.mu must be held.
func (s *shard) armSession(g *group, m *member, now time.Time) {
	m.deadline = now.Add(m.sessionTimeout)
	if m.timer != nil {
		// The running timer re-checks the deadline when it fires.
		return
	}
	m.timer = time.AfterFunc(m.sessionTimeout, func() { s.sessionTimer(g, m) })
}

func (s *shard) sessionTimer(g *group, m *member) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.groups[g.id] != g || g.members[m.id] != m {
		return
	}
	now := time.Now()
	if m.joinReply != nil || m.syncReply != nil {
		// Waiting in a join or sync is being alive; the rebalance
		// timeout bounds that wait.
		m.timer.Reset(m.sessionTimeout)
		return
	}
	if left := m.deadline.Sub(now); left > 0 {
		m.timer.Reset(left)
		return
	}
	s.c.log.Info("group member session expired", "group", g.id, "member", m.id, "generation", g.generation)
	s.removeMember(g, m, now)
}

// persistGroup writes g's current generation to __consumer_offsets; then
// runs done (if any) with s.mu held. s.mu must be held.
func (s *shard) persistGroup(g *group, done func(err error)) {
	v := kmsg.NewGroupMetadataValue()
	v.Version = groupValueVer
	v.ProtocolType = g.protocolType
	v.Generation = g.generation
	if g.protocol != "" {
		p := g.protocol
		v.Protocol = &p
	}
	if g.leader != "" {
		l := g.leader
		v.Leader = &l
	}
	v.CurrentStateTimestamp = g.stateTime.UnixMilli()
	for _, m := range g.members {
		vm := kmsg.NewGroupMetadataValueMember()
		vm.MemberID = m.id
		if m.instanceID != "" {
			id := m.instanceID
			vm.InstanceID = &id
		}
		vm.ClientID = m.clientID
		vm.ClientHost = m.host
		vm.RebalanceTimeoutMillis = int32(m.rebalanceTimeout.Milliseconds())
		vm.SessionTimeoutMillis = int32(m.sessionTimeout.Milliseconds())
		vm.Subscription = m.metadataFor(g.protocol)
		if vm.Subscription == nil {
			vm.Subscription = []byte{}
		}
		vm.Assignment = m.assignment
		if vm.Assignment == nil {
			vm.Assignment = []byte{}
		}
		v.Members = append(v.Members, vm)
	}
	kv := coordinator.KV{Key: groupKey(g.id), Value: v.AppendTo(nil)}
	s.appendRecords([]coordinator.KV{kv}, func(_ int64, err error) {
		if err != nil {
			s.c.log.Warn("store group metadata", "group", g.id, "generation", v.Generation, "err", err)
		}
		if done != nil {
			done(err)
		}
	})
}

func joinError(e *kerr.Error, memberID string) *kmsg.JoinGroupResponse {
	resp := kmsg.NewPtrJoinGroupResponse()
	resp.ErrorCode = e.Code
	resp.Generation = -1
	resp.MemberID = memberID
	return resp
}

func syncError(e *kerr.Error) *kmsg.SyncGroupResponse {
	resp := kmsg.NewPtrSyncGroupResponse()
	resp.ErrorCode = e.Code
	return resp
}
