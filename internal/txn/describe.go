package txn

import "sort"

// Describe returns the state of the given ids; missing ones are absent.
// errs holds per-id coordinator errors (not the coordinator, loading).
func (c *Coordinator) Describe(ids []string) (found map[string]*Txn, errs map[string]error) {
	found, errs = map[string]*Txn{}, map[string]error{}
	for _, id := range ids {
		s, err := c.shardFor(id)
		if err != nil {
			errs[id] = err
			continue
		}
		s.mu.Lock()
		if err := s.ready(); err != nil {
			errs[id] = err
		} else if t := s.txns[id]; t != nil {
			found[id] = t.clone()
		}
		s.mu.Unlock()
	}
	return found, errs
}

// List returns every transaction this node coordinates, filtered by state
// names and producer ids when those are non-empty.
func (c *Coordinator) List(states []string, pids []int64) []*Txn {
	c.mu.Lock()
	shards := make([]*shard, 0, len(c.shards))
	for _, s := range c.shards {
		shards = append(shards, s)
	}
	c.mu.Unlock()
	wantState := map[string]bool{}
	for _, st := range states {
		wantState[st] = true
	}
	wantPID := map[int64]bool{}
	for _, p := range pids {
		wantPID[p] = true
	}
	var out []*Txn
	for _, s := range shards {
		s.mu.Lock()
		for _, t := range s.txns {
			if len(wantState) > 0 && !wantState[t.State.String()] {
				continue
			}
			if len(wantPID) > 0 && !wantPID[t.ProducerID] {
				continue
			}
			out = append(out, t.clone())
		}
		s.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
