package metadata

import (
	"encoding/json"
	"fmt"
)

// A batch is what one raft entry holds: records applied atomically, in
// order. Encoded as JSON for now; every record carries its own version so
// the encoding of one type can evolve alone.
//
//	{"v":1,"r":[{"t":"topic","v":1,"d":{...}}, ...]}
type batch struct {
	Version int         `json:"v"`
	Records []rawRecord `json:"r"`
}

type rawRecord struct {
	Type    string          `json:"t"`
	Version int             `json:"v"`
	Data    json.RawMessage `json:"d"`
}

const batchVersion = 1

// record is implemented by every record type.
type record interface {
	recordType() string
}

// Record types. Field names are short-lived JSON; keep them stable.
type (
	// clusterRecord fixes the cluster id, once.
	clusterRecord struct {
		ClusterID string `json:"cluster_id"`
	}
	// controllerRecord is written by a new quorum leader to announce
	// itself; its raft term becomes the controller epoch.
	controllerRecord struct {
		ID int32 `json:"id"`
	}
	brokerRecord struct {
		ID          int32    `json:"id"`
		Host        string   `json:"host"`
		Port        int32    `json:"port"`
		Rack        string   `json:"rack,omitempty"`
		Incarnation [16]byte `json:"incarnation"`
		Fenced      bool     `json:"fenced,omitempty"`
	}
	fenceRecord struct {
		ID     int32 `json:"id"`
		Fenced bool  `json:"fenced"`
	}
	topicRecord struct {
		Name string   `json:"name"`
		ID   [16]byte `json:"id"`
	}
	partitionRecord struct {
		TopicID        [16]byte `json:"topic_id"`
		Partition      int32    `json:"partition"`
		Replicas       []int32  `json:"replicas"`
		ISR            []int32  `json:"isr"`
		Leader         int32    `json:"leader"`
		LeaderEpoch    int32    `json:"leader_epoch"`
		PartitionEpoch int32    `json:"partition_epoch"`
	}
	// partitionChangeRecord changes what is set; a new leader bumps the
	// leader epoch, any change bumps the partition epoch.
	partitionChangeRecord struct {
		TopicID   [16]byte `json:"topic_id"`
		Partition int32    `json:"partition"`
		Leader    *int32   `json:"leader,omitempty"`
		ISR       []int32  `json:"isr,omitempty"`
		Replicas  []int32  `json:"replicas,omitempty"`
		Offline   []int32  `json:"offline,omitempty"`
		// Adding and Removing describe a reassignment in progress; nil
		// leaves them unchanged, an empty list clears them.
		Adding   *[]int32 `json:"adding,omitempty"`
		Removing *[]int32 `json:"removing,omitempty"`
	}
	removeTopicRecord struct {
		ID [16]byte `json:"id"`
	}
	// configRecord sets (Value non-nil) or deletes one config of a topic
	// (ResourceType 2, Name = topic) or of brokers (4, Name "" = cluster
	// default, else a node id).
	configRecord struct {
		ResourceType int8    `json:"resource_type"`
		Name         string  `json:"name"`
		Key          string  `json:"key"`
		Value        *string `json:"value"`
	}
	producerIDsRecord struct {
		Broker int32 `json:"broker"`
		First  int64 `json:"first"`
		Count  int64 `json:"count"`
	}
	aclRecord struct {
		ID  [16]byte `json:"id"`
		ACL ACL      `json:"acl"`
	}
	removeACLRecord struct {
		ID [16]byte `json:"id"`
	}
	scramRecord struct {
		User       string `json:"user"`
		Mechanism  int8   `json:"mechanism"`
		Salt       []byte `json:"salt"`
		StoredKey  []byte `json:"stored_key"`
		ServerKey  []byte `json:"server_key"`
		Iterations int32  `json:"iterations"`
	}
	removeScramRecord struct {
		User      string `json:"user"`
		Mechanism int8   `json:"mechanism"`
	}
	// quotaRecord sets (Value non-nil) or removes one quota of an entity.
	quotaRecord struct {
		Entity []QuotaEntity `json:"entity"`
		Key    string        `json:"key"`
		Value  *float64      `json:"value"`
	}
)

