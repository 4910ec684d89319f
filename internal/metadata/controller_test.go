package metadata

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gregor-stream/gregor/internal/config"
)

func TestCreateTopicsValidation(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	if r := n.CreateTopics(ctx, []CreateTopic{{Name: "exists", NumPartitions: 1, ReplicationFactor: 1}}, false); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	if r := n.CreateTopics(ctx, []CreateTopic{{Name: "a.b", NumPartitions: 1, ReplicationFactor: 1}}, false); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	long := strings.Repeat("x", 250)
	cases := []struct {
		name string
		req  CreateTopic
		want error
	}{
		{"empty name", CreateTopic{Name: "", NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic},
		{"dot", CreateTopic{Name: ".", NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic},
		{"dotdot", CreateTopic{Name: "..", NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic},
		{"too long", CreateTopic{Name: long, NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic},
		{"bad char", CreateTopic{Name: "a/b", NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic},
		{"space", CreateTopic{Name: "a b", NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic},
		{"collision", CreateTopic{Name: "a_b", NumPartitions: 1, ReplicationFactor: 1}, ErrInvalidTopic},
		{"exists", CreateTopic{Name: "exists", NumPartitions: 1, ReplicationFactor: 1}, ErrTopicExists},
		{"zero partitions", CreateTopic{Name: "p0", NumPartitions: 0, ReplicationFactor: 1}, ErrInvalidPartitions},
		{"negative partitions", CreateTopic{Name: "pn", NumPartitions: -2, ReplicationFactor: 1}, ErrInvalidPartitions},
		{"zero rf", CreateTopic{Name: "rf0", NumPartitions: 1, ReplicationFactor: 0}, ErrInvalidReplicationFactor},
		{"rf over brokers", CreateTopic{Name: "rf2", NumPartitions: 1, ReplicationFactor: 2}, ErrInvalidReplicationFactor},
		{"unknown config", CreateTopic{Name: "c1", NumPartitions: 1, ReplicationFactor: 1, Configs: map[string]string{"retention.mss": "1"}}, ErrInvalidConfig},
		{"bad config", CreateTopic{Name: "c2", NumPartitions: 1, ReplicationFactor: 1, Configs: map[string]string{"cleanup.policy": "shred"}}, ErrInvalidConfig},
		{"assignment and count", CreateTopic{Name: "as1", NumPartitions: 1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1}}}, ErrInvalidRequest},
		{"assignment gap", CreateTopic{Name: "as2", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1}, 2: {1}}}, ErrInvalidReplicaAssignment},
		{"assignment unknown broker", CreateTopic{Name: "as3", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {7}}}, ErrInvalidReplicaAssignment},
		{"assignment duplicate replica", CreateTopic{Name: "as4", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1, 1}}}, ErrInvalidReplicaAssignment},
		{"assignment empty", CreateTopic{Name: "as5", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {}}}, ErrInvalidReplicaAssignment},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, validateOnly := range []bool{true, false} {
				r := n.CreateTopics(ctx, []CreateTopic{c.req}, validateOnly)
				if !errors.Is(r[0].Err, c.want) {
					t.Errorf("validateOnly=%v: err = %v, want %v", validateOnly, r[0].Err, c.want)
				}
			}
		})
	}
	if got := len(n.Image().Topics); got != 2 {
		t.Errorf("%d topics after failed creations, want 2", got)
	}

	// Duplicates in one request fail every copy; other topics still succeed.
	r := n.CreateTopics(ctx, []CreateTopic{
		{Name: "dup", NumPartitions: 1, ReplicationFactor: 1},
		{Name: "ok", NumPartitions: 2, ReplicationFactor: 1},
		{Name: "dup", NumPartitions: 1, ReplicationFactor: 1},
	}, false)
	if !errors.Is(r[0].Err, ErrInvalidRequest) || !errors.Is(r[2].Err, ErrInvalidRequest) || r[1].Err != nil {
		t.Errorf("duplicates: %v / %v / %v", r[0].Err, r[1].Err, r[2].Err)
	}
	if n.Image().Topic("dup") != nil || n.Image().Topic("ok") == nil {
		t.Error("duplicate created or valid topic missing")
	}

	// validateOnly changes nothing.
	r = n.CreateTopics(ctx, []CreateTopic{{Name: "dry", NumPartitions: 4, ReplicationFactor: 1}}, true)
	if r[0].Err != nil || r[0].NumPartitions != 4 || n.Image().Topic("dry") != nil {
		t.Errorf("validate only: %+v, exists=%v", r[0], n.Image().Topic("dry") != nil)
	}

	// An explicit assignment is honoured.
	r = n.CreateTopics(ctx, []CreateTopic{{Name: "assigned", NumPartitions: -1, ReplicationFactor: -1, Assignments: map[int32][]int32{0: {1}, 1: {1}}}}, false)
	if r[0].Err != nil || len(n.Image().Topic("assigned").Partitions) != 2 {
		t.Errorf("assigned: %v", r[0].Err)
	}
	// Result configs report sources.
	r = n.CreateTopics(ctx, []CreateTopic{{Name: "cfg", NumPartitions: 1, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "5"}}}, false)
	found := false
	for _, v := range r[0].Configs {
		if v.Name == "retention.ms" {
			found = v.Value == "5" && v.Source == 1
		}
	}
	if !found {
		t.Error("result configs lack the retention.ms override")
	}
}

