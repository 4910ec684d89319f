package group

import (
	"bytes"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// state is a classic group's state.
type state int8

const (
	stateEmpty state = iota
	statePreparingRebalance
	stateCompletingRebalance
	stateStable
	stateDead
)

// String is the name DescribeGroups and ListGroups report.
func (s state) String() string {
	switch s {
	case stateEmpty:
		return "Empty"
	case statePreparingRebalance:
		return "PreparingRebalance"
	case stateCompletingRebalance:
		return "CompletingRebalance"
	case stateStable:
		return "Stable"
	default:
		return "Dead"
	}
}

type topicPartition struct {
	topic string
	part  int32
}

// offset is one committed offset.
type offset struct {
	Offset      int64
	LeaderEpoch int32
	Metadata    string
	CommitTime  int64 // unix ms
}

type protocol struct {
	name     string
	metadata []byte
}

// member is one member of a classic group.
type member struct {
	id, instanceID   string
	clientID, host   string
	sessionTimeout   time.Duration
	rebalanceTimeout time.Duration
	protocolType     string
	protocols        []protocol
	assignment       []byte
	joinSeq          uint64

	// joinReply is set while the member waits in a JoinGroup, syncReply
	// while it waits in a SyncGroup.
	joinReply   func(*kmsg.JoinGroupResponse)
	joinVersion int16
	syncReply   func(*kmsg.SyncGroupResponse)
	deadline    time.Time
	timer       *time.Timer
}

func (m *member) metadataFor(name string) []byte {
	for _, p := range m.protocols {
		if p.name == name {
			return p.metadata
		}
	}
	return nil
}

func (m *member) supports(name string) bool {
	for _, p := range m.protocols {
		if p.name == name {
			return true
		}
	}
	return false
}

func sameProtocols(a []protocol, b []kmsg.JoinGroupRequestProtocol) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].name != b[i].Name || !bytes.Equal(a[i].metadata, b[i].Metadata) {
			return false
		}
	}
	return true
}

func toProtocols(ps []kmsg.JoinGroupRequestProtocol) []protocol {
	out := make([]protocol, len(ps))
	for i, p := range ps {
		out[i] = protocol{name: p.Name, metadata: append([]byte(nil), p.Metadata...)}
	}
	return out
}

// group is a classic consumer group and its committed offsets.
type group struct {
	id           string
	state        state
	stateTime    time.Time
	protocolType string
	protocol     string
	generation   int32
	leader       string
	members      map[string]*member
	// static maps group.instance.id to the member id holding it.
	static map[string]string
	// pending holds member ids handed out with MEMBER_ID_REQUIRED that
	// have not joined yet (KIP-394), with their expiry timers.
	pending map[string]*time.Timer
	joinSeq uint64

	timer          *time.Timer
	timerSeq       uint64
	initialDelay   bool
	initialEnd     time.Time
	newMemberAdded bool

	offsets map[topicPartition]offset
	// offsetPos is the log offset of the record each offset came from, so
	// completions applied out of order cannot go back in time.
	offsetPos map[topicPartition]int64
	// deleted marks a group tombstone seen during replay.
	deleted bool
	// metaPos and metaValue are the log offset and value of the latest
	// group metadata record (nil value: none or a tombstone).
	metaPos   int64
	metaValue []byte

	// consumer is set for a group on the KIP-848 consumer protocol; the
	// classic fields above then only carry state and offsets.
	consumer *cgroup
}

func newGroup(id string, now time.Time) *group {
	return &group{
		id:        id,
		state:     stateEmpty,
		stateTime: now,
		members:   map[string]*member{},
		static:    map[string]string{},
		pending:   map[string]*time.Timer{},
		offsets:   map[topicPartition]offset{},
		offsetPos: map[topicPartition]int64{},
		metaPos:   -1,
	}
}

func (g *group) setState(s state, now time.Time) {
	g.state = s
	g.stateTime = now
}

func (g *group) stopTimers() {
	if g.consumer != nil {
		for _, m := range g.consumer.members {
			if m.timer != nil {
				m.timer.Stop()
			}
		}
	}
	g.timerSeq++
	if g.timer != nil {
		g.timer.Stop()
		g.timer = nil
	}
	for id, t := range g.pending {
		t.Stop()
		delete(g.pending, id)
	}
}

// maxRebalanceTimeout is how long a rebalance waits for members to rejoin.
func (g *group) maxRebalanceTimeout() time.Duration {
	var d time.Duration
	for _, m := range g.members {
		d = max(d, m.rebalanceTimeout)
	}
	return d
}

// selectProtocol picks the protocol every member supports that most
// members prefer; ties go to the one listed first by the oldest member.
func (g *group) selectProtocol() string {
	var oldest *member
	for _, m := range g.members {
		if oldest == nil || m.joinSeq < oldest.joinSeq {
			oldest = m
		}
	}
	if oldest == nil {
		return ""
	}
	votes := map[string]int{}
	for _, m := range g.members {
		for _, p := range m.protocols {
			if g.allSupport(p.name) {
				votes[p.name]++
				break
			}
		}
	}
	best, bestVotes := "", -1
	for _, p := range oldest.protocols {
		if v, ok := votes[p.name]; ok && v > bestVotes {
			best, bestVotes = p.name, v
		}
	}
	return best
}

func (g *group) allSupport(name string) bool {
	for _, m := range g.members {
		if !m.supports(name) {
			return false
		}
	}
	return true
}

// acceptsProtocols reports whether a joining member's protocols fit the
// group: same protocol type, and at least one protocol every current
// member also supports.
func (g *group) acceptsProtocols(ptype string, ps []kmsg.JoinGroupRequestProtocol) bool {
	if len(g.members) == 0 {
		return true
	}
	if ptype != g.protocolType {
		return false
	}
	for _, p := range ps {
		if g.allSupport(p.Name) {
			return true
		}
	}
	return false
}
