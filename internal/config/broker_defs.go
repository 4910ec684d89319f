package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
)

var maxInt = strconv.Itoa(math.MaxInt32)

// brokerDefs lists every broker config. Dynamic (ReadOnly false) ones may be
// changed cluster-wide or per node with AlterConfigs; the rest are static.
var brokerDefs = []Def{
	// The node: set by serve's flags as well.
	{Name: "node.id", Type: Int, Default: "1", ReadOnly: true, Validate: atLeast(0),
		Doc: "This node's id (--node-id); unique in the cluster."},
	{Name: "log.dirs", Type: String, Default: "./gregor-data", ReadOnly: true, Validate: nonEmpty,
		Doc: "Data directory (--data-dir): meta.properties, the metadata log and the partition logs."},
	{Name: "kafka.addr", Type: String, Default: "127.0.0.1:9092", ReadOnly: true, Validate: hostPort,
		Doc: "Address the Kafka listener binds (--kafka-addr)."},
	{Name: "advertise.kafka.addr", Type: String, Default: "", ReadOnly: true, Validate: optional(hostPort),
		Doc: "Address clients are told to connect to (--advertise-kafka-addr); empty = kafka.addr."},
	{Name: "http.addr", Type: String, Default: "127.0.0.1:8080", ReadOnly: true, Validate: optional(hostPort),
		Doc: "Address of the HTTP listener (--http-addr): metrics, health, admin API, console; empty = off."},
	{Name: "raft.addr", Type: String, Default: "127.0.0.1:9093", ReadOnly: true, Validate: hostPort,
		Doc: "Address of the metadata quorum transport (--raft-addr)."},
	{Name: "voters", Type: List, Default: "", ReadOnly: true, Validate: optional(votersList),
		Doc: "Metadata voters as id@host:port,... (--voters, like controller.quorum.voters); empty = this node alone."},
	{Name: "broker.rack", Type: String, Default: "", ReadOnly: true,
		Doc: "Rack of this node (--rack), used for rack-aware replica placement."},
	{Name: "listeners", Type: List, Default: "", ReadOnly: true, Validate: optional(listenerList),
		Doc: "Kafka's form of kafka.addr (NAME://host:port,...): the first listener not named in controller.listener.names sets kafka.addr unless that is set."},
	{Name: "advertised.listeners", Type: List, Default: "", ReadOnly: true, Validate: optional(listenerList),
		Doc: "Kafka's form of advertise.kafka.addr, read the same way as listeners."},
	{Name: "controller.listener.names", Type: List, Default: "CONTROLLER", ReadOnly: true,
		Doc: "Listener names that are not client listeners; Gregor's quorum uses raft.addr instead."},

	// Accepted so a Kafka server.properties loads; Gregor has no use for them.
	{Name: "process.roles", Type: List, Default: "broker,controller", ReadOnly: true,
		Doc: "Accepted for compatibility; every Gregor node is a broker, and a voter when listed in voters."},
	{Name: "listener.security.protocol.map", Type: List, Default: "", ReadOnly: true,
		Doc: "Accepted for compatibility; no effect."},
	{Name: "inter.broker.listener.name", Type: String, Default: "", ReadOnly: true,
		Doc: "Accepted for compatibility; no effect."},
	{Name: "num.network.threads", Type: Int, Default: "3", ReadOnly: true, Validate: atLeast(1),
		Doc: "Accepted for compatibility; Gregor uses a goroutine per connection."},
	{Name: "num.io.threads", Type: Int, Default: "8", ReadOnly: true, Validate: atLeast(1),
		Doc: "Accepted for compatibility; no effect."},
	{Name: "num.recovery.threads.per.data.dir", Type: Int, Default: "1", ReadOnly: true, Validate: atLeast(1),
		Doc: "Accepted for compatibility; no effect."},
	{Name: "socket.send.buffer.bytes", Type: Int, Default: "102400", ReadOnly: true,
		Doc: "Accepted for compatibility; no effect (the OS default is used)."},
	{Name: "socket.receive.buffer.bytes", Type: Int, Default: "102400", ReadOnly: true,
		Doc: "Accepted for compatibility; no effect (the OS default is used)."},

	// Topics.
	{Name: "num.partitions", Type: Int, Default: "1", ReadOnly: true, Validate: atLeast(1),
		Doc: "Partitions of a topic created without a count (and of auto-created topics)."},
	{Name: "default.replication.factor", Type: Short, Default: "1", ReadOnly: true, Validate: atLeast(1),
		Doc: "Replication factor of a topic created without one."},
	{Name: "auto.create.topics.enable", Type: Boolean, Default: "true", ReadOnly: true,
		Doc: "Create a topic when a client asks metadata for one that does not exist."},
	{Name: "delete.topic.enable", Type: Boolean, Default: "true", ReadOnly: true,
		Doc: "Allow DeleteTopics."},

	// Requests.
	{Name: "socket.request.max.bytes", Type: Int, Default: "104857600", ReadOnly: true, Validate: atLeast(1),
		Doc: "Largest request frame accepted; a larger one closes the connection."},
	{Name: "message.max.bytes", Type: Int, Default: "1048588", Validate: atLeast(0),
		Doc: "Default for max.message.bytes: the largest record batch accepted."},
	{Name: "queued.max.request.bytes", Type: Long, Default: "104857600", ReadOnly: true, Validate: atLeast(1),
		Doc: "Bytes of requests a node holds in flight before it stops reading from connections (backpressure)."},
	{Name: "fetch.max.bytes", Type: Int, Default: "57671680", ReadOnly: true, Validate: atLeast(1024),
		Doc: "Largest fetch response."},
	{Name: "max.incremental.fetch.session.cache.slots", Type: Int, Default: "1000", ReadOnly: true, Validate: atLeast(0),
		Doc: "Incremental fetch sessions kept per node."},
	{Name: "connections.max.idle.ms", Type: Long, Default: "600000", ReadOnly: true, Validate: atLeast(0),
		Doc: "Idle connections are closed after this long."},
	{Name: "compression.type", Type: String, Default: "producer",
		Validate: oneOf("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"),
		Doc:      "Default for the topic config compression.type."},
	{Name: "min.insync.replicas", Type: Int, Default: "1", Validate: atLeast(1),
		Doc: "Default for the topic config min.insync.replicas."},
	{Name: "unclean.leader.election.enable", Type: Boolean, Default: "false",
		Doc: "Default for the topic config unclean.leader.election.enable."},

	// Log defaults for topics.
	{Name: "log.cleanup.policy", Type: List, Default: "delete", Validate: listOf("delete", "compact"),
		Doc: "Default for cleanup.policy."},
	{Name: "log.retention.ms", Type: Long, Default: "259200000", Validate: atLeast(-1),
		fallbacks: []fallback{{"log.retention.minutes", 60_000}, {"log.retention.hours", 3_600_000}},
		Doc:       "Default for retention.ms (72 hours). When not set, log.retention.minutes, then log.retention.hours are used."},
	{Name: "log.retention.minutes", Type: Int, ReadOnly: true, Validate: atLeast(-1),
		Doc: "Retention in minutes, used when log.retention.ms is not set."},
	{Name: "log.retention.hours", Type: Int, ReadOnly: true, Validate: atLeast(-1),
		Doc: "Retention in hours, used when log.retention.ms and log.retention.minutes are not set."},
	{Name: "log.retention.bytes", Type: Long, Default: "-1",
		Doc: "Default for retention.bytes."},
	{Name: "log.retention.check.interval.ms", Type: Long, Default: "300000", ReadOnly: true, Validate: atLeast(1),
		Doc: "How often retention is enforced."},
	{Name: "log.segment.bytes", Type: Int, Default: "1073741824", Validate: atLeast(14),
		Doc: "Default for segment.bytes."},
	{Name: "log.roll.ms", Type: Long, Default: "604800000", Validate: atLeast(1),
		fallbacks: []fallback{{"log.roll.hours", 3_600_000}},
		Doc:       "Default for segment.ms. When not set, log.roll.hours is used."},
	{Name: "log.roll.hours", Type: Int, ReadOnly: true, Validate: atLeast(1),
		Doc: "Segment roll age in hours, used when log.roll.ms is not set."},
	{Name: "log.roll.jitter.ms", Type: Long, Default: "0", Validate: atLeast(0),
		Doc: "Default for segment.jitter.ms."},
	{Name: "log.index.size.max.bytes", Type: Int, Default: "10485760", Validate: atLeast(4),
		Doc: "Default for segment.index.bytes."},
	{Name: "log.index.interval.bytes", Type: Int, Default: "4096", Validate: atLeast(0),
		Doc: "Default for index.interval.bytes."},
	{Name: "log.flush.interval.messages", Type: Long, Default: maxLong, Validate: atLeast(1),
		Doc: "Default for flush.messages."},
	{Name: "log.flush.interval.ms", Type: Long, Default: maxLong, Validate: atLeast(0),
		Doc: "Default for flush.ms."},
	{Name: "gregor.log.flush.policy", Type: String, Default: FlushAlways, Validate: oneOf(FlushAlways, FlushInterval, FlushNever),
		Doc: "Default for gregor.flush.policy."},
	{Name: "log.segment.delete.delay.ms", Type: Long, Default: "60000", Validate: atLeast(0),
		Doc: "Default for file.delete.delay.ms."},
	{Name: "log.preallocate", Type: Boolean, Default: "false",
		Doc: "Default for preallocate."},
	{Name: "log.message.downconversion.enable", Type: Boolean, Default: "true",
		Doc: "Default for message.downconversion.enable."},
	{Name: "log.message.timestamp.type", Type: String, Default: "CreateTime", Validate: oneOf("CreateTime", "LogAppendTime"),
		Doc: "Default for message.timestamp.type."},
	{Name: "log.message.timestamp.difference.max.ms", Type: Long, Default: maxLong, Validate: atLeast(0),
		Doc: "Default for message.timestamp.difference.max.ms."},
	{Name: "log.message.timestamp.before.max.ms", Type: Long, Default: maxLong, Validate: atLeast(0),
		Doc: "Default for message.timestamp.before.max.ms."},
	{Name: "log.message.timestamp.after.max.ms", Type: Long, Default: maxLong, Validate: atLeast(0),
		Doc: "Default for message.timestamp.after.max.ms."},

	{Name: "log.local.retention.ms", Type: Long, Default: "-2", Validate: atLeast(-2),
		Doc: "Default for local.retention.ms (tiered storage; unused)."},
	{Name: "log.local.retention.bytes", Type: Long, Default: "-2", Validate: atLeast(-2),
		Doc: "Default for local.retention.bytes (tiered storage; unused)."},

	// Leader balance.
	{Name: "auto.leader.rebalance.enable", Type: Boolean, Default: "true", ReadOnly: true,
		Doc: "The controller moves leadership back to each partition's preferred (first) replica when it is live and in sync."},
	{Name: "leader.imbalance.check.interval.seconds", Type: Long, Default: "300", ReadOnly: true, Validate: atLeast(1),
		Doc: "How often the controller checks for partitions not led by their preferred replica."},

	// Cleaner.
	{Name: "log.cleaner.enable", Type: Boolean, Default: "true", ReadOnly: true,
		Doc: "Run the log cleaner for compacted topics."},
	{Name: "log.cleaner.threads", Type: Int, Default: "1", Validate: atLeast(0),
		Doc: "Cleaner goroutines."},
	{Name: "log.cleaner.backoff.ms", Type: Long, Default: "15000", Validate: atLeast(0),
		Doc: "Pause when there is nothing to clean."},
	{Name: "log.cleaner.dedupe.buffer.size", Type: Long, Default: "134217728", Validate: atLeast(0),
		Doc: "Memory for the cleaner's key map, over all cleaner goroutines."},
	{Name: "log.cleaner.io.buffer.size", Type: Int, Default: "524288", Validate: atLeast(0),
		Doc: "I/O buffer memory of the cleaner."},
	{Name: "log.cleaner.min.cleanable.ratio", Type: Double, Default: "0.5", Validate: ratio,
		Doc: "Default for min.cleanable.dirty.ratio."},
	{Name: "log.cleaner.delete.retention.ms", Type: Long, Default: "86400000", Validate: atLeast(0),
		Doc: "Default for delete.retention.ms."},
	{Name: "log.cleaner.min.compaction.lag.ms", Type: Long, Default: "0", Validate: atLeast(0),
		Doc: "Default for min.compaction.lag.ms."},
	{Name: "log.cleaner.max.compaction.lag.ms", Type: Long, Default: maxLong, Validate: atLeast(1),
		Doc: "Default for max.compaction.lag.ms."},

	// Replication.
	{Name: "replica.lag.time.max.ms", Type: Long, Default: "30000", ReadOnly: true, Validate: atLeast(1),
		Doc: "A follower that has not caught up for this long leaves the ISR."},
	{Name: "replica.fetch.max.bytes", Type: Int, Default: "1048576", ReadOnly: true, Validate: atLeast(0),
		Doc: "Bytes a follower asks for per partition."},
	{Name: "replica.fetch.wait.max.ms", Type: Int, Default: "500", ReadOnly: true, Validate: atLeast(0),
		Doc: "Longest wait of a follower fetch."},
	{Name: "broker.heartbeat.interval.ms", Type: Int, Default: "2000", ReadOnly: true, Validate: atLeast(1),
		Doc: "How often a broker heartbeats to the controller."},
	{Name: "broker.session.timeout.ms", Type: Int, Default: "9000", ReadOnly: true, Validate: atLeast(1),
		Doc: "A broker without a heartbeat for this long is fenced."},

	// Groups and offsets.
	{Name: "offsets.topic.num.partitions", Type: Int, Default: "50", ReadOnly: true, Validate: atLeast(1),
		Doc: "Partitions of __consumer_offsets (fixed once created)."},
	{Name: "offsets.topic.replication.factor", Type: Short, Default: "1", ReadOnly: true, Validate: atLeast(1),
		Doc: "Replication factor of __consumer_offsets."},
	{Name: "offsets.topic.segment.bytes", Type: Int, Default: "104857600", ReadOnly: true, Validate: atLeast(1),
		Doc: "Segment size of __consumer_offsets."},
	{Name: "offsets.retention.minutes", Type: Int, Default: "10080", ReadOnly: true, Validate: atLeast(1),
		Doc: "Committed offsets of an empty group are kept this long."},
	{Name: "offsets.retention.check.interval.ms", Type: Long, Default: "600000", ReadOnly: true, Validate: atLeast(1),
		Doc: "How often expired offsets are removed."},
	{Name: "group.initial.rebalance.delay.ms", Type: Int, Default: "3000", ReadOnly: true, Validate: atLeast(0),
		Doc: "Wait for more members before the first rebalance of an empty classic group."},
	{Name: "group.min.session.timeout.ms", Type: Int, Default: "6000", ReadOnly: true,
		Doc: "Smallest session timeout a classic group member may ask for."},
	{Name: "group.max.session.timeout.ms", Type: Int, Default: "1800000", ReadOnly: true,
		Doc: "Largest session timeout a classic group member may ask for."},
	{Name: "group.max.size", Type: Int, Default: maxInt, ReadOnly: true, Validate: atLeast(1),
		Doc: "Most members in one group."},
	{Name: "group.consumer.session.timeout.ms", Type: Int, Default: "45000", ReadOnly: true, Validate: atLeast(1),
		Doc: "Session timeout of KIP-848 consumer group members."},
	{Name: "group.consumer.heartbeat.interval.ms", Type: Int, Default: "5000", ReadOnly: true, Validate: atLeast(1),
		Doc: "Heartbeat interval of KIP-848 consumer group members."},

	// Transactions and producers.
	{Name: "transaction.max.timeout.ms", Type: Int, Default: "900000", ReadOnly: true, Validate: atLeast(1),
		Doc: "Largest transaction timeout a producer may ask for."},
	{Name: "transactional.id.expiration.ms", Type: Int, Default: "604800000", ReadOnly: true, Validate: atLeast(1),
		Doc: "A transactional id unused for this long is forgotten."},
	{Name: "transaction.state.log.num.partitions", Type: Int, Default: "50", ReadOnly: true, Validate: atLeast(1),
		Doc: "Partitions of __transaction_state (fixed once created)."},
	{Name: "transaction.state.log.replication.factor", Type: Short, Default: "1", ReadOnly: true, Validate: atLeast(1),
		Doc: "Replication factor of __transaction_state."},
	{Name: "transaction.state.log.min.isr", Type: Int, Default: "1", ReadOnly: true, Validate: atLeast(1),
		Doc: "min.insync.replicas of __transaction_state."},
	{Name: "producer.id.expiration.ms", Type: Int, Default: "86400000", ReadOnly: true, Validate: atLeast(1),
		Doc: "Idempotent producer state unused for this long is dropped."},
}

