package txn

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestFencedZombie: two producers share a transactional id. The first
// writes into a transaction; the second's InitProducerId bumps the epoch,
// which aborts the first one's transaction. The first (the zombie) can
// then neither produce nor commit, failing with a fencing error, and none
// of its records ever become visible to read_committed.
func TestFencedZombie(t *testing.T) {
	b := startBroker(t)
	const topic, txnID = "zombie", "shared-id"
	createTopic(t, b, topic, 2)

	zombie := newClient(t, b, kgo.TransactionalID(txnID), kgo.DefaultProduceTopic(topic), kgo.RetryTimeout(15*time.Second))
	if err := zombie.BeginTransaction(); err != nil {
		t.Fatalf("zombie begin: %v", err)
	}
	if err := zombie.ProduceSync(ctxT(t), records(topic, values("zombie-early", 10))...).FirstErr(); err != nil {
		t.Fatalf("zombie produce before fencing: %v", err)
	}

	// The new instance: its first transactional produce runs
	// InitProducerId, which must succeed after the coordinator has aborted
	// the zombie's open transaction.
	fresh := newClient(t, b, kgo.TransactionalID(txnID), kgo.DefaultProduceTopic(topic), kgo.RetryTimeout(30*time.Second))
	if err := fresh.BeginTransaction(); err != nil {
		t.Fatalf("new instance begin: %v", err)
	}
	if err := fresh.ProduceSync(ctxT(t), records(topic, values("fresh", 10))...).FirstErr(); err != nil {
		t.Fatalf("new instance produce: %v", err)
	}

	// The zombie's writes now fail with a fencing error.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := zombie.ProduceSync(ctx, records(topic, values("zombie-late", 10))...).FirstErr()
	if err == nil {
		t.Errorf("zombie produce after fencing succeeded, want PRODUCER_FENCED or INVALID_PRODUCER_EPOCH")
	} else if !isFenced(err) {
		t.Errorf("zombie produce after fencing: %v, want PRODUCER_FENCED or INVALID_PRODUCER_EPOCH", err)
	}
	err = zombie.EndTransaction(ctx, kgo.TryCommit)
	if err == nil {
		t.Errorf("zombie commit after fencing succeeded, want a fencing error")
	} else if !isFenced(err) {
		t.Logf("zombie commit after fencing: %v (not a fencing error itself; the produce already failed)", err)
	}

	if err := fresh.EndTransaction(ctxT(t), kgo.TryCommit); err != nil {
		t.Fatalf("new instance commit: %v", err)
	}
	adm := newAdmin(t, b)
	waitStable(t, adm, topic, 20*time.Second)
	got := readValues(t, b, topic, kgo.ReadCommitted(), 10)
	checkValues(t, "read_committed", got, map[string]int{"fresh": 10})
	d, err := adm.DescribeTransactions(ctxT(t), txnID)
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	if dt := d[txnID]; dt.State != "CompleteCommit" || dt.ProducerEpoch < 1 {
		t.Errorf("describe %s: state %q epoch %d, want CompleteCommit with a bumped epoch", txnID, dt.State, dt.ProducerEpoch)
	}
}

// TestConfluentFencedZombie: the same with librdkafka, which treats
// fencing as a fatal producer error: after a second instance's
// InitTransactions, the first instance's commit fails with a fatal
// _FENCED / PRODUCER_FENCED error and its records stay invisible.
func TestConfluentFencedZombie(t *testing.T) {
	b := startBroker(t)
	const topic, txnID = "rdkafka-zombie", "rdkafka-shared"
	createTopic(t, b, topic, 1)
	newProducer := func() *kafka.Producer {
		p, err := kafka.NewProducer(&kafka.ConfigMap{
			"bootstrap.servers":      b.Addr,
			"transactional.id":       txnID,
			"transaction.timeout.ms": 30000,
			"linger.ms":              5,
		})
		if err != nil {
			t.Fatalf("librdkafka producer: %v", err)
		}
		t.Cleanup(p.Close)
		if err := p.InitTransactions(ctxT(t)); err != nil {
			t.Fatalf("init transactions: %v", err)
		}
		return p
	}
	send := func(p *kafka.Producer, vals []string) error {
		deliveries := make(chan kafka.Event, len(vals))
		for _, v := range vals {
			m := &kafka.Message{TopicPartition: kafka.TopicPartition{Topic: strPtr(topic), Partition: kafka.PartitionAny}, Value: []byte(v)}
			if err := p.Produce(m, deliveries); err != nil {
				return err
			}
		}
		for range vals {
			select {
			case ev := <-deliveries:
				if m := ev.(*kafka.Message); m.TopicPartition.Error != nil {
					return m.TopicPartition.Error
				}
			case <-time.After(30 * time.Second):
				return context.DeadlineExceeded
			}
		}
		return nil
	}

	zombie := newProducer()
	if err := zombie.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := send(zombie, values("zombie", 10)); err != nil {
		t.Fatalf("zombie produce before fencing: %v", err)
	}
	fresh := newProducer()
	if err := fresh.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := send(fresh, values("fresh", 10)); err != nil {
		t.Fatalf("new instance produce: %v", err)
	}

	err := zombie.CommitTransaction(ctxT(t))
	if err == nil {
		t.Errorf("zombie commit after fencing succeeded")
	} else {
		var kerrv kafka.Error
		if errors.As(err, &kerrv) {
			if !kerrv.IsFatal() || (kerrv.Code() != kafka.ErrFenced && kerrv.Code() != kafka.ErrProducerFenced && kerrv.Code() != kafka.ErrInvalidProducerEpoch) {
				t.Errorf("zombie commit: %v (code %v, fatal %v), want a fatal fencing error", kerrv, kerrv.Code(), kerrv.IsFatal())
			}
		} else {
			t.Errorf("zombie commit: %v, want a kafka.Error", err)
		}
	}
	if err := fresh.CommitTransaction(ctxT(t)); err != nil {
		t.Fatalf("new instance commit: %v", err)
	}
	adm := newAdmin(t, b)
	ends := waitStable(t, adm, topic, 20*time.Second)
	checkValues(t, "read_committed", consumeConfluent(t, b, topic, "read_committed", ends), map[string]int{"fresh": 10})
}
