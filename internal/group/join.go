package group

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// maxGroupIDLen is the longest group id: the record key stores it as a
// Kafka string, whose length is an int16.
const maxGroupIDLen = 1<<15 - 1

func validGroupID(g string) bool { return g != "" && len(g) <= maxGroupIDLen }

// JoinGroup serves JoinGroup (v0-v9). reply may be called later, when the
// rebalance completes.
func (c *Coordinator) JoinGroup(cl Client, req *kmsg.JoinGroupRequest, reply func(*kmsg.JoinGroupResponse)) {
	fail := func(e *kerr.Error) { reply(joinError(e, req.MemberID)) }
	if !validGroupID(req.Group) {
		fail(kerr.InvalidGroupID)
		return
	}
	b := c.cfg.Broker
	if req.SessionTimeoutMillis < b.GroupMinSessionTimeoutMs || req.SessionTimeoutMillis > b.GroupMaxSessionTimeoutMs {
		fail(kerr.InvalidSessionTimeout)
		return
	}
	if req.ProtocolType == "" || len(req.Protocols) == 0 {
		fail(kerr.InconsistentGroupProtocol)
		return
	}
	s, kerrE := c.lockShard(req.Group)
	if kerrE != nil {
		fail(kerrE)
		return
	}
	defer s.mu.Unlock()
	now := time.Now()
	g := s.groups[req.Group]
	if g == nil {
		if req.MemberID != "" {
			fail(kerr.UnknownMemberID)
			return
		}
		g = newGroup(req.Group, now)
		s.groups[req.Group] = g
	}
	if g.state == stateDead {
		fail(kerr.CoordinatorNotAvailable)
		return
	}
	if g.consumer != nil {
		if len(g.consumer.members) > 0 {
			fail(kerr.InconsistentGroupProtocol)
			return
		}
		// An empty consumer-protocol group may go back to classic.
		g.consumer = nil
	}
	if !g.acceptsProtocols(req.ProtocolType, req.Protocols) {
		fail(kerr.InconsistentGroupProtocol)
		return
	}
	instance := deref(req.InstanceID)
	if req.MemberID == "" {
		if instance != "" {
			if oldID, ok := g.static[instance]; ok {
				s.rejoinStatic(g, g.members[oldID], cl, req, reply, now)
				return
			}
		}
		if max := b.GroupMaxSize; max > 0 && len(g.members)+len(g.pending) >= int(max) {
			fail(kerr.GroupMaxSizeReached)
			return
		}
		prefix := cl.ID
		if instance != "" {
			prefix = instance
		}
		id := newMemberID(prefix)
		if instance == "" && req.Version >= 4 {
			// KIP-394: the member learns its id first, so a client
			// that times out and retries does not leave a ghost
			// member behind.
			s.addPending(g, id, time.Duration(req.SessionTimeoutMillis)*time.Millisecond)
			reply(joinError(kerr.MemberIDRequired, id))
			return
		}
		s.addMember(g, id, cl, req, reply, now)
		return
	}
	if t, ok := g.pending[req.MemberID]; ok {
		t.Stop()
		delete(g.pending, req.MemberID)
		if max := b.GroupMaxSize; max > 0 && len(g.members) >= int(max) {
			fail(kerr.GroupMaxSizeReached)
			return
		}
		s.addMember(g, req.MemberID, cl, req, reply, now)
		return
	}
	m := g.members[req.MemberID]
	if m == nil {
		fail(kerr.UnknownMemberID)
		return
	}
	if instance != "" && g.static[instance] != m.id {
		fail(kerr.FencedInstanceID)
		return
	}
	switch g.state {
	case statePreparingRebalance:
		s.updateMember(m, cl, req, reply)
		s.tryCompleteJoin(g, now)
	case stateCompletingRebalance:
		if sameProtocols(m.protocols, req.Protocols) {
			// A retried join of this generation: answer it again.
			reply(s.joinResponse(g, m, req.Version))
			return
		}
		s.updateMember(m, cl, req, reply)
		s.rebalance(g, now)
	case stateStable:
		if m.id == g.leader || !sameProtocols(m.protocols, req.Protocols) {
			s.updateMember(m, cl, req, reply)
			s.rebalance(g, now)
			return
		}
		s.armSession(g, m, now)
		reply(s.joinResponse(g, m, req.Version))
	default:
		fail(kerr.UnknownMemberID)
	}
}