// brokerAliases maps other spellings (Kafka's and the serve flags') to the
// canonical broker config name.
var brokerAliases = map[string]string{
	"data.dir":                 "log.dirs",
	"log.dir":                  "log.dirs",
	"rack":                     "broker.rack",
	"broker.id":                "node.id",
	"controller.quorum.voters": "voters",
}

// flagNames maps serve's flags to the broker config they set.
var flagNames = map[string]string{
	"data-dir":             "log.dirs",
	"node-id":              "node.id",
	"kafka-addr":           "kafka.addr",
	"advertise-kafka-addr": "advertise.kafka.addr",
	"http-addr":            "http.addr",
	"raft-addr":            "raft.addr",
	"voters":               "voters",
	"rack":                 "broker.rack",
}

// FlagConfigName returns the broker config a `gregor serve` flag sets
// ("data-dir" -> "log.dirs"), so flag values can be passed to LoadBroker as
// sets.
func FlagConfigName(flag string) (string, bool) {
	n, ok := flagNames[flag]
	return n, ok
}

var brokerIndex = indexDefs(brokerDefs)

// BrokerDefs returns every broker config, sorted by name. The slice is a copy.
func BrokerDefs() []Def { return append([]Def(nil), sortedBrokerDefs...) }

var sortedBrokerDefs = sortDefs(brokerDefs)

