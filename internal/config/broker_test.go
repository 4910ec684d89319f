package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "server.properties")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadBrokerDefaults(t *testing.T) {
	b, err := LoadBroker("", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.NodeID != 1 || b.DataDir != "./gregor-data" || b.KafkaAddr != "127.0.0.1:9092" ||
		b.AdvertiseKafkaAddr != "127.0.0.1:9092" || b.HTTPAddr != "127.0.0.1:8080" || b.RaftAddr != "127.0.0.1:9093" {
		t.Errorf("node defaults wrong: %+v", b)
	}
	if b.NumPartitions != 1 || b.DefaultReplicationFactor != 1 || !b.AutoCreateTopics ||
		b.SocketRequestMaxBytes != 104857600 || b.MessageMaxBytes != 1048588 || b.QueuedMaxRequestBytes != 100<<20 ||
		b.FetchMaxBytes != 57671680 || b.MaxIncrementalFetchSessionCacheSlots != 1000 || b.OffsetsTopicNumPartitions != 50 {
		t.Errorf("broker defaults wrong: %+v", b)
	}
	if v, src := b.Get("log.retention.ms"); v != "259200000" || src != SourceDefault {
		t.Errorf("log.retention.ms = %s (source %d)", v, src)
	}
}

func TestLoadBrokerPrecedence(t *testing.T) {
	file := writeFile(t, `
# a comment
num.partitions=2
default.replication.factor = 1
message.max.bytes: 2000000
log.dirs=/var/lib/gregor
auto.create.topics.enable=false
`)
	env := []string{
		"PATH=/bin",
		"GREGOR_NUM_PARTITIONS=3",
		"GREGOR_MESSAGE_MAX_BYTES=3000000",
		"GREGOR_DATA_DIR=/data/from-env",
		"GREGOR_CONFIG=/ignored",
		"GREGOR_BROKERS=127.0.0.1:9092",
	}
	sets := map[string]string{"num.partitions": "4", "rack": "r1"}
	b, err := LoadBroker(file, env, sets)
	if err != nil {
		t.Fatal(err)
	}
	if b.NumPartitions != 4 {
		t.Errorf("num.partitions = %d, want 4 from --set", b.NumPartitions)
	}
	if b.MessageMaxBytes != 3000000 {
		t.Errorf("message.max.bytes = %d, want env's 3000000", b.MessageMaxBytes)
	}
	if b.DataDir != "/data/from-env" {
		t.Errorf("data dir = %q, want env's", b.DataDir)
	}
	if b.AutoCreateTopics {
		t.Error("auto.create.topics.enable=false from the file was lost")
	}
	if b.Rack != "r1" {
		t.Errorf("rack = %q", b.Rack)
	}
	if v, src := b.Get("num.partitions"); v != "4" || src != SourceStaticBroker {
		t.Errorf("Get(num.partitions) = %s, %d", v, src)
	}

	// Without --set, env wins over the file; without env, the file wins.
	b, err = LoadBroker(file, env, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.NumPartitions != 3 {
		t.Errorf("num.partitions = %d, want env's 3", b.NumPartitions)
	}
	b, err = LoadBroker(file, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.NumPartitions != 2 || b.MessageMaxBytes != 2000000 || b.DataDir != "/var/lib/gregor" {
		t.Errorf("file values lost: %d %d %q", b.NumPartitions, b.MessageMaxBytes, b.DataDir)
	}
}

func TestLoadBrokerErrors(t *testing.T) {
	cases := []struct {
		name, file string
		env        []string
		sets       map[string]string
		mention    string
	}{
		{name: "unknown set", sets: map[string]string{"num.partition": "3"}, mention: "num.partition"},
		{name: "bad set", sets: map[string]string{"num.partitions": "zero"}, mention: "num.partitions"},
		{name: "out of range", sets: map[string]string{"num.partitions": "0"}, mention: "at least 1"},
		{name: "unknown env", env: []string{"GREGOR_NUM_PARTITON=3"}, mention: "GREGOR_NUM_PARTITON"},
		{name: "bad env", env: []string{"GREGOR_AUTO_CREATE_TOPICS_ENABLE=maybe"}, mention: "auto.create.topics.enable"},
		{name: "unknown in file", file: "foo.bar=1\n", mention: "foo.bar"},
		{name: "bad in file", file: "kafka.addr=nowhere\n", mention: "kafka.addr"},
		{name: "bad voters", sets: map[string]string{"voters": "1@a:1,1@b:2"}, mention: "duplicate"},
		{name: "two dirs", sets: map[string]string{"log.dirs": "/a,/b"}, mention: "one data directory"},
		{name: "session bounds", sets: map[string]string{"group.min.session.timeout.ms": "10", "group.max.session.timeout.ms": "5"}, mention: "exceeds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := ""
			if c.file != "" {
				file = writeFile(t, c.file)
			}
			_, err := LoadBroker(file, c.env, c.sets)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("error %v does not wrap ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), c.mention) {
				t.Errorf("error %q does not mention %q", err, c.mention)
			}
		})
	}
	if _, err := LoadBroker(filepath.Join(t.TempDir(), "missing.properties"), nil, nil); err == nil {
		t.Error("missing config file accepted")
	}
}

func TestRetentionFallbacks(t *testing.T) {
	b, err := LoadBroker("", nil, map[string]string{"log.retention.hours": "2"})
	if err != nil {
		t.Fatal(err)
	}
	if got := EffectiveTopic(nil, b, nil).RetentionMs; got != 2*3600_000 {
		t.Errorf("retention from hours = %d", got)
	}
	b, err = LoadBroker("", nil, map[string]string{"log.retention.hours": "2", "log.retention.minutes": "3"})
	if err != nil {
		t.Fatal(err)
	}
	if got := EffectiveTopic(nil, b, nil).RetentionMs; got != 3*60_000 {
		t.Errorf("minutes should win over hours: %d", got)
	}
	b, err = LoadBroker("", nil, map[string]string{"log.retention.hours": "2", "log.retention.ms": "1234"})
	if err != nil {
		t.Fatal(err)
	}
	if got := EffectiveTopic(nil, b, nil).RetentionMs; got != 1234 {
		t.Errorf("ms should win: %d", got)
	}
	b, err = LoadBroker("", nil, map[string]string{"log.retention.hours": "-1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := EffectiveTopic(nil, b, nil).RetentionMs; got != -1 {
		t.Errorf("-1 hours should mean forever: %d", got)
	}
}

func TestFlagConfigName(t *testing.T) {
	for _, f := range []string{"data-dir", "node-id", "kafka-addr", "advertise-kafka-addr", "http-addr", "raft-addr", "voters", "rack"} {
		n, ok := FlagConfigName(f)
		if !ok {
			t.Errorf("flag %s has no config", f)
			continue
		}
		if _, ok := LookupBroker(n); !ok {
			t.Errorf("flag %s maps to unknown config %s", f, n)
		}
	}
	b, err := LoadBroker("", nil, map[string]string{"node.id": "7", "advertise.kafka.addr": "10.0.0.1:19092", "voters": "7@127.0.0.1:9093"})
	if err != nil {
		t.Fatal(err)
	}
	if b.NodeID != 7 || b.AdvertiseKafkaAddr != "10.0.0.1:19092" {
		t.Errorf("got %d %s", b.NodeID, b.AdvertiseKafkaAddr)
	}
	vs, err := ParseVoters(b.Voters)
	if err != nil || len(vs) != 1 || vs[0].ID != 7 || vs[0].Addr != "127.0.0.1:9093" {
		t.Errorf("voters %v %v", vs, err)
	}
}

// A typical Kafka KRaft server.properties loads, its listeners taking the
// place of Gregor's address settings.
func TestKafkaServerProperties(t *testing.T) {
	file := writeFile(t, `
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:9093
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
advertised.listeners=PLAINTEXT://kafka1.example.com:9092
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600
log.dirs=/tmp/kraft-combined-logs
num.partitions=1
num.recovery.threads.per.data.dir=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
log.retention.hours=168
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
`)
	b, err := LoadBroker(file, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.KafkaAddr != "0.0.0.0:9092" || b.AdvertiseKafkaAddr != "kafka1.example.com:9092" || b.Voters != "1@127.0.0.1:9093" {
		t.Errorf("addresses %q %q %q", b.KafkaAddr, b.AdvertiseKafkaAddr, b.Voters)
	}
	if got := EffectiveTopic(nil, b, nil).RetentionMs; got != 168*3600_000 {
		t.Errorf("retention %d", got)
	}
	// Gregor's own setting wins over the Kafka form.
	b, err = LoadBroker(file, nil, map[string]string{"kafka.addr": "127.0.0.1:19092"})
	if err != nil {
		t.Fatal(err)
	}
	if b.KafkaAddr != "127.0.0.1:19092" {
		t.Errorf("kafka.addr %q", b.KafkaAddr)
	}
	if _, err := LoadBroker("", nil, map[string]string{"listeners": "localhost:9092"}); err == nil {
		t.Error("listener without a name accepted")
	}
}

func TestWithDynamic(t *testing.T) {
	b, err := LoadBroker("", nil, map[string]string{"message.max.bytes": "1000", "num.partitions": "2"})
	if err != nil {
		t.Fatal(err)
	}
	d := b.WithDynamic(map[string]string{"message.max.bytes": "3000"}, map[string]string{"message.max.bytes": "2000", "log.cleaner.threads": "4", "num.partitions": "9", "log.retention.ms": "bad"})
	if d.MessageMaxBytes != 3000 || d.LogCleanerThreads != 4 {
		t.Errorf("dynamic values not applied: %d %d", d.MessageMaxBytes, d.LogCleanerThreads)
	}
	if d.NumPartitions != 2 {
		t.Errorf("read-only num.partitions changed dynamically: %d", d.NumPartitions)
	}
	if v, _ := d.Get("log.retention.ms"); v != "259200000" {
		t.Errorf("invalid dynamic value applied: %s", v)
	}
	if b.MessageMaxBytes != 1000 {
		t.Error("WithDynamic changed its receiver")
	}
	if b.WithDynamic(nil, nil) != b {
		t.Error("no dynamic configs should return the same configuration")
	}
}
