package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md from the Defs")

func TestDefsAreConsistent(t *testing.T) {
	for _, set := range [][]Def{TopicDefs(), BrokerDefs()} {
		seen := map[string]bool{}
		for _, d := range set {
			if seen[d.Name] {
				t.Errorf("%s defined twice", d.Name)
			}
			seen[d.Name] = true
			if d.Doc == "" {
				t.Errorf("%s has no doc", d.Name)
			}
			if d.Default != "" || d.Type == String || d.Type == List {
				if err := d.Check(d.Default); err != nil {
					t.Errorf("default of %s does not validate: %v", d.Name, err)
				}
			}
		}
	}
	for _, d := range TopicDefs() {
		if d.BrokerSynonym == "" {
			continue
		}
		b, ok := LookupBroker(d.BrokerSynonym)
		if !ok {
			t.Errorf("%s: broker synonym %s is not a broker config", d.Name, d.BrokerSynonym)
			continue
		}
		if b.Default != d.Default {
			t.Errorf("%s default %q differs from its synonym %s default %q", d.Name, d.Default, b.Name, b.Default)
		}
		if b.ReadOnly {
			t.Errorf("broker synonym %s of %s should be dynamic", b.Name, d.Name)
		}
	}
}

func TestRequiredConfigsExist(t *testing.T) {
	for _, n := range []string{"retention.ms", "retention.bytes", "segment.bytes", "segment.ms", "segment.index.bytes",
		"index.interval.bytes", "cleanup.policy", "max.message.bytes", "compression.type", "message.timestamp.type",
		"message.timestamp.difference.max.ms", "message.timestamp.before.max.ms", "message.timestamp.after.max.ms",
		"min.insync.replicas", "flush.ms", "flush.messages", "gregor.flush.policy", "unclean.leader.election.enable",
		"delete.retention.ms", "min.compaction.lag.ms", "max.compaction.lag.ms", "min.cleanable.dirty.ratio",
		"file.delete.delay.ms", "preallocate", "message.downconversion.enable"} {
		if _, ok := LookupTopic(n); !ok {
			t.Errorf("topic config %s missing", n)
		}
	}
	for _, n := range []string{"num.partitions", "default.replication.factor", "auto.create.topics.enable", "delete.topic.enable",
		"socket.request.max.bytes", "message.max.bytes", "queued.max.request.bytes", "fetch.max.bytes",
		"offsets.topic.num.partitions", "offsets.topic.replication.factor", "offsets.retention.minutes",
		"group.initial.rebalance.delay.ms", "group.min.session.timeout.ms", "group.max.session.timeout.ms", "group.max.size",
		"transaction.max.timeout.ms", "transactional.id.expiration.ms", "transaction.state.log.num.partitions",
		"log.cleaner.enable", "replica.lag.time.max.ms", "broker.rack", "node.id", "log.dirs",
		"log.retention.check.interval.ms", "max.incremental.fetch.session.cache.slots"} {
		if _, ok := LookupBroker(n); !ok {
			t.Errorf("broker config %s missing", n)
		}
	}
	if d, _ := LookupTopic("retention.ms"); d.Default != "259200000" {
		t.Errorf("retention.ms default = %s, want 72 h", d.Default)
	}
}

func TestCheckRejectsBadValues(t *testing.T) {
	cases := []struct {
		name, value string
		ok          bool
	}{
		{"retention.ms", "1000", true},
		{"retention.ms", "-1", true},
		{"retention.ms", "-2", false},
		{"retention.ms", "1h", false},
		{"retention.ms", "99999999999999999999", false},
		{"segment.bytes", "2147483648", false}, // int overflow
		{"segment.bytes", "13", false},
		{"cleanup.policy", "compact,delete", true},
		{"cleanup.policy", "compact, delete", true},
		{"cleanup.policy", "", false},
		{"cleanup.policy", "shred", false},
		{"compression.type", "zstd", true},
		{"compression.type", "brotli", false},
		{"min.cleanable.dirty.ratio", "0.9", true},
		{"min.cleanable.dirty.ratio", "1.5", false},
		{"min.cleanable.dirty.ratio", "NaN", false},
		{"preallocate", "TRUE", true},
		{"preallocate", "yes", false},
		{"message.timestamp.type", "LogAppendTime", true},
		{"message.timestamp.type", "logappendtime", false},
		{"gregor.flush.policy", "interval", true},
		{"gregor.flush.policy", "sometimes", false},
		{"min.insync.replicas", "0", false},
	}
	for _, c := range cases {
		d, ok := LookupTopic(c.name)
		if !ok {
			t.Fatalf("no def %s", c.name)
		}
		err := d.Check(c.value)
		if (err == nil) != c.ok {
			t.Errorf("%s=%q: err=%v, want ok=%v", c.name, c.value, err, c.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%s=%q: error %v does not wrap ErrInvalidConfig", c.name, c.value, err)
		}
	}
}

func TestValidateTopicConfigs(t *testing.T) {
	if err := ValidateTopicConfigs(map[string]string{"retention.ms": "5", "cleanup.policy": "compact"}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []map[string]string{
		{"retention.msx": "5"},
		{"log.retention.ms": "5"}, // a broker name is not a topic config
		{"segment.ms": "0"},
		{"remote.storage.enable": "true"},
		{"min.compaction.lag.ms": "10", "max.compaction.lag.ms": "5"},
	} {
		if err := ValidateTopicConfigs(m); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%v: err = %v, want ErrInvalidConfig", m, err)
		}
	}
}

func TestValidateDynamicBrokerConfigs(t *testing.T) {
	if err := ValidateDynamicBrokerConfigs(map[string]string{"log.retention.ms": "1000", "message.max.bytes": "2000000"}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []map[string]string{
		{"node.id": "3"},          // static
		{"num.partitions": "3"},   // static
		{"nope": "1"},             // unknown
		{"log.retention.ms": "x"}, // bad value
	} {
		if err := ValidateDynamicBrokerConfigs(m); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%v: err = %v, want ErrInvalidConfig", m, err)
		}
	}
}

func TestConfigurationDoc(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "configuration.md")
	want := Markdown()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with -update)", err)
	}
	if string(got) != want {
		t.Fatalf("docs/configuration.md is out of date with the Defs; regenerate: go test ./internal/config -run TestConfigurationDoc -update")
	}
}
