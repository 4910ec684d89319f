package server

import "sync"

// byteBudget bounds the request bytes held by the whole broker. acquire
// blocks while the budget is spent; one request larger than the whole budget
// still passes alone so that it cannot deadlock.
type byteBudget struct {
	mu    sync.Mutex
	cond  *sync.Cond
	limit int64
	used  int64
}

func newByteBudget(limit int64) *byteBudget {
	b := &byteBudget{limit: limit}
	b.cond = sync.NewCond(&b.mu)
	return b
}

func (b *byteBudget) acquire(n int64, closed func() bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.used > 0 && b.used+n > b.limit {
		if closed() {
			return false
		}
		b.cond.Wait()
	}
	b.used += n
	return true
}

func (b *byteBudget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
	b.cond.Broadcast()
}

// wake lets blocked acquirers re-check whether their connection closed.
func (b *byteBudget) wake() { b.cond.Broadcast() }

// Used is the request bytes held now (a metric).
func (b *byteBudget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}
