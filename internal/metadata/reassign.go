package metadata

import (
	"context"
	"fmt"
	"slices"
)

// Reassignment moves a partition to new replicas (Kafka's
// AlterPartitionReassignments); a nil Replicas cancels the partition's
// reassignment in progress.
type Reassignment struct {
	Topic     string
	Partition int32
	Replicas  []int32
}

// ReassignmentStatus is one partition being reassigned.
type ReassignmentStatus struct {
	Topic            string
	Partition        int32
	Replicas         []int32
	AddingReplicas   []int32
	RemovingReplicas []int32
}

// Reassignments lists the partitions being reassigned, by topic and
// partition (ListPartitionReassignments).
func (img *Image) Reassignments() []ReassignmentStatus {
	var out []ReassignmentStatus
	for _, name := range img.TopicNames() {
		for _, p := range img.Topics[name].Partitions {
			if len(p.AddingReplicas)+len(p.RemovingReplicas) > 0 {
				out = append(out, ReassignmentStatus{Topic: name, Partition: p.Partition, Replicas: p.Replicas,
					AddingReplicas: p.AddingReplicas, RemovingReplicas: p.RemovingReplicas})
			}
		}
	}
	return out
}

// AlterPartitionReassignments starts, replaces or cancels reassignments.
// A new replica set is first added to the partition's replicas (they start
// fetching as followers); once every target replica is in the ISR (see
// AlterPartition), the controller drops the old ones and, if the leader is
// among them, elects one from the target. One error per request.
func (n *Node) AlterPartitionReassignments(ctx context.Context, reqs []Reassignment) []error {
	errs := make([]error, len(reqs))
	img, err := n.lead()
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	defer n.ctrlMu.Unlock()
	type key struct {
		t string
		p int32
	}
	seen := map[key]bool{}
	var recs []record
	var changed []int
	for i, r := range reqs {
		if seen[key{r.Topic, r.Partition}] {
			errs[i] = fmt.Errorf("%w: %s-%d given more than once", ErrInvalidRequest, r.Topic, r.Partition)
			continue
		}
		seen[key{r.Topic, r.Partition}] = true
		t := img.Topic(r.Topic)
		if t == nil || r.Partition < 0 || int(r.Partition) >= len(t.Partitions) {
			errs[i] = fmt.Errorf("%w: %s-%d", ErrUnknownTopic, r.Topic, r.Partition)
			continue
		}
		c, err := reassign(img, t.Partitions[r.Partition], r.Replicas)
		if err != nil {
			errs[i] = err
			continue
		}
		c.TopicID, c.Partition = t.ID, r.Partition
		recs = append(recs, c)
		changed = append(changed, i)
	}
	if len(recs) > 0 {
		if _, err := n.propose(ctx, recs); err != nil {
			for _, i := range changed {
				errs[i] = err
			}
		}
	}
	return errs
}

// reassign computes the change that starts (target non-nil) or cancels a
// reassignment of p, completing it at once when the target is already in
// sync.
func reassign(img *Image, p Partition, target []int32) (partitionChangeRecord, error) {
	inProgress := len(p.AddingReplicas)+len(p.RemovingReplicas) > 0
	orig := p.Replicas
	if inProgress {
		orig = slices.DeleteFunc(slices.Clone(p.Replicas), func(r int32) bool { return slices.Contains(p.AddingReplicas, r) })
	}
	if target == nil {
		if !inProgress {
			return partitionChangeRecord{}, fmt.Errorf("%w: partition %d", ErrNoReassignmentInProgress, p.Partition)
		}
		return settle(img, p, orig, "cancel")
	}
	seen := map[int32]bool{}
	for _, b := range target {
		if seen[b] {
			return partitionChangeRecord{}, fmt.Errorf("%w: broker %d listed twice", ErrInvalidReplicaAssignment, b)
		}
		seen[b] = true
		if _, ok := img.Brokers[b]; !ok {
			return partitionChangeRecord{}, fmt.Errorf("%w: broker %d is not registered", ErrInvalidReplicaAssignment, b)
		}
	}
	if len(target) == 0 {
		return partitionChangeRecord{}, fmt.Errorf("%w: no replicas", ErrInvalidReplicaAssignment)
	}
	if allIn(target, p.ISR) {
		return settle(img, p, target, "complete")
	}
	var adding, removing []int32
	for _, b := range target {
		if !slices.Contains(orig, b) {
			adding = append(adding, b)
		}
	}
	for _, b := range orig {
		if !slices.Contains(target, b) {
			removing = append(removing, b)
		}
	}
	replicas := append(slices.Clone(target), removing...)
	return partitionChangeRecord{Replicas: replicas, Adding: &adding, Removing: &removing}, nil
}

// settle makes replicas the partition's final replica set: the ISR keeps
// only its members, and a leader outside it is replaced by the first
// in-sync, live member.
func settle(img *Image, p Partition, replicas []int32, what string) (partitionChangeRecord, error) {
	isr := slices.DeleteFunc(slices.Clone(p.ISR), func(r int32) bool { return !slices.Contains(replicas, r) })
	if len(isr) == 0 {
		return partitionChangeRecord{}, fmt.Errorf("%w: cannot %s: none of %v is in sync", ErrInvalidReplicaAssignment, what, replicas)
	}
	empty := []int32{}
	c := partitionChangeRecord{Replicas: slices.Clone(replicas), ISR: isr, Adding: &empty, Removing: &empty}
	if !slices.Contains(replicas, p.Leader) {
		leader := int32(-1)
		for _, r := range replicas {
			if b, ok := img.Brokers[r]; ok && !b.Fenced && slices.Contains(isr, r) {
				leader = r
				break
			}
		}
		c.Leader = &leader
	}
	return c, nil
}

func allIn(a, b []int32) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// completeReassignment returns the change finishing p's reassignment when
// the ISR now holds every target replica.
func completeReassignment(img *Image, p Partition) (partitionChangeRecord, bool) {
	if len(p.AddingReplicas)+len(p.RemovingReplicas) == 0 {
		return partitionChangeRecord{}, false
	}
	target := slices.DeleteFunc(slices.Clone(p.Replicas), func(r int32) bool { return slices.Contains(p.RemovingReplicas, r) })
	if !allIn(target, p.ISR) {
		return partitionChangeRecord{}, false
	}
	c, err := settle(img, p, target, "complete")
	return c, err == nil
}
