package txn

import (
	"context"
	"math"
)

// wait blocks until the write's done callback fires or ctx ends.
func waitWrite(ctx context.Context, start func(done func(error))) error {
	ch := make(chan error, 1)
	start(func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// checkProducer validates a request's producer id and epoch against t.
func checkProducer(t *Txn, pid int64, epoch int16) error {
	if t == nil || t.ProducerID != pid {
		return ErrInvalidPIDMapping
	}
	if epoch < t.Epoch {
		return ErrProducerFenced
	}
	if epoch > t.Epoch {
		return ErrInvalidProducerEpoch
	}
	return nil
}

// InitProducerID gives a transactional producer its id and a new epoch,
// fencing any older producer with the same transactional id. An ongoing
// transaction of the old producer is aborted first; the caller gets
// ErrConcurrentTxns meanwhile and retries, as Kafka clients do.
func (c *Coordinator) InitProducerID(ctx context.Context, id string, timeoutMs int32, reqPID int64, reqEpoch int16) (int64, int16, error) {
	if id == "" {
		return -1, -1, ErrTransactionalID
	}
	if timeoutMs <= 0 || timeoutMs > c.cfg.Broker.TransactionMaxTimeoutMs {
		return -1, -1, ErrInvalidTimeout
	}
	s, err := c.shardFor(id)
	if err != nil {
		return -1, -1, err
	}
	s.mu.Lock()
	if err := s.ready(); err != nil {
		s.mu.Unlock()
		return -1, -1, err
	}
	if s.pending[id] {
		s.mu.Unlock()
		return -1, -1, ErrConcurrentTxns
	}
	now := c.cfg.Now().UnixMilli()
	cur := s.txns[id]
	var next *Txn
	switch {
	case cur == nil:
		s.mu.Unlock()
		pid, err := c.cfg.PIDs.Next(ctx)
		if err != nil {
			return -1, -1, err
		}
		s.mu.Lock()
		if s.pending[id] || s.txns[id] != nil {
			s.mu.Unlock()
			return -1, -1, ErrConcurrentTxns
		}
		next = &Txn{ID: id, ProducerID: pid, Epoch: 0, TimeoutMs: timeoutMs, State: Empty, Partitions: map[TP]struct{}{}, UpdateMs: now, StartMs: -1}
	default:
		if reqPID >= 0 && (reqPID != cur.ProducerID || reqEpoch != cur.Epoch) {
			// KIP-360: only the current producer may bump its own epoch.
			s.mu.Unlock()
			return -1, -1, ErrProducerFenced
		}
		switch cur.State {
		case PrepareCommit, PrepareAbort:
			s.mu.Unlock()
			return -1, -1, ErrConcurrentTxns
		case Ongoing:
			// Fence the old producer and abort its transaction; the
			// client retries and gets the next epoch once it is done.
			abort := cur.clone()
			abort.Epoch = bumpEpoch(cur.Epoch)
			abort.State = PrepareAbort
			abort.UpdateMs = now
			s.pending[id] = true
			s.mu.Unlock()
			s.endTransaction(abort)
			return -1, -1, ErrConcurrentTxns
		}
		next = cur.clone()
		next.TimeoutMs = timeoutMs
		next.State = Empty
		next.Partitions = map[TP]struct{}{}
		next.UpdateMs = now
		next.StartMs = -1
		if cur.Epoch >= math.MaxInt16-1 {
			s.mu.Unlock()
			pid, err := c.cfg.PIDs.Next(ctx)
			if err != nil {
				return -1, -1, err
			}
			s.mu.Lock()
			next.ProducerID, next.Epoch = pid, 0
		} else {
			next.Epoch = cur.Epoch + 1
		}
	}
	s.pending[id] = true
	s.mu.Unlock()
	if err := waitWrite(ctx, func(done func(error)) { s.write(next, done) }); err != nil {
		return -1, -1, err
	}
	return next.ProducerID, next.Epoch, nil
}

func bumpEpoch(e int16) int16 {
	if e >= math.MaxInt16-1 {
		return e
	}
	return e + 1
}

// lockProducer finds the shard of id, checks it can serve and that no
// write for id is in flight, and validates the producer id and epoch. On
// success s.mu is held and cur is the current state.
func (c *Coordinator) lockProducer(id string, pid int64, epoch int16) (*shard, *Txn, error) {
	s, err := c.shardFor(id)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	if err := s.ready(); err != nil {
		s.mu.Unlock()
		return nil, nil, err
	}
	if s.pending[id] {
		s.mu.Unlock()
		return nil, nil, ErrConcurrentTxns
	}
	cur := s.txns[id]
	if err := checkProducer(cur, pid, epoch); err != nil {
		s.mu.Unlock()
		return nil, nil, err
	}
	return s, cur, nil
}

// AddPartitions adds partitions to the producer's transaction, starting it
// if needed.
func (c *Coordinator) AddPartitions(ctx context.Context, id string, pid int64, epoch int16, tps []TP) error {
	s, cur, err := c.lockProducer(id, pid, epoch)
	if err != nil {
		return err
	}
	switch cur.State {
	case PrepareCommit, PrepareAbort:
		s.mu.Unlock()
		return ErrConcurrentTxns
	case Dead, PrepareEpochFence:
		s.mu.Unlock()
		return ErrInvalidTxnState
	}
	missing := false
	for _, tp := range tps {
		if _, ok := cur.Partitions[tp]; !ok {
			missing = true
		}
	}
	if cur.State == Ongoing && !missing {
		s.mu.Unlock()
		return nil
	}
	next := cur.clone()
	now := c.cfg.Now().UnixMilli()
	if cur.State != Ongoing {
		next.Partitions = map[TP]struct{}{}
		next.StartMs = now
	}
	next.State = Ongoing
	next.UpdateMs = now
	for _, tp := range tps {
		next.Partitions[tp] = struct{}{}
	}
	s.pending[id] = true
	s.mu.Unlock()
	return waitWrite(ctx, func(done func(error)) { s.write(next, done) })
}

// Verify reports whether a transactional produce from pid/epoch to tp is
// part of an ongoing transaction (KIP-890: a late write cannot join a
// finished transaction). ok=false with a nil error means "not in a
// transaction".
func (c *Coordinator) Verify(id string, pid int64, epoch int16, tp TP) error {
	s, err := c.shardFor(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ready(); err != nil {
		return err
	}
	cur := s.txns[id]
	if err := checkProducer(cur, pid, epoch); err != nil {
		return err
	}
	if cur.State != Ongoing {
		return ErrInvalidTxnState
	}
	if _, ok := cur.Partitions[tp]; !ok {
		return ErrInvalidTxnState
	}
	return nil
}

// EndTxn commits or aborts the producer's transaction. It answers once the
// decision (PrepareCommit/PrepareAbort) is durable; markers and the final
// state follow in the background.
func (c *Coordinator) EndTxn(ctx context.Context, id string, pid int64, epoch int16, commit bool) error {
	s, cur, err := c.lockProducer(id, pid, epoch)
	if err != nil {
		return err
	}
	switch cur.State {
	case Ongoing:
	case CompleteCommit:
		s.mu.Unlock()
		if commit {
			return nil // a retry of a commit that completed
		}
		return ErrInvalidTxnState
	case CompleteAbort:
		s.mu.Unlock()
		if !commit {
			return nil
		}
		return ErrInvalidTxnState
	case PrepareCommit, PrepareAbort:
		s.mu.Unlock()
		return ErrConcurrentTxns
	case Empty:
		s.mu.Unlock()
		if !commit {
			// Aborting an empty transaction is a no-op clients use
			// after errors.
			return nil
		}
		return ErrInvalidTxnState
	default:
		s.mu.Unlock()
		return ErrInvalidTxnState
	}
	next := cur.clone()
	next.State = PrepareAbort
	if commit {
		next.State = PrepareCommit
	}
	next.UpdateMs = c.cfg.Now().UnixMilli()
	s.pending[id] = true
	s.mu.Unlock()
	ch := make(chan error, 1)
	s.writeThen(next, func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
