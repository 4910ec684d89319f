package metadata

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/gregor-stream/gregor/internal/config"
)

// CreateTopic asks for one topic.
type CreateTopic struct {
	Name string
	// NumPartitions and ReplicationFactor: -1 = the broker default. Both
	// must be -1 when Assignments is given.
	NumPartitions     int32
	ReplicationFactor int16
	// Assignments maps partition -> replicas (the first is the preferred
	// leader); partitions must be 0..n-1.
	Assignments map[int32][]int32
	Configs     map[string]string
}

// CreateTopicResult is the outcome for one requested topic.
type CreateTopicResult struct {
	Name              string
	ID                [16]byte
	NumPartitions     int32
	ReplicationFactor int16
	Configs           []config.Value
	Err               error
}

// maxPartitions bounds one request so a typo cannot exhaust memory.
const maxPartitions = 100_000

// CreateTopics validates every topic, then commits the valid ones as one
// batch. Each result carries its own error; validateOnly stops after
// validation. Kafka's semantics: a name given twice fails every copy with
// ErrInvalidRequest.
func (n *Node) CreateTopics(ctx context.Context, reqs []CreateTopic, validateOnly bool) []CreateTopicResult {
	results := make([]CreateTopicResult, len(reqs))
	for i, r := range reqs {
		results[i].Name = r.Name
	}
	img, err := n.lead()
	if err != nil {
		for i := range results {
			results[i].Err = err
		}
		return results
	}
	defer n.ctrlMu.Unlock()

	count := map[string]int{}
	for _, r := range reqs {
		count[r.Name]++
	}
	taken := map[string]string{} // collision key -> name, this request's
	var recs []record
	var created []int
	live := img.LiveBrokers()
	nodeDynamic, clusterDynamic := img.BrokerConfigs[strconv.Itoa(int(n.cfg.NodeID))], img.BrokerConfigs[""]
	for i, r := range reqs {
		res := &results[i]
		if count[r.Name] > 1 {
			res.Err = fmt.Errorf("%w: topic %s given more than once", ErrInvalidRequest, r.Name)
			continue
		}
		topicRecs, err := n.buildTopic(img, live, r, taken, res)
		if err != nil {
			res.Err = err
			continue
		}
		res.Configs = config.ResolveTopicWith(r.Configs, n.broker, nodeDynamic, clusterDynamic)
		recs = append(recs, topicRecs...)
		created = append(created, i)
	}
	if validateOnly || len(recs) == 0 {
		return results
	}
	if _, err := n.propose(ctx, recs); err != nil {
		for _, i := range created {
			results[i].Err = err
		}
	}
	return results
}

// buildTopic validates one request and returns its records, filling res.
func (n *Node) buildTopic(img *Image, live []Broker, r CreateTopic, taken map[string]string, res *CreateTopicResult) ([]record, error) {
	if err := ValidateTopicName(r.Name); err != nil {
		return nil, err
	}
	if img.Topics[r.Name] != nil {
		return nil, fmt.Errorf("%w: %s", ErrTopicExists, r.Name)
	}
	key := collisionKey(r.Name)
	for _, other := range img.TopicNames() {
		if collisionKey(other) == key {
			return nil, fmt.Errorf("%w: %s collides with existing topic %s ('.' and '_' are interchangeable in metric names)", ErrInvalidTopic, r.Name, other)
		}
	}
	if other, ok := taken[key]; ok {
		return nil, fmt.Errorf("%w: %s collides with %s in the same request", ErrInvalidTopic, r.Name, other)
	}
	if err := config.ValidateTopicConfigs(r.Configs); err != nil {
		return nil, err
	}

	var assignment [][]int32
	if len(r.Assignments) > 0 {
		if r.NumPartitions != -1 || r.ReplicationFactor != -1 {
			return nil, fmt.Errorf("%w: both a replica assignment and a partition count or replication factor", ErrInvalidRequest)
		}
		var err error
		if assignment, err = checkAssignment(img, r.Assignments, 0, -1); err != nil {
			return nil, err
		}
	} else {
		parts, rf := r.NumPartitions, r.ReplicationFactor
		if parts == -1 {
			parts = n.broker.NumPartitions
		}
		if rf == -1 {
			rf = n.broker.DefaultReplicationFactor
		}
		if parts < 1 || parts > maxPartitions {
			return nil, fmt.Errorf("%w: %d partitions (1..%d)", ErrInvalidPartitions, parts, maxPartitions)
		}
		if rf < 1 {
			return nil, fmt.Errorf("%w: %d", ErrInvalidReplicationFactor, rf)
		}
		var err error
		if assignment, err = placeReplicas(live, 0, parts, rf, randomStart(len(live))); err != nil {
			return nil, err
		}
	}

	id := newUUID()
	for img.TopicsByID[id] != nil {
		id = newUUID()
	}
	taken[key] = r.Name
	res.ID = id
	res.NumPartitions = int32(len(assignment))
	res.ReplicationFactor = int16(len(assignment[0]))
	recs := []record{topicRecord{Name: r.Name, ID: id}}
	for p, replicas := range assignment {
		recs = append(recs, partitionRecord{
			TopicID: id, Partition: int32(p), Replicas: replicas,
			ISR: append([]int32(nil), replicas...), Leader: replicas[0],
		})
	}
	keys := make([]string, 0, len(r.Configs))
	for k := range r.Configs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := r.Configs[k]
		recs = append(recs, configRecord{ResourceType: ResourceTopic, Name: r.Name, Key: k, Value: &v})
	}
	return recs, nil
}

// checkAssignment validates explicit replica lists for partitions
// first..first+len-1: contiguous partition numbers, no duplicate replicas,
// registered brokers, one replication factor (rf, or that of the first
// list when rf is -1).
func checkAssignment(img *Image, a map[int32][]int32, first int32, rf int) ([][]int32, error) {
	out := make([][]int32, len(a))
	for p, replicas := range a {
		idx := p - first
		if idx < 0 || int(idx) >= len(a) {
			return nil, fmt.Errorf("%w: partitions must be numbered %d..%d, got %d", ErrInvalidReplicaAssignment, first, first+int32(len(a))-1, p)
		}
		if len(replicas) == 0 {
			return nil, fmt.Errorf("%w: partition %d has no replicas", ErrInvalidReplicaAssignment, p)
		}
		seen := map[int32]bool{}
		for _, b := range replicas {
			if seen[b] {
				return nil, fmt.Errorf("%w: partition %d lists broker %d twice", ErrInvalidReplicaAssignment, p, b)
			}
			seen[b] = true
			if _, ok := img.Brokers[b]; !ok {
				return nil, fmt.Errorf("%w: partition %d: broker %d is not registered", ErrInvalidReplicaAssignment, p, b)
			}
		}
		out[idx] = append([]int32(nil), replicas...)
	}
	for p, replicas := range out {
		if rf == -1 {
			rf = len(replicas)
		}
		if len(replicas) != rf {
			return nil, fmt.Errorf("%w: partition %d has %d replicas, others %d", ErrInvalidReplicaAssignment, int32(p)+first, len(replicas), rf)
		}
	}
	return out, nil
}
