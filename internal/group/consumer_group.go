package group

import (
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/gregor-stream/gregor/internal/metadata"
)

// cgroup is the KIP-848 ("consumer" protocol) state of a group: the broker
// computes the target assignment and each member converges on it by
// heartbeats, without a group-wide barrier.
type cgroup struct {
	epoch           int32
	assignmentEpoch int32
	assignor        string
	members         map[string]*cmember
	// target is the assignment of assignmentEpoch, by member id.
	target map[string]tpSet
	// subMeta fingerprints the subscribed topics' partition counts; a
	// change (a topic created, deleted or grown) bumps the epoch.
	subMeta string
	seq     uint64
}

type tpSet map[topicPartition]bool

// cmember is one member of a consumer-protocol group.
type cmember struct {
	id, instanceID, rack string
	clientID, host       string
	seq                  uint64
	epoch, prevEpoch     int32
	rebalanceTimeout     time.Duration
	topics               []string
	regex                *regexp.Regexp
	regexSrc             string
	// assigned is what the member may own now; pending what it was asked
	// to revoke and has not confirmed yet.
	assigned, pending tpSet
	revokeBy          time.Time
	sent              tpSet
	sentOnce          bool

	deadline time.Time
	timer    *time.Timer
}

func newCgroup() *cgroup {
	return &cgroup{members: map[string]*cmember{}, target: map[string]tpSet{}, assignor: "uniform"}
}

// subscribed lists the existing topics the member subscribes to.
func (m *cmember) subscribed(img *metadata.Image) []string {
	var out []string
	if m.regex != nil {
		for _, name := range img.TopicNames() {
			if !metadata.InternalTopic(name) && m.regex.MatchString(name) {
				out = append(out, name)
			}
		}
		return out
	}
	for _, t := range m.topics {
		if img.Topic(t) != nil {
			out = append(out, t)
		}
	}
	return out
}

// fingerprint describes what the subscriptions resolve to.
func (cg *cgroup) fingerprint(img *metadata.Image) string {
	seen := map[string]bool{}
	for _, m := range cg.members {
		for _, t := range m.subscribed(img) {
			seen[t] = true
		}
	}
	names := make([]string, 0, len(seen))
	for t := range seen {
		names = append(names, t)
	}
	sort.Strings(names)
	var b []byte
	for _, t := range names {
		tp := img.Topic(t)
		b = append(b, t...)
		b = append(b, ':')
		b = append(b, itoa(int64(len(tp.Partitions)))...)
		b = append(b, ':')
		b = append(b, tp.ID[:]...)
		b = append(b, ';')
	}
	return string(b)
}

