package groups

import (
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestOffsetsSurviveRestart: committed offsets and the group's last
// generation come back after a broker restart (replayed from
// __consumer_offsets), and a consumer resumes where the group left off.
func TestOffsetsSurviveRestart(t *testing.T) {
	b := startBroker(t)
	const topic, group = "restart-topic", "g-restart"
	createTopic(t, b, topic, 3)
	first := produce(t, b, topic, "a", 300)
	s := newSeen()
	m := startKgoMember(t, b, group, topic, kgo.RangeBalancer(), s)
	s.waitAll(t, first, 40*time.Second)
	m.stop(t)
	before := committed(t, b, group, topic)
	var sum int64
	for _, o := range before {
		sum += o
	}
	if sum != 300 {
		t.Fatalf("committed before restart sum to %d, want 300", sum)
	}
	// An admin commit with metadata, to check the metadata survives too.
	adm := newAdmin(t, b)
	var os kadm.Offsets
	os.Add(kadm.Offset{Topic: topic, Partition: 0, At: before[0], LeaderEpoch: -1, Metadata: "kept"})
	if _, err := adm.CommitOffsets(ctxT(t), "g-admin", os); err != nil {
		t.Fatalf("admin commit: %v", err)
	}

	b.Restart(t)

	var after map[int32]int64
	waitFor(t, 30*time.Second, "offsets fetchable after restart", func() bool {
		fo, err := newAdmin(t, b).FetchOffsets(ctxT(t), group)
		if err != nil || fo.Error() != nil {
			return false
		}
		after = map[int32]int64{}
		for p, o := range fo[topic] {
			after[p] = o.At
		}
		return true
	})
	for p, o := range before {
		if after[p] != o {
			t.Errorf("partition %d: committed %d before restart, %d after", p, o, after[p])
		}
	}
	fo, err := newAdmin(t, b).FetchOffsets(ctxT(t), "g-admin")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := fo.Lookup(topic, 0); o.At != before[0] || o.Metadata != "kept" {
		t.Errorf("admin commit after restart: %+v", o)
	}
	lg, err := newAdmin(t, b).ListGroups(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := lg[group]; !ok {
		t.Errorf("group %s not listed after restart: %v", group, lg.Groups())
	}

	second := produce(t, b, topic, "b", 90)
	s2 := newSeen()
	m2 := startKgoMember(t, b, group, topic, kgo.RangeBalancer(), s2)
	s2.waitAll(t, second, 40*time.Second)
	m2.stop(t)
	for v := range s2.counts {
		if !strings.HasPrefix(v, "b-") {
			t.Errorf("record %q consumed again after the broker restarted", v)
		}
	}
}
