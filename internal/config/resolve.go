package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Synonym is one level a config value may come from, in Kafka's
// DescribeConfigs synonym order (most specific first).
type Synonym struct {
	Name   string
	Value  string
	Source int8
}

// Value is a config's effective value, where it came from, and (for
// DescribeConfigs with synonyms) every level that defines it.
type Value struct {
	Name     string
	Value    string
	Source   int8
	Def      Def
	Synonyms []Synonym
}

// ResolveTopic returns every topic config, sorted by name, with its
// effective value: the topic's override, else the dynamic broker config of
// its synonym, else the node's static config, else the default.
// dynamicBroker is keyed by broker config name (log.retention.ms); the
// caller merges the node-specific entries over the cluster-wide ones.
func ResolveTopic(topicOverrides map[string]string, broker *Broker, dynamicBroker map[string]string) []Value {
	return ResolveTopicWith(topicOverrides, broker, dynamicBroker, nil)
}

// ResolveTopicWith is ResolveTopic with the dynamic broker configs in their
// two layers, so DescribeConfigs reports Kafka's exact sources: the node's
// own (DYNAMIC_BROKER_CONFIG) over the cluster-wide defaults
// (DYNAMIC_DEFAULT_BROKER_CONFIG).
func ResolveTopicWith(topicOverrides map[string]string, broker *Broker, nodeDynamic, clusterDynamic map[string]string) []Value {
	if broker == nil {
		broker = defaultBroker
	}
	defs := sortedTopicDefs
	out := make([]Value, 0, len(defs))
	for _, d := range defs {
		v := Value{Name: d.Name, Def: d}
		if ov, ok := topicOverrides[d.Name]; ok {
			v.Synonyms = append(v.Synonyms, Synonym{d.Name, ov, SourceDynamicTopic})
		}
		if d.BrokerSynonym != "" {
			if dv, ok := nodeDynamic[d.BrokerSynonym]; ok {
				v.Synonyms = append(v.Synonyms, Synonym{d.BrokerSynonym, dv, SourceDynamicBroker})
			}
			if cv, ok := clusterDynamic[d.BrokerSynonym]; ok {
				v.Synonyms = append(v.Synonyms, Synonym{d.BrokerSynonym, cv, SourceDynamicDefaultBroker})
			}
			if sv, src := broker.Get(d.BrokerSynonym); src == SourceStaticBroker {
				v.Synonyms = append(v.Synonyms, Synonym{d.BrokerSynonym, sv, SourceStaticBroker})
			}
		}
		v.Synonyms = append(v.Synonyms, Synonym{defaultName(d), d.Default, SourceDefault})
		v.Value, v.Source = v.Synonyms[0].Value, v.Synonyms[0].Source
		out = append(out, v)
	}
	return out
}

func defaultName(d Def) string {
	if d.BrokerSynonym != "" {
		return d.BrokerSynonym
	}
	return d.Name
}

// ResolveBroker returns every broker config, sorted by name, with its
// effective value for this node: the node's dynamic config, else the
// cluster-wide dynamic default, else the static config, else the default.
func ResolveBroker(broker *Broker, nodeDynamic, clusterDynamic map[string]string) []Value {
	if broker == nil {
		broker = defaultBroker
	}
	defs := sortedBrokerDefs
	out := make([]Value, 0, len(defs))
	for _, d := range defs {
		v := Value{Name: d.Name, Def: d}
		if nv, ok := nodeDynamic[d.Name]; ok {
			v.Synonyms = append(v.Synonyms, Synonym{d.Name, nv, SourceDynamicBroker})
		}
		if cv, ok := clusterDynamic[d.Name]; ok {
			v.Synonyms = append(v.Synonyms, Synonym{d.Name, cv, SourceDynamicDefaultBroker})
		}
		sv, src := broker.Get(d.Name)
		if src == SourceStaticBroker {
			v.Synonyms = append(v.Synonyms, Synonym{d.Name, sv, SourceStaticBroker})
		}
		v.Synonyms = append(v.Synonyms, Synonym{d.Name, d.Default, SourceDefault})
		v.Value, v.Source = v.Synonyms[0].Value, v.Synonyms[0].Source
		out = append(out, v)
	}
	return out
}

var defaultBroker = DefaultBroker()

// ValidateTopicConfigs checks topic overrides: every name must be a topic
// config and every value valid. Errors wrap ErrInvalidConfig.
func ValidateTopicConfigs(m map[string]string) error {
	for _, k := range sortedKeys(m) {
		d, ok := LookupTopic(k)
		if !ok {
			return fmt.Errorf("%w: unknown topic config %q", ErrInvalidConfig, k)
		}
		if err := d.Check(m[k]); err != nil {
			return err
		}
	}
	return checkCompactionLags(m["min.compaction.lag.ms"], m["max.compaction.lag.ms"])
}

// checkCompactionLags refuses a minimum above the maximum when a topic sets
// both, as Kafka does.
func checkCompactionLags(minLag, maxLag string) error {
	if minLag == "" || maxLag == "" {
		return nil
	}
	lo, err1 := strconv.ParseInt(strings.TrimSpace(minLag), 10, 64)
	hi, err2 := strconv.ParseInt(strings.TrimSpace(maxLag), 10, 64)
	if err1 == nil && err2 == nil && lo > hi {
		return fmt.Errorf("%w: min.compaction.lag.ms=%d exceeds max.compaction.lag.ms=%d", ErrInvalidConfig, lo, hi)
	}
	return nil
}