// computeTarget runs the group's assignor for the current epoch.
func (cg *cgroup) computeTarget(img *metadata.Image) {
	ids := make([]string, 0, len(cg.members))
	for id := range cg.members {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	subs := map[string][]string{}
	for _, id := range ids {
		subs[id] = cg.members[id].subscribed(img)
	}
	if cg.assignor == "range" {
		cg.target = assignRange(img, ids, subs)
	} else {
		cg.target = assignUniform(img, ids, subs, cg.target)
	}
	cg.assignmentEpoch = cg.epoch
}

// assignRange gives each topic's members contiguous ranges of partitions,
// in member id order (Kafka's server-side range assignor).
func assignRange(img *metadata.Image, ids []string, subs map[string][]string) map[string]tpSet {
	out := map[string]tpSet{}
	byTopic := map[string][]string{}
	for _, id := range ids {
		out[id] = tpSet{}
		for _, t := range subs[id] {
			byTopic[t] = append(byTopic[t], id)
		}
	}
	for t, ms := range byTopic {
		n := len(img.Topic(t).Partitions)
		per, extra := n/len(ms), n%len(ms)
		p := 0
		for i, id := range ms {
			cnt := per
			if i < extra {
				cnt++
			}
			for j := 0; j < cnt; j++ {
				out[id][topicPartition{t, int32(p)}] = true
				p++
			}
		}
	}
	return out
}

// assignUniform spreads partitions evenly and keeps each member's previous
// partitions where balance allows (sticky), so reconciliation moves few.
func assignUniform(img *metadata.Image, ids []string, subs map[string][]string, prev map[string]tpSet) map[string]tpSet {
	out := map[string]tpSet{}
	eligible := map[string][]string{} // topic -> members
	for _, id := range ids {
		out[id] = tpSet{}
		for _, t := range subs[id] {
			eligible[t] = append(eligible[t], id)
		}
	}
	var all []topicPartition
	topics := make([]string, 0, len(eligible))
	for t := range eligible {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	for _, t := range topics {
		for p := range img.Topic(t).Partitions {
			all = append(all, topicPartition{t, int32(p)})
		}
	}
	if len(ids) == 0 {
		return out
	}
	quota := (len(all) + len(ids) - 1) / len(ids)
	taken := map[topicPartition]bool{}
	can := func(id, topic string) bool { return slices.Contains(eligible[topic], id) }
	for _, id := range ids {
		var keep []topicPartition
		for tp := range prev[id] {
			if img.Topic(tp.topic) != nil && int(tp.part) < len(img.Topic(tp.topic).Partitions) && can(id, tp.topic) {
				keep = append(keep, tp)
			}
		}
		sort.Slice(keep, func(i, j int) bool { return tpLess(keep[i], keep[j]) })
		for _, tp := range keep {
			if len(out[id]) >= quota || taken[tp] {
				break
			}
			out[id][tp] = true
			taken[tp] = true
		}
	}
	for _, tp := range all {
		if taken[tp] {
			continue
		}
		best := ""
		for _, id := range eligible[tp.topic] {
			if best == "" || len(out[id]) < len(out[best]) {
				best = id
			}
		}
		out[best][tp] = true
		taken[tp] = true
	}
	// Even out what stickiness skewed: move from the fullest to the
	// emptiest member that can take the partition.
	for moved := true; moved; {
		moved = false
		for _, from := range ids {
			for _, to := range ids {
				if len(out[from])-len(out[to]) <= 1 {
					continue
				}
				for tp := range out[from] {
					if can(to, tp.topic) {
						delete(out[from], tp)
						out[to][tp] = true
						moved = true
						break
					}
				}
			}
		}
	}
	return out
}

func tpLess(a, b topicPartition) bool {
	if a.topic != b.topic {
		return a.topic < b.topic
	}
	return a.part < b.part
}

// ownedByOther reports whether a member other than m holds tp (assigned
// or still revoking).
func (cg *cgroup) ownedByOther(tp topicPartition, m *cmember) bool {
	for _, o := range cg.members {
		if o != m && (o.assigned[tp] || o.pending[tp]) {
			return true
		}
	}
	return false
}

// reconcile moves m toward its target: first it must revoke what the
// target no longer gives it; once it confirmed that, it enters the new
// epoch and gets the target partitions no other member still holds.
func (cg *cgroup) reconcile(m *cmember, now time.Time) {
	target := cg.target[m.id]
	for tp := range m.assigned {
		if !target[tp] {
			delete(m.assigned, tp)
			if len(m.pending) == 0 {
				m.revokeBy = now.Add(m.rebalanceTimeout)
			}
			m.pending[tp] = true
		}
	}
	if len(m.pending) > 0 {
		return
	}
	if m.epoch != cg.assignmentEpoch {
		m.prevEpoch = m.epoch
		m.epoch = cg.assignmentEpoch
	}
	for tp := range target {
		if !m.assigned[tp] && !cg.ownedByOther(tp, m) {
			m.assigned[tp] = true
		}
	}
}

// state is the KIP-848 group state name.
func (cg *cgroup) state() string {
	if len(cg.members) == 0 {
		return "Empty"
	}
	if cg.assignmentEpoch != cg.epoch {
		return "Assigning"
	}
	for _, m := range cg.members {
		if m.epoch != cg.assignmentEpoch || len(m.pending) > 0 || len(m.assigned) != len(cg.target[m.id]) {
			return "Reconciling"
		}
	}
	return "Stable"
}

func equalSets(a, b tpSet) bool {
	if len(a) != len(b) {
		return false
	}
	for tp := range a {
		if !b[tp] {
			return false
		}
	}
	return true
}
