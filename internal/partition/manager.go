package partition

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/gregor-stream/gregor/internal/config"
	"github.com/gregor-stream/gregor/internal/metadata"
	"github.com/gregor-stream/gregor/internal/storage"
)

// TP names a topic partition.
type TP struct {
	Topic     string
	Partition int32
}

// Manager holds the replicas this node hosts and keeps them in line with
// the metadata image.
type Manager struct {
	nodeID int32
	store  *storage.Manager
	broker *config.Broker
	log    *slog.Logger
	now    func() time.Time

	// applyMu serialises ApplyImage calls (the subscriber and the initial
	// call at start-up). Order: applyMu -> mu.
	applyMu sync.Mutex
	mu      sync.RWMutex
	parts   map[TP]*Partition
	// alter reaches the controller for ISR changes; nil on a manager
	// that never changes the ISR (tests of a lone leader).
	alter alterFunc
}

// SetAlterPartition installs the path to the controller for ISR changes
// (metadata.Node.AlterPartition, which forwards to a remote controller).
// Call it before the first ApplyImage.
func (m *Manager) SetAlterPartition(fn func(ctx context.Context, req metadata.AlterPartition) (metadata.Partition, error)) {
	m.mu.Lock()
	m.alter = fn
	for _, p := range m.parts {
		p.mu.Lock()
		p.alter = fn
		p.mu.Unlock()
	}
	m.mu.Unlock()
}

// RunISRChecks drops lagging followers from the ISR of every partition
// this node leads (replica.lag.time.max.ms), until stop is closed.
func (m *Manager) RunISRChecks(stop <-chan struct{}) {
	lag := time.Duration(m.broker.ReplicaLagTimeMaxMs) * time.Millisecond
	if lag <= 0 {
		lag = 30 * time.Second
	}
	tick := time.NewTicker(lag / 4)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		for _, p := range m.All() {
			p.maybeShrinkISR(lag)
		}
	}
}

// NewManager returns a manager over store.
func NewManager(nodeID int32, store *storage.Manager, broker *config.Broker, log *slog.Logger) *Manager {
	return &Manager{
		nodeID: nodeID,
		store:  store,
		broker: broker,
		log:    log,
		now:    time.Now,
		parts:  make(map[TP]*Partition),
	}
}

// Get returns the hosted replica, or nil.
func (m *Manager) Get(topic string, partition int32) *Partition {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.parts[TP{topic, partition}]
}

// All returns every hosted replica, sorted by topic and partition.
func (m *Manager) All() []*Partition {
	m.mu.RLock()
	out := make([]*Partition, 0, len(m.parts))
	for _, p := range m.parts {
		out = append(out, p)
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Index < out[j].Index
	})
	return out
}

// ApplyImage brings the hosted replicas in line with img: it opens logs for
// new assignments, changes roles and epochs, applies config changes and
// deletes the logs of removed topics. It is the metadata subscriber and runs
// in apply order.
func (m *Manager) ApplyImage(prev, img *metadata.Image) {
	m.applyMu.Lock()
	defer m.applyMu.Unlock()
	want := make(map[TP]struct{})
	for _, t := range img.Topics {
		cfg := img.TopicConfig(t.Name, m.nodeID, m.broker)
		for _, pi := range t.Partitions {
			if !contains(pi.Replicas, m.nodeID) {
				continue
			}
			tp := TP{t.Name, pi.Partition}
			want[tp] = struct{}{}
			p, err := m.ensure(tp, t.ID, cfg)
			if err != nil {
				m.log.Error("open partition", "topic", t.Name, "partition", pi.Partition, "err", err)
				continue
			}
			if p.TopicID != t.ID {
				// Same name, new topic: the old one was deleted and
				// recreated between two images we saw.
				m.remove(tp)
				if p, err = m.ensure(tp, t.ID, cfg); err != nil {
					m.log.Error("open partition", "topic", t.Name, "partition", pi.Partition, "err", err)
					continue
				}
			}
			if cur := p.Config(); !reflect.DeepEqual(cur, cfg) {
				p.setConfig(cfg)
			}
			leader, epoch := p.Leader()
			if leader == pi.Leader && epoch == pi.LeaderEpoch {
				p.mu.Lock()
				// An AlterPartition answer may have brought a newer
				// state than this image.
				if pi.PartitionEpoch >= p.partitionEpoch {
					p.isr = pi.ISR
					p.replicas = pi.Replicas
					p.partitionEpoch = pi.PartitionEpoch
				}
				p.mu.Unlock()
				// A shrunk ISR may let the high watermark move.
				p.maybeAdvanceHW()
				continue
			}
			p.mu.Lock()
			p.partitionEpoch = pi.PartitionEpoch
			p.mu.Unlock()
			if pi.Leader == m.nodeID {
				p.becomeLeader(pi.LeaderEpoch, pi.Replicas, pi.ISR)
			} else {
				p.becomeFollower(pi.Leader, pi.LeaderEpoch, pi.Replicas, pi.ISR)
			}
		}
	}
	m.mu.RLock()
	var gone []TP
	for tp := range m.parts {
		if _, ok := want[tp]; !ok {
			gone = append(gone, tp)
		}
	}
	m.mu.RUnlock()
	for _, tp := range gone {
		m.remove(tp)
	}
}

func (m *Manager) ensure(tp TP, id [16]byte, cfg config.TopicConfig) (*Partition, error) {
	m.mu.RLock()
	p := m.parts[tp]
	m.mu.RUnlock()
	if p != nil {
		return p, nil
	}
	l, err := m.store.Open(tp.Topic, tp.Partition, id, storageConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("open log %s-%d: %w", tp.Topic, tp.Partition, err)
	}
	p = &Partition{
		Topic:     tp.Topic,
		Index:     tp.Partition,
		TopicID:   l.TopicID(),
		log:       l,
		nodeID:    m.nodeID,
		now:       m.now,
		leader:    -1,
		isrAdding: -1,
	}
	p.cfgHolder.Store(&cfg)
	m.mu.Lock()
	p.alter = m.alter
	m.parts[tp] = p
	m.mu.Unlock()
	return p, nil
}

func (m *Manager) remove(tp TP) {
	m.mu.Lock()
	p := m.parts[tp]
	delete(m.parts, tp)
	m.mu.Unlock()
	if p == nil {
		return
	}
	p.close(ErrUnknownPartition)
	if err := m.store.Delete(tp.Topic, tp.Partition); err != nil {
		m.log.Error("delete partition", "topic", tp.Topic, "partition", tp.Partition, "err", err)
	}
}

func contains(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
