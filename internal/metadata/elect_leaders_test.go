package metadata

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestElectLeaders(t *testing.T) {
	n, id := threeBrokers(t, nil)
	ctx := context.Background()
	// Everything is led by its preferred replica.
	for _, r := range n.ElectLeaders(ctx, ElectPreferred, nil) {
		if !errors.Is(r.Err, ErrElectionNotNeeded) {
			t.Errorf("%s-%d: %v", r.Topic, r.Partition, r.Err)
		}
	}
	// Fence 1 (leader of r-0 moves to 2), unfence it: preferred election
	// moves leadership back only once 1 is in sync again.
	if err := n.FenceBroker(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := n.UnfenceBroker(ctx, 1); err != nil {
		t.Fatal(err)
	}
	res := n.ElectLeaders(ctx, ElectPreferred, map[string][]int32{"r": {0}, "nope": {0}})
	if len(res) != 2 || !errors.Is(res[0].Err, ErrUnknownTopic) || !errors.Is(res[1].Err, ErrPreferredLeaderNotAvailable) {
		t.Fatalf("results %+v", res)
	}
	p := n.Image().TopicByID(id).Partitions[0]
	if _, err := n.AlterPartition(ctx, AlterPartition{TopicID: id, Broker: p.Leader, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, ISR: []int32{2, 3, 1}}); err != nil {
		t.Fatal(err)
	}
	res = n.ElectLeaders(ctx, ElectPreferred, map[string][]int32{"r": {0}})
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	if p := n.Image().TopicByID(id).Partitions[0]; p.Leader != 1 {
		t.Errorf("preferred leader not restored: %+v", p)
	}

	// Unclean: all in-sync replicas fenced, an out-of-sync one is live.
	p = n.Image().TopicByID(id).Partitions[0]
	if _, err := n.AlterPartition(ctx, AlterPartition{TopicID: id, Broker: 1, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, ISR: []int32{1}}); err != nil {
		t.Fatal(err)
	}
	if err := n.FenceBroker(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if p := n.Image().TopicByID(id).Partitions[0]; p.Leader != -1 {
		t.Fatalf("expected leaderless: %+v", p)
	}
	res = n.ElectLeaders(ctx, ElectUnclean, map[string][]int32{"r": {0, 1}})
	if res[0].Err != nil || !errors.Is(res[1].Err, ErrElectionNotNeeded) {
		t.Fatalf("unclean: %+v", res)
	}
	if p := n.Image().TopicByID(id).Partitions[0]; p.Leader != 2 || !reflect.DeepEqual(p.ISR, []int32{2}) {
		t.Errorf("after unclean election %+v", p)
	}
}
