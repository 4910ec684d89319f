package metadata

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestReassignment(t *testing.T) {
	n, id := threeBrokers(t, nil)
	ctx := context.Background()
	if err := n.RegisterBroker(ctx, Broker{ID: 4, Host: "127.0.0.1", Port: 9004}); err != nil {
		t.Fatal(err)
	}
	// r-0 has replicas [1 2 3], leader 1. Move it to [4 2 3].
	errs := n.AlterPartitionReassignments(ctx, []Reassignment{
		{Topic: "r", Partition: 0, Replicas: []int32{4, 2, 3}},
		{Topic: "r", Partition: 9, Replicas: []int32{1}},
		{Topic: "r", Partition: 1, Replicas: []int32{1, 1}},
		{Topic: "r", Partition: 0, Replicas: []int32{1}},
	})
	for i, want := range []error{nil, ErrUnknownTopic, ErrInvalidReplicaAssignment, ErrInvalidRequest} {
		if !errors.Is(errs[i], want) || (want == nil && errs[i] != nil) {
			t.Errorf("request %d: %v, want %v", i, errs[i], want)
		}
	}
	if errs := n.AlterPartitionReassignments(ctx, []Reassignment{{Topic: "r", Partition: 1}}); !errors.Is(errs[0], ErrNoReassignmentInProgress) {
		t.Errorf("cancel without a reassignment: %v", errs[0])
	}
	p, _ := n.Image().Partition("r", 0)
	if !reflect.DeepEqual(p.Replicas, []int32{4, 2, 3, 1}) || !reflect.DeepEqual(p.AddingReplicas, []int32{4}) || !reflect.DeepEqual(p.RemovingReplicas, []int32{1}) || p.Leader != 1 {
		t.Fatalf("in progress: %+v", p)
	}
	if got := n.Image().Reassignments(); len(got) != 1 || got[0].Partition != 0 {
		t.Errorf("listed %+v", got)
	}

	// Broker 4 catches up: the leader adds it to the ISR, which completes
	// the move; the leader was being removed, so leadership moves to 4.
	done, err := n.AlterPartition(ctx, AlterPartition{TopicID: id, Broker: 1, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, ISR: []int32{1, 2, 3, 4}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(done.Replicas, []int32{4, 2, 3}) || !reflect.DeepEqual(done.ISR, []int32{2, 3, 4}) || done.Leader != 4 ||
		done.AddingReplicas != nil || done.RemovingReplicas != nil || done.LeaderEpoch != p.LeaderEpoch+1 {
		t.Fatalf("completed: %+v", done)
	}
	if got := n.Image().Reassignments(); len(got) != 0 {
		t.Errorf("still listed %+v", got)
	}

	// Start another move and cancel it: the original replicas come back
	// (in the order they hold in the replica list, as in Kafka).
	if errs := n.AlterPartitionReassignments(ctx, []Reassignment{{Topic: "r", Partition: 1, Replicas: []int32{4, 3, 2}}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	m := n.restart(t)
	if got := m.Image().Reassignments(); len(got) != 1 || !reflect.DeepEqual(got[0].AddingReplicas, []int32{4}) {
		t.Fatalf("reassignment lost on restart: %+v", got)
	}
	if errs := m.AlterPartitionReassignments(ctx, []Reassignment{{Topic: "r", Partition: 1}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	p1, _ := m.Image().Partition("r", 1)
	if !reflect.DeepEqual(p1.Replicas, []int32{3, 2, 1}) || p1.AddingReplicas != nil || p1.RemovingReplicas != nil || p1.Leader != 2 {
		t.Errorf("after cancel %+v", p1)
	}

	// A target already in sync completes at once (here: a reorder).
	if errs := m.AlterPartitionReassignments(ctx, []Reassignment{{Topic: "r", Partition: 1, Replicas: []int32{1, 2, 3}}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	p1, _ = m.Image().Partition("r", 1)
	if !reflect.DeepEqual(p1.Replicas, []int32{1, 2, 3}) || p1.AddingReplicas != nil || p1.Leader != 2 {
		t.Errorf("reorder %+v", p1)
	}
}
