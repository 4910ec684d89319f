package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// ensureTopic creates topic when it is missing and waits until every
// partition has a leader, so the first produce does not race the
// creation. It returns the partition count.
func ensureTopic(ctx context.Context, adm *kadm.Client, topic string, partitions int32, rf int16, stderr io.Writer) (int, error) {
	td, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("metadata: %w", err)
	}
	d, ok := td[topic]
	if !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
		r, err := adm.CreateTopic(ctx, partitions, rf, nil, topic)
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return 0, fmt.Errorf("create topic %s: %w", topic, err)
		}
		if err == nil {
			fmt.Fprintf(stderr, "created topic %s with %d partitions\n", topic, r.NumPartitions)
		}
	} else if d.Err != nil {
		return 0, fmt.Errorf("topic %s: %w", topic, d.Err)
	} else if partitions > 0 && len(d.Partitions) != int(partitions) {
		fmt.Fprintf(stderr, "topic %s exists with %d partitions; --partitions %d ignored\n", topic, len(d.Partitions), partitions)
	}
	for {
		td, err := adm.ListTopics(ctx, topic)
		if err == nil {
			if d, ok := td[topic]; ok && d.Err == nil && len(d.Partitions) > 0 && allLed(d) {
				return len(d.Partitions), nil
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("wait for leaders of %s: %w", topic, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func allLed(d kadm.TopicDetail) bool {
	for _, p := range d.Partitions {
		if p.Leader < 0 || p.Err != nil {
			return false
		}
	}
	return true
}
