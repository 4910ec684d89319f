package metadata

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/gregor-stream/gregor/internal/config"
)

// threeBrokers is a one-voter quorum with brokers 1..3 registered and a
// topic "r" whose partition 0 has replicas [1 2 3] and partition 1 [2 3 1].
func threeBrokers(t *testing.T, topicConfigs map[string]string) (*testNode, [16]byte) {
	t.Helper()
	n := newNode(t)
	ctx := context.Background()
	for id := int32(2); id <= 3; id++ {
		if err := n.RegisterBroker(ctx, Broker{ID: id, Host: "127.0.0.1", Port: 9000 + id}); err != nil {
			t.Fatal(err)
		}
	}
	r := n.CreateTopics(ctx, []CreateTopic{{Name: "r", NumPartitions: -1, ReplicationFactor: -1,
		Assignments: map[int32][]int32{0: {1, 2, 3}, 1: {2, 3, 1}}, Configs: topicConfigs}}, false)
	if r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	return n, r[0].ID
}

func TestAlterPartition(t *testing.T) {
	n, id := threeBrokers(t, nil)
	ctx := context.Background()
	p := n.Image().TopicByID(id).Partitions[0]

	bad := []struct {
		name string
		req  AlterPartition
		want error
	}{
		{"not leader", AlterPartition{TopicID: id, Broker: 2, ISR: []int32{1, 2}}, ErrNotLeader},
		{"old leader epoch", AlterPartition{TopicID: id, Broker: 1, LeaderEpoch: p.LeaderEpoch + 1, ISR: []int32{1}}, ErrFencedLeaderEpoch},
		{"old partition epoch", AlterPartition{TopicID: id, Broker: 1, PartitionEpoch: 7, ISR: []int32{1}}, ErrInvalidUpdateVersion},
		{"leader left out", AlterPartition{TopicID: id, Broker: 1, ISR: []int32{2, 3}}, ErrInvalidRequest},
		{"not a replica", AlterPartition{TopicID: id, Broker: 1, ISR: []int32{1, 9}}, ErrInvalidRequest},
		{"unknown partition", AlterPartition{TopicID: id, Partition: 5, Broker: 1, ISR: []int32{1}}, ErrUnknownTopic},
		{"unknown topic", AlterPartition{TopicID: [16]byte{1}, Broker: 1, ISR: []int32{1}}, ErrUnknownTopicID},
	}
	for _, c := range bad {
		if _, err := n.AlterPartition(ctx, c.req); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}

	// Shrink to the leader alone, then expand back.
	got, err := n.AlterPartition(ctx, AlterPartition{TopicID: id, Broker: 1, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, ISR: []int32{1}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.ISR, []int32{1}) || got.PartitionEpoch != p.PartitionEpoch+1 || got.LeaderEpoch != p.LeaderEpoch {
		t.Fatalf("after shrink %+v", got)
	}
	// The same request again is now stale.
	if _, err := n.AlterPartition(ctx, AlterPartition{TopicID: id, Broker: 1, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, ISR: []int32{1}}); !errors.Is(err, ErrInvalidUpdateVersion) {
		t.Errorf("replayed request: %v", err)
	}
	// A fenced broker cannot rejoin the ISR.
	if err := n.FenceBroker(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := n.AlterPartition(ctx, AlterPartition{TopicID: id, Broker: 1, LeaderEpoch: got.LeaderEpoch, PartitionEpoch: got.PartitionEpoch, ISR: []int32{1, 3}}); !errors.Is(err, ErrIneligibleReplica) {
		t.Errorf("fenced replica joined: %v", err)
	}
	got, err = n.AlterPartition(ctx, AlterPartition{TopicID: id, Broker: 1, LeaderEpoch: got.LeaderEpoch, PartitionEpoch: got.PartitionEpoch, ISR: []int32{1, 2}})
	if err != nil || !reflect.DeepEqual(got.ISR, []int32{1, 2}) {
		t.Fatalf("expand: %+v %v", got, err)
	}
}

func TestFenceMovesLeadership(t *testing.T) {
	n, id := threeBrokers(t, nil)
	ctx := context.Background()
	before := n.Image().TopicByID(id).Partitions
	if err := n.FenceBroker(ctx, 1); err != nil {
		t.Fatal(err)
	}
	img := n.Image()
	if !img.Brokers[1].Fenced {
		t.Fatal("broker 1 not fenced")
	}
	p0, p1 := img.TopicByID(id).Partitions[0], img.TopicByID(id).Partitions[1]
	if p0.Leader != 2 || p0.LeaderEpoch != before[0].LeaderEpoch+1 || !reflect.DeepEqual(p0.ISR, []int32{2, 3}) {
		t.Errorf("partition 0 after fencing its leader: %+v", p0)
	}
	if p1.Leader != 2 || p1.LeaderEpoch != before[1].LeaderEpoch || !reflect.DeepEqual(p1.ISR, []int32{2, 3}) {
		t.Errorf("partition 1 after fencing a follower: %+v", p1)
	}
	for _, b := range img.LiveBrokers() {
		if b.ID == 1 {
			t.Error("fenced broker listed as live")
		}
	}
	// New topics avoid the fenced broker.
	if r := n.CreateTopics(ctx, []CreateTopic{{Name: "n", NumPartitions: 4, ReplicationFactor: 3}}, false); !errors.Is(r[0].Err, ErrInvalidReplicationFactor) {
		t.Errorf("rf 3 with 2 live brokers: %v", r[0].Err)
	}

	// Fence the rest: the last in-sync replica stays in the ISR, leaderless.
	if err := n.FenceBroker(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := n.FenceBroker(ctx, 3); err != nil {
		t.Fatal(err)
	}
	p0 = n.Image().TopicByID(id).Partitions[0]
	if p0.Leader != -1 || !reflect.DeepEqual(p0.ISR, []int32{3}) {
		t.Errorf("all fenced: %+v", p0)
	}
	// Broker 1 is not in the ISR: it must not lead (that would lose data).
	if err := n.UnfenceBroker(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if p := n.Image().TopicByID(id).Partitions[0]; p.Leader != -1 {
		t.Errorf("out-of-sync replica elected: %+v", p)
	}
	// Broker 3 is: it leads again.
	if err := n.UnfenceBroker(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if p := n.Image().TopicByID(id).Partitions[0]; p.Leader != 3 {
		t.Errorf("in-sync replica not elected: %+v", p)
	}
	if err := n.FenceBroker(ctx, 42); !errors.Is(err, ErrUnknownBroker) {
		t.Errorf("unknown broker: %v", err)
	}
}

func TestUncleanElection(t *testing.T) {
	n, id := threeBrokers(t, map[string]string{"unclean.leader.election.enable": "true"})
	ctx := context.Background()
	p := n.Image().TopicByID(id).Partitions[0]
	// Shrink the ISR to the leader, then fence it: a live out-of-sync
	// replica takes over because the topic allows it.
	if _, err := n.AlterPartition(ctx, AlterPartition{TopicID: id, Broker: 1, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, ISR: []int32{1}}); err != nil {
		t.Fatal(err)
	}
	if err := n.FenceBroker(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if p := n.Image().TopicByID(id).Partitions[0]; p.Leader != 2 || !reflect.DeepEqual(p.ISR, []int32{2}) {
		t.Errorf("unclean election: %+v", p)
	}
}

func TestSessionExpiryFencesAndHeartbeatUnfences(t *testing.T) {
	b, err := config.LoadBroker("", nil, map[string]string{"broker.session.timeout.ms": "1500", "broker.heartbeat.interval.ms": "20"})
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t, t.TempDir(), freeAddr(t), b)
	defer n.Close()
	ctx := context.Background()
	inc := newUUID()
	for _, br := range []Broker{{ID: 1, Host: "127.0.0.1", Port: 9092}, {ID: 2, Host: "127.0.0.1", Port: 9093, Incarnation: inc}} {
		if err := n.RegisterBroker(ctx, br); err != nil {
			t.Fatal(err)
		}
	}
	// Broker 2 heartbeats for a while and stays unfenced.
	for i := 0; i < 20; i++ {
		if err := n.Heartbeat(ctx, 2, inc); err != nil {
			t.Fatal(err)
		}
		time.Sleep(25 * time.Millisecond)
	}
	if n.Image().Brokers[2].Fenced {
		t.Fatal("heartbeating broker fenced")
	}
	// Then it stops: fenced after its session runs out. Broker 1, the
	// controller's own, never heartbeats and is never fenced.
	deadline := time.Now().Add(10 * time.Second)
	for !n.Image().Brokers[2].Fenced {
		if time.Now().After(deadline) {
			t.Fatal("silent broker never fenced")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n.Image().Brokers[1].Fenced {
		t.Error("the controller's own broker was fenced")
	}
	if err := n.Heartbeat(ctx, 2, newUUID()); !errors.Is(err, ErrStaleBrokerEpoch) {
		t.Errorf("old incarnation: %v", err)
	}
	if err := n.Heartbeat(ctx, 9, inc); !errors.Is(err, ErrUnknownBroker) {
		t.Errorf("unknown broker: %v", err)
	}
	if err := n.Heartbeat(ctx, 2, inc); err != nil {
		t.Fatal(err)
	}
	if n.Image().Brokers[2].Fenced {
		t.Error("heartbeat did not unfence")
	}
}
