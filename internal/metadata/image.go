package metadata

import (
	"sort"
	"strconv"

	"github.com/gregor-stream/gregor/internal/config"
)

// Image is the cluster metadata at one point of the log. Never mutate an
// Image, or anything it points to, once published.
type Image struct {
	// Offset is the raft index of the last applied batch; Epoch the raft
	// term it was written in.
	Offset uint64
	Epoch  uint64

	ClusterID string
	// ControllerID is the node that leads the quorum (-1 before the first
	// leader announced itself); ControllerEpoch the raft term it leads in.
	ControllerID    int32
	ControllerEpoch uint64

	Brokers    map[int32]Broker
	Topics     map[string]*Topic
	TopicsByID map[[16]byte]*Topic
	// TopicConfigs holds each topic's overrides by topic name.
	TopicConfigs map[string]map[string]string
	// BrokerConfigs holds dynamic broker configs: "" is the cluster-wide
	// default, "1" node 1.
	BrokerConfigs map[string]map[string]string
	// NextProducerID is the first producer id not yet handed out.
	NextProducerID int64
	// ACLs by their id.
	ACLs map[[16]byte]ACL
	// ScramCredentials by user, then mechanism.
	ScramCredentials map[string]map[int8]ScramCredential
	// ClientQuotas by entity; use Quota and QuotaList to read them.
	ClientQuotas map[string]ClientQuota

	// Changes says what differs from the image published just before this
	// one, so a subscriber need not compare everything.
	Changes Changes
}

// Changes lists what one published image changed relative to the one
// before it. Subscribers see consecutive images, so it is exact for them.
type Changes struct {
	// All is set when the image replaced the previous one wholesale (a
	// snapshot was restored): compare everything.
	All bool
	// Topics holds the names of topics created, deleted, or changed in
	// their partitions or config overrides.
	Topics        map[string]bool
	Brokers       bool // registrations or fencing
	BrokerConfigs bool // dynamic broker configs: may change every topic's effective config
	Cluster       bool // cluster id or controller
	ProducerIDs   bool
	ACLs          bool
	Credentials   bool // SCRAM credentials
	Quotas        bool
}

// TopicChanged reports whether the image changed topic name (or may have,
// when Changes.All or the dynamic broker configs changed).
func (img *Image) TopicChanged(name string) bool {
	return img.Changes.All || img.Changes.BrokerConfigs || img.Changes.Topics[name]
}

// Topic is a topic and its partitions, indexed by partition number.
type Topic struct {
	Name       string
	ID         [16]byte
	Partitions []Partition
}

// Partition is one partition's replica set and leadership.
type Partition struct {
	Partition      int32
	Leader         int32 // -1 when none
	LeaderEpoch    int32
	PartitionEpoch int32
	Replicas       []int32
	ISR            []int32
	Offline        []int32
	// AddingReplicas and RemovingReplicas are set while a reassignment
	// is in progress: Replicas is then the target followed by the
	// replicas being removed.
	AddingReplicas   []int32 `json:",omitempty"`
	RemovingReplicas []int32 `json:",omitempty"`
}

// Broker is a registered broker.
type Broker struct {
	ID          int32
	Host        string
	Port        int32
	Rack        string
	Fenced      bool
	Incarnation [16]byte
}

func emptyImage() *Image {
	return &Image{
		ControllerID:  -1,
		Brokers:       map[int32]Broker{},
		Topics:        map[string]*Topic{},
		TopicsByID:    map[[16]byte]*Topic{},
		TopicConfigs:  map[string]map[string]string{},
		BrokerConfigs: map[string]map[string]string{},
		ACLs:          map[[16]byte]ACL{},

		ScramCredentials: map[string]map[int8]ScramCredential{},
		ClientQuotas:     map[string]ClientQuota{},
	}
}

// Topic returns the topic by name, nil when unknown.
func (img *Image) Topic(name string) *Topic { return img.Topics[name] }

// TopicByID returns the topic by id, nil when unknown.
func (img *Image) TopicByID(id [16]byte) *Topic { return img.TopicsByID[id] }

