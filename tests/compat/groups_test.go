package compat

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

func produceN(t *testing.T, b *testbroker.Broker, topic, prefix string, n int) {
	t.Helper()
	cl := newKgo(t, b, kgo.DefaultProduceTopic(topic))
	rs := make([]*kgo.Record, n)
	for i := range rs {
		rs[i] = &kgo.Record{Key: []byte(fmt.Sprintf("k%d", i%11)), Value: []byte(fmt.Sprintf("%s-%d", prefix, i))}
	}
	if err := cl.ProduceSync(ctxT(t), rs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// checkCommitted asserts the group's committed offsets equal the topic's end
// offsets (an empty partition may have no commit).
func checkCommitted(t *testing.T, adm *kadm.Client, group, topic string) {
	t.Helper()
	ends := endOffsets(t, adm, topic)
	committed, err := adm.FetchOffsets(ctxT(t), group)
	if err != nil {
		t.Fatalf("fetch offsets %s: %v", group, err)
	}
	for p, end := range ends {
		o, ok := committed.Lookup(topic, p)
		switch {
		case !ok && end == 0:
			// Nothing consumed there, so nothing to commit.
		case !ok:
			t.Errorf("group %s: nothing committed for %s/%d (end %d)", group, topic, p, end)
		case o.Err != nil:
			t.Errorf("group %s: %s/%d: %v", group, topic, p, o.Err)
		case o.At != end:
			t.Errorf("group %s: committed %s/%d at %d, end is %d", group, topic, p, o.At, end)
		}
	}
}

// pollValues reads from a group consumer until want values arrived.
func pollValues(ctx context.Context, cl *kgo.Client, want int, into func(string)) (int, error) {
	n := 0
	for n < want {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return n, err
		}
		var ferr error
		fs.EachError(func(_ string, _ int32, err error) { ferr = err })
		if ferr != nil {
			return n, ferr
		}
		fs.EachRecord(func(r *kgo.Record) {
			into(string(r.Value))
			n++
		})
	}
	return n, nil
}

// TestFranzGoGroup: a franz-go group consumer reads a topic and commits; the
// committed offsets are the end offsets; a later member of the group only
// sees new records; two members at once split the partitions between them
// without reading a record twice.
func TestFranzGoGroup(t *testing.T) {
	b := testbroker.Start(t)
	adm := newAdmin(t, b)
	const topic, group = "groups-franz", "g-franz"
	createTopic(t, adm, topic, 4, nil)
	produceN(t, b, topic, "first", 100)

	seen := map[string]int{}
	c1 := openKgo(t, b, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	n, err := pollValues(ctxT(t), c1, 100, func(v string) { seen[v]++ })
	if err == nil {
		err = c1.CommitUncommittedOffsets(ctxT(t))
	}
	c1.Close()
	if err != nil {
		t.Fatalf("group consumer: %d of 100 records, then: %v", n, err)
	}
	for v, n := range seen {
		if n != 1 {
			t.Errorf("%s consumed %d times", v, n)
		}
	}
	checkCommitted(t, adm, group, topic)

	produceN(t, b, topic, "second", 40)
	var mu sync.Mutex
	second := map[string]int{}
	perMember := make([]int, 2)
	reached := make(chan struct{})
	var reachedOnce sync.Once
	var wg sync.WaitGroup
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	members := make([]*kgo.Client, 2)
	for i := range members {
		members[i] = newKgo(t, b, kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	}
	for i, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				fs := m.PollFetches(ctx)
				fs.EachRecord(func(r *kgo.Record) {
					mu.Lock()
					defer mu.Unlock()
					second[string(r.Value)]++
					perMember[i]++
					if len(second) >= 40 {
						reachedOnce.Do(func() { close(reached) })
					}
				})
			}
		}()
	}
	// Both members must be in the group while they read: describe it.
	deadline := time.Now().Add(30 * time.Second)
	var described kadm.DescribedGroup
	for time.Now().Before(deadline) {
		dg, err := adm.DescribeGroups(ctxT(t), group)
		if err == nil {
			described = dg[group]
			if described.State == "Stable" && len(described.Members) == 2 {
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	if described.State != "Stable" || len(described.Members) != 2 {
		t.Errorf("group %s: state %q with %d members, want Stable with 2", group, described.State, len(described.Members))
	}
	select {
	case <-reached:
		time.Sleep(2 * time.Second) // keep polling so duplicates would show
	case <-ctx.Done():
	}
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(second) != 40 {
		t.Errorf("second phase: %d distinct records, want the 40 new ones", len(second))
	}
	for v, n := range second {
		if n != 1 {
			t.Errorf("%s consumed %d times by the group", v, n)
		}
		if seen[v] > 0 {
			t.Errorf("%s re-delivered after its offset was committed", v)
		}
	}
	for i, n := range perMember {
		t.Logf("member %d read %d records", i, n)
	}
}

// TestConfluentGroup: librdkafka subscribes with a group, reads everything
// from the earliest offset, commits synchronously; the committed offsets are
// the end offsets.
func TestConfluentGroup(t *testing.T) {
	b := testbroker.Start(t)
	adm := newAdmin(t, b)
	const topic, group = "groups-rdkafka", "g-rdkafka"
	createTopic(t, adm, topic, 3, nil)
	produceN(t, b, topic, "rd", 60)

	c, err := kafka.NewConsumer(&kafka.ConfigMap{
		"bootstrap.servers":  b.Addr,
		"group.id":           group,
		"auto.offset.reset":  "earliest",
		"enable.auto.commit": false,
	})
	if err != nil {
		t.Fatalf("librdkafka consumer: %v", err)
	}
	defer c.Close()
	if err := c.SubscribeTopics([]string{topic}, nil); err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	seen := map[string]int{}
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < 60 && time.Now().Before(deadline) {
		switch ev := c.Poll(100).(type) {
		case *kafka.Message:
			if ev.TopicPartition.Error != nil {
				t.Errorf("consume: %v", ev.TopicPartition.Error)
				continue
			}
			seen[string(ev.Value)]++
		case kafka.Error:
			t.Logf("librdkafka event: %v", ev)
		}
	}
	if len(seen) != 60 {
		t.Fatalf("group consumer read %d of 60 records", len(seen))
	}
	if _, err := c.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
	checkCommitted(t, adm, group, topic)
}
