package replication

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/config"
	"github.com/gregor-stream/gregor/internal/metadata"
	"github.com/gregor-stream/gregor/internal/partition"
	"github.com/gregor-stream/gregor/internal/storage"
)

// Config configures replication on one node.
type Config struct {
	NodeID int32
	Meta   *metadata.Node
	Parts  *partition.Manager
	Broker *config.Broker
	Log    *slog.Logger
}

// Fetcher runs the follower side of replication for every partition this
// node follows, and owns the node's connections to other brokers.
type Fetcher struct {
	cfg  Config
	pool *pool
	ctrl *Controller

	mu      sync.Mutex
	leaders map[int32]*leaderFetcher
	closed  bool
}

// New returns a fetcher; subscribe OnImage to the metadata after the
// partition manager, so roles are applied before fetching follows them.
func New(cfg Config) *Fetcher {
	f := &Fetcher{cfg: cfg, pool: newPool(cfg.NodeID, cfg.Log), leaders: make(map[int32]*leaderFetcher)}
	f.ctrl = &Controller{meta: cfg.Meta, pool: f.pool}
	return f
}

// Controller is the path to the remote controller, sharing the fetcher's
// connections.
func (f *Fetcher) Controller() *Controller { return f.ctrl }

// follow is one partition a leader fetcher replicates.
type follow struct {
	p     *partition.Partition
	epoch int32
	// truncated is set once divergent history was removed for this
	// epoch; only the fetcher goroutine touches it.
	truncated bool
}

