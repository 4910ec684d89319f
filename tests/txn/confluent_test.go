package txn

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// TestConfluentCommitAbort: a librdkafka transactional producer commits
// one transaction, aborts one and commits another. A read_committed
// librdkafka consumer sees exactly the committed records, a
// read_uncommitted one sees every record, and neither is ever handed a
// control record (the markers occupy offsets but carry no data).
func TestConfluentCommitAbort(t *testing.T) {
	b := startBroker(t)
	const topic = "rdkafka-txn"
	createTopic(t, b, topic, 3)

	p, err := kafka.NewProducer(&kafka.ConfigMap{
		"bootstrap.servers":      b.Addr,
		"transactional.id":       "rdkafka-txn-1",
		"transaction.timeout.ms": 10000,
		"linger.ms":              5,
	})
	if err != nil {
		t.Fatalf("librdkafka producer: %v", err)
	}
	defer p.Close()
	ctx := ctxT(t)
	if err := p.InitTransactions(ctx); err != nil {
		t.Fatalf("init transactions: %v", err)
	}
	run := func(prefix string, n int, commit bool) {
		t.Helper()
		if err := p.BeginTransaction(); err != nil {
			t.Fatalf("begin %s: %v", prefix, err)
		}
		deliveries := make(chan kafka.Event, n)
		for _, v := range values(prefix, n) {
			m := &kafka.Message{
				TopicPartition: kafka.TopicPartition{Topic: strPtr(topic), Partition: kafka.PartitionAny},
				Key:            []byte(v),
				Value:          []byte(v),
			}
			if err := p.Produce(m, deliveries); err != nil {
				t.Fatalf("produce %s: %v", v, err)
			}
		}
		for i := 0; i < n; i++ {
			select {
			case ev := <-deliveries:
				if m := ev.(*kafka.Message); m.TopicPartition.Error != nil {
					t.Fatalf("delivery %s: %v", m.Value, m.TopicPartition.Error)
				}
			case <-ctx.Done():
				t.Fatalf("%s: %d of %d deliveries before timeout", prefix, i, n)
			}
		}
		if commit {
			err = p.CommitTransaction(ctx)
		} else {
			err = p.AbortTransaction(ctx)
		}
		if err != nil {
			t.Fatalf("end %s (commit=%v): %v", prefix, commit, err)
		}
	}
	run("first", 30, true)
	run("aborted", 20, false)
	run("second", 10, true)

	adm := newAdmin(t, b)
	ends := waitStable(t, adm, topic, 20*time.Second)
	var total int64
	for _, e := range ends {
		total += e
	}
	// 60 data records plus one marker per partition per transaction that
	// touched it: at least 60+3, at most 60+9.
	if total < 63 || total > 69 {
		t.Errorf("high watermarks %v sum to %d, want 60 records plus 3 to 9 markers", ends, total)
	}

	committed := consumeConfluent(t, b, topic, "read_committed", ends)
	checkValues(t, "read_committed", committed, map[string]int{"first": 30, "second": 10})
	all := consumeConfluent(t, b, topic, "read_uncommitted", ends)
	checkValues(t, "read_uncommitted", all, map[string]int{"first": 30, "aborted": 20, "second": 10})
}

// checkValues checks that vals holds exactly the values "<prefix>-<i>",
// i < want[prefix], once each, and nothing else.
func checkValues(t *testing.T, what string, vals []string, want map[string]int) {
	t.Helper()
	expect := map[string]bool{}
	for prefix, n := range want {
		for _, v := range values(prefix, n) {
			expect[v] = true
		}
	}
	seen := map[string]int{}
	for _, v := range vals {
		seen[v]++
		if !expect[v] {
			t.Errorf("%s: unexpected record %q", what, v)
		} else if seen[v] == 2 {
			t.Errorf("%s: record %q delivered twice", what, v)
		}
	}
	var missing []string
	for v := range expect {
		if seen[v] == 0 {
			missing = append(missing, v)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%s: %d records missing, e.g. %v", what, len(missing), missing[:min(5, len(missing))])
	}
}

// consumeConfluent reads every partition from the beginning with an
// assigned librdkafka consumer at the isolation level until each
// partition reports EOF at or past ends, and returns the values.
func consumeConfluent(t *testing.T, b *testbroker.Broker, topic, isolation string, ends map[int32]int64) []string {
	t.Helper()
	c, err := kafka.NewConsumer(&kafka.ConfigMap{
		"bootstrap.servers":    b.Addr,
		"group.id":             "txn-assign", // required by librdkafka; Assign joins no group
		"enable.auto.commit":   false,
		"isolation.level":      isolation,
		"enable.partition.eof": true,
	})
	if err != nil {
		t.Fatalf("librdkafka consumer: %v", err)
	}
	defer c.Close()
	var tps []kafka.TopicPartition
	open := map[int32]bool{}
	for p := range ends {
		tps = append(tps, kafka.TopicPartition{Topic: strPtr(topic), Partition: p, Offset: kafka.OffsetBeginning})
		open[p] = true
	}
	if err := c.Assign(tps); err != nil {
		t.Fatalf("assign: %v", err)
	}
	var out []string
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for len(open) > 0 && ctx.Err() == nil {
		switch ev := c.Poll(100).(type) {
		case *kafka.Message:
			if ev.TopicPartition.Error != nil {
				t.Errorf("%s consume: %v", isolation, ev.TopicPartition.Error)
				continue
			}
			if ev.Value == nil || !strings.Contains(string(ev.Value), "-") {
				t.Errorf("%s: record at %d/%d is not one we wrote (control record shown?): key %q value %q",
					isolation, ev.TopicPartition.Partition, ev.TopicPartition.Offset, ev.Key, ev.Value)
			}
			out = append(out, string(ev.Value))
		case kafka.PartitionEOF:
			if int64(ev.Offset) >= ends[ev.Partition] {
				delete(open, ev.Partition)
			}
		case kafka.Error:
			t.Logf("librdkafka %s consumer event: %v", isolation, ev)
		}
	}
	if len(open) > 0 {
		t.Errorf("%s: partitions %v not read to their end %v within 30 s", isolation, open, ends)
	}
	return out
}

func strPtr(s string) *string { return &s }