// ValidateDynamicBrokerConfigs checks configs set with AlterConfigs on a
// broker resource: every name must be a broker config that is not
// read-only, and every value valid. Errors wrap ErrInvalidConfig.
func ValidateDynamicBrokerConfigs(m map[string]string) error {
	for _, k := range sortedKeys(m) {
		d, ok := LookupBroker(k)
		if !ok || d.Name != k {
			return fmt.Errorf("%w: unknown broker config %q", ErrInvalidConfig, k)
		}
		if d.ReadOnly {
			return fmt.Errorf("%w: broker config %q cannot be changed dynamically", ErrInvalidConfig, k)
		}
		if err := d.Check(m[k]); err != nil {
			return err
		}
	}
	return nil
}

// TopicConfig is a topic's effective configuration, typed.
type TopicConfig struct {
	RetentionMs                     int64
	RetentionBytes                  int64
	SegmentBytes                    int64
	SegmentMs                       int64
	SegmentJitterMs                 int64
	SegmentIndexBytes               int32
	IndexIntervalBytes              int32
	CleanupPolicy                   string // as configured, e.g. "compact,delete"
	Compact                         bool   // cleanup.policy lists compact
	Delete                          bool   // cleanup.policy lists delete
	MaxMessageBytes                 int32
	CompressionType                 string
	MessageTimestampType            string
	MessageTimestampDifferenceMaxMs int64
	MessageTimestampBeforeMaxMs     int64
	MessageTimestampAfterMaxMs      int64
	MinInsyncReplicas               int32
	FlushMs                         int64
	FlushMessages                   int64
	FlushPolicy                     string // FlushAlways, FlushInterval or FlushNever
	UncleanLeaderElection           bool
	DeleteRetentionMs               int64
	MinCompactionLagMs              int64
	MaxCompactionLagMs              int64
	MinCleanableDirtyRatio          float64
	FileDeleteDelayMs               int64
	Preallocate                     bool
	MessageDownconversionEnable     bool
	LeaderReplicationThrottled      []string
	FollowerReplicationThrottled    []string
}

// EffectiveTopic is ResolveTopic, typed. A value that does not parse (which
// validation on every write path prevents) falls back to the default.
func EffectiveTopic(topicOverrides map[string]string, broker *Broker, dynamicBroker map[string]string) TopicConfig {
	if broker == nil {
		broker = defaultBroker
	}
	// The same precedence as ResolveTopic, without building synonyms: this
	// runs for every topic on every metadata change.
	vals := make(map[string]string, len(topicDefs))
	for _, d := range topicDefs {
		v, ok := topicOverrides[d.Name]
		if !ok && d.BrokerSynonym != "" {
			if v, ok = dynamicBroker[d.BrokerSynonym]; !ok {
				v, _ = broker.Get(d.BrokerSynonym)
				ok = true
			}
		}
		if !ok || d.Check(v) != nil {
			v = d.Default
		}
		vals[d.Name] = strings.TrimSpace(v)
	}
	i64 := func(n string) int64 { x, _ := strconv.ParseInt(vals[n], 10, 64); return x }
	b := func(n string) bool { x, _ := parseBool(vals[n]); return x }
	tc := TopicConfig{
		RetentionMs:                     i64("retention.ms"),
		RetentionBytes:                  i64("retention.bytes"),
		SegmentBytes:                    i64("segment.bytes"),
		SegmentMs:                       i64("segment.ms"),
		SegmentJitterMs:                 i64("segment.jitter.ms"),
		SegmentIndexBytes:               int32(i64("segment.index.bytes")),
		IndexIntervalBytes:              int32(i64("index.interval.bytes")),
		CleanupPolicy:                   vals["cleanup.policy"],
		MaxMessageBytes:                 int32(i64("max.message.bytes")),
		CompressionType:                 vals["compression.type"],
		MessageTimestampType:            vals["message.timestamp.type"],
		MessageTimestampDifferenceMaxMs: i64("message.timestamp.difference.max.ms"),
		MessageTimestampBeforeMaxMs:     i64("message.timestamp.before.max.ms"),
		MessageTimestampAfterMaxMs:      i64("message.timestamp.after.max.ms"),
		MinInsyncReplicas:               int32(i64("min.insync.replicas")),
		FlushMs:                         i64("flush.ms"),
		FlushMessages:                   i64("flush.messages"),
		FlushPolicy:                     vals["gregor.flush.policy"],
		UncleanLeaderElection:           b("unclean.leader.election.enable"),
		DeleteRetentionMs:               i64("delete.retention.ms"),
		MinCompactionLagMs:              i64("min.compaction.lag.ms"),
		MaxCompactionLagMs:              i64("max.compaction.lag.ms"),
		FileDeleteDelayMs:               i64("file.delete.delay.ms"),
		Preallocate:                     b("preallocate"),
		MessageDownconversionEnable:     b("message.downconversion.enable"),
		LeaderReplicationThrottled:      SplitList(vals["leader.replication.throttled.replicas"]),
		FollowerReplicationThrottled:    SplitList(vals["follower.replication.throttled.replicas"]),
	}
	tc.MinCleanableDirtyRatio, _ = strconv.ParseFloat(vals["min.cleanable.dirty.ratio"], 64)
	for _, p := range SplitList(tc.CleanupPolicy) {
		tc.Compact = tc.Compact || p == "compact"
		tc.Delete = tc.Delete || p == "delete"
	}
	return tc
}
