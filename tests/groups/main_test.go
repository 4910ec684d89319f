package groups

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		runChild()
		return
	}
	testbroker.Main(m)
}

const opTimeout = 60 * time.Second

// startBroker runs a broker with few __consumer_offsets partitions (fast
// to create) and no initial rebalance delay unless the test asks for
// other settings.
func startBroker(t *testing.T, sets ...string) *testbroker.Broker {
	t.Helper()
	args := []string{"--set", "offsets.topic.num.partitions=4", "--set", "group.initial.rebalance.delay.ms=0"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	return testbroker.Start(t, testbroker.WithArgs(args...))
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

func newClient(t *testing.T, b *testbroker.Broker, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addr)}, opts...)...)
	if err != nil {
		t.Fatalf("kgo client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func newAdmin(t *testing.T, b *testbroker.Broker) *kadm.Client {
	return kadm.NewClient(newClient(t, b))
}

func createTopic(t *testing.T, b *testbroker.Broker, topic string, partitions int32) {
	t.Helper()
	resp, err := newAdmin(t, b).CreateTopic(ctxT(t), partitions, 1, nil, topic)
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	if resp.Err != nil {
		t.Fatalf("create topic %s: %v", topic, resp.Err)
	}
}

// produce writes n records with values "<prefix>-<i>" spread over the
// topic's partitions by key, and returns the values.
func produce(t *testing.T, b *testbroker.Broker, topic, prefix string, n int) []string {
	t.Helper()
	cl := newClient(t, b, kgo.DefaultProduceTopic(topic))
	vals := make([]string, n)
	recs := make([]*kgo.Record, n)
	for i := range recs {
		vals[i] = fmt.Sprintf("%s-%d", prefix, i)
		recs[i] = &kgo.Record{Key: []byte(vals[i]), Value: []byte(vals[i])}
	}
	if err := cl.ProduceSync(ctxT(t), recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	return vals
}

// seen collects consumed values from several consumers.
type seen struct {
	mu     sync.Mutex
	counts map[string]int
	notify chan struct{}
}

func newSeen() *seen { return &seen{counts: map[string]int{}, notify: make(chan struct{}, 1)} }

func (s *seen) add(v string) {
	s.mu.Lock()
	s.counts[v]++
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// waitAll waits until every value in want was seen at least once.
func (s *seen) waitAll(t *testing.T, want []string, within time.Duration) {
	t.Helper()
	deadline := time.After(within)
	for {
		s.mu.Lock()
		missing := 0
		var example string
		for _, v := range want {
			if s.counts[v] == 0 {
				missing++
				example = v
			}
		}
		s.mu.Unlock()
		if missing == 0 {
			return
		}
		select {
		case <-s.notify:
		case <-time.After(200 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%d of %d records never consumed (e.g. %q)", missing, len(want), example)
		}
	}
}

// describe returns the group as kadm describes it.
func describe(t *testing.T, b *testbroker.Broker, group string) kadm.DescribedGroup {
	t.Helper()
	dg, err := newAdmin(t, b).DescribeGroups(ctxT(t), group)
	if err != nil {
		t.Fatalf("describe %s: %v", group, err)
	}
	g := dg[group]
	if g.Err != nil {
		t.Fatalf("describe %s: %v", group, g.Err)
	}
	return g
}

// committed returns the group's committed offsets of topic by partition.
func committed(t *testing.T, b *testbroker.Broker, group, topic string) map[int32]int64 {
	t.Helper()
	os, err := newAdmin(t, b).FetchOffsets(ctxT(t), group)
	if err != nil {
		t.Fatalf("fetch offsets %s: %v", group, err)
	}
	out := map[int32]int64{}
	for p, o := range os[topic] {
		if o.Err != nil {
			t.Fatalf("offset %s/%d: %v", topic, p, o.Err)
		}
		out[p] = o.At
	}
	return out
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitStable waits until the group is Stable with n members.
func waitStable(t *testing.T, b *testbroker.Broker, group string, n int) kadm.DescribedGroup {
	t.Helper()
	adm := newAdmin(t, b)
	var last kadm.DescribedGroup
	deadline := time.Now().Add(45 * time.Second)
	for time.Now().Before(deadline) {
		dg, err := adm.DescribeGroups(ctxT(t), group)
		if err == nil {
			last = dg[group]
			if last.Err == nil && last.State == "Stable" && len(last.Members) == n {
				return last
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("group %s: state %q with %d members, want Stable with %d", group, last.State, len(last.Members), n)
	return last
}

func contextTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