// OnImage starts, updates and stops leader fetchers so that every
// partition this node follows is fetched from its current leader.
func (f *Fetcher) OnImage(_, _ *metadata.Image) {
	want := make(map[int32]map[partition.TP]follow)
	for _, p := range f.cfg.Parts.All() {
		leader, epoch, ok := p.FollowerState()
		if !ok {
			continue
		}
		if want[leader] == nil {
			want[leader] = make(map[partition.TP]follow)
		}
		want[leader][partition.TP{Topic: p.Topic, Partition: p.Index}] = follow{p: p, epoch: epoch}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	for id, lf := range f.leaders {
		if _, ok := want[id]; !ok {
			lf.close()
			delete(f.leaders, id)
		}
	}
	for id, set := range want {
		lf := f.leaders[id]
		if lf == nil {
			lf = f.startLeader(id)
			f.leaders[id] = lf
		}
		lf.update(set)
	}
}

// Close stops every fetcher and closes the connections.
func (f *Fetcher) Close() {
	f.mu.Lock()
	f.closed = true
	leaders := f.leaders
	f.leaders = nil
	f.mu.Unlock()
	for _, lf := range leaders {
		lf.close()
	}
	f.pool.close()
}

// leaderFetcher fetches every partition this node follows from one leader.
type leaderFetcher struct {
	f      *Fetcher
	leader int32
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{}

	mu    sync.Mutex
	parts map[partition.TP]*follow
}

func (f *Fetcher) startLeader(id int32) *leaderFetcher {
	lf := &leaderFetcher{f: f, leader: id, log: f.cfg.Log.With("leader", id), done: make(chan struct{}),
		wake: make(chan struct{}, 1), parts: make(map[partition.TP]*follow)}
	lf.ctx, lf.cancel = context.WithCancel(context.Background())
	go lf.run()
	return lf
}

func (lf *leaderFetcher) close() {
	lf.cancel()
	<-lf.done
}

func (lf *leaderFetcher) update(set map[partition.TP]follow) {
	lf.mu.Lock()
	for tp, want := range set {
		if cur, ok := lf.parts[tp]; ok && cur.p == want.p && cur.epoch == want.epoch {
			continue
		}
		lf.parts[tp] = &follow{p: want.p, epoch: want.epoch}
	}
	for tp := range lf.parts {
		if _, ok := set[tp]; !ok {
			delete(lf.parts, tp)
		}
	}
	lf.mu.Unlock()
	select {
	case lf.wake <- struct{}{}:
	default:
	}
}

func (lf *leaderFetcher) snapshot() map[partition.TP]*follow {
	lf.mu.Lock()
	defer lf.mu.Unlock()
	out := make(map[partition.TP]*follow, len(lf.parts))
	for tp, fl := range lf.parts {
		out[tp] = fl
	}
	return out
}

func (lf *leaderFetcher) sleep(d time.Duration) bool {
	select {
	case <-lf.ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func (lf *leaderFetcher) run() {
	defer close(lf.done)
	for lf.ctx.Err() == nil {
		parts := lf.snapshot()
		if len(parts) == 0 {
			select {
			case <-lf.ctx.Done():
				return
			case <-lf.wake:
			}
			continue
		}
		var pending, ready []*follow
		for _, fl := range parts {
			if fl.truncated {
				ready = append(ready, fl)
			} else {
				pending = append(pending, fl)
			}
		}
		if len(pending) > 0 {
			lf.truncate(pending)
		}
		if len(ready) == 0 {
			if !lf.sleep(50 * time.Millisecond) {
				return
			}
			continue
		}
		if !lf.fetch(ready) {
			if !lf.sleep(100 * time.Millisecond) {
				return
			}
		}
	}
}

// truncate removes history that diverges from the leader's (KIP-101,
// KIP-279): the leader says where the latest epoch this replica has ends
// in its log; this replica cuts its log at that offset, or where that
// epoch ends here if earlier.
func (lf *leaderFetcher) truncate(parts []*follow) {
	req := kmsg.NewPtrOffsetForLeaderEpochRequest()
	req.ReplicaID = lf.f.cfg.NodeID
	byTP := make(map[partition.TP]*follow)
	topics := make(map[string]int)
	for _, fl := range parts {
		latest, ok := fl.p.Log().LatestEpoch()
		if !ok {
			// Nothing written with any epoch: nothing can diverge.
			fl.truncated = true
			continue
		}
		tp := partition.TP{Topic: fl.p.Topic, Partition: fl.p.Index}
		byTP[tp] = fl
		i, ok := topics[tp.Topic]
		if !ok {
			i = len(req.Topics)
			topics[tp.Topic] = i
			t := kmsg.NewOffsetForLeaderEpochRequestTopic()
			t.Topic = tp.Topic
			req.Topics = append(req.Topics, t)
		}
		rp := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
		rp.Partition, rp.CurrentLeaderEpoch, rp.LeaderEpoch = tp.Partition, fl.epoch, latest
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
	}
	if len(byTP) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(lf.ctx, 10*time.Second)
	r, err := lf.f.pool.request(ctx, lf.f.cfg.Meta.Image(), lf.leader, req)
	cancel()
	if err != nil {
		lf.log.Debug("offset for leader epoch", "err", err)
		lf.sleep(100 * time.Millisecond)
		return
	}
	resp := r.(*kmsg.OffsetForLeaderEpochResponse)
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			fl := byTP[partition.TP{Topic: rt.Topic, Partition: rp.Partition}]
			if fl == nil {
				continue
			}
			if rp.ErrorCode != 0 {
				lf.log.Debug("offset for leader epoch", "topic", rt.Topic, "partition", rp.Partition, "err", kerr.ErrorForCode(rp.ErrorCode))
				continue
			}
			target := fl.p.HighWatermark()
			if rp.LeaderEpoch >= 0 {
				target = rp.EndOffset
				if ep, mine := fl.p.Log().EndOffsetForEpoch(rp.LeaderEpoch); ep == rp.LeaderEpoch && mine >= 0 && mine < target {
					target = mine
				}
			}
			if err := fl.p.TruncateAsFollower(lf.leader, fl.epoch, target); err != nil {
				lf.log.Warn("truncate follower", "topic", rt.Topic, "partition", rp.Partition, "offset", target, "err", err)
				continue
			}
			fl.truncated = true
		}
	}
}

// fetch sends one replica fetch for parts and applies the answer. It
// returns false when the caller should back off.
func (lf *leaderFetcher) fetch(parts []*follow) bool {
	cfg := lf.f.cfg
	img := cfg.Meta.Image()
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = cfg.NodeID
	req.ReplicaState.ID = cfg.NodeID
	req.ReplicaState.Epoch = -1
	if b, ok := img.Brokers[cfg.NodeID]; ok {
		req.ReplicaState.Epoch = metadata.BrokerEpochOf(b.Incarnation)
	}
	req.MaxWaitMillis = cfg.Broker.ReplicaFetchWaitMaxMs
	req.MinBytes = 1
	req.MaxBytes = cfg.Broker.FetchMaxBytes
	req.SessionID, req.SessionEpoch = 0, -1
	type key struct {
		id   [16]byte
		name string
		part int32
	}
	byKey := make(map[key]*follow)
	topics := make(map[string]int)
	for _, fl := range parts {
		offset, ok := fl.p.FetchPosition(lf.leader, fl.epoch)
		if !ok {
			// The role changed since the snapshot; OnImage has moved
			// or dropped this partition.
			continue
		}
		i, ok := topics[fl.p.Topic]
		if !ok {
			i = len(req.Topics)
			topics[fl.p.Topic] = i
			t := kmsg.NewFetchRequestTopic()
			t.Topic, t.TopicID = fl.p.Topic, fl.p.TopicID
			req.Topics = append(req.Topics, t)
		}
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = fl.p.Index
		rp.CurrentLeaderEpoch = fl.epoch
		rp.FetchOffset = offset
		rp.LastFetchedEpoch = -1
		rp.LogStartOffset = fl.p.Log().LogStartOffset()
		rp.PartitionMaxBytes = cfg.Broker.ReplicaFetchMaxBytes
		req.Topics[i].Partitions = append(req.Topics[i].Partitions, rp)
		byKey[key{fl.p.TopicID, "", fl.p.Index}] = fl
		byKey[key{name: fl.p.Topic, part: fl.p.Index}] = fl
	}
	if len(req.Topics) == 0 {
		return false
	}
	wait := time.Duration(req.MaxWaitMillis) * time.Millisecond
	ctx, cancel := context.WithTimeout(lf.ctx, wait+10*time.Second)
	r, err := lf.f.pool.request(ctx, img, lf.leader, req)
	cancel()
	if err != nil {
		if lf.ctx.Err() == nil {
			lf.log.Debug("replica fetch", "err", err)
		}
		return false
	}
	resp := r.(*kmsg.FetchResponse)
	if resp.ErrorCode != 0 {
		lf.log.Debug("replica fetch", "err", kerr.ErrorForCode(resp.ErrorCode))
		return false
	}
	ok := true
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			fl := byKey[key{rt.TopicID, "", rp.Partition}]
			if fl == nil {
				fl = byKey[key{name: rt.Topic, part: rp.Partition}]
			}
			if fl == nil {
				continue
			}
			if rp.ErrorCode != 0 {
				ok = false
				err := kerr.ErrorForCode(rp.ErrorCode)
				if errors.Is(err, kerr.OffsetOutOfRange) {
					// Diverged or behind the leader's log start: find
					// the common point again.
					fl.truncated = false
				}
				lf.log.Debug("replica fetch", "topic", fl.p.Topic, "partition", fl.p.Index, "err", err)
				continue
			}
			if err := fl.p.AppendAsFollower(lf.leader, fl.epoch, rp.RecordBatches, rp.HighWatermark); err != nil {
				ok = false
				if errors.Is(err, storage.ErrInvalidOffset) {
					fl.truncated = false
				}
				if !errors.Is(err, partition.ErrNotLeader) {
					lf.log.Warn("append as follower", "topic", fl.p.Topic, "partition", fl.p.Index, "err", err)
				}
			}
		}
	}
	return ok
}