func (clusterRecord) recordType() string         { return "cluster" }
func (controllerRecord) recordType() string      { return "controller" }
func (brokerRecord) recordType() string          { return "broker" }
func (fenceRecord) recordType() string           { return "fence" }
func (topicRecord) recordType() string           { return "topic" }
func (partitionRecord) recordType() string       { return "partition" }
func (partitionChangeRecord) recordType() string { return "partition-change" }
func (removeTopicRecord) recordType() string     { return "remove-topic" }
func (configRecord) recordType() string          { return "config" }
func (producerIDsRecord) recordType() string     { return "producer-ids" }
func (aclRecord) recordType() string             { return "acl" }
func (removeACLRecord) recordType() string       { return "remove-acl" }
func (scramRecord) recordType() string           { return "scram" }
func (removeScramRecord) recordType() string     { return "remove-scram" }
func (quotaRecord) recordType() string           { return "quota" }

// Resource types of configRecord, Kafka's numbering.
const (
	ResourceTopic  int8 = 2
	ResourceBroker int8 = 4
)

// recordVersion is the current version of every type; decoding accepts
// exactly these.
var recordVersion = map[string]int{
	"cluster": 1, "controller": 1, "broker": 1, "fence": 1, "topic": 1, "partition": 1,
	"partition-change": 1, "remove-topic": 1, "config": 1, "producer-ids": 1,
	"acl": 1, "remove-acl": 1, "scram": 1, "remove-scram": 1, "quota": 1,
}

func newRecord(t string) record {
	switch t {
	case "cluster":
		return &clusterRecord{}
	case "controller":
		return &controllerRecord{}
	case "broker":
		return &brokerRecord{}
	case "fence":
		return &fenceRecord{}
	case "topic":
		return &topicRecord{}
	case "partition":
		return &partitionRecord{}
	case "partition-change":
		return &partitionChangeRecord{}
	case "remove-topic":
		return &removeTopicRecord{}
	case "config":
		return &configRecord{}
	case "producer-ids":
		return &producerIDsRecord{}
	case "acl":
		return &aclRecord{}
	case "remove-acl":
		return &removeACLRecord{}
	case "scram":
		return &scramRecord{}
	case "remove-scram":
		return &removeScramRecord{}
	case "quota":
		return &quotaRecord{}
	}
	return nil
}

func encodeBatch(recs []record) ([]byte, error) {
	b := batch{Version: batchVersion, Records: make([]rawRecord, 0, len(recs))}
	for _, r := range recs {
		data, err := json.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encode %s record: %w", r.recordType(), err)
		}
		t := r.recordType()
		b.Records = append(b.Records, rawRecord{Type: t, Version: recordVersion[t], Data: data})
	}
	return json.Marshal(b)
}

// decodeBatch decodes a raft entry. Pointers to the record structs are
// returned as values so apply can switch on concrete types.
func decodeBatch(data []byte) ([]record, error) {
	var b batch
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorruptRecord, err)
	}
	if b.Version != batchVersion {
		return nil, fmt.Errorf("%w: batch version %d", ErrCorruptRecord, b.Version)
	}
	out := make([]record, 0, len(b.Records))
	for i, raw := range b.Records {
		r := newRecord(raw.Type)
		if r == nil {
			return nil, fmt.Errorf("%w: record %d: unknown type %q", ErrCorruptRecord, i, raw.Type)
		}
		if raw.Version != recordVersion[raw.Type] {
			return nil, fmt.Errorf("%w: record %d: %s version %d", ErrCorruptRecord, i, raw.Type, raw.Version)
		}
		if err := json.Unmarshal(raw.Data, r); err != nil {
			return nil, fmt.Errorf("%w: record %d (%s): %v", ErrCorruptRecord, i, raw.Type, err)
		}
		out = append(out, deref(r))
	}
	return out, nil
}

func deref(r record) record {
	switch v := r.(type) {
	case *clusterRecord:
		return *v
	case *controllerRecord:
		return *v
	case *brokerRecord:
		return *v
	case *fenceRecord:
		return *v
	case *topicRecord:
		return *v
	case *partitionRecord:
		return *v
	case *partitionChangeRecord:
		return *v
	case *removeTopicRecord:
		return *v
	case *configRecord:
		return *v
	case *producerIDsRecord:
		return *v
	case *aclRecord:
		return *v
	case *removeACLRecord:
		return *v
	case *scramRecord:
		return *v
	case *removeScramRecord:
		return *v
	case *quotaRecord:
		return *v
	}
	return r
}
