package groups

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// runKgoMember consumes topic in group until ctx ends, recording values
// and the partitions it owns; it commits as franz-go does by default
// (autocommit plus a final commit on a clean leave).
type kgoMember struct {
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	owned map[int32]bool
}

func startKgoMember(t *testing.T, b *testbroker.Broker, group, topic string, bal kgo.GroupBalancer, s *seen, extra ...kgo.Opt) *kgoMember {
	t.Helper()
	m := &kgoMember{done: make(chan struct{}), owned: map[int32]bool{}}
	opts := []kgo.Opt{
		kgo.SeedBrokers(b.Addr),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.Balancers(bal),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.SessionTimeout(6 * time.Second),
		kgo.HeartbeatInterval(500 * time.Millisecond),
		kgo.AutoCommitInterval(200 * time.Millisecond),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
			m.mu.Lock()
			for _, p := range a[topic] {
				m.owned[p] = true
			}
			m.mu.Unlock()
		}),
		kgo.OnPartitionsRevoked(func(ctx context.Context, cl *kgo.Client, r map[string][]int32) {
			// Commit what was processed before handing partitions over,
			// so the next owner starts right after it.
			_ = cl.CommitMarkedOffsets(ctx)
			m.mu.Lock()
			for _, p := range r[topic] {
				delete(m.owned, p)
			}
			m.mu.Unlock()
		}),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, l map[string][]int32) {
			m.mu.Lock()
			for _, p := range l[topic] {
				delete(m.owned, p)
			}
			m.mu.Unlock()
		}),
		kgo.AutoCommitMarks(),
	}
	cl, err := kgo.NewClient(append(opts, extra...)...)
	if err != nil {
		t.Fatalf("kgo group client: %v", err)
	}
	m.cl = cl
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			fs.EachRecord(func(r *kgo.Record) {
				s.add(string(r.Value))
				cl.MarkCommitRecords(r)
			})
		}
	}()
	return m
}

// ownedParts is a snapshot of the partitions the member owns.
func (m *kgoMember) ownedParts() map[int32]bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[int32]bool{}
	for p := range m.owned {
		out[p] = true
	}
	return out
}

// stop leaves the group cleanly: commits marked offsets, then LeaveGroup.
func (m *kgoMember) stop(t *testing.T) {
	t.Helper()
	m.cancel()
	<-m.done
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := m.cl.CommitMarkedOffsets(ctx); err != nil {
		t.Logf("final commit: %v", err)
	}
	m.cl.LeaveGroup()
	m.cl.Close()
}

// checkExclusive asserts that no partition is owned by two members.
func checkExclusive(t *testing.T, members []*kgoMember) {
	t.Helper()
	owner := map[int32]int{}
	for i, m := range members {
		for p := range m.ownedParts() {
			if j, ok := owner[p]; ok {
				t.Errorf("partition %d owned by members %d and %d", p, j, i)
			}
			owner[p] = i
		}
	}
}

func TestFranzGoBalancers(t *testing.T) {
	b := startBroker(t)
	balancers := []struct {
		name string
		bal  kgo.GroupBalancer
	}{
		{"range", kgo.RangeBalancer()},
		{"roundrobin", kgo.RoundRobinBalancer()},
		{"sticky", kgo.StickyBalancer()},
		{"cooperative-sticky", kgo.CooperativeStickyBalancer()},
	}
	for _, bc := range balancers {
		t.Run(bc.name, func(t *testing.T) {
			topic := "franz-" + bc.name
			group := "g-" + bc.name
			createTopic(t, b, topic, 6)
			s := newSeen()
			first := produce(t, b, topic, "a", 600)
			m1 := startKgoMember(t, b, group, topic, bc.bal, s)
			m2 := startKgoMember(t, b, group, topic, bc.bal, s)
			m3 := startKgoMember(t, b, group, topic, bc.bal, s)
			s.waitAll(t, first, 40*time.Second)
			g := waitStable(t, b, group, 3)
			members := []*kgoMember{m1, m2, m3}
			waitFor(t, 20*time.Second, "all 6 partitions owned", func() bool {
				n := 0
				for _, m := range members {
					n += len(m.ownedParts())
				}
				return n == 6
			})
			checkExclusive(t, members)
			if g.Protocol != bc.bal.ProtocolName() {
				t.Errorf("protocol %q, want %q", g.Protocol, bc.bal.ProtocolName())
			}

			// One member leaves cleanly while records flow; the other
			// two take over its partitions.
			m3.stop(t)
			second := produce(t, b, topic, "b", 300)
			s.waitAll(t, second, 40*time.Second)
			members = []*kgoMember{m1, m2}
			waitFor(t, 20*time.Second, "2 members own all partitions", func() bool {
				n := 0
				for _, m := range members {
					n += len(m.ownedParts())
				}
				return n == 6
			})
			checkExclusive(t, members)

			// All stop; the next consumers resume at the committed
			// offsets: the old records do not come back, the new ones do.
			m1.stop(t)
			m2.stop(t)
			ends := map[int32]int64{}
			lo, err := newAdmin(t, b).ListEndOffsets(ctxT(t), topic)
			if err != nil {
				t.Fatal(err)
			}
			lo.Each(func(o kadm.ListedOffset) { ends[o.Partition] = o.Offset })
			got := committed(t, b, group, topic)
			for p, end := range ends {
				if got[p] != end {
					t.Errorf("partition %d: committed %d, end %d", p, got[p], end)
				}
			}
			third := produce(t, b, topic, "c", 120)
			s2 := newSeen()
			m4 := startKgoMember(t, b, group, topic, bc.bal, s2)
			defer m4.stop(t)
			s2.waitAll(t, third, 40*time.Second)
			time.Sleep(500 * time.Millisecond)
			s2.mu.Lock()
			for v := range s2.counts {
				if v[0] != 'c' {
					t.Errorf("record %q consumed again after restart at committed offsets", v)
				}
			}
			s2.mu.Unlock()
		})
	}
}