func TestDeleteTopics(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	r := n.CreateTopics(ctx, []CreateTopic{
		{Name: "t1", NumPartitions: 1, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "7"}},
		{Name: "t2", NumPartitions: 1, ReplicationFactor: 1},
	}, false)
	id2 := r[1].ID
	var unknown [16]byte
	unknown[0] = 9
	d := n.DeleteTopics(ctx, []string{"t1", "nope"}, [][16]byte{id2, unknown})
	if d[0].Err != nil || !errors.Is(d[1].Err, ErrUnknownTopic) || d[2].Err != nil || d[2].Name != "t2" || !errors.Is(d[3].Err, ErrUnknownTopicID) {
		t.Fatalf("results %+v", d)
	}
	img := n.Image()
	if len(img.Topics) != 0 || len(img.TopicsByID) != 0 || len(img.TopicConfigs) != 0 {
		t.Errorf("left behind: %v %v", img.TopicNames(), img.TopicConfigs)
	}
	// The name is free again, with a new id.
	r2 := n.CreateTopics(ctx, []CreateTopic{{Name: "t2", NumPartitions: 1, ReplicationFactor: 1}}, false)
	if r2[0].Err != nil || r2[0].ID == id2 {
		t.Errorf("recreate: %v", r2[0].Err)
	}
}

func TestDeleteTopicsDisabled(t *testing.T) {
	b, err := config.LoadBroker("", nil, map[string]string{"delete.topic.enable": "false"})
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t, t.TempDir(), freeAddr(t), b)
	defer n.Close()
	ctx := context.Background()
	n.RegisterBroker(ctx, Broker{ID: 1, Host: "127.0.0.1", Port: 9092})
	n.CreateTopics(ctx, []CreateTopic{{Name: "keep", NumPartitions: 1, ReplicationFactor: 1}}, false)
	d := n.DeleteTopics(ctx, []string{"keep"}, nil)
	if !errors.Is(d[0].Err, ErrTopicDeletionDisabled) || n.Image().Topic("keep") == nil {
		t.Errorf("delete with deletion disabled: %v", d[0].Err)
	}
}

