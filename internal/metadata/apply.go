package metadata

import (
	"fmt"
	"slices"
	"strconv"
)

// applyBatch applies records to a copy of img and returns it; img is left
// untouched. It is deterministic: the same image and records always give
// the same result or the same error, and an error rejects the whole batch.
// term and index are the raft entry's.
func applyBatch(img *Image, recs []record, index, term uint64) (*Image, error) {
	n := img.clone()
	n.Changes = Changes{Topics: map[string]bool{}}
	a := &applier{Image: n, owned: map[*Topic]bool{}}
	for i, r := range recs {
		if err := a.apply(r, term); err != nil {
			return nil, fmt.Errorf("record %d (%s): %w", i, r.recordType(), err)
		}
	}
	n.Offset, n.Epoch = index, term
	return n, nil
}

// applier changes a private copy of an image, not yet published.
type applier struct {
	*Image
	owned map[*Topic]bool // topics already copied in this batch
}

func (n *applier) apply(r record, term uint64) error {
	switch r := r.(type) {
	case clusterRecord:
		if r.ClusterID == "" {
			return fmt.Errorf("%w: empty cluster id", ErrCorruptRecord)
		}
		if n.ClusterID != "" && n.ClusterID != r.ClusterID {
			return fmt.Errorf("cluster id already %s", n.ClusterID)
		}
		n.ClusterID = r.ClusterID
		n.Changes.Cluster = true
	case controllerRecord:
		n.ControllerID, n.ControllerEpoch = r.ID, term
		n.Changes.Cluster = true
	case brokerRecord:
		n.Brokers[r.ID] = Broker{ID: r.ID, Host: r.Host, Port: r.Port, Rack: r.Rack, Fenced: r.Fenced, Incarnation: r.Incarnation}
		n.Changes.Brokers = true
	case fenceRecord:
		b, ok := n.Brokers[r.ID]
		if !ok {
			return fmt.Errorf("%w: %d", ErrUnknownBroker, r.ID)
		}
		b.Fenced = r.Fenced
		n.Brokers[r.ID] = b
		n.Changes.Brokers = true
	case topicRecord:
		if r.ID == ([16]byte{}) {
			return fmt.Errorf("%w: zero topic id", ErrCorruptRecord)
		}
		if n.Topics[r.Name] != nil {
			return fmt.Errorf("%w: %s", ErrTopicExists, r.Name)
		}
		if n.TopicsByID[r.ID] != nil {
			return fmt.Errorf("%w: id of %s in use", ErrTopicExists, r.Name)
		}
		if err := ValidateTopicName(r.Name); err != nil {
			return err
		}
		t := &Topic{Name: r.Name, ID: r.ID}
		n.Topics[r.Name], n.TopicsByID[r.ID] = t, t
		n.owned[t] = true
		n.Changes.Topics[r.Name] = true
	case partitionRecord:
		t := n.TopicsByID[r.TopicID]
		if t == nil {
			return fmt.Errorf("%w: %x", ErrUnknownTopicID, r.TopicID)
		}
		if int(r.Partition) != len(t.Partitions) {
			return fmt.Errorf("%w: partition %d of %s after %d partitions", ErrInvalidPartitions, r.Partition, t.Name, len(t.Partitions))
		}
		if len(r.Replicas) == 0 {
			return fmt.Errorf("%w: partition %d of %s without replicas", ErrInvalidReplicaAssignment, r.Partition, t.Name)
		}
		t = n.replaceTopic(t)
		t.Partitions = append(t.Partitions, Partition{
			Partition: r.Partition, Leader: r.Leader, LeaderEpoch: r.LeaderEpoch, PartitionEpoch: r.PartitionEpoch,
			Replicas: slices.Clone(r.Replicas), ISR: slices.Clone(r.ISR),
		})
	case partitionChangeRecord:
		t := n.TopicsByID[r.TopicID]
		if t == nil {
			return fmt.Errorf("%w: %x", ErrUnknownTopicID, r.TopicID)
		}
		if r.Partition < 0 || int(r.Partition) >= len(t.Partitions) {
			return fmt.Errorf("%w: partition %d of %s", ErrInvalidPartitions, r.Partition, t.Name)
		}
		t = n.replaceTopic(t)
		p := &t.Partitions[r.Partition]
		if r.Leader != nil && *r.Leader != p.Leader {
			p.Leader = *r.Leader
			p.LeaderEpoch++
		}
		if r.ISR != nil {
			p.ISR = slices.Clone(r.ISR)
		}
		if r.Replicas != nil {
			p.Replicas = slices.Clone(r.Replicas)
		}
		if r.Offline != nil {
			p.Offline = slices.Clone(r.Offline)
		}
		if r.Adding != nil {
			p.AddingReplicas = nilIfEmpty(*r.Adding)
		}
		if r.Removing != nil {
			p.RemovingReplicas = nilIfEmpty(*r.Removing)
		}
		if len(p.Replicas) == 0 {
			return fmt.Errorf("%w: partition %d of %s left without replicas", ErrInvalidReplicaAssignment, r.Partition, t.Name)
		}
		p.PartitionEpoch++
	case removeTopicRecord:
		t := n.TopicsByID[r.ID]
		if t == nil {
			return fmt.Errorf("%w: %x", ErrUnknownTopicID, r.ID)
		}
		delete(n.TopicsByID, r.ID)
		delete(n.Topics, t.Name)
		delete(n.TopicConfigs, t.Name)
		n.Changes.Topics[t.Name] = true
	case configRecord:
		var m map[string]map[string]string
		switch r.ResourceType {
		case ResourceTopic:
			if n.Topics[r.Name] == nil {
				return fmt.Errorf("%w: %s", ErrUnknownTopic, r.Name)
			}
			m = n.TopicConfigs
			n.Changes.Topics[r.Name] = true
		case ResourceBroker:
			if r.Name != "" {
				if _, err := strconv.ParseInt(r.Name, 10, 32); err != nil {
					return fmt.Errorf("%w: broker resource %q", ErrInvalidRequest, r.Name)
				}
			}
			m = n.BrokerConfigs
			n.Changes.BrokerConfigs = true
		default:
			return fmt.Errorf("%w: resource type %d", ErrInvalidRequest, r.ResourceType)
		}
		cur := make(map[string]string, len(m[r.Name])+1)
		for k, v := range m[r.Name] {
			cur[k] = v
		}
		if r.Value == nil {
			delete(cur, r.Key)
		} else {
			cur[r.Key] = *r.Value
		}
		if len(cur) == 0 {
			delete(m, r.Name)
		} else {
			m[r.Name] = cur
		}
	case producerIDsRecord:
		if r.First != n.NextProducerID || r.Count <= 0 {
			return fmt.Errorf("%w: producer id block %d+%d, next is %d", ErrInvalidRequest, r.First, r.Count, n.NextProducerID)
		}
		n.NextProducerID = r.First + r.Count
		n.Changes.ProducerIDs = true
	case aclRecord:
		if r.ID == ([16]byte{}) {
			return fmt.Errorf("%w: zero acl id", ErrCorruptRecord)
		}
		if _, ok := n.ACLs[r.ID]; ok {
			return fmt.Errorf("%w: acl id in use", ErrInvalidRequest)
		}
		if err := validateACL(r.ACL); err != nil {
			return err
		}
		n.ACLs[r.ID] = r.ACL
		n.Changes.ACLs = true
	case removeACLRecord:
		if _, ok := n.ACLs[r.ID]; !ok {
			return fmt.Errorf("%w: no acl %x", ErrInvalidRequest, r.ID)
		}
		delete(n.ACLs, r.ID)
		n.Changes.ACLs = true
	case scramRecord:
		if r.User == "" || ScramMechanismName(r.Mechanism) == "" {
			return fmt.Errorf("%w: scram credential %q/%d", ErrInvalidRequest, r.User, r.Mechanism)
		}
		cur := make(map[int8]ScramCredential, len(n.ScramCredentials[r.User])+1)
		for k, v := range n.ScramCredentials[r.User] {
			cur[k] = v
		}
		cur[r.Mechanism] = ScramCredential{Salt: slices.Clone(r.Salt), StoredKey: slices.Clone(r.StoredKey), ServerKey: slices.Clone(r.ServerKey), Iterations: r.Iterations}
		n.ScramCredentials[r.User] = cur
		n.Changes.Credentials = true
	case removeScramRecord:
		if _, ok := n.ScramCredentials[r.User][r.Mechanism]; !ok {
			return fmt.Errorf("%w: no scram credential %s/%d", ErrResourceNotFound, r.User, r.Mechanism)
		}
		cur := make(map[int8]ScramCredential, len(n.ScramCredentials[r.User]))
		for k, v := range n.ScramCredentials[r.User] {
			if k != r.Mechanism {
				cur[k] = v
			}
		}
		if len(cur) == 0 {
			delete(n.ScramCredentials, r.User)
		} else {
			n.ScramCredentials[r.User] = cur
		}
		n.Changes.Credentials = true
	case quotaRecord:
		if err := validateQuotaEntity(r.Entity); err != nil {
			return err
		}
		if !validQuotaKey(r.Entity, r.Key) {
			return fmt.Errorf("%w: quota key %q", ErrInvalidRequest, r.Key)
		}
		key := quotaEntityKey(r.Entity)
		old := n.ClientQuotas[key]
		q := ClientQuota{Entity: sortedEntity(r.Entity), Values: make(map[string]float64, len(old.Values)+1)}
		for k, v := range old.Values {
			q.Values[k] = v
		}
		if r.Value == nil {
			delete(q.Values, r.Key)
		} else {
			q.Values[r.Key] = *r.Value
		}
		if len(q.Values) == 0 {
			delete(n.ClientQuotas, key)
		} else {
			n.ClientQuotas[key] = q
		}
		n.Changes.Quotas = true
	default:
		return fmt.Errorf("%w: type %T", ErrCorruptRecord, r)
	}
	return nil
}

func nilIfEmpty(s []int32) []int32 {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

// replaceTopic puts a private copy of t in n's maps, so the published t is
// not changed, and returns it. A topic is copied once per batch.
func (n *applier) replaceTopic(t *Topic) *Topic {
	n.Changes.Topics[t.Name] = true
	if n.owned[t] {
		return t
	}
	c := t.clone()
	n.Topics[c.Name], n.TopicsByID[c.ID] = c, c
	n.owned[c] = true
	return c
}
