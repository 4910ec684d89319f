package metadata

import (
	"testing"
)

func TestRecordsRoundTrip(t *testing.T) {
	v := "x"
	leader := int32(3)
	recs := []record{
		clusterRecord{ClusterID: "c"}, controllerRecord{ID: 2},
		brokerRecord{ID: 1, Host: "h", Port: 1, Incarnation: newUUID()}, fenceRecord{ID: 1, Fenced: true},
		topicRecord{Name: "t", ID: newUUID()}, partitionRecord{Partition: 0, Replicas: []int32{1}},
		partitionChangeRecord{Leader: &leader}, removeTopicRecord{ID: newUUID()},
		configRecord{ResourceType: ResourceTopic, Name: "t", Key: "k", Value: &v}, producerIDsRecord{First: 5, Count: 6},
		aclRecord{ID: newUUID(), ACL: ACL{ResourceName: "t"}}, removeACLRecord{ID: newUUID()},
		scramRecord{User: "u"}, removeScramRecord{User: "u"}, quotaRecord{Key: "k"},
	}
	data, err := encodeBatch(recs)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeBatch(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(recs) {
		t.Fatalf("%d records back, want %d", len(back), len(recs))
	}
	for i := range recs {
		if back[i].recordType() != recs[i].recordType() {
			t.Errorf("record %d: %s, want %s", i, back[i].recordType(), recs[i].recordType())
		}
	}
	if *back[6].(partitionChangeRecord).Leader != 3 || *back[8].(configRecord).Value != "x" {
		t.Error("pointer fields lost")
	}
	for _, bad := range []string{``, `{}`, `{"v":2,"r":[]}`, `{"v":1,"r":[{"t":"nope","v":1,"d":{}}]}`,
		`{"v":1,"r":[{"t":"topic","v":9,"d":{}}]}`, `{"v":1,"r":[{"t":"topic","v":1,"d":"x"}]}`} {
		if _, err := decodeBatch([]byte(bad)); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

// FuzzApplyBatch decodes arbitrary entries and applies them: nothing may
// panic, the starting image must stay as it was, and applying is
// deterministic.
func FuzzApplyBatch(f *testing.F) {
	seedImg := emptyImage()
	v := "1"
	id := [16]byte{1}
	for _, recs := range [][]record{
		{clusterRecord{ClusterID: "c"}, controllerRecord{ID: 1}},
		{topicRecord{Name: "t", ID: id}, partitionRecord{TopicID: id, Replicas: []int32{1}, ISR: []int32{1}, Leader: 1}},
		{topicRecord{Name: "t", ID: id}, configRecord{ResourceType: ResourceTopic, Name: "t", Key: "retention.ms", Value: &v}, removeTopicRecord{ID: id}},
		{producerIDsRecord{First: 0, Count: 3}, brokerRecord{ID: 1, Host: "h", Port: 1}, fenceRecord{ID: 1}},
		{partitionChangeRecord{TopicID: id, Partition: 0}},
		{scramRecord{User: "u", Mechanism: ScramSHA256, Salt: []byte("s"), Iterations: 4096}, removeScramRecord{User: "u", Mechanism: ScramSHA256}},
		{quotaRecord{Entity: []QuotaEntity{{Type: QuotaEntityIP}}, Key: "connection_creation_rate", Value: new(float64)}},
		{aclRecord{ID: id, ACL: ACL{ResourceType: ACLResourceTopic, ResourceName: "t", PatternType: ACLPatternLiteral, Principal: "User:u", Host: "*", Operation: ACLOpRead, Permission: ACLPermissionAllow}}, removeACLRecord{ID: id}},
	} {
		data, err := encodeBatch(recs)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"v":1,"r":[{"t":"partition","v":1,"d":{"partition":-1}}]}`))
	f.Add([]byte(`{"v":1,"r":[{"t":"config","v":1,"d":{"resource_type":4,"name":"x"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := decodeBatch(data)
		if err != nil {
			return
		}
		before, _ := encodeSnapshot(seedImg)
		a, errA := applyBatch(seedImg, recs, 1, 1)
		b, errB := applyBatch(seedImg, recs, 1, 1)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("not deterministic: %v vs %v", errA, errB)
		}
		after, _ := encodeSnapshot(seedImg)
		if string(before) != string(after) {
			t.Fatal("seed image mutated")
		}
		if errA != nil {
			return
		}
		sa, _ := encodeSnapshot(a)
		sb, _ := encodeSnapshot(b)
		if string(sa) != string(sb) {
			t.Fatal("not deterministic")
		}
		// Whatever applied must survive a snapshot round trip.
		if _, err := decodeSnapshot(sa); err != nil {
			t.Fatalf("snapshot of an applied image does not decode: %v", err)
		}
	})
}

func FuzzDecodeSnapshot(f *testing.F) {
	data, _ := encodeSnapshot(emptyImage())
	f.Add(data)
	f.Add([]byte(`{"version":1,"topics":[null]}`))
	f.Add([]byte(`{"version":1,"topics":[{"Name":"a","Partitions":[{"Partition":3}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := decodeSnapshot(data)
		if err != nil {
			return
		}
		again, err := encodeSnapshot(img)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeSnapshot(again); err != nil {
			t.Fatalf("re-encoded snapshot does not decode: %v", err)
		}
	})
}
