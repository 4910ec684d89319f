package compat

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/tests/kcheck"
	"github.com/gregor-stream/gregor/tests/testbroker"
)

// TestTopicConfigsTakeEffect checks that topic configs change what the
// broker does, not only what DescribeConfigs says: LogAppendTime
// timestamps, a per-topic max.message.bytes, and topic-level compression.
func TestTopicConfigsTakeEffect(t *testing.T) {
	b := testbroker.Start(t)
	adm := newAdmin(t, b)

	t.Run("message.timestamp.type=LogAppendTime", func(t *testing.T) {
		const topic = "log-append-time"
		createTopic(t, adm, topic, 1, map[string]*string{"message.timestamp.type": kadm.StringPtr("LogAppendTime")})
		cl := newKgo(t, b, kgo.DefaultProduceTopic(topic))
		sentTS := time.Now().Add(-time.Hour)
		before := time.Now().Add(-time.Second)
		if err := cl.ProduceSync(ctxT(t), &kgo.Record{Value: []byte("v"), Timestamp: sentTS}).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
		after := time.Now().Add(time.Second)
		kc := newKgo(t, b, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
		fs := kc.PollFetches(ctxT(t))
		var got []*kgo.Record
		fs.EachRecord(func(r *kgo.Record) { got = append(got, r) })
		if len(got) != 1 {
			t.Fatalf("consumed %d records: %v", len(got), fs.Errors())
		}
		r := got[0]
		if r.Attrs.TimestampType() != 1 {
			t.Errorf("timestamp type %d, want 1 (LogAppendTime)", r.Attrs.TimestampType())
		}
		if r.Timestamp.Before(before) || r.Timestamp.After(after) {
			t.Errorf("timestamp %v, want the append time (between %v and %v), not the sent %v", r.Timestamp, before, after, sentTS)
		}
	})

	t.Run("max.message.bytes", func(t *testing.T) {
		const topic = "small-messages"
		createTopic(t, adm, topic, 1, map[string]*string{"max.message.bytes": kadm.StringPtr("10000")})
		cl := newKgo(t, b, kgo.DefaultProduceTopic(topic), kgo.RecordRetries(0), kgo.ProducerBatchCompression(kgo.NoCompression()))
		if err := cl.ProduceSync(ctxT(t), &kgo.Record{Value: []byte(strings.Repeat("s", 1000))}).FirstErr(); err != nil {
			t.Fatalf("produce 1 KB: %v", err)
		}
		err := cl.ProduceSync(ctxT(t), &kgo.Record{Value: []byte(strings.Repeat("b", 50000))}).FirstErr()
		if !errors.Is(err, kerr.MessageTooLarge) {
			t.Errorf("50 KB record to a topic with max.message.bytes=10000: %v, want MESSAGE_TOO_LARGE", err)
		}
	})

	t.Run("compression.type=gzip", func(t *testing.T) {
		const topic = "recompressed"
		createTopic(t, adm, topic, 1, map[string]*string{"compression.type": kadm.StringPtr("gzip")})
		cl := newKgo(t, b, kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(kgo.NoCompression()))
		var rs []*kgo.Record
		for i := 0; i < 20; i++ {
			rs = append(rs, &kgo.Record{Key: []byte{byte('a' + i)}, Value: []byte(strings.Repeat("compress me ", 20))})
		}
		if err := cl.ProduceSync(ctxT(t), rs...).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
		batches, _, _, err := kcheck.FetchAll(ctxT(t), newKgo(t, b), topic, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, bt := range batches {
			if bt.Codec() != "gzip" {
				t.Errorf("batch at %d stored as %s, topic compression.type is gzip", bt.BaseOffset, bt.Codec())
			}
		}
		got := consumeKgo(t, b, topic, 20)
		for i, r := range got {
			if string(r.Value) != string(rs[i].Value) || string(r.Key) != string(rs[i].Key) {
				t.Errorf("record %d changed by recompression", i)
			}
		}
	})
}

// TestAutoCreateDisabled: with auto.create.topics.enable=false a Metadata
// request that allows auto-creation gets UNKNOWN_TOPIC_OR_PARTITION and
// creates nothing; with the default (true) the topic appears with
// num.partitions partitions.
func TestAutoCreateDisabled(t *testing.T) {
	for _, enabled := range []bool{false, true} {
		name := "disabled"
		args := []string{"--set", "auto.create.topics.enable=false"}
		if enabled {
			name, args = "enabled", []string{"--set", "num.partitions=2"}
		}
		t.Run(name, func(t *testing.T) {
			b := testbroker.Start(t, testbroker.WithArgs(args...))
			cl := newKgo(t, b)
			req := kmsg.NewPtrMetadataRequest()
			req.AllowAutoTopicCreation = true
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr("auto-" + name)
			req.Topics = append(req.Topics, rt)
			resp, err := req.RequestWith(ctxT(t), cl)
			if err != nil || len(resp.Topics) != 1 {
				t.Fatalf("metadata: %v (%d topics)", err, len(resp.Topics))
			}
			code := resp.Topics[0].ErrorCode
			if !enabled && code != kerr.UnknownTopicOrPartition.Code {
				t.Errorf("metadata for a missing topic with auto-create off: %v, want UNKNOWN_TOPIC_OR_PARTITION", kerr.ErrorForCode(code))
			}
			adm := newAdmin(t, b)
			if !enabled {
				time.Sleep(500 * time.Millisecond) // room for a creation that should not happen
				details, err := adm.ListTopics(ctxT(t))
				if err != nil {
					t.Fatalf("list topics: %v", err)
				}
				if _, ok := details["auto-"+name]; ok {
					t.Errorf("topic created although auto.create.topics.enable=false")
				}
				return
			}
			deadline := time.Now().Add(10 * time.Second)
			var td kadm.TopicDetail
			var found bool
			for !found && time.Now().Before(deadline) {
				details, err := adm.ListTopics(ctxT(t))
				if err != nil {
					t.Fatalf("list topics: %v", err)
				}
				td, found = details["auto-"+name]
				if !found {
					time.Sleep(100 * time.Millisecond)
				}
			}
			if !found || len(td.Partitions) != 2 {
				t.Errorf("auto-created topic: found %v with %d partitions, want 2 (num.partitions)", found, len(td.Partitions))
			}
		})
	}
}
