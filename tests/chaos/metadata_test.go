package chaos

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// clusterState is what an operator sees of topics through the admin API.
type clusterState struct {
	ids        map[string]kadm.TopicID
	partitions map[string]int
	retention  map[string]string
	starts     map[string]int64
	ends       map[string]int64
}

func snapshot(t *testing.T, b *testbroker.Broker, topics ...string) clusterState {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr))
	if err != nil {
		t.Fatalf("kgo client: %v", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := clusterState{ids: map[string]kadm.TopicID{}, partitions: map[string]int{}, retention: map[string]string{},
		starts: map[string]int64{}, ends: map[string]int64{}}
	details, err := adm.ListTopics(ctx)
	if err != nil {
		t.Fatalf("list topics: %v", err)
	}
	for name, d := range details {
		s.ids[name] = d.ID
		s.partitions[name] = len(d.Partitions)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, topics...)
	if err != nil {
		t.Fatalf("describe configs: %v", err)
	}
	for _, rc := range rcs {
		for _, c := range rc.Configs {
			if c.Key == "retention.ms" && c.Value != nil {
				s.retention[rc.Name] = *c.Value
			}
		}
	}
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		t.Fatalf("list start offsets: %v", err)
	}
	starts.Each(func(o kadm.ListedOffset) { s.starts[o.Topic] += o.Offset })
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		t.Fatalf("list end offsets: %v", err)
	}
	ends.Each(func(o kadm.ListedOffset) { s.ends[o.Topic] += o.Offset })
	return s
}

// TestMetadataSurvivesRestart changes cluster metadata in every way the
// admin API allows (create with configs, alter configs, add partitions,
// delete a topic, delete records), then restarts the broker, by SIGKILL
// and by SIGTERM: the same topics, ids, partition counts, configs and
// offsets must come back.
func TestMetadataSurvivesRestart(t *testing.T) {
	b := testbroker.Start(t)
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatalf("kgo client: %v", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	mustCreate := func(topic string, parts int32, cfg map[string]*string) {
		r, err := adm.CreateTopic(ctx, parts, 1, cfg, topic)
		if err == nil {
			err = r.Err
		}
		if err != nil {
			t.Fatalf("create %s: %v", topic, err)
		}
	}
	mustCreate("keep-a", 2, map[string]*string{"retention.ms": kadm.StringPtr("1111111")})
	mustCreate("keep-b", 1, nil)
	mustCreate("gone", 3, nil)
	if _, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "retention.ms", Value: kadm.StringPtr("2222222")}}, "keep-b"); err != nil {
		t.Fatalf("alter configs: %v", err)
	}
	if _, err := adm.UpdatePartitions(ctx, 5, "keep-a"); err != nil {
		t.Fatalf("create partitions: %v", err)
	}
	if _, err := adm.DeleteTopics(ctx, "gone"); err != nil {
		t.Fatalf("delete topic: %v", err)
	}
	var rs []*kgo.Record
	for p := int32(0); p < 5; p++ {
		for i := 0; i < 10; i++ {
			rs = append(rs, &kgo.Record{Topic: "keep-a", Partition: p, Value: []byte("a")})
		}
	}
	for i := 0; i < 10; i++ {
		rs = append(rs, &kgo.Record{Topic: "keep-b", Partition: 0, Value: []byte("b")})
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	if _, err := adm.DeleteRecords(ctx, kadm.Offsets{"keep-b": {0: {Topic: "keep-b", Partition: 0, At: 4}}}); err != nil {
		t.Fatalf("delete records: %v", err)
	}
	want := snapshot(t, b, "keep-a", "keep-b")
	if want.partitions["keep-a"] != 5 || want.retention["keep-b"] != "2222222" || want.starts["keep-b"] != 4 {
		t.Fatalf("state before restart is not what was asked: %+v", want)
	}

	for _, how := range []string{"SIGKILL", "SIGTERM"} {
		if how == "SIGKILL" {
			b.Kill()
		} else if err := b.Stop(); err != nil {
			t.Errorf("SIGTERM: %v", err)
		}
		b.Restart(t)
		got := snapshot(t, b, "keep-a", "keep-b")
		for name, id := range want.ids {
			if got.ids[name] != id {
				t.Errorf("after %s: topic %s id %v, was %v", how, name, got.ids[name], id)
			}
		}
		if _, ok := got.ids["gone"]; ok {
			t.Errorf("after %s: deleted topic is back", how)
		}
		for _, name := range []string{"keep-a", "keep-b"} {
			if got.partitions[name] != want.partitions[name] || got.retention[name] != want.retention[name] ||
				got.starts[name] != want.starts[name] || got.ends[name] != want.ends[name] {
				t.Errorf("after %s: %s partitions %d retention %s offsets [%d,%d); was %d %s [%d,%d)", how, name,
					got.partitions[name], got.retention[name], got.starts[name], got.ends[name],
					want.partitions[name], want.retention[name], want.starts[name], want.ends[name])
			}
		}
	}
}
