package group

import (
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// SyncGroup serves SyncGroup (v0-v5): the leader hands in the assignment,
// which is stored in __consumer_offsets before any member gets its share.
func (c *Coordinator) SyncGroup(req *kmsg.SyncGroupRequest, reply func(*kmsg.SyncGroupResponse)) {
	if !validGroupID(req.Group) {
		reply(syncError(kerr.InvalidGroupID))
		return
	}
	s, e := c.lockShard(req.Group)
	if e != nil {
		reply(syncError(e))
		return
	}
	defer s.mu.Unlock()
	now := time.Now()
	g := s.groups[req.Group]
	if g == nil {
		reply(syncError(kerr.UnknownMemberID))
		return
	}
	m := g.members[req.MemberID]
	if m == nil {
		reply(syncError(kerr.UnknownMemberID))
		return
	}
	if inst := deref(req.InstanceID); inst != "" && g.static[inst] != m.id {
		reply(syncError(kerr.FencedInstanceID))
		return
	}
	if req.Generation != g.generation {
		reply(syncError(kerr.IllegalGeneration))
		return
	}
	if (req.ProtocolType != nil && *req.ProtocolType != g.protocolType) || (req.Protocol != nil && *req.Protocol != g.protocol) {
		reply(syncError(kerr.InconsistentGroupProtocol))
		return
	}
	switch g.state {
	case statePreparingRebalance:
		reply(syncError(kerr.RebalanceInProgress))
	case stateStable:
		s.armSession(g, m, now)
		reply(s.syncResponse(g, m))
	case stateCompletingRebalance:
		if m.syncReply != nil {
			m.syncReply(syncError(kerr.RebalanceInProgress))
		}
		m.syncReply = reply
		s.armSession(g, m, now)
		if m.id != g.leader {
			return
		}
		for _, a := range req.GroupAssignment {
			if gm := g.members[a.MemberID]; gm != nil {
				gm.assignment = append([]byte(nil), a.MemberAssignment...)
			}
		}
		for _, gm := range g.members {
			if gm.assignment == nil {
				gm.assignment = []byte{}
			}
		}
		gen := g.generation
		s.persistGroup(g, func(err error) {
			if s.groups[g.id] != g || g.generation != gen || g.state != stateCompletingRebalance {
				return
			}
			if err != nil {
				code := storeErrorCode(err)
				for _, gm := range g.members {
					gm.assignment = nil
					if gm.syncReply != nil {
						r := kmsg.NewPtrSyncGroupResponse()
						r.ErrorCode = code
						gm.syncReply(r)
						gm.syncReply = nil
					}
				}
				s.prepareRebalance(g, time.Now())
				return
			}
			g.setState(stateStable, time.Now())
			for _, gm := range g.members {
				if gm.syncReply != nil {
					gm.syncReply(s.syncResponse(g, gm))
					gm.syncReply = nil
				}
			}
		})
	default:
		reply(syncError(kerr.UnknownMemberID))
	}
}

func (s *shard) syncResponse(g *group, m *member) *kmsg.SyncGroupResponse {
	resp := kmsg.NewPtrSyncGroupResponse()
	pt, p := g.protocolType, g.protocol
	resp.ProtocolType = &pt
	resp.Protocol = &p
	resp.MemberAssignment = m.assignment
	if resp.MemberAssignment == nil {
		resp.MemberAssignment = []byte{}
	}
	return resp
}

// Heartbeat serves Heartbeat (v0-v4).
func (c *Coordinator) Heartbeat(req *kmsg.HeartbeatRequest) *kmsg.HeartbeatResponse {
	resp := kmsg.NewPtrHeartbeatResponse()
	if !validGroupID(req.Group) {
		resp.ErrorCode = kerr.InvalidGroupID.Code
		return resp
	}
	s, e := c.lockShard(req.Group)
	if e != nil {
		resp.ErrorCode = e.Code
		return resp
	}
	defer s.mu.Unlock()
	g := s.groups[req.Group]
	if g == nil {
		resp.ErrorCode = kerr.UnknownMemberID.Code
		return resp
	}
	m := g.members[req.MemberID]
	switch {
	case m == nil:
		resp.ErrorCode = kerr.UnknownMemberID.Code
	case deref(req.InstanceID) != "" && g.static[deref(req.InstanceID)] != m.id:
		resp.ErrorCode = kerr.FencedInstanceID.Code
	case req.Generation != g.generation:
		resp.ErrorCode = kerr.IllegalGeneration.Code
	default:
		s.armSession(g, m, time.Now())
		if g.state == statePreparingRebalance {
			resp.ErrorCode = kerr.RebalanceInProgress.Code
		}
	}
	return resp
}

// LeaveGroup serves LeaveGroup (v0-v5, batched members from v3).
func (c *Coordinator) LeaveGroup(req *kmsg.LeaveGroupRequest) *kmsg.LeaveGroupResponse {
	resp := kmsg.NewPtrLeaveGroupResponse()
	members := req.Members
	if req.Version < 3 {
		members = []kmsg.LeaveGroupRequestMember{{MemberID: req.MemberID}}
	}
	if !validGroupID(req.Group) {
		resp.ErrorCode = kerr.InvalidGroupID.Code
		return resp
	}
	s, e := c.lockShard(req.Group)
	if e != nil {
		resp.ErrorCode = e.Code
		return resp
	}
	defer s.mu.Unlock()
	now := time.Now()
	g := s.groups[req.Group]
	for _, lm := range members {
		out := kmsg.LeaveGroupResponseMember{MemberID: lm.MemberID, InstanceID: lm.InstanceID}
		out.ErrorCode = s.leave(g, lm, now)
		resp.Members = append(resp.Members, out)
	}
	if req.Version < 3 && len(resp.Members) == 1 {
		resp.ErrorCode = resp.Members[0].ErrorCode
		resp.Members = nil
	}
	return resp
}

// leave removes one member. s.mu must be held.
func (s *shard) leave(g *group, lm kmsg.LeaveGroupRequestMember, now time.Time) int16 {
	if g == nil {
		return kerr.UnknownMemberID.Code
	}
	id := lm.MemberID
	inst := deref(lm.InstanceID)
	if id == "" && inst != "" {
		var ok bool
		if id, ok = g.static[inst]; !ok {
			return kerr.UnknownMemberID.Code
		}
	}
	if t, ok := g.pending[id]; ok {
		t.Stop()
		delete(g.pending, id)
		s.tryCompleteJoin(g, now)
		return 0
	}
	m := g.members[id]
	if m == nil {
		return kerr.UnknownMemberID.Code
	}
	if inst != "" && g.static[inst] != id {
		return kerr.FencedInstanceID.Code
	}
	s.c.log.Debug("group member left", "group", g.id, "member", id)
	s.removeMember(g, m, now)
	return 0
}
