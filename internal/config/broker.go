package config

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

// EnvPrefix starts every environment variable LoadBroker reads:
// GREGOR_NUM_PARTITIONS sets num.partitions, GREGOR_DATA_DIR sets log.dirs.
const EnvPrefix = "GREGOR_"

// envIgnored are GREGOR_ variables the gregor binary reads that are not
// broker configs: the config file path (read by serve itself) and the
// client commands' bootstrap servers, which an operator may well have set
// in the shell that starts the broker.
var envIgnored = map[string]bool{"GREGOR_CONFIG": true, "GREGOR_BROKERS": true, "GREGOR_BIN": true}

// Broker is the node's static configuration: defaults, overridden by the
// config file, then GREGOR_* environment variables, then --set flags. It is
// immutable once loaded. Dynamic broker configs live in the metadata image
// and are layered on top by ResolveTopic/ResolveBroker.
type Broker struct {
	NodeID             int32
	DataDir            string
	KafkaAddr          string
	AdvertiseKafkaAddr string // kafka.addr when not set
	HTTPAddr           string
	RaftAddr           string
	Voters             string // id@host:port,...; ParseVoters splits it
	Rack               string

	NumPartitions                        int32
	DefaultReplicationFactor             int16
	AutoCreateTopics                     bool
	DeleteTopicEnable                    bool
	SocketRequestMaxBytes                int32
	MessageMaxBytes                      int32
	QueuedMaxRequestBytes                int64
	FetchMaxBytes                        int32
	MaxIncrementalFetchSessionCacheSlots int32
	ConnectionsMaxIdleMs                 int64
	LogRetentionCheckIntervalMs          int64
	LogCleanerEnable                     bool
	LogCleanerThreads                    int32
	ReplicaLagTimeMaxMs                  int64
	ReplicaFetchMaxBytes                 int32
	ReplicaFetchWaitMaxMs                int32
	BrokerHeartbeatIntervalMs            int32
	BrokerSessionTimeoutMs               int32

	OffsetsTopicNumPartitions        int32
	OffsetsTopicReplicationFactor    int16
	OffsetsTopicSegmentBytes         int32
	OffsetsRetentionMinutes          int32
	OffsetsRetentionCheckIntervalMs  int64
	GroupInitialRebalanceDelayMs     int32
	GroupMinSessionTimeoutMs         int32
	GroupMaxSessionTimeoutMs         int32
	GroupMaxSize                     int32
	GroupConsumerSessionTimeoutMs    int32
	GroupConsumerHeartbeatIntervalMs int32

	TransactionMaxTimeoutMs              int32
	TransactionalIDExpirationMs          int32
	TransactionStateLogNumPartitions     int32
	TransactionStateLogReplicationFactor int16
	TransactionStateLogMinISR            int32
	ProducerIDExpirationMs               int32

	// Raw holds every broker config's effective static value by its Kafka
	// name, defaults included ("" for a config without default). Topic
	// defaults derived from coarser settings (log.retention.hours) are
	// already folded into their ms config.
	Raw map[string]string
	// Static holds the configs set explicitly (file, env, --set), by
	// canonical name.
	Static map[string]string
}

// Get returns a broker config's static value and its source
// (SourceStaticBroker or SourceDefault).
func (b *Broker) Get(name string) (string, int8) {
	d, ok := LookupBroker(name)
	if !ok {
		return "", 0
	}
	if _, set := b.Static[d.Name]; set {
		return b.Raw[d.Name], SourceStaticBroker
	}
	for _, f := range d.fallbacks {
		if _, set := b.Static[f.name]; set {
			return b.Raw[d.Name], SourceStaticBroker
		}
	}
	return b.Raw[d.Name], SourceDefault
}

