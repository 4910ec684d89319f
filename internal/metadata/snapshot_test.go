package metadata

import (
	"context"
	"reflect"
	"testing"
)

func buildImage(t *testing.T) *Image {
	t.Helper()
	v := "compact"
	id1, id2 := newUUID(), newUUID()
	recs := []record{
		clusterRecord{ClusterID: "abc"},
		controllerRecord{ID: 1},
		brokerRecord{ID: 1, Host: "h1", Port: 9092, Rack: "r1", Incarnation: newUUID()},
		brokerRecord{ID: 2, Host: "h2", Port: 9092, Rack: "r2"},
		topicRecord{Name: "a", ID: id1},
		partitionRecord{TopicID: id1, Partition: 0, Replicas: []int32{1, 2}, ISR: []int32{1, 2}, Leader: 1},
		partitionRecord{TopicID: id1, Partition: 1, Replicas: []int32{2, 1}, ISR: []int32{2}, Leader: 2},
		topicRecord{Name: "b", ID: id2},
		partitionRecord{TopicID: id2, Partition: 0, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1},
		configRecord{ResourceType: ResourceTopic, Name: "a", Key: "cleanup.policy", Value: &v},
		configRecord{ResourceType: ResourceBroker, Name: "", Key: "log.retention.ms", Value: &v},
		producerIDsRecord{First: 0, Count: 1000},
		fenceRecord{ID: 2, Fenced: true},
		quotaRecord{Entity: []QuotaEntity{{Type: QuotaEntityUser}}, Key: "producer_byte_rate", Value: func() *float64 { f := 5.0; return &f }()},
		scramRecord{User: "u", Mechanism: ScramSHA512, Salt: []byte("s"), StoredKey: []byte("k1"), ServerKey: []byte("k2"), Iterations: 4096},
		aclRecord{ID: newUUID(), ACL: ACL{ResourceType: ACLResourceTopic, ResourceName: "a", PatternType: ACLPatternPrefixed, Principal: "User:x", Host: "*", Operation: ACLOpRead, Permission: ACLPermissionAllow}},
	}
	leader := int32(1)
	recs = append(recs, partitionChangeRecord{TopicID: id1, Partition: 1, Leader: &leader, ISR: []int32{1}})
	img, err := applyBatch(emptyImage(), recs, 7, 3)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestSnapshotRoundTrip(t *testing.T) {
	img := buildImage(t)
	p := img.Topic("a").Partitions[1]
	if p.Leader != 1 || p.LeaderEpoch != 1 || p.PartitionEpoch != 1 || !reflect.DeepEqual(p.ISR, []int32{1}) {
		t.Fatalf("partition change not applied: %+v", p)
	}
	data, err := encodeSnapshot(img)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeSnapshot(data)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Changes.All {
		t.Error("a restored image does not say everything changed")
	}
	img.Changes, back.Changes = Changes{}, Changes{}
	if !reflect.DeepEqual(img, back) {
		t.Errorf("round trip differs:\n%+v\n%+v", img, back)
	}
	if back.TopicByID(img.Topic("a").ID) != back.Topic("a") {
		t.Error("id index does not point at the same topic")
	}
}

func TestApplyLeavesPreviousImageAlone(t *testing.T) {
	img := buildImage(t)
	before, _ := encodeSnapshot(img)
	id := img.Topic("a").ID
	v := "1"
	next, err := applyBatch(img, []record{
		partitionRecord{TopicID: id, Partition: 2, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1},
		configRecord{ResourceType: ResourceTopic, Name: "a", Key: "retention.ms", Value: &v},
		removeTopicRecord{ID: img.Topic("b").ID},
		fenceRecord{ID: 2},
	}, 8, 3)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := encodeSnapshot(img)
	if string(before) != string(after) {
		t.Error("applying a batch changed the image it started from")
	}
	if !next.TopicChanged("a") || !next.TopicChanged("b") || next.Changes.Brokers != true || next.Changes.ProducerIDs {
		t.Errorf("changes %+v", next.Changes)
	}
	if len(next.Topic("a").Partitions) != 3 || next.Topic("b") != nil || next.TopicConfigs["a"]["retention.ms"] != "1" || next.Brokers[2].Fenced {
		t.Errorf("next image wrong: %+v", next)
	}

	// A batch with one bad record is rejected whole.
	if _, err := applyBatch(img, []record{
		configRecord{ResourceType: ResourceTopic, Name: "a", Key: "retention.ms", Value: &v},
		topicRecord{Name: "a", ID: newUUID()},
	}, 9, 3); err == nil {
		t.Error("duplicate topic accepted")
	}
	if img.TopicConfigs["a"]["retention.ms"] != "" {
		t.Error("rejected batch leaked a change")
	}
}

func TestSnapshotRestartKeepsState(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	n.CreateTopics(ctx, []CreateTopic{{Name: "before", NumPartitions: 2, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "42"}}}, false)
	first, err := n.AllocateProducerIDs(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.q.Raft.Snapshot().Error(); err != nil {
		t.Fatal(err)
	}
	n.CreateTopics(ctx, []CreateTopic{{Name: "after", NumPartitions: 1, ReplicationFactor: 1}}, false)
	n.DeleteTopics(ctx, []string{"before"}, nil)
	n.CreateTopics(ctx, []CreateTopic{{Name: "before", NumPartitions: 3, ReplicationFactor: 1}}, false)
	want := n.Image()

	m := n.restart(t)
	got := m.Image()
	for _, name := range []string{"before", "after"} {
		if got.Topic(name) == nil || got.Topic(name).ID != want.Topic(name).ID || len(got.Topic(name).Partitions) != len(want.Topic(name).Partitions) {
			t.Errorf("%s: got %+v want %+v", name, got.Topic(name), want.Topic(name))
		}
	}
	if len(got.TopicConfigs["before"]) != 0 {
		t.Errorf("configs of the deleted topic came back: %v", got.TopicConfigs)
	}
	next, err := m.AllocateProducerIDs(ctx, 1)
	if err != nil || next != first+100 {
		t.Errorf("producer id after snapshot restart: %d %v", next, err)
	}
}

// A published image stays as it was while the controller keeps changing
// the metadata: readers never lock, so nothing may write to it.
func TestPublishedImagesAreImmutable(t *testing.T) {
	n, id := threeBrokers(t, map[string]string{"retention.ms": "5"})
	ctx := context.Background()
	old := n.Image()
	before, err := encodeSnapshot(old)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := old.Partition("r", 0)
	n.AlterConfigs(ctx, []AlterConfig{{ResourceType: ResourceTopic, Name: "r", Ops: []ConfigOp{{Name: "retention.ms", Value: strp("6")}}}}, true, false)
	n.AlterConfigs(ctx, []AlterConfig{{ResourceType: ResourceBroker, Name: "", Ops: []ConfigOp{{Name: "log.retention.ms", Value: strp("7")}}}}, true, false)
	n.CreatePartitions(ctx, []CreatePartitions{{Topic: "r", Count: 4}}, false)
	n.AlterPartition(ctx, AlterPartition{TopicID: id, Broker: 1, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, ISR: []int32{1}})
	n.FenceBroker(ctx, 2)
	n.CreateACLs(ctx, []ACL{{ResourceType: ACLResourceTopic, ResourceName: "r", PatternType: ACLPatternLiteral, Principal: "User:a", Host: "*", Operation: ACLOpRead, Permission: ACLPermissionAllow}})
	n.AlterScramCredentials(ctx, []ScramUpsert{{User: "a", Mechanism: ScramSHA256, Iterations: 4096, Salt: []byte("s"), SaltedPassword: []byte("p")}}, nil)
	n.AlterClientQuotas(ctx, []QuotaAlteration{{Entity: []QuotaEntity{{Type: QuotaEntityUser}}, Ops: []QuotaOp{{Key: "producer_byte_rate", Value: 1}}}}, false)
	n.AllocateProducerIDs(ctx, 5)
	n.DeleteTopics(ctx, []string{"r"}, nil)
	if n.Image().Offset <= old.Offset+8 {
		t.Fatalf("the operations did not all commit: offset %d -> %d", old.Offset, n.Image().Offset)
	}
	after, err := encodeSnapshot(old)
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Errorf("an old image changed:\nbefore %s\nafter  %s", before, after)
	}
}