// TopicNames returns every topic name, sorted.
func (img *Image) TopicNames() []string {
	out := make([]string, 0, len(img.Topics))
	for n := range img.Topics {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Partition returns partition p of topic, ok=false when either is unknown.
func (img *Image) Partition(topic string, p int32) (Partition, bool) {
	t := img.Topics[topic]
	if t == nil || p < 0 || int(p) >= len(t.Partitions) {
		return Partition{}, false
	}
	return t.Partitions[p], true
}

// BrokerList returns the registered brokers sorted by id.
func (img *Image) BrokerList() []Broker {
	out := make([]Broker, 0, len(img.Brokers))
	for _, b := range img.Brokers {
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// LiveBrokers returns the unfenced brokers sorted by id.
func (img *Image) LiveBrokers() []Broker {
	var out []Broker
	for _, b := range img.BrokerList() {
		if !b.Fenced {
			out = append(out, b)
		}
	}
	return out
}

// DynamicBrokerConfigs returns the dynamic broker configs in force on node:
// the node's own over the cluster-wide defaults. The result is a new map.
func (img *Image) DynamicBrokerConfigs(node int32) map[string]string {
	out := map[string]string{}
	for k, v := range img.BrokerConfigs[""] {
		out[k] = v
	}
	for k, v := range img.BrokerConfigs[strconv.Itoa(int(node))] {
		out[k] = v
	}
	return out
}

// TopicConfig returns the effective config of a topic on node, with the
// node's static configuration b (nil = defaults).
func (img *Image) TopicConfig(topic string, node int32, b *config.Broker) config.TopicConfig {
	return config.EffectiveTopic(img.TopicConfigs[topic], b, img.DynamicBrokerConfigs(node))
}

// BrokerConfig returns node's configuration in force: its static
// configuration b with the dynamic broker configs applied.
func (img *Image) BrokerConfig(node int32, b *config.Broker) *config.Broker {
	return b.WithDynamic(img.BrokerConfigs[strconv.Itoa(int(node))], img.BrokerConfigs[""])
}

// ResolveTopic returns a topic's configs for DescribeConfigs on node: each
// value with its Kafka source and synonyms.
func (img *Image) ResolveTopic(topic string, node int32, b *config.Broker) []config.Value {
	return config.ResolveTopicWith(img.TopicConfigs[topic], b, img.BrokerConfigs[strconv.Itoa(int(node))], img.BrokerConfigs[""])
}

// ReplicationFactor is the number of replicas of partition 0.
func (t *Topic) ReplicationFactor() int16 {
	if len(t.Partitions) == 0 {
		return 0
	}
	return int16(len(t.Partitions[0].Replicas))
}

// clone copies the image's maps so a batch can be applied to the copy.
// Topics and inner config maps are shared until changed (copy on write).
func (img *Image) clone() *Image {
	n := *img
	n.Brokers = make(map[int32]Broker, len(img.Brokers))
	for k, v := range img.Brokers {
		n.Brokers[k] = v
	}
	n.Topics = make(map[string]*Topic, len(img.Topics))
	for k, v := range img.Topics {
		n.Topics[k] = v
	}
	n.TopicsByID = make(map[[16]byte]*Topic, len(img.TopicsByID))
	for k, v := range img.TopicsByID {
		n.TopicsByID[k] = v
	}
	n.TopicConfigs = make(map[string]map[string]string, len(img.TopicConfigs))
	for k, v := range img.TopicConfigs {
		n.TopicConfigs[k] = v
	}
	n.BrokerConfigs = make(map[string]map[string]string, len(img.BrokerConfigs))
	for k, v := range img.BrokerConfigs {
		n.BrokerConfigs[k] = v
	}
	n.ACLs = make(map[[16]byte]ACL, len(img.ACLs))
	for k, v := range img.ACLs {
		n.ACLs[k] = v
	}
	n.ScramCredentials = make(map[string]map[int8]ScramCredential, len(img.ScramCredentials))
	for k, v := range img.ScramCredentials {
		n.ScramCredentials[k] = v
	}
	n.ClientQuotas = make(map[string]ClientQuota, len(img.ClientQuotas))
	for k, v := range img.ClientQuotas {
		n.ClientQuotas[k] = v
	}
	return &n
}

func (t *Topic) clone() *Topic {
	n := *t
	n.Partitions = append([]Partition(nil), t.Partitions...)
	return &n
}