func TestCreatePartitions(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	n.CreateTopics(ctx, []CreateTopic{{Name: "grow", NumPartitions: 2, ReplicationFactor: 1}}, false)
	id := n.Image().Topic("grow").ID
	cases := []struct {
		req  CreatePartitions
		want error
	}{
		{CreatePartitions{Topic: "nope", Count: 3}, ErrUnknownTopic},
		{CreatePartitions{Topic: "grow", Count: 2}, ErrInvalidPartitions},
		{CreatePartitions{Topic: "grow", Count: 1}, ErrInvalidPartitions},
		{CreatePartitions{Topic: "grow", Count: 4, Assignments: [][]int32{{1}}}, ErrInvalidReplicaAssignment},
		{CreatePartitions{Topic: "grow", Count: 3, Assignments: [][]int32{{5}}}, ErrInvalidReplicaAssignment},
	}
	for _, c := range cases {
		if r := n.CreatePartitions(ctx, []CreatePartitions{c.req}, false); !errors.Is(r[0].Err, c.want) {
			t.Errorf("%+v: %v, want %v", c.req, r[0].Err, c.want)
		}
	}
	if r := n.CreatePartitions(ctx, []CreatePartitions{{Topic: "grow", Count: 5}}, true); r[0].Err != nil || len(n.Image().Topic("grow").Partitions) != 2 {
		t.Errorf("validate only: %v", r[0].Err)
	}
	if r := n.CreatePartitions(ctx, []CreatePartitions{{Topic: "grow", Count: 5}}, false); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	tp := n.Image().Topic("grow")
	if len(tp.Partitions) != 5 || tp.ID != id {
		t.Fatalf("after grow: %d partitions", len(tp.Partitions))
	}
	for i, p := range tp.Partitions {
		if p.Partition != int32(i) || p.Leader != 1 {
			t.Errorf("partition %+v", p)
		}
	}
	if r := n.CreatePartitions(ctx, []CreatePartitions{{Topic: "grow", Count: 6, Assignments: [][]int32{{1}}}}, false); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	if p, ok := n.Image().Partition("grow", 5); !ok || p.Leader != 1 {
		t.Errorf("partition 5: %+v %v", p, ok)
	}
	if _, ok := n.Image().Partition("grow", 6); ok {
		t.Error("partition 6 exists")
	}
}

func strp(s string) *string { return &s }

