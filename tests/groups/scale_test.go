package groups

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// TestLargeGroupStable: 100 franz-go members over a 1,000-partition topic
// reach Stable with every partition owned by exactly one member, and a
// further member joining rebalances the group again; once with the classic
// protocol (cooperative-sticky), once with KIP-848 (uniform). The rebalance times
// are logged (they are measurements, not assertions: the machine is
// shared).
func TestLargeGroupStable(t *testing.T) {
	b := startBroker(t, "group.consumer.heartbeat.interval.ms=1000")
	t.Run("classic", func(t *testing.T) { largeGroup(t, b, false) })
	t.Run("kip848", func(t *testing.T) { largeGroup(t, b, true) })
}

func largeGroup(t *testing.T, b *testbroker.Broker, kip848 bool) {
	const members, partitions = 100, 1000
	topic, group := "scale-topic", "g-scale"
	protocol := "classic cooperative-sticky"
	var extra []kgo.Opt
	bal := kgo.CooperativeStickyBalancer()
	if kip848 {
		topic, group = "scale-topic-848", "g-scale-848"
		protocol = "KIP-848 uniform"
		extra = append(extra, kgo.ServerSideBalancer())
		bal = kgo.StickyBalancer()
	}
	createTopic(t, b, topic, partitions)

	var mu sync.Mutex
	owner := map[int32]int{}
	owned := make([]map[int32]bool, members+1)
	start := func(i int) *kgo.Client {
		owned[i] = map[int32]bool{}
		cl, err := kgo.NewClient(append([]kgo.Opt{
			kgo.SeedBrokers(b.Addr),
			kgo.ConsumerGroup(group),
			kgo.ConsumeTopics(topic),
			kgo.Balancers(bal),
			kgo.SessionTimeout(30 * time.Second),
			kgo.RebalanceTimeout(60 * time.Second),
			kgo.HeartbeatInterval(3 * time.Second),
			kgo.ClientID(fmt.Sprintf("member-%d", i)),
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, a map[string][]int32) {
				mu.Lock()
				for _, p := range a[topic] {
					owned[i][p] = true
				}
				mu.Unlock()
			}),
			kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, r map[string][]int32) {
				mu.Lock()
				for _, p := range r[topic] {
					delete(owned[i], p)
				}
				mu.Unlock()
			}),
		}, extra...)...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.Close)
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		go func() {
			for ctx.Err() == nil {
				cl.PollFetches(ctx)
			}
		}()
		return cl
	}
	exclusive := func(n int) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		clear(owner)
		for i := 0; i < n; i++ {
			for p := range owned[i] {
				if j, ok := owner[p]; ok {
					return 0, fmt.Errorf("partition %d owned by members %d and %d", p, j, i)
				}
				owner[p] = i
			}
		}
		return len(owner), nil
	}

	t0 := time.Now()
	for i := 0; i < members; i++ {
		start(i)
	}
	stable := func(n int) {
		if kip848 {
			waitStable848(t, b, group, n, partitions)
		} else {
			waitStable(t, b, group, n)
		}
	}
	stable(members)
	waitFor(t, 60*time.Second, "all partitions owned", func() bool {
		n, err := exclusive(members)
		if err != nil {
			return false
		}
		return n == partitions
	})
	if _, err := exclusive(members); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d members over %d partitions: Stable and fully assigned %v after the first join", protocol, members, partitions, time.Since(t0).Round(time.Millisecond))

	t1 := time.Now()
	start(members)
	stable(members + 1)
	waitFor(t, 60*time.Second, "the new member owns partitions", func() bool {
		n, err := exclusive(members + 1)
		mu.Lock()
		got := len(owned[members])
		mu.Unlock()
		return err == nil && n == partitions && got > 0
	})
	if _, err := exclusive(members + 1); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: one more member: rebalanced in %v", protocol, time.Since(t1).Round(time.Millisecond))
}
