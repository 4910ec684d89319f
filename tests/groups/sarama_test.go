package groups

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

type saramaHandler struct {
	s        *seen
	mu       sync.Mutex
	claims   map[int32]bool
	setupGen []int32
}

func (h *saramaHandler) Setup(sess sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.setupGen = append(h.setupGen, sess.GenerationID())
	for _, ps := range sess.Claims() {
		for _, p := range ps {
			h.claims[p] = true
		}
	}
	return nil
}

func (h *saramaHandler) Cleanup(sarama.ConsumerGroupSession) error {
	h.mu.Lock()
	h.claims = map[int32]bool{}
	h.mu.Unlock()
	return nil
}

func (h *saramaHandler) ConsumeClaim(sess sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	for m := range claim.Messages() {
		h.s.add(string(m.Value))
		sess.MarkMessage(m, "")
	}
	return nil
}

func (h *saramaHandler) owned() map[int32]bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[int32]bool{}
	for p := range h.claims {
		out[p] = true
	}
	return out
}

type saramaMember struct {
	g      sarama.ConsumerGroup
	h      *saramaHandler
	cancel context.CancelFunc
	done   chan struct{}
}

func startSarama(t *testing.T, b *testbroker.Broker, group, topic string, s *seen, strategy sarama.BalanceStrategy) *saramaMember {
	t.Helper()
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_8_0_0
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.AutoCommit.Interval = 200 * time.Millisecond
	cfg.Consumer.Group.Session.Timeout = 6 * time.Second
	cfg.Consumer.Group.Heartbeat.Interval = 500 * time.Millisecond
	cfg.Consumer.Group.Rebalance.GroupStrategies = []sarama.BalanceStrategy{strategy}
	g, err := sarama.NewConsumerGroup([]string{b.Addr}, group, cfg)
	if err != nil {
		t.Fatalf("sarama consumer group: %v", err)
	}
	m := &saramaMember{g: g, h: &saramaHandler{s: s, claims: map[int32]bool{}}, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	go func() {
		defer close(m.done)
		for ctx.Err() == nil {
			if err := g.Consume(ctx, []string{topic}, m.h); err != nil && ctx.Err() == nil {
				t.Logf("sarama consume: %v", err)
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	return m
}

func (m *saramaMember) stop(t *testing.T) {
	m.cancel()
	<-m.done
	if err := m.g.Close(); err != nil {
		t.Errorf("close sarama group: %v", err)
	}
}

// TestSaramaConsumerGroup: two sarama members split a topic, one leaves,
// the other takes over; after both stop the committed offsets are the end
// offsets and a new member only sees new records.
func TestSaramaConsumerGroup(t *testing.T) {
	b := startBroker(t)
	for _, strat := range []sarama.BalanceStrategy{sarama.NewBalanceStrategyRange(), sarama.NewBalanceStrategyRoundRobin(), sarama.NewBalanceStrategySticky()} {
		t.Run(strat.Name(), func(t *testing.T) {
			topic, group := "sarama-"+strat.Name(), "g-sarama-"+strat.Name()
			createTopic(t, b, topic, 4)
			s := newSeen()
			first := produce(t, b, topic, "a", 400)
			m1 := startSarama(t, b, group, topic, s, strat)
			m2 := startSarama(t, b, group, topic, s, strat)
			s.waitAll(t, first, 40*time.Second)
			waitStable(t, b, group, 2)
			waitFor(t, 20*time.Second, "4 partitions claimed by 2 members", func() bool {
				a, c := m1.h.owned(), m2.h.owned()
				for p := range a {
					if c[p] {
						return false
					}
				}
				return len(a)+len(c) == 4 && len(a) > 0 && len(c) > 0
			})
			m2.stop(t)
			second := produce(t, b, topic, "b", 200)
			s.waitAll(t, second, 40*time.Second)
			waitFor(t, 20*time.Second, "the remaining member claims all 4", func() bool { return len(m1.h.owned()) == 4 })
			m1.stop(t)
			waitFor(t, 10*time.Second, "offsets committed to the end", func() bool {
				c := committed(t, b, group, topic)
				n := int64(0)
				for _, o := range c {
					n += o
				}
				return n == 600
			})
			third := produce(t, b, topic, "c", 40)
			s2 := newSeen()
			m3 := startSarama(t, b, group, topic, s2, strat)
			s2.waitAll(t, third, 40*time.Second)
			m3.stop(t)
			for v := range s2.counts {
				if v[0] != 'c' {
					t.Errorf("record %q consumed again after restart", v)
				}
			}
		})
	}
}
