package config

import (
	"math"
	"sort"
	"strconv"
)

var maxLong = strconv.FormatInt(math.MaxInt64, 10)

// Flush policies, the gregor.flush.policy values.
const (
	FlushAlways   = "always"
	FlushInterval = "interval"
	FlushNever    = "never"
)

var topicDefs = []Def{
	{Name: "cleanup.policy", Type: List, Default: "delete", BrokerSynonym: "log.cleanup.policy",
		Validate: listOf("delete", "compact"),
		Doc:      "delete removes old segments by time or size; compact keeps the latest record per key; both may be listed."},
	{Name: "compression.type", Type: String, Default: "producer", BrokerSynonym: "compression.type",
		Validate: oneOf("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"),
		Doc:      "Codec batches are stored with; producer keeps the producer's codec."},
	{Name: "delete.retention.ms", Type: Long, Default: "86400000", BrokerSynonym: "log.cleaner.delete.retention.ms",
		Validate: atLeast(0),
		Doc:      "How long tombstones are kept in a compacted topic."},
	{Name: "file.delete.delay.ms", Type: Long, Default: "60000", BrokerSynonym: "log.segment.delete.delay.ms",
		Validate: atLeast(0),
		Doc:      "Delay before a deleted segment's files are removed from disk."},
	{Name: "flush.messages", Type: Long, Default: maxLong, BrokerSynonym: "log.flush.interval.messages",
		Validate: atLeast(1),
		Doc:      "With gregor.flush.policy=interval, fsync after this many messages."},
	{Name: "flush.ms", Type: Long, Default: maxLong, BrokerSynonym: "log.flush.interval.ms",
		Validate: atLeast(0),
		Doc:      "With gregor.flush.policy=interval, fsync at least this often."},
	{Name: "follower.replication.throttled.replicas", Type: List, Default: "",
		Doc: "Replicas (partition:broker) throttled on the follower side."},
	{Name: "gregor.flush.policy", Type: String, Default: FlushAlways, BrokerSynonym: "gregor.log.flush.policy",
		Validate: oneOf(FlushAlways, FlushInterval, FlushNever),
		Doc:      "Gregor extension. always: acks=all is answered after fsync (group commit); interval: fsync by flush.ms/flush.messages; never: leave it to the OS."},
	{Name: "index.interval.bytes", Type: Int, Default: "4096", BrokerSynonym: "log.index.interval.bytes",
		Validate: atLeast(0),
		Doc:      "Bytes of log between two offset index entries."},
	{Name: "leader.replication.throttled.replicas", Type: List, Default: "",
		Doc: "Replicas (partition:broker) throttled on the leader side."},
	{Name: "local.retention.bytes", Type: Long, Default: "-2", BrokerSynonym: "log.local.retention.bytes",
		Validate: atLeast(-2),
		Doc:      "Tiered storage's local retention; accepted for compatibility, Gregor has no tiered storage."},
	{Name: "local.retention.ms", Type: Long, Default: "-2", BrokerSynonym: "log.local.retention.ms",
		Validate: atLeast(-2),
		Doc:      "Tiered storage's local retention; accepted for compatibility, Gregor has no tiered storage."},
	{Name: "max.compaction.lag.ms", Type: Long, Default: maxLong, BrokerSynonym: "log.cleaner.max.compaction.lag.ms",
		Validate: atLeast(1),
		Doc:      "Longest time a record stays ineligible for compaction."},
	{Name: "max.message.bytes", Type: Int, Default: "1048588", BrokerSynonym: "message.max.bytes",
		Validate: atLeast(0),
		Doc:      "Largest record batch accepted, after compression."},
	{Name: "message.downconversion.enable", Type: Boolean, Default: "true", BrokerSynonym: "log.message.downconversion.enable",
		Doc: "Accepted for compatibility; Gregor serves only record batch v2."},
	{Name: "message.timestamp.after.max.ms", Type: Long, Default: maxLong, BrokerSynonym: "log.message.timestamp.after.max.ms",
		Validate: atLeast(0),
		Doc:      "With CreateTime, how far in the future a batch timestamp may be."},
	{Name: "message.timestamp.before.max.ms", Type: Long, Default: maxLong, BrokerSynonym: "log.message.timestamp.before.max.ms",
		Validate: atLeast(0),
		Doc:      "With CreateTime, how far in the past a batch timestamp may be."},
	{Name: "message.timestamp.difference.max.ms", Type: Long, Default: maxLong, BrokerSynonym: "log.message.timestamp.difference.max.ms",
		Validate: atLeast(0),
		Doc:      "Deprecated by the before/after pair; the largest difference between a batch timestamp and the broker clock."},
	{Name: "message.timestamp.type", Type: String, Default: "CreateTime", BrokerSynonym: "log.message.timestamp.type",
		Validate: oneOf("CreateTime", "LogAppendTime"),
		Doc:      "CreateTime keeps the producer's timestamp; LogAppendTime stamps the broker's clock."},
	{Name: "min.cleanable.dirty.ratio", Type: Double, Default: "0.5", BrokerSynonym: "log.cleaner.min.cleanable.ratio",
		Validate: ratio,
		Doc:      "Share of the log that must be uncompacted before the cleaner runs."},
	{Name: "min.compaction.lag.ms", Type: Long, Default: "0", BrokerSynonym: "log.cleaner.min.compaction.lag.ms",
		Validate: atLeast(0),
		Doc:      "Shortest time a record stays uncompacted."},
	{Name: "min.insync.replicas", Type: Int, Default: "1", BrokerSynonym: "min.insync.replicas",
		Validate: atLeast(1),
		Doc:      "In-sync replicas needed for an acks=all write to succeed."},
	{Name: "preallocate", Type: Boolean, Default: "false", BrokerSynonym: "log.preallocate",
		Doc: "Preallocate segment files when they are created."},
	{Name: "remote.storage.enable", Type: Boolean, Default: "false",
		Validate: oneOf("false"),
		Doc:      "Tiered storage; Gregor has none, so only false is accepted."},
	{Name: "retention.bytes", Type: Long, Default: "-1", BrokerSynonym: "log.retention.bytes",
		Doc: "Largest size a partition may grow to before old segments are deleted; -1 = unlimited."},
	{Name: "retention.ms", Type: Long, Default: "259200000", BrokerSynonym: "log.retention.ms",
		Validate: atLeast(-1),
		Doc:      "How long records are kept; -1 = forever. Gregor's default is 72 hours."},
	{Name: "segment.bytes", Type: Int, Default: "1073741824", BrokerSynonym: "log.segment.bytes",
		Validate: atLeast(14),
		Doc:      "Size at which a new segment is rolled."},
	{Name: "segment.index.bytes", Type: Int, Default: "10485760", BrokerSynonym: "log.index.size.max.bytes",
		Validate: atLeast(4),
		Doc:      "Largest size of a segment's offset and time indexes."},
	{Name: "segment.jitter.ms", Type: Long, Default: "0", BrokerSynonym: "log.roll.jitter.ms",
		Validate: atLeast(0),
		Doc:      "Random jitter subtracted from segment.ms to spread segment rolls."},
	{Name: "segment.ms", Type: Long, Default: "604800000", BrokerSynonym: "log.roll.ms",
		Validate: atLeast(1),
		Doc:      "Age at which a new segment is rolled even if not full."},
	{Name: "unclean.leader.election.enable", Type: Boolean, Default: "false", BrokerSynonym: "unclean.leader.election.enable",
		Doc: "Allow a replica outside the ISR to become leader, losing data."},
}

var topicIndex = indexDefs(topicDefs)

func indexDefs(defs []Def) map[string]int {
	m := make(map[string]int, len(defs))
	for i, d := range defs {
		m[d.Name] = i
	}
	return m
}

// sortedTopicDefs is topicDefs by name, computed once: resolution runs for
// every topic on every metadata change.
var sortedTopicDefs = sortDefs(topicDefs)

func sortDefs(defs []Def) []Def {
	out := append([]Def(nil), defs...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// TopicDefs returns every topic config, sorted by name. The slice is a copy.
func TopicDefs() []Def { return append([]Def(nil), sortedTopicDefs...) }

// LookupTopic returns the topic config with this name.
func LookupTopic(name string) (Def, bool) {
	i, ok := topicIndex[name]
	if !ok {
		return Def{}, false
	}
	return topicDefs[i], true
}