// addPending remembers a member id handed out with MEMBER_ID_REQUIRED
// until the member joins with it or its session timeout passes.
// s.mu must be held.
func (s *shard) addPending(g *group, id string, session time.Duration) {
	g.pending[id] = time.AfterFunc(session, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed || s.groups[g.id] != g {
			return
		}
		if _, ok := g.pending[id]; !ok {
			return
		}
		delete(g.pending, id)
		s.tryCompleteJoin(g, time.Now())
	})
}

// addMember adds a new member waiting in its join and rebalances.
// s.mu must be held.
func (s *shard) addMember(g *group, id string, cl Client, req *kmsg.JoinGroupRequest, reply func(*kmsg.JoinGroupResponse), now time.Time) {
	g.joinSeq++
	m := &member{id: id, instanceID: deref(req.InstanceID), joinSeq: g.joinSeq}
	s.updateMember(m, cl, req, reply)
	if len(g.members) == 0 {
		g.protocolType = req.ProtocolType
	}
	g.members[id] = m
	if m.instanceID != "" {
		g.static[m.instanceID] = id
	}
	if g.state == statePreparingRebalance && g.initialDelay {
		g.newMemberAdded = true
	}
	s.maybePrepareRebalance(g, now)
	s.tryCompleteJoin(g, now)
}

// updateMember records a member's join request and parks its reply.
// s.mu must be held.
func (s *shard) updateMember(m *member, cl Client, req *kmsg.JoinGroupRequest, reply func(*kmsg.JoinGroupResponse)) {
	if m.joinReply != nil {
		// A second join from the same member replaces the first.
		m.joinReply(joinError(kerr.RebalanceInProgress, m.id))
	}
	m.clientID = cl.ID
	m.host = cl.Host
	m.sessionTimeout = time.Duration(req.SessionTimeoutMillis) * time.Millisecond
	m.rebalanceTimeout = time.Duration(req.RebalanceTimeoutMillis) * time.Millisecond
	if req.Version == 0 || m.rebalanceTimeout <= 0 {
		m.rebalanceTimeout = m.sessionTimeout
	}
	m.protocolType = req.ProtocolType
	m.protocols = toProtocols(req.Protocols)
	m.joinReply = reply
	m.joinVersion = req.Version
}

// rejoinStatic handles a static member (KIP-345) that restarted: it gets a
// new member id in place of the old one, and a stable group does not
// rebalance if its protocols did not change. s.mu must be held.
func (s *shard) rejoinStatic(g *group, old *member, cl Client, req *kmsg.JoinGroupRequest, reply func(*kmsg.JoinGroupResponse), now time.Time) {
	id := newMemberID(deref(req.InstanceID))
	// As in Kafka, only a change of the group's selected protocol makes
	// a returning static member rebalance the group.
	unchanged := g.protocol != "" && protocolIn(req.Protocols, g.protocol)
	if old.timer != nil {
		old.timer.Stop()
	}
	if old.joinReply != nil {
		old.joinReply(joinError(kerr.FencedInstanceID, old.id))
		old.joinReply = nil
	}
	if old.syncReply != nil {
		old.syncReply(syncError(kerr.FencedInstanceID))
		old.syncReply = nil
	}
	m := &member{id: id, instanceID: old.instanceID, joinSeq: old.joinSeq, assignment: old.assignment, protocols: old.protocols}
	delete(g.members, old.id)
	g.members[id] = m
	g.static[m.instanceID] = id
	if g.leader == old.id {
		g.leader = id
	}
	switch g.state {
	case stateStable:
		if unchanged {
			s.updateMember(m, cl, req, nil)
			m.joinReply = nil
			s.armSession(g, m, now)
			resp := s.joinResponse(g, m, req.Version)
			// The leader must not reassign: the group did not change.
			resp.SkipAssignment = m.id == g.leader && req.Version >= 9
			s.persistGroup(g, nil)
			reply(resp)
			return
		}
		s.updateMember(m, cl, req, reply)
		s.rebalance(g, now)
	case statePreparingRebalance:
		s.updateMember(m, cl, req, reply)
		s.tryCompleteJoin(g, now)
	default:
		s.updateMember(m, cl, req, reply)
		s.rebalance(g, now)
	}
}

func protocolIn(ps []kmsg.JoinGroupRequestProtocol, name string) bool {
	for _, p := range ps {
		if p.Name == name {
			return true
		}
	}
	return false
}