// LoadBroker builds the node's configuration. file is a Java .properties
// file ("" for none); env is os.Environ()-style NAME=value pairs, of which
// GREGOR_* are read (GREGOR_LOG_RETENTION_MS -> log.retention.ms); sets are
// name=value pairs from --set (and serve's flags via FlagConfigName).
// Precedence: sets > env > file > defaults. An unknown name or a bad value
// is an error naming it and where it came from.
func LoadBroker(file string, env []string, sets map[string]string) (*Broker, error) {
	static := map[string]string{}
	apply := func(origin, name, value string) error {
		d, ok := LookupBroker(name)
		if !ok {
			return fmt.Errorf("%s: %w: unknown broker config %q", origin, ErrInvalidConfig, name)
		}
		if err := d.Check(value); err != nil {
			return fmt.Errorf("%s: %w", origin, err)
		}
		static[d.Name] = strings.TrimSpace(value)
		return nil
	}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read config file: %w", err)
		}
		props, err := ParseProperties(string(data))
		if err != nil {
			return nil, fmt.Errorf("config file %s: %w: %v", file, ErrInvalidConfig, err)
		}
		for _, k := range sortedKeys(props) {
			if err := apply("config file "+file, k, props[k]); err != nil {
				return nil, err
			}
		}
	}
	envSets := map[string]string{}
	for _, kv := range env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, EnvPrefix) || envIgnored[k] {
			continue
		}
		envSets[k] = v
	}
	for _, k := range sortedKeys(envSets) {
		name := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(k, EnvPrefix)), "_", ".")
		if err := apply("environment "+k, name, envSets[k]); err != nil {
			return nil, err
		}
	}
	for _, k := range sortedKeys(sets) {
		if err := apply("--set "+k, k, sets[k]); err != nil {
			return nil, err
		}
	}
	return newBroker(static)
}

// DefaultBroker is the configuration with every default, as `gregor serve`
// with no flags.
func DefaultBroker() *Broker {
	b, err := newBroker(map[string]string{})
	if err != nil {
		panic("config defaults do not load: " + err.Error())
	}
	return b
}

func newBroker(static map[string]string) (*Broker, error) {
	raw := make(map[string]string, len(brokerDefs))
	for _, d := range brokerDefs {
		v, ok := static[d.Name]
		if !ok {
			v = d.Default
			for _, f := range d.fallbacks {
				if fv, set := static[f.name]; set {
					n, _ := strconv.ParseInt(fv, 10, 64)
					if n >= 0 {
						n *= f.mult
					}
					v = strconv.FormatInt(n, 10)
					break
				}
			}
		}
		raw[d.Name] = v
	}
	b := &Broker{Raw: raw, Static: static}
	p := parser{raw: raw}
	b.NodeID = p.i32("node.id")
	b.DataDir = raw["log.dirs"]
	if dirs := SplitList(b.DataDir); len(dirs) != 1 {
		return nil, fmt.Errorf("%w: log.dirs=%q: Gregor uses exactly one data directory", ErrInvalidConfig, b.DataDir)
	}
	// Kafka's listeners/advertised.listeners stand in for Gregor's
	// address settings when those are not set themselves.
	if _, set := static["kafka.addr"]; !set {
		if hp := clientListener(raw["listeners"], raw["controller.listener.names"]); hp != "" {
			if strings.HasPrefix(hp, ":") {
				hp = "0.0.0.0" + hp // Kafka: an empty host binds every interface
			}
			raw["kafka.addr"] = hp
		}
	}
	if _, set := static["advertise.kafka.addr"]; !set {
		if hp := clientListener(raw["advertised.listeners"], raw["controller.listener.names"]); hp != "" {
			raw["advertise.kafka.addr"] = hp
		}
	}
	b.KafkaAddr = raw["kafka.addr"]
	b.AdvertiseKafkaAddr = raw["advertise.kafka.addr"]
	if b.AdvertiseKafkaAddr == "" {
		b.AdvertiseKafkaAddr = b.KafkaAddr
	}
	b.HTTPAddr = raw["http.addr"]
	b.RaftAddr = raw["raft.addr"]
	b.Voters = raw["voters"]
	b.Rack = raw["broker.rack"]

	b.NumPartitions = p.i32("num.partitions")
	b.DefaultReplicationFactor = int16(p.i64("default.replication.factor"))
	b.AutoCreateTopics = p.bool("auto.create.topics.enable")
	b.DeleteTopicEnable = p.bool("delete.topic.enable")
	b.SocketRequestMaxBytes = p.i32("socket.request.max.bytes")
	b.MessageMaxBytes = p.i32("message.max.bytes")
	b.QueuedMaxRequestBytes = p.i64("queued.max.request.bytes")
	b.FetchMaxBytes = p.i32("fetch.max.bytes")
	b.MaxIncrementalFetchSessionCacheSlots = p.i32("max.incremental.fetch.session.cache.slots")
	b.ConnectionsMaxIdleMs = p.i64("connections.max.idle.ms")
	b.LogRetentionCheckIntervalMs = p.i64("log.retention.check.interval.ms")
	b.LogCleanerEnable = p.bool("log.cleaner.enable")
	b.LogCleanerThreads = p.i32("log.cleaner.threads")
	b.ReplicaLagTimeMaxMs = p.i64("replica.lag.time.max.ms")
	b.ReplicaFetchMaxBytes = p.i32("replica.fetch.max.bytes")
	b.ReplicaFetchWaitMaxMs = p.i32("replica.fetch.wait.max.ms")
	b.BrokerHeartbeatIntervalMs = p.i32("broker.heartbeat.interval.ms")
	b.BrokerSessionTimeoutMs = p.i32("broker.session.timeout.ms")

	b.OffsetsTopicNumPartitions = p.i32("offsets.topic.num.partitions")
	b.OffsetsTopicReplicationFactor = int16(p.i64("offsets.topic.replication.factor"))
	b.OffsetsTopicSegmentBytes = p.i32("offsets.topic.segment.bytes")
	b.OffsetsRetentionMinutes = p.i32("offsets.retention.minutes")
	b.OffsetsRetentionCheckIntervalMs = p.i64("offsets.retention.check.interval.ms")
	b.GroupInitialRebalanceDelayMs = p.i32("group.initial.rebalance.delay.ms")
	b.GroupMinSessionTimeoutMs = p.i32("group.min.session.timeout.ms")
	b.GroupMaxSessionTimeoutMs = p.i32("group.max.session.timeout.ms")
	b.GroupMaxSize = p.i32("group.max.size")
	b.GroupConsumerSessionTimeoutMs = p.i32("group.consumer.session.timeout.ms")
	b.GroupConsumerHeartbeatIntervalMs = p.i32("group.consumer.heartbeat.interval.ms")

	b.TransactionMaxTimeoutMs = p.i32("transaction.max.timeout.ms")
	b.TransactionalIDExpirationMs = p.i32("transactional.id.expiration.ms")
	b.TransactionStateLogNumPartitions = p.i32("transaction.state.log.num.partitions")
	b.TransactionStateLogReplicationFactor = int16(p.i64("transaction.state.log.replication.factor"))
	b.TransactionStateLogMinISR = p.i32("transaction.state.log.min.isr")
	b.ProducerIDExpirationMs = p.i32("producer.id.expiration.ms")

	if b.GroupMinSessionTimeoutMs > b.GroupMaxSessionTimeoutMs {
		return nil, fmt.Errorf("%w: group.min.session.timeout.ms=%d exceeds group.max.session.timeout.ms=%d",
			ErrInvalidConfig, b.GroupMinSessionTimeoutMs, b.GroupMaxSessionTimeoutMs)
	}
	return b, nil
}

