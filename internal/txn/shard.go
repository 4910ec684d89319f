package txn

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/gregor-stream/gregor/internal/coordinator"
	"github.com/gregor-stream/gregor/internal/partition"
)

// shard is one __transaction_state partition this node leads.
type shard struct {
	c     *Coordinator
	part  int32
	epoch int32 // leader epoch of the partition: the coordinator epoch

	mu     sync.Mutex
	loaded bool
	closed bool
	p      *partition.Partition
	txns   map[string]*Txn
	// pending holds the ids with a write in flight.
	pending map[string]bool
}

func newShard(c *Coordinator, part, epoch int32) *shard {
	return &shard{c: c, part: part, epoch: epoch, txns: make(map[string]*Txn), pending: make(map[string]bool)}
}

// load waits for the local replica, replays it, and then finishes the
// transactions it finds half-ended.
func (s *shard) load() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	p, err := coordinator.WaitLeader(ctx, s.c.cfg.Meta, s.c.cfg.Parts, TopicName, s.part)
	if err != nil {
		s.c.cfg.Log.Warn("transaction shard not loaded", "partition", s.part, "err", err)
		return
	}
	txns := make(map[string]*Txn)
	_, err = coordinator.Replay(p, 0, func(_ int64, key, value []byte) {
		id, t, err := decode(key, value)
		if err != nil {
			s.c.cfg.Log.Warn("skip bad transaction log record", "partition", s.part, "err", err)
			return
		}
		if t == nil {
			delete(txns, id)
			return
		}
		txns[id] = t
	})
	if err != nil {
		s.c.cfg.Log.Error("replay transaction state", "partition", s.part, "err", err)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.p = p
	s.txns = txns
	s.loaded = true
	var unfinished []*Txn
	for _, t := range txns {
		if t.State == PrepareCommit || t.State == PrepareAbort {
			unfinished = append(unfinished, t)
		}
	}
	s.mu.Unlock()
	s.c.cfg.Log.Info("transaction shard loaded", "partition", s.part, "transactional_ids", len(txns), "to_complete", len(unfinished))
	for _, t := range unfinished {
		s.mu.Lock()
		s.pending[t.ID] = true
		s.mu.Unlock()
		s.sendMarkers(t.clone())
	}
}

func (s *shard) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

// ready checks the shard can serve. s.mu must be held.
func (s *shard) ready() error {
	if s.closed {
		return ErrNotCoordinator
	}
	if !s.loaded {
		return ErrLoadInProgress
	}
	return nil
}

// write persists next as the state of its id and applies it once
// committed; done runs without s.mu. The id must be marked pending by the
// caller (under s.mu); write clears it.
func (s *shard) write(next *Txn, done func(error)) {
	key, value := encode(next)
	coordinator.Append(s.p, []coordinator.KV{{Key: key, Value: value}}, s.c.cfg.Now(), func(_ int64, err error) {
		s.mu.Lock()
		delete(s.pending, next.ID)
		if err == nil && !s.closed {
			applied := next.clone()
			s.txns[next.ID] = applied
		}
		s.mu.Unlock()
		if err != nil {
			err = fmt.Errorf("write transaction state: %w", err)
		}
		done(err)
	})
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
