package group

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/metadata"
)

func testImage(topics map[string]int) *metadata.Image {
	img := &metadata.Image{Topics: map[string]*metadata.Topic{}, TopicsByID: map[[16]byte]*metadata.Topic{}}
	i := byte(1)
	for name, n := range topics {
		t := &metadata.Topic{Name: name, ID: [16]byte{i}, Partitions: make([]metadata.Partition, n)}
		i++
		img.Topics[name] = t
		img.TopicsByID[t.ID] = t
	}
	return img
}

// checkPartition asserts every partition of the topics is assigned to
// exactly one member that subscribes to it, and returns the counts.
func checkPartition(t *testing.T, img *metadata.Image, out map[string]tpSet, subs map[string][]string) map[string]int {
	t.Helper()
	owner := map[topicPartition]string{}
	counts := map[string]int{}
	for id, set := range out {
		for tp := range set {
			if o, ok := owner[tp]; ok {
				t.Fatalf("%v assigned to %s and %s", tp, o, id)
			}
			owner[tp] = id
			ok := false
			for _, s := range subs[id] {
				ok = ok || s == tp.topic
			}
			if !ok {
				t.Fatalf("%v assigned to %s, which does not subscribe to it", tp, id)
			}
		}
		counts[id] = len(set)
	}
	want := 0
	for name, tp := range img.Topics {
		for _, s := range subs {
			if contains(s, name) {
				want += len(tp.Partitions)
				break
			}
		}
	}
	if len(owner) != want {
		t.Fatalf("%d partitions assigned, want %d", len(owner), want)
	}
	return counts
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestAssignUniformBalancedAndSticky(t *testing.T) {
	img := testImage(map[string]int{"a": 5, "b": 4})
	ids := []string{"m1", "m2", "m3"}
	subs := map[string][]string{"m1": {"a", "b"}, "m2": {"a", "b"}, "m3": {"a", "b"}}
	out := assignUniform(img, ids, subs, nil)
	counts := checkPartition(t, img, out, subs)
	for id, n := range counts {
		if n < 3 || n > 3 {
			t.Errorf("%s has %d of 9 partitions over 3 members", id, n)
		}
	}
	// m3 leaves: the survivors keep everything they had.
	ids2 := []string{"m1", "m2"}
	delete(subs, "m3")
	out2 := assignUniform(img, ids2, subs, out)
	counts = checkPartition(t, img, out2, subs)
	if d := counts["m1"] - counts["m2"]; d > 1 || d < -1 {
		t.Errorf("unbalanced after a leave: %v", counts)
	}
	for _, id := range ids2 {
		for tp := range out[id] {
			if !out2[id][tp] {
				t.Errorf("%s lost %v although it stayed", id, tp)
			}
		}
	}
	// Different subscriptions: only m2 reads b.
	subs = map[string][]string{"m1": {"a"}, "m2": {"a", "b"}}
	out3 := assignUniform(img, ids2, subs, nil)
	checkPartition(t, img, out3, subs)
	for tp := range out3["m1"] {
		if tp.topic == "b" {
			t.Errorf("m1 got %v without subscribing to b", tp)
		}
	}
}

func TestAssignRange(t *testing.T) {
	img := testImage(map[string]int{"t": 7})
	ids := []string{"a", "b", "c"}
	subs := map[string][]string{"a": {"t"}, "b": {"t"}, "c": {"t"}}
	out := assignRange(img, ids, subs)
	checkPartition(t, img, out, subs)
	want := map[string][]int32{"a": {0, 1, 2}, "b": {3, 4}, "c": {5, 6}}
	for id, ps := range want {
		if len(out[id]) != len(ps) {
			t.Fatalf("%s: %v, want %v", id, out[id], ps)
		}
		for _, p := range ps {
			if !out[id][topicPartition{"t", p}] {
				t.Errorf("%s lacks partition %d", id, p)
			}
		}
	}
}

// simMember is a client of the KIP-848 protocol that does what a real one
// does: it owns what the last assignment said, revokes at once and
// reports what it owns on every heartbeat.
type simMember struct {
	id    string
	epoch int32
	in    bool
	owned map[topicPartition]bool
}

// TestKIP848NoDoubleOwnership drives random joins, leaves and heartbeats
// through the coordinator and checks after every response that no
// partition is owned by two clients, then that the group converges.
func TestKIP848NoDoubleOwnership(t *testing.T) {
	st := startStack(t, t.TempDir(), nil)
	defer st.close()
	st.createTopic(t, "t", 12)
	c, stop := st.coordinator(t, "g")
	defer stop()
	img := st.meta.Image()
	topic := img.Topic("t")
	rng := rand.New(rand.NewPCG(1, 2))
	sims := make([]*simMember, 5)
	for i := range sims {
		sims[i] = &simMember{id: fmt.Sprintf("member-%d", i), owned: map[topicPartition]bool{}}
	}
	beat := func(m *simMember) {
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		req.Group, req.MemberID, req.MemberEpoch = "g", m.id, m.epoch
		if !m.in {
			req.MemberEpoch = 0
			req.RebalanceTimeoutMillis = 30000
			req.SubscribedTopicNames = []string{"t"}
			a := "uniform"
			req.ServerAssignor = &a
		}
		req.Topics = []kmsg.ConsumerGroupHeartbeatRequestTopic{}
		rt := kmsg.ConsumerGroupHeartbeatRequestTopic{TopicID: topic.ID}
		for tp := range m.owned {
			rt.Partitions = append(rt.Partitions, tp.part)
		}
		req.Topics = append(req.Topics, rt)
		resp := c.ConsumerGroupHeartbeat(Client{ID: m.id}, req)
		if resp.ErrorCode != 0 {
			t.Fatalf("%s heartbeat: %v", m.id, kerr.ErrorForCode(resp.ErrorCode))
		}
		m.in, m.epoch = true, resp.MemberEpoch
		if resp.Assignment != nil {
			m.owned = map[topicPartition]bool{}
			for _, at := range resp.Assignment.Topics {
				for _, p := range at.Partitions {
					m.owned[topicPartition{"t", p}] = true
				}
			}
		}
	}
	leave := func(m *simMember) {
		req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
		req.Group, req.MemberID, req.MemberEpoch = "g", m.id, -1
		if resp := c.ConsumerGroupHeartbeat(Client{ID: m.id}, req); resp.ErrorCode != 0 {
			t.Fatalf("leave: %v", kerr.ErrorForCode(resp.ErrorCode))
		}
		m.in, m.epoch, m.owned = false, 0, map[topicPartition]bool{}
	}
	check := func(step int) {
		owner := map[topicPartition]string{}
		for _, m := range sims {
			for tp := range m.owned {
				if o, ok := owner[tp]; ok {
					t.Fatalf("step %d: %v owned by %s and %s", step, tp, o, m.id)
				}
				owner[tp] = m.id
			}
		}
	}
	for step := 0; step < 2000; step++ {
		m := sims[rng.IntN(len(sims))]
		if m.in && rng.IntN(20) == 0 {
			leave(m)
		} else {
			beat(m)
		}
		check(step)
	}
	for range 20 {
		for _, m := range sims {
			if m.in {
				beat(m)
			}
		}
	}
	total, in := 0, 0
	for _, m := range sims {
		if m.in {
			in++
			total += len(m.owned)
		}
	}
	if total != 12 {
		t.Errorf("after convergence %d members own %d of 12 partitions", in, total)
	}
	d := c.ConsumerGroupDescribe(&kmsg.ConsumerGroupDescribeRequest{Groups: []string{"g"}})
	if st := d.Groups[0].State; st != "Stable" {
		t.Errorf("state %q after convergence, want Stable", st)
	}
}
