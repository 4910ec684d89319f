package compat

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/tests/kcheck"
	"github.com/gregor-stream/gregor/tests/testbroker"
)

func topicConfigs(t *testing.T, adm *kadm.Client, topic string) map[string]kadm.Config {
	t.Helper()
	rcs, err := adm.DescribeTopicConfigs(ctxT(t), topic)
	if err != nil {
		t.Fatalf("describe configs %s: %v", topic, err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil {
		t.Fatalf("describe configs %s: %v", topic, err)
	}
	if rc.Err != nil {
		t.Fatalf("describe configs %s: %v (%s)", topic, rc.Err, rc.ErrMessage)
	}
	out := map[string]kadm.Config{}
	for _, c := range rc.Configs {
		out[c.Key] = c
	}
	return out
}

func configValue(cfg map[string]kadm.Config, key string) string {
	c, ok := cfg[key]
	if !ok {
		return "<absent>"
	}
	if c.Value == nil {
		return "<null>"
	}
	return *c.Value
}

// TestTopicAdmin walks a topic through its admin life with kadm:
// CreateTopics with configs, Metadata with topic ids, CreatePartitions,
// DescribeConfigs, IncrementalAlterConfigs and DeleteTopics, plus the error
// codes for the usual mistakes.
func TestTopicAdmin(t *testing.T) {
	b := testbroker.Start(t)
	adm := newAdmin(t, b)
	const topic, other = "admin-a", "admin-b"
	createTopic(t, adm, topic, 2, map[string]*string{
		"retention.ms":   kmsg.StringPtr("1234567"),
		"cleanup.policy": kmsg.StringPtr("compact"),
	})
	createTopic(t, adm, other, 1, nil)

	resp, err := adm.CreateTopic(ctxT(t), 1, 1, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if !errors.Is(err, kerr.TopicAlreadyExists) {
		t.Errorf("create an existing topic: %v, want TOPIC_ALREADY_EXISTS", err)
	}
	resp, err = adm.CreateTopic(ctxT(t), 1, 1, nil, "bad/name")
	if err == nil {
		err = resp.Err
	}
	if !errors.Is(err, kerr.InvalidTopicException) {
		t.Errorf("create topic %q: %v, want INVALID_TOPIC_EXCEPTION", "bad/name", err)
	}

	details, err := adm.ListTopics(ctxT(t), topic, other)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	a, bt := details[topic], details[other]
	if a.Err != nil || bt.Err != nil {
		t.Fatalf("metadata errors: %v, %v", a.Err, bt.Err)
	}
	if a.ID == (kadm.TopicID{}) || bt.ID == (kadm.TopicID{}) || a.ID == bt.ID {
		t.Errorf("topic ids %v and %v: want two distinct non-zero ids", a.ID, bt.ID)
	}
	if len(a.Partitions) != 2 {
		t.Errorf("%s has %d partitions, created with 2", topic, len(a.Partitions))
	}
	for _, p := range a.Partitions {
		if p.Leader != int32(b.NodeID) || len(p.Replicas) != 1 || len(p.ISR) != 1 {
			t.Errorf("%s/%d: leader %d replicas %v isr %v, want node %d alone", topic, p.Partition, p.Leader, p.Replicas, p.ISR, b.NodeID)
		}
	}
	id, err := kcheck.TopicID(ctxT(t), newKgo(t, b), topic)
	if err != nil || id != [16]byte(a.ID) {
		t.Errorf("topic id changed between metadata requests: %v then %v (%v)", a.ID, id, err)
	}

	cfg := topicConfigs(t, adm, topic)
	if v := configValue(cfg, "retention.ms"); v != "1234567" {
		t.Errorf("retention.ms = %s, created with 1234567", v)
	} else if s := cfg["retention.ms"].Source; s != kmsg.ConfigSourceDynamicTopicConfig {
		t.Errorf("retention.ms source %v, want DYNAMIC_TOPIC_CONFIG", s)
	}
	if v := configValue(cfg, "cleanup.policy"); v != "compact" {
		t.Errorf("cleanup.policy = %s, created with compact", v)
	}
	if _, ok := cfg["segment.bytes"]; !ok {
		t.Errorf("segment.bytes missing from DescribeConfigs (defaults must be listed)")
	}

	alter, err := adm.AlterTopicConfigs(ctxT(t), []kadm.AlterConfig{
		{Op: kadm.SetConfig, Name: "retention.ms", Value: kmsg.StringPtr("7654321")},
		{Op: kadm.DeleteConfig, Name: "cleanup.policy"},
	}, topic)
	if err != nil {
		t.Fatalf("incremental alter configs: %v", err)
	}
	for _, r := range alter {
		if r.Err != nil {
			t.Errorf("incremental alter %s: %v (%s)", r.Name, r.Err, r.ErrMessage)
		}
	}
	cfg = topicConfigs(t, adm, topic)
	if v := configValue(cfg, "retention.ms"); v != "7654321" {
		t.Errorf("retention.ms = %s after setting 7654321", v)
	}
	if v := configValue(cfg, "cleanup.policy"); v != "delete" {
		t.Errorf("cleanup.policy = %s after deleting the override, want the default delete", v)
	}
	alter, err = adm.AlterTopicConfigs(ctxT(t), []kadm.AlterConfig{
		{Op: kadm.SetConfig, Name: "no.such.config", Value: kmsg.StringPtr("1")},
	}, topic)
	if err == nil && len(alter) == 1 {
		err = alter[0].Err
	}
	if !errors.Is(err, kerr.InvalidConfig) {
		t.Errorf("set an unknown config: %v, want INVALID_CONFIG", err)
	}

	cp, err := adm.UpdatePartitions(ctxT(t), 4, topic)
	if err != nil {
		t.Fatalf("create partitions: %v", err)
	}
	if r, ok := cp[topic]; !ok || r.Err != nil {
		t.Errorf("create partitions %s: %+v", topic, r)
	}
	details, err = adm.ListTopics(ctxT(t), topic)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	if n := len(details[topic].Partitions); n != 4 {
		t.Errorf("%s has %d partitions after growing to 4", topic, n)
	}
	if details[topic].ID != a.ID {
		t.Errorf("topic id changed by CreatePartitions: %v -> %v", a.ID, details[topic].ID)
	}
	cl := newKgo(t, b, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	res := cl.ProduceSync(ctxT(t), &kgo.Record{Topic: topic, Partition: 3, Value: []byte("new partition")})
	if err := res.FirstErr(); err != nil {
		t.Errorf("produce to new partition 3: %v", err)
	}
	cp, err = adm.UpdatePartitions(ctxT(t), 2, topic)
	if err == nil {
		err = cp[topic].Err
	}
	if !errors.Is(err, kerr.InvalidPartitions) {
		t.Errorf("shrink partitions 4 -> 2: %v, want INVALID_PARTITIONS", err)
	}

	dr, err := adm.DeleteTopics(ctxT(t), topic)
	if err != nil {
		t.Fatalf("delete topics: %v", err)
	}
	if r := dr[topic]; r.Err != nil {
		t.Errorf("delete %s: %v", topic, r.Err)
	}
	details, err = adm.ListTopics(ctxT(t))
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	if _, ok := details[topic]; ok {
		t.Errorf("%s still listed after DeleteTopics", topic)
	}
	if _, ok := details[other]; !ok {
		t.Errorf("%s vanished when %s was deleted", other, topic)
	}
	dr, err = adm.DeleteTopics(ctxT(t), topic)
	if err == nil {
		err = dr[topic].Err
	}
	if !errors.Is(err, kerr.UnknownTopicOrPartition) {
		t.Errorf("delete a deleted topic: %v, want UNKNOWN_TOPIC_OR_PARTITION", err)
	}
}

// TestOffsetsAdmin covers ListOffsets (earliest, latest, by timestamp),
// DeleteRecords, and OFFSET_OUT_OF_RANGE on both sides of the log.
func TestOffsetsAdmin(t *testing.T) {
	b := testbroker.Start(t)
	adm := newAdmin(t, b)
	const topic = "offsets"
	createTopic(t, adm, topic, 1, nil)

	const n = 10
	t0 := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	cl := newKgo(t, b, kgo.DefaultProduceTopic(topic))
	for i := 0; i < n; i++ {
		// One record per request: each its own batch, each its own timestamp.
		r := &kgo.Record{Value: []byte("r" + strconv.Itoa(i)), Timestamp: t0.Add(time.Duration(i) * time.Second)}
		if err := cl.ProduceSync(ctxT(t), r).FirstErr(); err != nil {
			t.Fatalf("produce %d: %v", i, err)
		}
	}

	listed := func(lo kadm.ListedOffsets, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatalf("list offsets: %v", err)
		}
		o, ok := lo.Lookup(topic, 0)
		if !ok || o.Err != nil {
			t.Fatalf("list offsets: %+v", o)
		}
		return o.Offset
	}
	if got := listed(adm.ListStartOffsets(ctxT(t), topic)); got != 0 {
		t.Errorf("earliest offset %d, want 0", got)
	}
	if got := listed(adm.ListEndOffsets(ctxT(t), topic)); got != n {
		t.Errorf("latest offset %d, want %d", got, n)
	}
	at := t0.Add(3500 * time.Millisecond).UnixMilli()
	if got := listed(adm.ListOffsetsAfterMilli(ctxT(t), at, topic)); got != 4 {
		t.Errorf("first offset with timestamp >= t0+3.5s is %d, want 4", got)
	}
	at = t0.Add(3 * time.Second).UnixMilli()
	if got := listed(adm.ListOffsetsAfterMilli(ctxT(t), at, topic)); got != 3 {
		t.Errorf("first offset with timestamp >= t0+3s is %d, want 3", got)
	}
	// Past every record Kafka answers offset -1; kadm maps it to the end.
	at = t0.Add(time.Hour).UnixMilli()
	if got := listed(adm.ListOffsetsAfterMilli(ctxT(t), at, topic)); got != n {
		t.Errorf("offset for a timestamp after all records is %d, want the end %d", got, n)
	}

	// KIP-734: timestamp -3 asks for the record with the largest timestamp.
	lreq := kmsg.NewPtrListOffsetsRequest()
	lreq.ReplicaID = -1
	lt := kmsg.NewListOffsetsRequestTopic()
	lt.Topic = topic
	lp := kmsg.NewListOffsetsRequestTopicPartition()
	lp.Partition, lp.Timestamp, lp.CurrentLeaderEpoch = 0, -3, -1
	lt.Partitions = append(lt.Partitions, lp)
	lreq.Topics = append(lreq.Topics, lt)
	lresp, err := lreq.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatalf("list offsets max timestamp: %v", err)
	}
	if lresp.Version < 7 {
		t.Errorf("ListOffsets negotiated v%d; max-timestamp lookup needs v7", lresp.Version)
	} else if len(lresp.Topics) != 1 || len(lresp.Topics[0].Partitions) != 1 {
		t.Errorf("list offsets max timestamp: response shape %+v", lresp.Topics)
	} else if p := lresp.Topics[0].Partitions[0]; p.ErrorCode != 0 || p.Offset != n-1 || p.Timestamp != t0.Add((n-1)*time.Second).UnixMilli() {
		t.Errorf("max timestamp: offset %d ts %d (%v), want offset %d ts %d", p.Offset, p.Timestamp,
			kerr.ErrorForCode(p.ErrorCode), n-1, t0.Add((n-1)*time.Second).UnixMilli())
	}

	del, err := adm.DeleteRecords(ctxT(t), kadm.Offsets{topic: {0: {Topic: topic, Partition: 0, At: 5}}})
	if err != nil {
		t.Fatalf("delete records: %v", err)
	}
	if r, ok := del.Lookup(topic, 0); !ok || r.Err != nil || r.LowWatermark != 5 {
		t.Errorf("delete records before 5: %+v, want low watermark 5", r)
	}
	if got := listed(adm.ListStartOffsets(ctxT(t), topic)); got != 5 {
		t.Errorf("earliest offset %d after DeleteRecords(5), want 5", got)
	}
	del, err = adm.DeleteRecords(ctxT(t), kadm.Offsets{topic: {0: {Topic: topic, Partition: 0, At: n + 5}}})
	if err == nil {
		r, _ := del.Lookup(topic, 0)
		err = r.Err
	}
	if !errors.Is(err, kerr.OffsetOutOfRange) {
		t.Errorf("delete records beyond the high watermark: %v, want OFFSET_OUT_OF_RANGE", err)
	}

	raw := newKgo(t, b)
	for _, off := range []int64{2, n + 1} {
		_, _, _, err := kcheck.FetchAll(ctxT(t), raw, topic, 0, off)
		if !errors.Is(err, kerr.OffsetOutOfRange) {
			t.Errorf("fetch at offset %d (log is [5, %d)): %v, want OFFSET_OUT_OF_RANGE", off, n, err)
		}
	}
	batches, hw, logStart, err := kcheck.FetchAll(ctxT(t), raw, topic, 0, 5)
	if err != nil {
		t.Fatalf("fetch from 5: %v", err)
	}
	if hw != n || logStart != 5 {
		t.Errorf("fetch says high watermark %d log start %d, want %d and 5", hw, logStart, n)
	}
	if len(batches) != n-5 || len(batches) > 0 && batches[0].BaseOffset != 5 {
		t.Errorf("fetch from 5 gave %d batches, want %d starting at 5", len(batches), n-5)
	}

	got := consumeKgo(t, b, topic, n-5)
	for i, r := range got {
		if r.Offset != int64(5+i) || string(r.Value) != "r"+strconv.Itoa(5+i) {
			t.Errorf("consumed #%d: offset %d value %q, want offset %d value r%d", i, r.Offset, r.Value, 5+i, 5+i)
		}
	}
}

// TestLogDirsAndCluster: DescribeLogDirs reports the bytes a partition
// holds, and DescribeCluster names this node as broker and controller.
func TestLogDirsAndCluster(t *testing.T) {
	b := testbroker.Start(t)
	adm := newAdmin(t, b)
	const topic = "logdirs"
	createTopic(t, adm, topic, 1, nil)
	cl := newKgo(t, b, kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(kgo.NoCompression()))
	var rs []*kgo.Record
	for i := 0; i < 200; i++ {
		rs = append(rs, &kgo.Record{Value: make([]byte, 1000)})
	}
	if err := cl.ProduceSync(ctxT(t), rs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	dirs, err := adm.DescribeBrokerLogDirs(ctxT(t), int32(b.NodeID), kadm.TopicsSet{topic: {0: {}}})
	if err != nil {
		t.Fatalf("describe log dirs: %v", err)
	}
	if err := dirs.Error(); err != nil {
		t.Fatalf("describe log dirs: %v", err)
	}
	p, ok := dirs.LookupPartition(topic, 0)
	if !ok {
		t.Fatalf("log dirs do not list %s/0: %+v", topic, dirs)
	}
	if p.Size < 200*1000 || p.Size > 400*1000 {
		t.Errorf("%s/0 size %d bytes, wrote 200 records of 1000 bytes", topic, p.Size)
	}

	md, err := adm.BrokerMetadata(ctxT(t))
	if err != nil {
		t.Fatalf("describe cluster: %v", err)
	}
	if md.Controller != int32(b.NodeID) || len(md.Brokers) != 1 || md.Brokers[0].NodeID != int32(b.NodeID) || md.Cluster == "" {
		t.Errorf("cluster %q controller %d brokers %+v, want node %d as both", md.Cluster, md.Controller, md.Brokers, b.NodeID)
	}
}

// TestRecreateTopic: a topic deleted and created again under the same name
// is a new, empty topic with a new id; none of the old records come back,
// also after a restart.
func TestRecreateTopic(t *testing.T) {
	b := testbroker.Start(t)
	adm := newAdmin(t, b)
	const topic = "phoenix"
	createTopic(t, adm, topic, 2, nil)
	details, err := adm.ListTopics(ctxT(t), topic)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	oldID := details[topic].ID
	cl := newKgo(t, b, kgo.DefaultProduceTopic(topic))
	for i := 0; i < 20; i++ {
		if err := cl.ProduceSync(ctxT(t), &kgo.Record{Value: []byte("old")}).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	if r, err := adm.DeleteTopics(ctxT(t), topic); err != nil || r[topic].Err != nil {
		t.Fatalf("delete: %v %v", err, r[topic].Err)
	}
	// Deletion may take a moment; Kafka answers TOPIC_ALREADY_EXISTS (or
	// a retriable error) until it is done.
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := adm.CreateTopic(ctxT(t), 2, 1, nil, topic)
		if err == nil {
			err = resp.Err
		}
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("recreate %s: %v", topic, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	check := func(when string) {
		t.Helper()
		// A fresh client: franz-go caches metadata answers for a while.
		adm := newAdmin(t, b)
		details, err := adm.ListTopics(ctxT(t), topic)
		if err != nil {
			t.Fatalf("metadata: %v", err)
		}
		if id := details[topic].ID; id == oldID || id == (kadm.TopicID{}) {
			t.Errorf("%s: recreated topic has id %v, the old one had %v", when, id, oldID)
		}
		ends := endOffsets(t, adm, topic)
		if n := total(ends); n != 1 {
			t.Errorf("%s: recreated topic holds %d records, want only the 1 new one (%v)", when, n, ends)
		}
	}
	// A new client: a franz-go client from before the delete keeps getting
	// UNKNOWN_TOPIC_ID; this test is about what the broker stores.
	cl = newKgo(t, b, kgo.DefaultProduceTopic(topic))
	if err := cl.ProduceSync(ctxT(t), &kgo.Record{Value: []byte("new")}).FirstErr(); err != nil {
		t.Fatalf("produce to the recreated topic: %v", err)
	}
	check("before restart")
	b.Kill()
	b.Restart(t)
	check("after kill -9 and restart")
	got := consumeKgo(t, b, topic, 1)
	for _, r := range got {
		if string(r.Value) != "new" {
			t.Errorf("recreated topic serves %q at p%d@%d", r.Value, r.Partition, r.Offset)
		}
	}
}