// parser reads already validated values; a failure here is a bug in a Def.
type parser struct{ raw map[string]string }

func (p parser) i64(name string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(p.raw[name]), 10, 64)
	if err != nil {
		panic(fmt.Sprintf("config %s=%q: %v", name, p.raw[name], err))
	}
	return n
}

func (p parser) i32(name string) int32 { return int32(p.i64(name)) }

func (p parser) bool(name string) bool {
	v, err := parseBool(p.raw[name])
	if err != nil {
		panic(fmt.Sprintf("config %s=%q: %v", name, p.raw[name], err))
	}
	return v
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// WithDynamic returns the configuration in force with dynamic broker
// configs applied: the node's own over the cluster-wide ones over b.
// Read-only names and invalid values in the dynamic maps are ignored (the
// controller refuses them; this guards against a bad record). b itself is
// not changed.
func (b *Broker) WithDynamic(nodeDynamic, clusterDynamic map[string]string) *Broker {
	if len(nodeDynamic) == 0 && len(clusterDynamic) == 0 {
		return b
	}
	static := make(map[string]string, len(b.Static)+len(clusterDynamic)+len(nodeDynamic))
	for k, v := range b.Static {
		static[k] = v
	}
	for _, layer := range []map[string]string{clusterDynamic, nodeDynamic} {
		for k, v := range layer {
			if d, ok := LookupBroker(k); ok && d.Name == k && !d.ReadOnly && d.Check(v) == nil {
				static[k] = strings.TrimSpace(v)
			}
		}
	}
	nb, err := newBroker(static)
	if err != nil {
		return b
	}
	return nb
}
