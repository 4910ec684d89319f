package groups

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestOffsetsTopicReadable: a plain consumer of __consumer_offsets (what
// Burrow does) finds the group's commits as Kafka's offset commit records
// (key v1, value v3) and its generation as a group metadata record (key
// v2, value v3) naming the protocol and members.
func TestOffsetsTopicReadable(t *testing.T) {
	b := startBroker(t)
	const topic, group = "burrow-topic", "g-burrow"
	createTopic(t, b, topic, 2)
	vals := produce(t, b, topic, "a", 50)
	s := newSeen()
	m := startKgoMember(t, b, group, topic, kgo.RangeBalancer(), s)
	s.waitAll(t, vals, 30*time.Second)
	waitStable(t, b, group, 1)
	m.stop(t)
	want := committed(t, b, group, topic)

	cl := newClient(t, b, kgo.ConsumeTopics("__consumer_offsets"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := map[int32]int64{}
	sawGroup := false
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && !(sawGroup && len(got) == len(want) && got[0] == want[0] && got[1] == want[1]) {
		ctx, cancel := contextTimeout(2 * time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			if len(r.Key) < 2 {
				t.Fatalf("key of %d bytes", len(r.Key))
			}
			switch binary.BigEndian.Uint16(r.Key) {
			case 0, 1:
				var k kmsg.OffsetCommitKey
				if err := k.ReadFrom(r.Key); err != nil {
					t.Fatalf("offset key: %v", err)
				}
				if k.Group != group || k.Topic != topic || r.Value == nil {
					return
				}
				var v kmsg.OffsetCommitValue
				if err := v.ReadFrom(r.Value); err != nil {
					t.Fatalf("offset value: %v", err)
				}
				if v.Version != 3 || v.CommitTimestamp <= 0 {
					t.Errorf("offset value version %d, commit time %d", v.Version, v.CommitTimestamp)
				}
				got[k.Partition] = v.Offset
			case 2:
				var k kmsg.GroupMetadataKey
				if err := k.ReadFrom(r.Key); err != nil {
					t.Fatalf("group key: %v", err)
				}
				if k.Group != group || r.Value == nil {
					return
				}
				var v kmsg.GroupMetadataValue
				if err := v.ReadFrom(r.Value); err != nil {
					t.Fatalf("group value: %v", err)
				}
				if v.ProtocolType == "consumer" && v.Protocol != nil && *v.Protocol == "range" && len(v.Members) == 1 {
					var a kmsg.ConsumerMemberAssignment
					if err := a.ReadFrom(v.Members[0].Assignment); err != nil || len(a.Topics) != 1 || len(a.Topics[0].Partitions) != 2 {
						t.Errorf("member assignment in group metadata: %+v %v", a, err)
					}
					sawGroup = true
				}
			}
		})
	}
	if !sawGroup {
		t.Errorf("no group metadata record with the range protocol and its member")
	}
	for p, o := range want {
		if got[p] != o {
			t.Errorf("partition %d: latest commit record says %d, OffsetFetch %d", p, got[p], o)
		}
	}
}
