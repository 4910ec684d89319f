package compat

import (
	"context"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/confluentinc/confluent-kafka-go/v2/kafka"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// The admin calls of the other clients use other request versions than kadm
// does; each creates a topic with a config, reads it back, grows it and
// deletes it.

func TestSaramaAdmin(t *testing.T) {
	b := testbroker.Start(t)
	adm, err := sarama.NewClusterAdmin([]string{b.Addr}, sarama.NewConfig())
	if err != nil {
		t.Fatalf("sarama admin: %v", err)
	}
	defer adm.Close()
	const topic = "sarama-admin"
	retention := "3600000"
	if err := adm.CreateTopic(topic, &sarama.TopicDetail{NumPartitions: 2, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"retention.ms": &retention}}, false); err != nil {
		t.Fatalf("create topic: %v", err)
	}
	topics, err := adm.ListTopics()
	if err != nil {
		t.Fatalf("list topics: %v", err)
	}
	if d, ok := topics[topic]; !ok || d.NumPartitions != 2 {
		t.Errorf("list topics: %s = %+v, want 2 partitions", topic, d)
	}
	entries, err := adm.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: topic})
	if err != nil {
		t.Fatalf("describe config: %v", err)
	}
	found := false
	for _, e := range entries {
		if e.Name == "retention.ms" {
			found = true
			if e.Value != retention || e.Default {
				t.Errorf("retention.ms = %q (default %v), created with %s", e.Value, e.Default, retention)
			}
		}
	}
	if !found {
		t.Errorf("retention.ms missing from DescribeConfigs")
	}
	if err := adm.CreatePartitions(topic, 3, nil, false); err != nil {
		t.Errorf("create partitions: %v", err)
	}
	md, err := adm.DescribeTopics([]string{topic})
	if err != nil || len(md) != 1 {
		t.Fatalf("describe topics: %v", err)
	}
	if n := len(md[0].Partitions); n != 3 {
		t.Errorf("%s has %d partitions after growing to 3", topic, n)
	}
	if err := adm.DeleteTopic(topic); err != nil {
		t.Errorf("delete topic: %v", err)
	}
	topics, err = adm.ListTopics()
	if err != nil {
		t.Fatalf("list topics: %v", err)
	}
	if _, ok := topics[topic]; ok {
		t.Errorf("%s still listed after DeleteTopic", topic)
	}
}

func TestConfluentAdmin(t *testing.T) {
	b := testbroker.Start(t)
	adm, err := kafka.NewAdminClient(&kafka.ConfigMap{"bootstrap.servers": b.Addr})
	if err != nil {
		t.Fatalf("librdkafka admin: %v", err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	const topic = "rdkafka-admin"
	res, err := adm.CreateTopics(ctx, []kafka.TopicSpecification{{Topic: topic, NumPartitions: 2, ReplicationFactor: 1,
		Config: map[string]string{"cleanup.policy": "compact"}}})
	if err != nil || len(res) != 1 || res[0].Error.Code() != kafka.ErrNoError {
		t.Fatalf("create topics: %v %v", err, res)
	}
	cfg, err := adm.DescribeConfigs(ctx, []kafka.ConfigResource{{Type: kafka.ResourceTopic, Name: topic}})
	if err != nil || len(cfg) != 1 || cfg[0].Error.Code() != kafka.ErrNoError {
		t.Fatalf("describe configs: %v %v", err, cfg)
	}
	if e := cfg[0].Config["cleanup.policy"]; e.Value != "compact" || e.Source != kafka.ConfigSourceDynamicTopic {
		t.Errorf("cleanup.policy = %q from %v, created as compact (dynamic topic config)", e.Value, e.Source)
	}
	pres, err := adm.CreatePartitions(ctx, []kafka.PartitionsSpecification{{Topic: topic, IncreaseTo: 4}})
	if err != nil || len(pres) != 1 || pres[0].Error.Code() != kafka.ErrNoError {
		t.Errorf("create partitions: %v %v", err, pres)
	}
	md, err := adm.GetMetadata(strPtr(topic), false, 10000)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	if n := len(md.Topics[topic].Partitions); n != 4 {
		t.Errorf("%s has %d partitions after growing to 4", topic, n)
	}
	dres, err := adm.DeleteTopics(ctx, []string{topic})
	if err != nil || len(dres) != 1 || dres[0].Error.Code() != kafka.ErrNoError {
		t.Errorf("delete topics: %v %v", err, dres)
	}
}

func TestKafkaGoAdmin(t *testing.T) {
	b := testbroker.Start(t)
	cl := &kafkago.Client{Addr: kafkago.TCP(b.Addr), Timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	const topic = "kafkago-admin"
	res, err := cl.CreateTopics(ctx, &kafkago.CreateTopicsRequest{Topics: []kafkago.TopicConfig{{
		Topic: topic, NumPartitions: 3, ReplicationFactor: 1,
		ConfigEntries: []kafkago.ConfigEntry{{ConfigName: "retention.ms", ConfigValue: "86400000"}},
	}}})
	if err != nil {
		t.Fatalf("create topics: %v", err)
	}
	if err := res.Errors[topic]; err != nil {
		t.Fatalf("create %s: %v", topic, err)
	}
	md, err := cl.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	if len(md.Brokers) != 1 || md.Brokers[0].ID != b.NodeID {
		t.Errorf("brokers %+v, want node %d alone", md.Brokers, b.NodeID)
	}
	if len(md.Topics) != 1 || md.Topics[0].Name != topic || len(md.Topics[0].Partitions) != 3 || md.Topics[0].Error != nil {
		t.Errorf("metadata for %s: %+v", topic, md.Topics)
	}
	dres, err := cl.DeleteTopics(ctx, &kafkago.DeleteTopicsRequest{Topics: []string{topic}})
	if err != nil {
		t.Fatalf("delete topics: %v", err)
	}
	if err := dres.Errors[topic]; err != nil {
		t.Errorf("delete %s: %v", topic, err)
	}
}