func TestAlterConfigs(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	n.CreateTopics(ctx, []CreateTopic{{Name: "t", NumPartitions: 1, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "100", "segment.ms": "5000"}}}, false)

	// Incremental: set one, delete one, append to a list.
	r := n.AlterConfigs(ctx, []AlterConfig{{ResourceType: ResourceTopic, Name: "t", Ops: []ConfigOp{
		{Name: "retention.ms", Value: strp("200"), Op: OpSet},
		{Name: "segment.ms", Op: OpDelete},
		{Name: "cleanup.policy", Value: strp("compact"), Op: OpAppend},
	}}}, true, false)
	if r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	got := n.Image().TopicConfigs["t"]
	if got["retention.ms"] != "200" || got["cleanup.policy"] != "delete,compact" || len(got) != 2 {
		t.Errorf("after incremental: %v", got)
	}
	r = n.AlterConfigs(ctx, []AlterConfig{{ResourceType: ResourceTopic, Name: "t", Ops: []ConfigOp{
		{Name: "cleanup.policy", Value: strp("delete"), Op: OpSubtract},
	}}}, true, false)
	if r[0].Err != nil || n.Image().TopicConfigs["t"]["cleanup.policy"] != "compact" {
		t.Errorf("subtract: %v %v", r[0].Err, n.Image().TopicConfigs["t"])
	}

	// Non-incremental replaces the whole set.
	r = n.AlterConfigs(ctx, []AlterConfig{{ResourceType: ResourceTopic, Name: "t", Ops: []ConfigOp{
		{Name: "max.message.bytes", Value: strp("2000")},
	}}}, false, false)
	if r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	if got := n.Image().TopicConfigs["t"]; len(got) != 1 || got["max.message.bytes"] != "2000" {
		t.Errorf("after replace: %v", got)
	}

	// Broker resources: cluster default and one node.
	r = n.AlterConfigs(ctx, []AlterConfig{
		{ResourceType: ResourceBroker, Name: "", Ops: []ConfigOp{{Name: "log.retention.ms", Value: strp("1000"), Op: OpSet}}},
		{ResourceType: ResourceBroker, Name: "1", Ops: []ConfigOp{{Name: "log.retention.ms", Value: strp("2000"), Op: OpSet}}},
	}, true, false)
	if r[0].Err != nil || r[1].Err != nil {
		t.Fatal(r[0].Err, r[1].Err)
	}
	if tc := n.Image().TopicConfig("t", 1, nil); tc.RetentionMs != 2000 {
		t.Errorf("node 1 retention %d", tc.RetentionMs)
	}
	if tc := n.Image().TopicConfig("t", 2, nil); tc.RetentionMs != 1000 {
		t.Errorf("node 2 retention %d", tc.RetentionMs)
	}

	bad := []struct {
		name string
		req  AlterConfig
		want error
	}{
		{"unknown topic", AlterConfig{ResourceType: ResourceTopic, Name: "nope", Ops: []ConfigOp{{Name: "retention.ms", Value: strp("1")}}}, ErrUnknownTopic},
		{"unknown key", AlterConfig{ResourceType: ResourceTopic, Name: "t", Ops: []ConfigOp{{Name: "retention.mss", Value: strp("1")}}}, ErrInvalidConfig},
		{"bad value", AlterConfig{ResourceType: ResourceTopic, Name: "t", Ops: []ConfigOp{{Name: "retention.ms", Value: strp("soon")}}}, ErrInvalidConfig},
		{"append to non-list", AlterConfig{ResourceType: ResourceTopic, Name: "t", Ops: []ConfigOp{{Name: "retention.ms", Value: strp("1"), Op: OpAppend}}}, ErrInvalidConfig},
		{"twice", AlterConfig{ResourceType: ResourceTopic, Name: "t", Ops: []ConfigOp{{Name: "retention.ms", Value: strp("1")}, {Name: "retention.ms", Op: OpDelete}}}, ErrInvalidRequest},
		{"static broker config", AlterConfig{ResourceType: ResourceBroker, Name: "", Ops: []ConfigOp{{Name: "num.partitions", Value: strp("3")}}}, ErrInvalidConfig},
		{"bad broker name", AlterConfig{ResourceType: ResourceBroker, Name: "one", Ops: []ConfigOp{{Name: "log.retention.ms", Value: strp("3")}}}, ErrInvalidRequest},
		{"bad resource", AlterConfig{ResourceType: 99, Name: "x"}, ErrInvalidRequest},
		{"bad op", AlterConfig{ResourceType: ResourceTopic, Name: "t", Ops: []ConfigOp{{Name: "retention.ms", Value: strp("1"), Op: 9}}}, ErrInvalidRequest},
	}
	before := n.Image().Offset
	for _, c := range bad {
		if r := n.AlterConfigs(ctx, []AlterConfig{c.req}, true, false); !errors.Is(r[0].Err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, r[0].Err, c.want)
		}
	}
	if n.Image().Offset != before {
		t.Error("a rejected alter changed the image")
	}
	// validateOnly changes nothing.
	r = n.AlterConfigs(ctx, []AlterConfig{{ResourceType: ResourceTopic, Name: "t", Ops: []ConfigOp{{Name: "retention.ms", Value: strp("9"), Op: OpSet}}}}, true, true)
	if r[0].Err != nil || n.Image().TopicConfigs["t"]["retention.ms"] != "" {
		t.Errorf("validate only: %v %v", r[0].Err, n.Image().TopicConfigs["t"])
	}
}

func TestProducerIDsSurviveRestart(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	a, err := n.AllocateProducerIDs(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	b, err := n.AllocateProducerIDs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if b != a+1000 {
		t.Errorf("blocks overlap or skip: %d then %d", a, b)
	}
	if _, err := n.AllocateProducerIDs(ctx, 0); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("zero block: %v", err)
	}
	m := n.restart(t)
	c, err := m.AllocateProducerIDs(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if c != b+10 {
		t.Errorf("after restart got %d, want %d", c, b+10)
	}
}

func TestNotControllerAfterClose(t *testing.T) {
	n := newNode(t)
	n.Close()
	r := n.CreateTopics(context.Background(), []CreateTopic{{Name: "x", NumPartitions: 1, ReplicationFactor: 1}}, false)
	if r[0].Err == nil {
		t.Error("closed node created a topic")
	}
	if _, err := n.AllocateProducerIDs(context.Background(), 1); err == nil {
		t.Error("closed node allocated producer ids")
	}
}
