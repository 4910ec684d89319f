package groups

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// describe848 returns the group as ConsumerGroupDescribe reports it.
func describe848(t *testing.T, b *testbroker.Broker, group string) kmsg.ConsumerGroupDescribeResponseGroup {
	t.Helper()
	req := kmsg.NewPtrConsumerGroupDescribeRequest()
	req.Groups = []string{group}
	resp, err := req.RequestWith(ctxT(t), newClient(t, b))
	if err != nil {
		t.Fatalf("consumer group describe: %v", err)
	}
	return resp.Groups[0]
}

func waitStable848(t *testing.T, b *testbroker.Broker, group string, members, partitions int) kmsg.ConsumerGroupDescribeResponseGroup {
	t.Helper()
	var g kmsg.ConsumerGroupDescribeResponseGroup
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		g = describe848(t, b, group)
		if g.ErrorCode == 0 && g.State == "Stable" && len(g.Members) == members {
			n := 0
			for _, m := range g.Members {
				for _, tp := range m.Assignment.TopicPartitions {
					n += len(tp.Partitions)
				}
			}
			if n == partitions {
				return g
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("group %s: error %d state %q with %d members, want Stable with %d owning %d partitions", group, g.ErrorCode, g.State, len(g.Members), members, partitions)
	return g
}

// TestKIP848FranzGo: franz-go members on the next-generation protocol
// (server-side assignors uniform and range) split a topic, every partition
// owned once; a member leaves and the others take over without a
// stop-the-world rebalance; after all stop, a new member resumes at the
// committed offsets.
func TestKIP848FranzGo(t *testing.T) {
	b := startBroker(t, "group.consumer.heartbeat.interval.ms=300", "group.consumer.session.timeout.ms=6000")
	for _, bc := range []struct {
		name string
		bal  kgo.GroupBalancer
	}{
		{"uniform", kgo.StickyBalancer()},
		{"range", kgo.RangeBalancer()},
	} {
		t.Run(bc.name, func(t *testing.T) {
			topic, group := "kip848-"+bc.name, "g-kip848-"+bc.name
			createTopic(t, b, topic, 6)
			s := newSeen()
			first := produce(t, b, topic, "a", 600)
			ssb := kgo.ServerSideBalancer()
			m1 := startKgoMember(t, b, group, topic, bc.bal, s, ssb)
			m2 := startKgoMember(t, b, group, topic, bc.bal, s, ssb)
			m3 := startKgoMember(t, b, group, topic, bc.bal, s, ssb)
			s.waitAll(t, first, 40*time.Second)
			g := waitStable848(t, b, group, 3, 6)
			if g.AssignorName != bc.name {
				t.Errorf("assignor %q, want %q", g.AssignorName, bc.name)
			}
			members := []*kgoMember{m1, m2, m3}
			waitFor(t, 20*time.Second, "clients own all 6 partitions", func() bool {
				n := 0
				for _, m := range members {
					n += len(m.ownedParts())
				}
				return n == 6
			})
			checkExclusive(t, members)
			for _, m := range g.Members {
				n := 0
				for _, tp := range m.Assignment.TopicPartitions {
					n += len(tp.Partitions)
				}
				if n != 2 {
					t.Errorf("member %s owns %d partitions, want 2", m.MemberID, n)
				}
			}

			m3.stop(t)
			second := produce(t, b, topic, "b", 300)
			s.waitAll(t, second, 40*time.Second)
			waitStable848(t, b, group, 2, 6)
			members = members[:2]
			waitFor(t, 20*time.Second, "2 members own all partitions", func() bool {
				return len(m1.ownedParts())+len(m2.ownedParts()) == 6
			})
			checkExclusive(t, members)
			m1.stop(t)
			m2.stop(t)

			got := committed(t, b, group, topic)
			var sum int64
			for _, o := range got {
				sum += o
			}
			if sum != 900 {
				t.Errorf("committed offsets sum to %d, want 900 (%v)", sum, got)
			}
			third := produce(t, b, topic, "c", 60)
			s2 := newSeen()
			m4 := startKgoMember(t, b, group, topic, bc.bal, s2, ssb)
			s2.waitAll(t, third, 40*time.Second)
			m4.stop(t)
			for v := range s2.counts {
				if !strings.HasPrefix(v, "c-") {
					t.Errorf("record %q consumed again after restart", v)
				}
			}
		})
	}
}

// TestKIP848Regex: a regex subscription (v1) picks up matching topics,
// including one created while the member runs, and not the others.
func TestKIP848Regex(t *testing.T) {
	b := startBroker(t, "group.consumer.heartbeat.interval.ms=300")
	createTopic(t, b, "re-orders", 2)
	createTopic(t, b, "other", 2)
	s := newSeen()
	first := produce(t, b, "re-orders", "a", 50)
	produce(t, b, "other", "x", 20)
	cl := newClient(t, b,
		kgo.ConsumerGroup("g-regex"),
		kgo.ConsumeRegex(),
		kgo.ConsumeTopics("^re-.*"),
		kgo.ServerSideBalancer(),
		kgo.Balancers(kgo.StickyBalancer()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.MetadataMinAge(250*time.Millisecond),
	)
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); <-done }()
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { s.add(r.Topic + "/" + string(r.Value)) })
		}
	}()
	want := make([]string, len(first))
	for i, v := range first {
		want[i] = "re-orders/" + v
	}
	s.waitAll(t, want, 40*time.Second)
	createTopic(t, b, "re-payments", 3)
	second := produce(t, b, "re-payments", "p", 30)
	for i, v := range second {
		second[i] = "re-payments/" + v
	}
	s.waitAll(t, second, 40*time.Second)
	g := waitStable848(t, b, "g-regex", 1, 5)
	if re := g.Members[0].SubscribedTopicRegex; re == nil {
		t.Errorf("member has no regex subscription: %+v", g.Members[0])
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for v := range s.counts {
		if strings.HasPrefix(v, "other/") {
			t.Errorf("consumed %q from a topic the regex does not match", v)
		}
	}
}

