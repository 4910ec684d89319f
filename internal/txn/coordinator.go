package txn

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/gregor-stream/gregor/internal/config"
	"github.com/gregor-stream/gregor/internal/coordinator"
	"github.com/gregor-stream/gregor/internal/metadata"
	"github.com/gregor-stream/gregor/internal/partition"
)

// TopicName is the internal topic holding transaction state.
const TopicName = "__transaction_state"

// Errors the handlers map to Kafka codes.
var (
	ErrNotCoordinator        = errors.New("not the coordinator of this transactional id")
	ErrLoadInProgress        = errors.New("transaction coordinator is loading")
	ErrConcurrentTxns        = errors.New("another operation on this transactional id is in progress")
	ErrProducerFenced        = errors.New("producer fenced by a newer epoch")
	ErrInvalidProducerEpoch  = errors.New("invalid producer epoch")
	ErrInvalidPIDMapping     = errors.New("producer id does not match the transactional id")
	ErrInvalidTxnState       = errors.New("invalid transaction state for this operation")
	ErrInvalidTimeout        = errors.New("transaction timeout larger than transaction.max.timeout.ms")
	ErrUnknownTopicPartition = errors.New("unknown topic or partition")
	ErrTransactionalID       = errors.New("transactional id is empty")
)

// MarkerWriter writes a transaction marker to one partition and calls done
// once it is committed. The broker provides it (local partitions directly,
// remote leaders over WriteTxnMarkers).
type MarkerWriter func(tp TP, producerID int64, epoch int16, commit bool, coordinatorEpoch int32, done func(error))

// Config wires the coordinator.
type Config struct {
	NodeID  int32
	Meta    *metadata.Node
	Parts   *partition.Manager
	Broker  *config.Broker
	PIDs    *ProducerIDs
	Markers MarkerWriter
	Log     *slog.Logger
	Now     func() time.Time
}

// Coordinator serves the transactional ids of the __transaction_state
// partitions this node leads.
type Coordinator struct {
	cfg Config

	mu     sync.Mutex
	shards map[int32]*shard
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

// New starts the coordinator; call OnImage on every metadata image.
func New(cfg Config) *Coordinator {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Coordinator{cfg: cfg, shards: make(map[int32]*shard), stop: make(chan struct{}), done: make(chan struct{})}
	go c.timeoutLoop()
	return c
}

func (c *Coordinator) numPartitions() int32 {
	if t := c.cfg.Meta.Image().Topic(TopicName); t != nil {
		return int32(len(t.Partitions))
	}
	n := c.cfg.Broker.TransactionStateLogNumPartitions
	if n <= 0 {
		n = 50
	}
	return n
}

// PartitionFor is the __transaction_state partition of a transactional id.
func (c *Coordinator) PartitionFor(id string) int32 {
	return coordinator.PartitionFor(id, c.numPartitions())
}

// EnsureTopic creates __transaction_state on first use (FindCoordinator).
func (c *Coordinator) EnsureTopic(ctx context.Context) error {
	rf := c.cfg.Broker.TransactionStateLogReplicationFactor
	return coordinator.EnsureTopic(ctx, c.cfg.Meta, coordinator.TopicSpec{
		Name:              TopicName,
		Partitions:        c.numPartitions(),
		ReplicationFactor: rf,
		Configs: map[string]string{
			"cleanup.policy":      "compact",
			"min.insync.replicas": itoa(int64(max(1, c.cfg.Broker.TransactionStateLogMinISR))),
			"segment.bytes":       "104857600",
		},
	})
}

// OnImage starts shards for the partitions this node now leads and drops
// the others. It is a metadata subscriber.
func (c *Coordinator) OnImage(_, img *metadata.Image) {
	t := img.Topic(TopicName)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	lead := map[int32]int32{}
	if t != nil {
		for _, p := range t.Partitions {
			if p.Leader == c.cfg.NodeID {
				lead[p.Partition] = p.LeaderEpoch
			}
		}
	}
	for id, s := range c.shards {
		if ep, ok := lead[id]; !ok || ep != s.epoch {
			s.close()
			delete(c.shards, id)
		}
	}
	for id, ep := range lead {
		if _, ok := c.shards[id]; !ok {
			s := newShard(c, id, ep)
			c.shards[id] = s
			go s.load()
		}
	}
}

// shardFor returns the loaded shard coordinating id.
func (c *Coordinator) shardFor(id string) (*shard, error) {
	part := c.PartitionFor(id)
	c.mu.Lock()
	s := c.shards[part]
	c.mu.Unlock()
	if s == nil {
		return nil, ErrNotCoordinator
	}
	return s, nil
}

// Close stops the timeout loop and every shard.
func (c *Coordinator) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	for id, s := range c.shards {
		s.close()
		delete(c.shards, id)
	}
	c.mu.Unlock()
	close(c.stop)
	<-c.done
}

func (c *Coordinator) timeoutLoop() {
	defer close(c.done)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
		}
		c.mu.Lock()
		shards := make([]*shard, 0, len(c.shards))
		for _, s := range c.shards {
			shards = append(shards, s)
		}
		c.mu.Unlock()
		for _, s := range shards {
			s.abortExpired()
		}
	}
}
