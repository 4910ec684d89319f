package group

import (
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/metadata"
)

// ConsumerGroupHeartbeat serves ConsumerGroupHeartbeat (v0-v1, KIP-848).
// Membership of consumer-protocol groups is not written to
// __consumer_offsets: after a coordinator change its members get
// UNKNOWN_MEMBER_ID and rejoin (their committed offsets are kept).
func (c *Coordinator) ConsumerGroupHeartbeat(cl Client, req *kmsg.ConsumerGroupHeartbeatRequest) *kmsg.ConsumerGroupHeartbeatResponse {
	resp := kmsg.NewPtrConsumerGroupHeartbeatResponse()
	fail := func(e *kerr.Error, msg string) *kmsg.ConsumerGroupHeartbeatResponse {
		resp.ErrorCode = e.Code
		if msg != "" {
			resp.ErrorMessage = &msg
		}
		return resp
	}
	if !validGroupID(req.Group) {
		return fail(kerr.InvalidRequest, "group id must not be empty")
	}
	if req.MemberEpoch < -2 {
		return fail(kerr.InvalidRequest, "member epoch below -2")
	}
	if req.MemberEpoch > 0 && req.MemberID == "" {
		return fail(kerr.InvalidRequest, "member id required with a member epoch")
	}
	var re *regexp.Regexp
	if req.SubscribedTopicRegex != nil {
		var err error
		if re, err = regexp.Compile("^(?:" + *req.SubscribedTopicRegex + ")$"); err != nil {
			return fail(kerr.InvalidRegularExpression, err.Error())
		}
	}
	if req.MemberEpoch == 0 {
		if req.SubscribedTopicNames == nil && re == nil {
			return fail(kerr.InvalidRequest, "subscribed topic names or regex required to join")
		}
		if req.RebalanceTimeoutMillis < 0 {
			return fail(kerr.InvalidRequest, "rebalance timeout required to join")
		}
	}
	if a := req.ServerAssignor; a != nil && *a != "uniform" && *a != "range" {
		return fail(kerr.UnsupportedAssignor, "server assignors: uniform, range")
	}
	s, e := c.lockShard(req.Group)
	if e != nil {
		return fail(e, "")
	}
	defer s.mu.Unlock()
	now := time.Now()
	img := c.cfg.Meta.Image()
	g := s.groups[req.Group]
	if g == nil {
		if req.MemberEpoch != 0 {
			return fail(kerr.UnknownMemberID, "")
		}
		g = newGroup(req.Group, now)
		s.groups[req.Group] = g
	}
	if g.consumer == nil {
		if len(g.members) > 0 || g.state == stateDead {
			return fail(kerr.GroupIDNotFound, "the group uses the classic protocol")
		}
		if req.MemberEpoch != 0 {
			return fail(kerr.UnknownMemberID, "")
		}
		g.consumer = newCgroup()
		g.protocolType = "consumer"
	}
	cg := g.consumer

	if req.MemberEpoch < 0 {
		m := cg.members[req.MemberID]
		if m == nil && req.InstanceID != nil {
			for _, o := range cg.members {
				if o.instanceID == *req.InstanceID {
					m = o
				}
			}
		}
		if m == nil {
			return fail(kerr.UnknownMemberID, "")
		}
		if req.MemberEpoch == -2 && m.instanceID != "" {
			// A static member leaving temporarily keeps its partitions
			// until its session ends; its successor (same instance id)
			// takes them over without a rebalance.
			s.armCSession(g, m, now)
		} else {
			s.removeCMember(g, m, now)
		}
		id := m.id
		resp.MemberID = &id
		resp.MemberEpoch = req.MemberEpoch
		return resp
	}

	var m *cmember
	if req.MemberEpoch == 0 {
		id := req.MemberID
		if id == "" {
			id = newMemberID(cl.ID)
		}
		m = cg.members[id]
		if m != nil {
			// A member rejoining with its id starts over.
			m.epoch, m.prevEpoch = 0, 0
			m.assigned, m.pending = tpSet{}, tpSet{}
		} else {
			if max := c.cfg.Broker.GroupMaxSize; max > 0 && len(cg.members) >= int(max) {
				return fail(kerr.GroupMaxSizeReached, "")
			}
			cg.seq++
			m = &cmember{id: id, seq: cg.seq, assigned: tpSet{}, pending: tpSet{}}
			takeover := false
			if req.InstanceID != nil {
				m.instanceID = *req.InstanceID
				for _, o := range cg.members {
					if o.instanceID == m.instanceID {
						// A static member restarting takes over its
						// predecessor's place (KIP-345 for 848): same
						// partitions, subscription and target, so the
						// group does not rebalance.
						m.assigned, m.pending = o.assigned, o.pending
						m.epoch, m.prevEpoch = o.epoch, o.prevEpoch
						m.topics, m.regex, m.regexSrc = o.topics, o.regex, o.regexSrc
						cg.target[id] = cg.target[o.id]
						s.dropCMember(g, o)
						takeover = true
					}
				}
			}
			cg.members[id] = m
			if !takeover {
				cg.epoch++
			}
			g.setState(stateStable, now)
		}
	} else {
		m = cg.members[req.MemberID]
		if m == nil {
			return fail(kerr.UnknownMemberID, "")
		}
		if req.MemberEpoch != m.epoch {
			lostResponse := req.MemberEpoch == m.prevEpoch && req.Topics != nil && subsetOf(topicsOf(img, req.Topics), m.assigned)
			if !lostResponse {
				return fail(kerr.FencedMemberEpoch, "")
			}
		}
	}
	m.clientID, m.host = cl.ID, cl.Host
	if req.RackID != nil {
		m.rack = *req.RackID
	}
	if req.RebalanceTimeoutMillis >= 0 {
		m.rebalanceTimeout = time.Duration(req.RebalanceTimeoutMillis) * time.Millisecond
	}
	if req.ServerAssignor != nil && *req.ServerAssignor != cg.assignor {
		cg.assignor = *req.ServerAssignor
		cg.epoch++
	}
	if req.SubscribedTopicNames != nil {
		names := slices.Clone(req.SubscribedTopicNames)
		sort.Strings(names)
		if !slices.Equal(names, m.topics) || m.regex != nil {
			m.topics, m.regex, m.regexSrc = names, nil, ""
			cg.epoch++
		}
	}
	if re != nil && (m.regex == nil || m.regexSrc != *req.SubscribedTopicRegex) {
		m.regex, m.regexSrc, m.topics = re, *req.SubscribedTopicRegex, nil
		cg.epoch++
	}
	if fp := cg.fingerprint(img); fp != cg.subMeta {
		cg.subMeta = fp
		cg.epoch++
	}
	if len(m.pending) > 0 && req.Topics != nil {
		owned := topicsOf(img, req.Topics)
		for tp := range m.pending {
			if !owned[tp] {
				delete(m.pending, tp)
			}
		}
	}
	if len(m.pending) > 0 && !m.revokeBy.IsZero() && now.After(m.revokeBy) {
		c.log.Info("consumer group member did not revoke in time", "group", g.id, "member", m.id)
		s.removeCMember(g, m, now)
		return fail(kerr.FencedMemberEpoch, "partitions not revoked within the rebalance timeout")
	}
	if cg.assignmentEpoch != cg.epoch {
		cg.computeTarget(img)
	}
	cg.reconcile(m, now)
	s.armCSession(g, m, now)

	id := m.id
	resp.MemberID = &id
	resp.MemberEpoch = m.epoch
	resp.HeartbeatIntervalMillis = c.cfg.Broker.GroupConsumerHeartbeatIntervalMs
	if !m.sentOnce || req.Topics != nil || !equalSets(m.sent, m.assigned) {
		a := assignmentOf(img, m.assigned)
		resp.Assignment = &a
		m.sent = cloneSet(m.assigned)
		m.sentOnce = true
	}
	return resp
}

