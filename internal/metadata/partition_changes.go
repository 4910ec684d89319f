package metadata

import (
	"context"
	"fmt"
	"slices"
)

// AlterPartition is a partition leader's request to change the ISR
// (Kafka's AlterPartition): the leader sends the epochs it knows, so a
// request from a deposed leader or based on a stale state is refused.
type AlterPartition struct {
	TopicID        [16]byte
	Partition      int32
	Broker         int32 // the leader asking
	LeaderEpoch    int32
	PartitionEpoch int32
	ISR            []int32
}

// AlterPartition commits a new ISR and returns the partition as it now
// stands. A request that changes nothing returns the current state.
func (n *Node) AlterPartition(ctx context.Context, req AlterPartition) (Partition, error) {
	if r := n.forwardTo(); r != nil {
		return r.AlterPartition(ctx, req)
	}
	img, err := n.lead()
	if err != nil {
		return Partition{}, err
	}
	defer n.ctrlMu.Unlock()
	t := img.TopicByID(req.TopicID)
	if t == nil {
		return Partition{}, fmt.Errorf("%w: %x", ErrUnknownTopicID, req.TopicID)
	}
	if req.Partition < 0 || int(req.Partition) >= len(t.Partitions) {
		return Partition{}, fmt.Errorf("%w: %s-%d", ErrUnknownTopic, t.Name, req.Partition)
	}
	p := t.Partitions[req.Partition]
	switch {
	case req.Broker != p.Leader:
		return Partition{}, fmt.Errorf("%w: %s-%d is led by %d, not %d", ErrNotLeader, t.Name, p.Partition, p.Leader, req.Broker)
	case req.LeaderEpoch != p.LeaderEpoch:
		return Partition{}, fmt.Errorf("%w: %s-%d leader epoch %d, request %d", ErrFencedLeaderEpoch, t.Name, p.Partition, p.LeaderEpoch, req.LeaderEpoch)
	case req.PartitionEpoch != p.PartitionEpoch:
		return Partition{}, fmt.Errorf("%w: %s-%d partition epoch %d, request %d", ErrInvalidUpdateVersion, t.Name, p.Partition, p.PartitionEpoch, req.PartitionEpoch)
	}
	seen := map[int32]bool{}
	for _, r := range req.ISR {
		if seen[r] {
			return Partition{}, fmt.Errorf("%w: ISR lists %d twice", ErrInvalidRequest, r)
		}
		seen[r] = true
		if !slices.Contains(p.Replicas, r) {
			return Partition{}, fmt.Errorf("%w: %d is not a replica of %s-%d", ErrInvalidRequest, r, t.Name, p.Partition)
		}
		if !slices.Contains(p.ISR, r) {
			if b, ok := img.Brokers[r]; !ok || b.Fenced {
				return Partition{}, fmt.Errorf("%w: broker %d is fenced or unregistered", ErrIneligibleReplica, r)
			}
		}
	}
	if !seen[p.Leader] {
		return Partition{}, fmt.Errorf("%w: the ISR must contain the leader %d", ErrInvalidRequest, p.Leader)
	}
	if sameSet(req.ISR, p.ISR) {
		return p, nil
	}
	change := partitionChangeRecord{ISR: slices.Clone(req.ISR)}
	after := p
	after.ISR = req.ISR
	if c, ok := completeReassignment(img, after); ok {
		// The new ISR holds every target replica: finish the
		// reassignment in the same change.
		change = c
	}
	change.TopicID, change.Partition = t.ID, p.Partition
	next, err := n.propose(ctx, []record{change})
	if err != nil {
		return Partition{}, err
	}
	return next.TopicByID(t.ID).Partitions[p.Partition], nil
}

func sameSet(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// FenceBroker marks a broker fenced (it missed its session, or shuts
// down) and moves its leaderships: each partition it leads gets the next
// in-sync, unfenced replica in replica order as leader, and it leaves every
// ISR. A partition whose only in-sync replica it was keeps that ISR and
// goes leaderless (-1), so no acknowledged data is lost, unless the topic
// enables unclean leader election.
func (n *Node) FenceBroker(ctx context.Context, id int32) error {
	return n.setFenced(ctx, id, true)
}

// UnfenceBroker lets a fenced broker serve again; leaderless partitions
// for which it is in the ISR (or, with unclean election, a replica) elect
// it.
func (n *Node) UnfenceBroker(ctx context.Context, id int32) error {
	return n.setFenced(ctx, id, false)
}

func (n *Node) setFenced(ctx context.Context, id int32, fenced bool) error {
	img, err := n.lead()
	if err != nil {
		return err
	}
	defer n.ctrlMu.Unlock()
	b, ok := img.Brokers[id]
	if !ok {
		return fmt.Errorf("%w: %d", ErrUnknownBroker, id)
	}
	if b.Fenced == fenced {
		return nil
	}
	live := map[int32]bool{}
	for _, br := range img.Brokers {
		live[br.ID] = !br.Fenced
	}
	live[id] = !fenced
	recs := []record{fenceRecord{ID: id, Fenced: fenced}}
	for _, name := range img.TopicNames() {
		t := img.Topics[name]
		unclean := img.TopicConfig(name, n.cfg.NodeID, n.broker).UncleanLeaderElection
		for _, p := range t.Partitions {
			if c, ok := electOnChange(p, id, fenced, live, unclean); ok {
				c.TopicID, c.Partition = t.ID, p.Partition
				recs = append(recs, c)
			}
		}
	}
	_, err = n.propose(ctx, recs)
	return err
}

// electOnChange computes a partition's change when broker id is fenced or
// unfenced; live tells which brokers are unfenced afterwards.
func electOnChange(p Partition, id int32, fenced bool, live map[int32]bool, unclean bool) (partitionChangeRecord, bool) {
	var c partitionChangeRecord
	if fenced {
		if !slices.Contains(p.ISR, id) && p.Leader != id {
			return c, false
		}
		isr := slices.DeleteFunc(slices.Clone(p.ISR), func(r int32) bool { return r == id })
		if len(isr) == 0 {
			// The last in-sync replica: keep it in the ISR so it can lead
			// again without losing data.
			isr = []int32{id}
		}
		leader := p.Leader
		if leader == id {
			leader = -1
			for _, r := range p.Replicas {
				if r != id && live[r] && slices.Contains(isr, r) {
					leader = r
					break
				}
			}
			if leader == -1 && unclean {
				for _, r := range p.Replicas {
					if r != id && live[r] {
						leader, isr = r, []int32{r}
						break
					}
				}
			}
		}
		if leader == p.Leader && sameSet(isr, p.ISR) {
			return c, false
		}
		c.ISR = isr
		if leader != p.Leader {
			c.Leader = &leader
		}
		return c, true
	}
	if p.Leader != -1 || !slices.Contains(p.Replicas, id) {
		return c, false
	}
	switch {
	case slices.Contains(p.ISR, id):
		c.Leader = &id
	case unclean:
		c.Leader, c.ISR = &id, []int32{id}
	default:
		return c, false
	}
	return c, true
}
