package txn

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// State is a transaction's state, numbered as in Kafka's transaction log.
type State int8

// The states of Kafka's TransactionState.
const (
	Empty State = iota
	Ongoing
	PrepareCommit
	PrepareAbort
	CompleteCommit
	CompleteAbort
	Dead
	PrepareEpochFence
)

func (s State) String() string {
	switch s {
	case Empty:
		return "Empty"
	case Ongoing:
		return "Ongoing"
	case PrepareCommit:
		return "PrepareCommit"
	case PrepareAbort:
		return "PrepareAbort"
	case CompleteCommit:
		return "CompleteCommit"
	case CompleteAbort:
		return "CompleteAbort"
	case Dead:
		return "Dead"
	case PrepareEpochFence:
		return "PrepareEpochFence"
	}
	return "Unknown"
}

// TP is a topic partition in a transaction.
type TP struct {
	Topic     string
	Partition int32
}

// Txn is the state of one transactional id as last written.
type Txn struct {
	ID         string
	ProducerID int64
	Epoch      int16
	TimeoutMs  int32
	State      State
	Partitions map[TP]struct{}
	StartMs    int64
	UpdateMs   int64
}

func (t *Txn) clone() *Txn {
	c := *t
	c.Partitions = make(map[TP]struct{}, len(t.Partitions))
	for tp := range t.Partitions {
		c.Partitions[tp] = struct{}{}
	}
	return &c
}

// SortedPartitions lists the partitions in a stable order.
func (t *Txn) SortedPartitions() []TP {
	out := make([]TP, 0, len(t.Partitions))
	for tp := range t.Partitions {
		out = append(out, tp)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}

// encode returns the record key and value of t in Kafka's transaction log
// format (key version 0, value version 0).
func encode(t *Txn) (key, value []byte) {
	k := kmsg.NewTxnMetadataKey()
	k.TransactionalID = t.ID
	v := kmsg.NewTxnMetadataValue()
	v.ProducerID = t.ProducerID
	v.ProducerEpoch = t.Epoch
	v.TimeoutMillis = t.TimeoutMs
	v.State = kmsg.TransactionState(t.State)
	v.LastUpdateTimestamp = t.UpdateMs
	v.StartTimestamp = t.StartMs
	byTopic := map[string][]int32{}
	for _, tp := range t.SortedPartitions() {
		byTopic[tp.Topic] = append(byTopic[tp.Topic], tp.Partition)
	}
	topics := make([]string, 0, len(byTopic))
	for topic := range byTopic {
		topics = append(topics, topic)
	}
	sort.Strings(topics)
	for _, topic := range topics {
		v.Topics = append(v.Topics, kmsg.TxnMetadataValueTopic{Topic: topic, Partitions: byTopic[topic]})
	}
	return k.AppendTo(nil), v.AppendTo(nil)
}

// decode parses a transaction log record; a nil value is a tombstone
// (t == nil).
func decode(key, value []byte) (id string, t *Txn, err error) {
	k := kmsg.NewTxnMetadataKey()
	if err := k.ReadFrom(key); err != nil {
		return "", nil, err
	}
	if value == nil {
		return k.TransactionalID, nil, nil
	}
	v := kmsg.NewTxnMetadataValue()
	if err := v.ReadFrom(value); err != nil {
		return "", nil, err
	}
	t = &Txn{
		ID:         k.TransactionalID,
		ProducerID: v.ProducerID,
		Epoch:      v.ProducerEpoch,
		TimeoutMs:  v.TimeoutMillis,
		State:      State(v.State),
		StartMs:    v.StartTimestamp,
		UpdateMs:   v.LastUpdateTimestamp,
		Partitions: map[TP]struct{}{},
	}
	for _, tt := range v.Topics {
		for _, p := range tt.Partitions {
			t.Partitions[TP{tt.Topic, p}] = struct{}{}
		}
	}
	return k.TransactionalID, t, nil
}
