package group

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gregor-stream/gregor/internal/config"
	"github.com/gregor-stream/gregor/internal/coordinator"
	"github.com/gregor-stream/gregor/internal/metadata"
	"github.com/gregor-stream/gregor/internal/partition"
)

// OffsetsTopic is the internal topic that stores groups and offsets.
const OffsetsTopic = "__consumer_offsets"

// Config wires a Coordinator to its node.
type Config struct {
	NodeID int32
	Meta   *metadata.Node
	Parts  *partition.Manager
	Broker *config.Broker
	Log    *slog.Logger
}

// Client identifies the connection a request came from.
type Client struct {
	ID   string
	Host string
}

// Coordinator is the consumer group coordinator of this node: one shard per
// __consumer_offsets partition this node leads.
type Coordinator struct {
	cfg Config
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	creating atomic.Bool

	mu     sync.RWMutex
	shards map[int32]*shard
}

// New starts a coordinator; it serves nothing until OnImage hands it the
// __consumer_offsets partitions this node leads.
func New(cfg Config) *Coordinator {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Coordinator{cfg: cfg, log: cfg.Log, ctx: ctx, cancel: cancel, shards: map[int32]*shard{}}
	c.wg.Add(1)
	go c.expireLoop()
	return c
}

// Close drops every shard (pending requests get NOT_COORDINATOR) and stops
// the background work.
func (c *Coordinator) Close() {
	c.cancel()
	c.mu.Lock()
	shards := c.shards
	c.shards = map[int32]*shard{}
	c.mu.Unlock()
	for _, s := range shards {
		s.close()
	}
	c.wg.Wait()
}

// OnImage follows leadership of __consumer_offsets: it starts loading the
// partitions this node now leads and drops the ones it no longer leads.
// It is a metadata subscriber.
func (c *Coordinator) OnImage(_, next *metadata.Image) {
	if c.ctx.Err() != nil {
		return
	}
	t := next.Topic(OffsetsTopic)
	c.mu.Lock()
	defer c.mu.Unlock()
	lead := map[int32]int32{}
	if t != nil {
		for _, p := range t.Partitions {
			if p.Leader == c.cfg.NodeID {
				lead[p.Partition] = p.LeaderEpoch
			}
		}
	}
	for part, s := range c.shards {
		if epoch, ok := lead[part]; !ok || epoch != s.epoch {
			delete(c.shards, part)
			go s.close()
		}
	}
	for part, epoch := range lead {
		if _, ok := c.shards[part]; ok {
			continue
		}
		s := newShard(c, part, epoch)
		c.shards[part] = s
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			s.load()
		}()
	}
}

// numPartitions is the partition count of __consumer_offsets: the topic's
// when it exists, else the configured one it will be created with.
func (c *Coordinator) numPartitions(img *metadata.Image) int32 {
	if t := img.Topic(OffsetsTopic); t != nil {
		return int32(len(t.Partitions))
	}
	return c.cfg.Broker.OffsetsTopicNumPartitions
}

// PartitionFor is the __consumer_offsets partition of group id g.
func (c *Coordinator) PartitionFor(g string) int32 {
	return coordinator.PartitionFor(g, c.numPartitions(c.cfg.Meta.Image()))
}

// Locate returns the node that coordinates group g. The first call on a
// cluster without __consumer_offsets creates it in the background and
// answers COORDINATOR_NOT_AVAILABLE, which clients retry.
func (c *Coordinator) Locate(g string) (int32, *kerr.Error) {
	img := c.cfg.Meta.Image()
	t := img.Topic(OffsetsTopic)
	if t == nil {
		c.ensureTopic()
		return -1, kerr.CoordinatorNotAvailable
	}
	p := coordinator.PartitionFor(g, int32(len(t.Partitions)))
	leader := t.Partitions[p].Leader
	if leader < 0 {
		return -1, kerr.CoordinatorNotAvailable
	}
	if b, ok := img.Brokers[leader]; !ok || b.Fenced {
		return -1, kerr.CoordinatorNotAvailable
	}
	return leader, nil
}

// ensureTopic creates __consumer_offsets once, in the background.
func (c *Coordinator) ensureTopic() {
	if !c.creating.CompareAndSwap(false, true) {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		defer c.creating.Store(false)
		ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
		defer cancel()
		b := c.cfg.Broker
		err := coordinator.EnsureTopic(ctx, c.cfg.Meta, coordinator.TopicSpec{
			Name:              OffsetsTopic,
			Partitions:        b.OffsetsTopicNumPartitions,
			ReplicationFactor: b.OffsetsTopicReplicationFactor,
			Configs:           offsetsTopicConfigs(b),
		})
		if err != nil {
			c.log.Warn("create offsets topic", "err", err)
			return
		}
		c.log.Info("created offsets topic", "partitions", b.OffsetsTopicNumPartitions)
	}()
}

func offsetsTopicConfigs(b *config.Broker) map[string]string {
	m := map[string]string{"cleanup.policy": "compact"}
	if b.OffsetsTopicSegmentBytes > 0 {
		m["segment.bytes"] = itoa(int64(b.OffsetsTopicSegmentBytes))
	}
	return m
}

// lockShard returns the locked shard that coordinates group g, or the
// error to answer with. The caller must unlock s.mu.
func (c *Coordinator) lockShard(g string) (*shard, *kerr.Error) {
	img := c.cfg.Meta.Image()
	t := img.Topic(OffsetsTopic)
	if t == nil {
		return nil, kerr.NotCoordinator
	}
	p := coordinator.PartitionFor(g, int32(len(t.Partitions)))
	c.mu.RLock()
	s := c.shards[p]
	c.mu.RUnlock()
	if s == nil {
		return nil, kerr.NotCoordinator
	}
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return nil, kerr.NotCoordinator
	case !s.loaded:
		s.mu.Unlock()
		return nil, kerr.CoordinatorLoadInProgress
	}
	return s, nil
}

// allShards returns the shards sorted by partition.
func (c *Coordinator) allShards() []*shard {
	c.mu.RLock()
	out := make([]*shard, 0, len(c.shards))
	for _, s := range c.shards {
		out = append(out, s)
	}
	c.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].part < out[j].part })
	return out
}

func (c *Coordinator) now() time.Time { return time.Now() }

// newMemberID is prefix-<uuid>, as Kafka forms member ids.
func newMemberID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return prefix + "-" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
