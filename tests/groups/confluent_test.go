package groups

import (
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

func newConfluentConsumer(t *testing.T, b *testbroker.Broker, group, strategy string, extra kafka.ConfigMap) *kafka.Consumer {
	t.Helper()
	cm := kafka.ConfigMap{
		"bootstrap.servers":             b.Addr,
		"group.id":                      group,
		"auto.offset.reset":             "earliest",
		"enable.auto.commit":            true,
		"auto.commit.interval.ms":       200,
		"session.timeout.ms":            6000,
		"heartbeat.interval.ms":         500,
		"partition.assignment.strategy": strategy,
		"broker.address.family":         "v4",
	}
	for k, v := range extra {
		cm[k] = v
	}
	c, err := kafka.NewConsumer(&cm)
	if err != nil {
		t.Fatalf("confluent consumer: %v", err)
	}
	return c
}

// pollInto reads until stop is closed, storing offsets of what it saw.
func pollInto(c *kafka.Consumer, s *seen, stop chan struct{}) chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			ev := c.Poll(100)
			if m, ok := ev.(*kafka.Message); ok && m.TopicPartition.Error == nil {
				s.add(string(m.Value))
			}
		}
	}()
	return done
}

// TestConfluentConsumerGroup: librdkafka consumers with the range and
// cooperative-sticky assignors split a topic; after they close, a new
// consumer resumes at the committed offsets.
func TestConfluentConsumerGroup(t *testing.T) {
	b := startBroker(t)
	for _, strategy := range []string{"range", "roundrobin", "cooperative-sticky"} {
		t.Run(strategy, func(t *testing.T) {
			topic, group := "confluent-"+strategy, "g-confluent-"+strategy
			createTopic(t, b, topic, 4)
			first := produce(t, b, topic, "a", 400)
			s := newSeen()
			c1 := newConfluentConsumer(t, b, group, strategy, nil)
			c2 := newConfluentConsumer(t, b, group, strategy, nil)
			for _, c := range []*kafka.Consumer{c1, c2} {
				if err := c.Subscribe(topic, nil); err != nil {
					t.Fatalf("subscribe: %v", err)
				}
			}
			stop := make(chan struct{})
			d1, d2 := pollInto(c1, s, stop), pollInto(c2, s, stop)
			s.waitAll(t, first, 60*time.Second)
			waitStable(t, b, group, 2)
			close(stop)
			<-d1
			<-d2
			// Close commits the consumed offsets and leaves the group.
			if err := c1.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
			if err := c2.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
			got := committed(t, b, group, topic)
			var sum int64
			for _, o := range got {
				sum += o
			}
			if sum != 400 {
				t.Fatalf("committed offsets sum to %d, want 400 (%v)", sum, got)
			}
			second := produce(t, b, topic, "b", 60)
			s2 := newSeen()
			c3 := newConfluentConsumer(t, b, group, strategy, nil)
			if err := c3.Subscribe(topic, nil); err != nil {
				t.Fatal(err)
			}
			stop3 := make(chan struct{})
			d3 := pollInto(c3, s2, stop3)
			s2.waitAll(t, second, 60*time.Second)
			close(stop3)
			<-d3
			c3.Close()
			for v := range s2.counts {
				if v[0] != 'b' {
					t.Errorf("record %q consumed again after restart", v)
				}
			}
		})
	}
}