// removeCMember drops m and bumps the group epoch so the others rebalance.
// s.mu must be held.
func (s *shard) removeCMember(g *group, m *cmember, now time.Time) {
	s.dropCMember(g, m)
	g.consumer.epoch++
	if len(g.consumer.members) == 0 {
		g.setState(stateEmpty, now)
	}
}

// dropCMember removes m without touching the epoch. s.mu must be held.
func (s *shard) dropCMember(g *group, m *cmember) {
	if m.timer != nil {
		m.timer.Stop()
	}
	delete(g.consumer.members, m.id)
	delete(g.consumer.target, m.id)
}

// armCSession (re)starts m's session (group.consumer.session.timeout.ms).
// s.mu must be held.
func (s *shard) armCSession(g *group, m *cmember, now time.Time) {
	session := time.Duration(s.c.cfg.Broker.GroupConsumerSessionTimeoutMs) * time.Millisecond
	m.deadline = now.Add(session)
	if m.timer != nil {
		return
	}
	m.timer = time.AfterFunc(session, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed || s.groups[g.id] != g || g.consumer == nil || g.consumer.members[m.id] != m {
			return
		}
		now := time.Now()
		if left := m.deadline.Sub(now); left > 0 {
			m.timer.Reset(left)
			return
		}
		s.c.log.Info("consumer group member session expired", "group", g.id, "member", m.id)
		s.removeCMember(g, m, now)
	})
}

