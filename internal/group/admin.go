package group

import (
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/coordinator"
)

// DescribeGroups serves DescribeGroups (v0-v5).
func (c *Coordinator) DescribeGroups(req *kmsg.DescribeGroupsRequest) *kmsg.DescribeGroupsResponse {
	resp := kmsg.NewPtrDescribeGroupsResponse()
	for _, id := range req.Groups {
		resp.Groups = append(resp.Groups, c.describe(id))
	}
	return resp
}

func (c *Coordinator) describe(id string) kmsg.DescribeGroupsResponseGroup {
	out := kmsg.NewDescribeGroupsResponseGroup()
	out.Group = id
	out.AuthorizedOperations = math.MinInt32
	if !validGroupID(id) {
		out.ErrorCode = kerr.InvalidGroupID.Code
		return out
	}
	s, e := c.lockShard(id)
	if e != nil {
		out.ErrorCode = e.Code
		return out
	}
	defer s.mu.Unlock()
	g := s.groups[id]
	if g == nil {
		out.State = stateDead.String()
		return out
	}
	if g.consumer != nil {
		c.describeConsumer(g, &out)
		return out
	}
	out.State = g.state.String()
	out.ProtocolType = g.protocolType
	if g.state == stateStable || g.state == stateCompletingRebalance {
		out.Protocol = g.protocol
	}
	members := make([]*member, 0, len(g.members))
	for _, m := range g.members {
		members = append(members, m)
	}
	sort.Slice(members, func(i, j int) bool { return members[i].joinSeq < members[j].joinSeq })
	for _, m := range members {
		dm := kmsg.DescribeGroupsResponseGroupMember{MemberID: m.id, ClientID: m.clientID, ClientHost: m.host}
		if m.instanceID != "" {
			inst := m.instanceID
			dm.InstanceID = &inst
		}
		if out.Protocol != "" {
			dm.ProtocolMetadata = m.metadataFor(g.protocol)
		}
		if g.state == stateStable {
			dm.MemberAssignment = m.assignment
		}
		if dm.ProtocolMetadata == nil {
			dm.ProtocolMetadata = []byte{}
		}
		if dm.MemberAssignment == nil {
			dm.MemberAssignment = []byte{}
		}
		out.Members = append(out.Members, dm)
	}
	return out
}

// ListGroups serves ListGroups (v0-v5): the groups this node coordinates,
// filtered by state (v4+) and type (v5+; every group here is "classic").
func (c *Coordinator) ListGroups(req *kmsg.ListGroupsRequest) *kmsg.ListGroupsResponse {
	resp := kmsg.NewPtrListGroupsResponse()
	states := map[string]bool{}
	for _, st := range req.StatesFilter {
		states[strings.ToLower(st)] = true
	}
	types := map[string]bool{}
	for _, t := range req.TypesFilter {
		types[strings.ToLower(t)] = true
	}
	for _, s := range c.allShards() {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			continue
		}
		if !s.loaded {
			resp.ErrorCode = kerr.CoordinatorLoadInProgress.Code
			s.mu.Unlock()
			continue
		}
		for _, g := range s.groups {
			st, typ := g.state.String(), "classic"
			if g.consumer != nil {
				st, typ = g.consumer.state(), "consumer"
			}
			if len(states) > 0 && !states[strings.ToLower(st)] {
				continue
			}
			if len(types) > 0 && !types[typ] {
				continue
			}
			resp.Groups = append(resp.Groups, kmsg.ListGroupsResponseGroup{
				Group: g.id, ProtocolType: g.protocolType, GroupState: st, GroupType: typ,
			})
		}
		s.mu.Unlock()
	}
	sort.Slice(resp.Groups, func(i, j int) bool { return resp.Groups[i].Group < resp.Groups[j].Group })
	return resp
}

// DeleteGroups serves DeleteGroups (v0-v2): empty groups are removed with
// tombstones for their metadata and every committed offset.
func (c *Coordinator) DeleteGroups(req *kmsg.DeleteGroupsRequest, reply func(*kmsg.DeleteGroupsResponse)) {
	resp := kmsg.NewPtrDeleteGroupsResponse()
	resp.Groups = make([]kmsg.DeleteGroupsResponseGroup, len(req.Groups))
	var mu sync.Mutex
	pending := len(req.Groups) + 1
	done := func() {
		mu.Lock()
		pending--
		last := pending == 0
		mu.Unlock()
		if last {
			reply(resp)
		}
	}
	for i, id := range req.Groups {
		out := &resp.Groups[i]
		out.Group = id
		c.deleteGroup(id, func(code int16) {
			out.ErrorCode = code
			done()
		})
	}
	done()
}

func (c *Coordinator) deleteGroup(id string, done func(code int16)) {
	if !validGroupID(id) {
		done(kerr.InvalidGroupID.Code)
		return
	}
	s, e := c.lockShard(id)
	if e != nil {
		done(e.Code)
		return
	}
	defer s.mu.Unlock()
	g := s.groups[id]
	switch {
	case g == nil || g.state == stateDead:
		done(kerr.GroupIDNotFound.Code)
		return
	case g.state != stateEmpty:
		done(kerr.NonEmptyGroup.Code)
		return
	}
	kvs := []coordinator.KV{{Key: groupKey(id)}}
	for tp := range g.offsets {
		kvs = append(kvs, coordinator.KV{Key: offsetKey(id, tp.topic, tp.part)})
	}
	g.setState(stateDead, c.now())
	s.appendRecords(kvs, func(_ int64, err error) {
		if err != nil {
			if s.groups[id] == g {
				g.setState(stateEmpty, c.now())
			}
			done(storeErrorCode(err))
			return
		}
		if s.groups[id] == g {
			g.stopTimers()
			delete(s.groups, id)
		}
		done(0)
	})
}

// describeConsumer answers DescribeGroups for a KIP-848 group the way
// classic tools can read it: each member's assignment encoded as a
// consumer protocol assignment.
func (c *Coordinator) describeConsumer(g *group, out *kmsg.DescribeGroupsResponseGroup) {
	cg := g.consumer
	out.State = cg.state()
	out.ProtocolType = "consumer"
	out.Protocol = cg.assignor
	ms := make([]*cmember, 0, len(cg.members))
	for _, m := range cg.members {
		ms = append(ms, m)
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].seq < ms[j].seq })
	for _, m := range ms {
		dm := kmsg.DescribeGroupsResponseGroupMember{MemberID: m.id, ClientID: m.clientID, ClientHost: m.host, ProtocolMetadata: []byte{}}
		if m.instanceID != "" {
			inst := m.instanceID
			dm.InstanceID = &inst
		}
		a := kmsg.NewConsumerMemberAssignment()
		byTopic := map[string][]int32{}
		for tp := range m.assigned {
			byTopic[tp.topic] = append(byTopic[tp.topic], tp.part)
		}
		for t, ps := range byTopic {
			sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
			a.Topics = append(a.Topics, kmsg.ConsumerMemberAssignmentTopic{Topic: t, Partitions: ps})
		}
		sort.Slice(a.Topics, func(i, j int) bool { return a.Topics[i].Topic < a.Topics[j].Topic })
		dm.MemberAssignment = a.AppendTo(nil)
		out.Members = append(out.Members, dm)
	}
}