// TestMemberSurvivesBrokerRestart: a consuming member rides through a
// broker restart. Classic groups are restored from __consumer_offsets
// (same generation, same members), so nothing is delivered twice.
// KIP-848 membership is not persisted: the member is told
// UNKNOWN_MEMBER_ID, rejoins and resumes from its committed offsets, so
// records it consumed but had not committed yet come again
// (at-least-once); nothing is lost either way.
func TestMemberSurvivesBrokerRestart(t *testing.T) {
	for _, kip848 := range []bool{false, true} {
		name := "classic"
		if kip848 {
			name = "kip848"
		}
		t.Run(name, func(t *testing.T) {
			b := startBroker(t, "group.consumer.heartbeat.interval.ms=300")
			topic, group := "restart-"+name, "g-restart-"+name
			createTopic(t, b, topic, 2)
			s := newSeen()
			first := produce(t, b, topic, "a", 100)
			var extra []kgo.Opt
			if kip848 {
				extra = append(extra, kgo.ServerSideBalancer())
			}
			m := startKgoMember(t, b, group, topic, kgo.StickyBalancer(), s, extra...)
			s.waitAll(t, first, 40*time.Second)
			waitFor(t, 20*time.Second, "first records committed", func() bool {
				var sum int64
				for _, o := range committed(t, b, group, topic) {
					sum += o
				}
				return sum == 100
			})
			b.Restart(t)
			second := produce(t, b, topic, "b", 50)
			s.waitAll(t, second, 60*time.Second)
			m.stop(t)
			s.mu.Lock()
			defer s.mu.Unlock()
			dups := 0
			for v, n := range s.counts {
				if n > 1 {
					dups++
					if !kip848 {
						t.Errorf("record %q consumed %d times", v, n)
					}
				}
			}
			t.Logf("%s: %d records delivered twice across the restart", name, dups)
		})
	}
}

// TestKIP848StaticRestart: a static KIP-848 member (group.instance.id)
// that closes (epoch -2) and comes back within its session takes its
// partitions back without a new group epoch; the other member keeps its
// partitions throughout. `gregor group describe` shows the group too.
func TestKIP848StaticRestart(t *testing.T) {
	b := startBroker(t, "group.consumer.heartbeat.interval.ms=300", "group.consumer.session.timeout.ms=10000")
	const topic, group = "kip848-static", "g-kip848-static"
	createTopic(t, b, topic, 4)
	s := newSeen()
	first := produce(t, b, topic, "a", 100)
	opts := func(inst string) []kgo.Opt {
		return []kgo.Opt{kgo.ServerSideBalancer(), kgo.InstanceID(inst)}
	}
	mA := startKgoMember(t, b, group, topic, kgo.StickyBalancer(), s, opts("static-a")...)
	mB := startKgoMember(t, b, group, topic, kgo.StickyBalancer(), s, opts("static-b")...)
	s.waitAll(t, first, 40*time.Second)
	before := waitStable848(t, b, group, 2, 4)
	ownedB := mB.ownedParts()

	out := mustGroupCmd(t, b, "describe", group)
	if !strings.Contains(out, "Members:     2") || !strings.Contains(out, "static-a") {
		t.Errorf("describe of a KIP-848 group:\n%s", out)
	}

	mA.stop(t)
	mA2 := startKgoMember(t, b, group, topic, kgo.StickyBalancer(), s, opts("static-a")...)
	defer mA2.stop(t)
	defer mB.stop(t)
	second := produce(t, b, topic, "b", 100)
	s.waitAll(t, second, 40*time.Second)
	after := waitStable848(t, b, group, 2, 4)
	if after.Epoch != before.Epoch {
		t.Errorf("group epoch moved from %d to %d: the static member's return rebalanced the group", before.Epoch, after.Epoch)
	}
	if now := mB.ownedParts(); len(now) != len(ownedB) {
		t.Errorf("member b owned %v, now %v", ownedB, now)
	}
}