func topicsOf(img *metadata.Image, ts []kmsg.ConsumerGroupHeartbeatRequestTopic) tpSet {
	out := tpSet{}
	for _, t := range ts {
		tp := img.TopicByID(t.TopicID)
		if tp == nil {
			continue
		}
		for _, p := range t.Partitions {
			out[topicPartition{tp.Name, p}] = true
		}
	}
	return out
}

func assignmentOf(img *metadata.Image, set tpSet) kmsg.ConsumerGroupHeartbeatResponseAssignment {
	byTopic := map[string][]int32{}
	for tp := range set {
		byTopic[tp.topic] = append(byTopic[tp.topic], tp.part)
	}
	a := kmsg.NewConsumerGroupHeartbeatResponseAssignment()
	a.Topics = []kmsg.ConsumerGroupHeartbeatResponseAssignmentTopic{}
	names := make([]string, 0, len(byTopic))
	for t := range byTopic {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		tp := img.Topic(t)
		if tp == nil {
			continue
		}
		ps := byTopic[t]
		slices.Sort(ps)
		a.Topics = append(a.Topics, kmsg.ConsumerGroupHeartbeatResponseAssignmentTopic{TopicID: tp.ID, Partitions: ps})
	}
	return a
}

func subsetOf(a, b tpSet) bool {
	for tp := range a {
		if !b[tp] {
			return false
		}
	}
	return true
}

func cloneSet(s tpSet) tpSet {
	out := make(tpSet, len(s))
	for tp := range s {
		out[tp] = true
	}
	return out
}

// ConsumerGroupDescribe serves ConsumerGroupDescribe (v0-v1, KIP-848).
func (c *Coordinator) ConsumerGroupDescribe(req *kmsg.ConsumerGroupDescribeRequest) *kmsg.ConsumerGroupDescribeResponse {
	resp := kmsg.NewPtrConsumerGroupDescribeResponse()
	img := c.cfg.Meta.Image()
	for _, id := range req.Groups {
		out := kmsg.NewConsumerGroupDescribeResponseGroup()
		out.Group = id
		out.AuthorizedOperations = -2147483648
		resp.Groups = append(resp.Groups, out)
		og := &resp.Groups[len(resp.Groups)-1]
		s, e := c.lockShard(id)
		if e != nil {
			og.ErrorCode = e.Code
			continue
		}
		g := s.groups[id]
		if g == nil || g.consumer == nil {
			og.ErrorCode = kerr.GroupIDNotFound.Code
			if g != nil {
				msg := "the group uses the classic protocol"
				og.ErrorMessage = &msg
			}
			s.mu.Unlock()
			continue
		}
		cg := g.consumer
		og.State = cg.state()
		og.Epoch = cg.epoch
		og.AssignmentEpoch = cg.assignmentEpoch
		og.AssignorName = cg.assignor
		ms := make([]*cmember, 0, len(cg.members))
		for _, m := range cg.members {
			ms = append(ms, m)
		}
		sort.Slice(ms, func(i, j int) bool { return ms[i].seq < ms[j].seq })
		for _, m := range ms {
			dm := kmsg.NewConsumerGroupDescribeResponseGroupMember()
			dm.MemberID, dm.MemberEpoch, dm.ClientID, dm.ClientHost = m.id, m.epoch, m.clientID, m.host
			if m.instanceID != "" {
				inst := m.instanceID
				dm.InstanceID = &inst
			}
			if m.rack != "" {
				r := m.rack
				dm.RackID = &r
			}
			dm.SubscribedTopics = slices.Clone(m.topics)
			if dm.SubscribedTopics == nil {
				dm.SubscribedTopics = []string{}
			}
			if m.regex != nil {
				src := m.regexSrc
				dm.SubscribedTopicRegex = &src
			}
			dm.Assignment = describeAssignment(img, m.assigned)
			dm.TargetAssignment = describeAssignment(img, cg.target[m.id])
			dm.MemberType = -1
			og.Members = append(og.Members, dm)
		}
		s.mu.Unlock()
	}
	return resp
}

func describeAssignment(img *metadata.Image, set tpSet) kmsg.Assignment {
	a := assignmentOf(img, set)
	out := kmsg.NewAssignment()
	out.TopicPartitions = []kmsg.AssignmentTopicPartition{}
	for _, t := range a.Topics {
		name := ""
		if tp := img.TopicByID(t.TopicID); tp != nil {
			name = tp.Name
		}
		out.TopicPartitions = append(out.TopicPartitions, kmsg.AssignmentTopicPartition{TopicID: t.TopicID, Topic: name, Partitions: t.Partitions})
	}
	return out
}