// LookupBroker returns the broker config with this name or alias.
func LookupBroker(name string) (Def, bool) {
	if a, ok := brokerAliases[name]; ok {
		name = a
	}
	i, ok := brokerIndex[name]
	if !ok {
		return Def{}, false
	}
	return brokerDefs[i], true
}

func optional(f func(string) error) func(string) error {
	return func(v string) error {
		if strings.TrimSpace(v) == "" {
			return nil
		}
		return f(v)
	}
}

func hostPort(v string) error {
	_, port, err := net.SplitHostPort(strings.TrimSpace(v))
	if err != nil {
		return errors.New("must be host:port")
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return errors.New("port must be 0..65535")
	}
	return nil
}

// Voter is one metadata quorum voter.
type Voter struct {
	ID   int32
	Addr string // host:port of its raft transport
}

// ParseVoters parses id@host:port,id@host:port. Ids and addresses must be
// unique.
func ParseVoters(v string) ([]Voter, error) {
	var out []Voter
	ids := map[int32]bool{}
	addrs := map[string]bool{}
	for _, item := range SplitList(v) {
		id, addr, ok := strings.Cut(item, "@")
		if !ok {
			return nil, fmt.Errorf("voter %q: want id@host:port", item)
		}
		n, err := strconv.ParseInt(id, 10, 32)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("voter %q: bad id", item)
		}
		if err := hostPort(addr); err != nil {
			return nil, fmt.Errorf("voter %q: %v", item, err)
		}
		if ids[int32(n)] || addrs[addr] {
			return nil, fmt.Errorf("voter %q: duplicate", item)
		}
		ids[int32(n)], addrs[addr] = true, true
		out = append(out, Voter{ID: int32(n), Addr: addr})
	}
	return out, nil
}

// parseListener splits NAME://host:port.
func parseListener(item string) (name, hostport string, err error) {
	name, hostport, ok := strings.Cut(item, "://")
	if !ok || name == "" {
		return "", "", fmt.Errorf("listener %q: want NAME://host:port", item)
	}
	if err := hostPort(hostport); err != nil {
		return "", "", fmt.Errorf("listener %q: %v", item, err)
	}
	return name, hostport, nil
}

func listenerList(v string) error {
	for _, item := range SplitList(v) {
		if _, _, err := parseListener(item); err != nil {
			return err
		}
	}
	return nil
}

// clientListener returns the address of the first listener in v that is
// not a controller listener, "" when there is none.
func clientListener(v, controllerNames string) string {
	skip := map[string]bool{}
	for _, n := range SplitList(controllerNames) {
		skip[n] = true
	}
	for _, item := range SplitList(v) {
		name, hp, err := parseListener(item)
		if err == nil && !skip[name] {
			return hp
		}
	}
	return ""
}

func votersList(v string) error {
	_, err := ParseVoters(v)
	return err
}
