package metadata

import (
	"context"
	"fmt"
)

// CreatePartitions asks for a topic to grow to Count partitions;
// Assignments, when given, lists the replicas of each new partition.
type CreatePartitions struct {
	Topic       string
	Count       int32
	Assignments [][]int32
}

// CreatePartitionsResult is the outcome for one topic.
type CreatePartitionsResult struct {
	Topic string
	Err   error
}

// CreatePartitions adds partitions to existing topics. New partitions get
// the replication factor of the topic's existing ones.
func (n *Node) CreatePartitions(ctx context.Context, reqs []CreatePartitions, validateOnly bool) []CreatePartitionsResult {
	results := make([]CreatePartitionsResult, len(reqs))
	for i, r := range reqs {
		results[i].Topic = r.Topic
	}
	img, err := n.lead()
	if err != nil {
		for i := range results {
			results[i].Err = err
		}
		return results
	}
	defer n.ctrlMu.Unlock()

	count := map[string]int{}
	for _, r := range reqs {
		count[r.Topic]++
	}
	live := img.LiveBrokers()
	var recs []record
	var grown []int
	for i, r := range reqs {
		if count[r.Topic] > 1 {
			results[i].Err = fmt.Errorf("%w: topic %s given more than once", ErrInvalidRequest, r.Topic)
			continue
		}
		t := img.Topic(r.Topic)
		if t == nil {
			results[i].Err = fmt.Errorf("%w: %s", ErrUnknownTopic, r.Topic)
			continue
		}
		cur := int32(len(t.Partitions))
		if r.Count <= cur {
			results[i].Err = fmt.Errorf("%w: topic %s has %d partitions, asked for %d; partitions can only be added", ErrInvalidPartitions, r.Topic, cur, r.Count)
			continue
		}
		if r.Count > maxPartitions {
			results[i].Err = fmt.Errorf("%w: %d partitions (at most %d)", ErrInvalidPartitions, r.Count, maxPartitions)
			continue
		}
		add := r.Count - cur
		rf := t.ReplicationFactor()
		var assignment [][]int32
		if r.Assignments != nil {
			if int32(len(r.Assignments)) != add {
				results[i].Err = fmt.Errorf("%w: %d assignments for %d new partitions", ErrInvalidReplicaAssignment, len(r.Assignments), add)
				continue
			}
			m := make(map[int32][]int32, add)
			for j, a := range r.Assignments {
				m[cur+int32(j)] = a
			}
			assignment, err = checkAssignment(img, m, cur, int(rf))
		} else {
			assignment, err = placeReplicas(live, cur, add, rf, randomStart(len(live)))
		}
		if err != nil {
			results[i].Err = err
			continue
		}
		for j, replicas := range assignment {
			recs = append(recs, partitionRecord{
				TopicID: t.ID, Partition: cur + int32(j), Replicas: replicas,
				ISR: append([]int32(nil), replicas...), Leader: replicas[0],
			})
		}
		grown = append(grown, i)
	}
	if validateOnly || len(recs) == 0 {
		return results
	}
	if _, err := n.propose(ctx, recs); err != nil {
		for _, i := range grown {
			results[i].Err = err
		}
	}
	return results
}
