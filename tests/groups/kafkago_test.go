package groups

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// TestKafkaGoReaderGroup: kafka-go Readers with a GroupID split a topic
// and commit; a reader started after they closed resumes at the commits.
func TestKafkaGoReaderGroup(t *testing.T) {
	b := startBroker(t)
	const topic, group = "kafkago-group", "g-kafkago"
	createTopic(t, b, topic, 4)
	first := produce(t, b, topic, "a", 400)
	s := newSeen()
	newReader := func() *kafka.Reader {
		return kafka.NewReader(kafka.ReaderConfig{
			Brokers:           []string{b.Addr},
			GroupID:           group,
			Topic:             topic,
			StartOffset:       kafka.FirstOffset,
			CommitInterval:    0, // synchronous commits
			HeartbeatInterval: 500 * time.Millisecond,
			SessionTimeout:    6 * time.Second,
			RebalanceTimeout:  10 * time.Second,
			MaxWait:           200 * time.Millisecond,
		})
	}
	run := func(ctx context.Context, r *kafka.Reader, s *seen) chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				m, err := r.FetchMessage(ctx)
				if err != nil {
					return
				}
				s.add(string(m.Value))
				if err := r.CommitMessages(ctx, m); err != nil && ctx.Err() == nil {
					t.Logf("kafka-go commit: %v", err)
				}
			}
		}()
		return done
	}
	ctx, cancel := context.WithCancel(context.Background())
	r1, r2 := newReader(), newReader()
	d1, d2 := run(ctx, r1, s), run(ctx, r2, s)
	s.waitAll(t, first, 60*time.Second)
	waitStable(t, b, group, 2)
	cancel()
	<-d1
	<-d2
	r1.Close()
	r2.Close()

	got := committed(t, b, group, topic)
	var sum int64
	for _, o := range got {
		sum += o
	}
	if sum != 400 {
		t.Fatalf("committed offsets sum to %d, want 400 (%v)", sum, got)
	}

	second := produce(t, b, topic, "b", 80)
	s2 := newSeen()
	ctx2, cancel2 := context.WithCancel(context.Background())
	r3 := newReader()
	d3 := run(ctx2, r3, s2)
	s2.waitAll(t, second, 60*time.Second)
	cancel2()
	<-d3
	r3.Close()
	for v := range s2.counts {
		if v[0] != 'b' {
			t.Errorf("record %q consumed again after restart", v)
		}
	}
}
