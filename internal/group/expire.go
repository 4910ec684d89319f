package group

import (
	"time"

	"github.com/gregor-stream/gregor/internal/coordinator"
)

// expireLoop removes committed offsets older than offsets.retention.minutes
// every offsets.retention.check.interval.ms.
func (c *Coordinator) expireLoop() {
	defer c.wg.Done()
	every := time.Duration(c.cfg.Broker.OffsetsRetentionCheckIntervalMs) * time.Millisecond
	if every <= 0 {
		every = 10 * time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
			c.ExpireOffsets(time.Now())
			c.Cleanup()
		}
	}
}

// ExpireOffsets writes tombstones for the offsets that expired at now. As
// in Kafka (KIP-211), the offsets of a group that has members never
// expire; once it is empty, the retention counts from when it became
// empty. A group that never had members (offsets committed by a tool)
// expires each offset by its commit time. A group left with no offsets is
// deleted too.
func (c *Coordinator) ExpireOffsets(now time.Time) {
	retention := time.Duration(c.cfg.Broker.OffsetsRetentionMinutes) * time.Minute
	if retention <= 0 {
		return
	}
	for _, s := range c.allShards() {
		s.mu.Lock()
		if !s.loaded || s.closed {
			s.mu.Unlock()
			continue
		}
		var kvs []coordinator.KV
		var emptied []*group
		for _, g := range s.groups {
			if g.state != stateEmpty {
				continue
			}
			expired := 0
			for tp, o := range g.offsets {
				base := time.UnixMilli(o.CommitTime)
				if g.protocolType != "" {
					base = g.stateTime
				}
				if now.Sub(base) >= retention {
					kvs = append(kvs, coordinator.KV{Key: offsetKey(g.id, tp.topic, tp.part)})
					expired++
				}
			}
			if expired == len(g.offsets) {
				kvs = append(kvs, coordinator.KV{Key: groupKey(g.id)})
				emptied = append(emptied, g)
			}
		}
		if len(kvs) > 0 {
			s.appendRecords(kvs, func(_ int64, err error) {
				if err != nil {
					c.log.Warn("expire offsets", "partition", s.part, "err", err)
					return
				}
				for _, g := range emptied {
					if s.groups[g.id] == g && g.state == stateEmpty && len(g.offsets) == 0 {
						g.stopTimers()
						delete(s.groups, g.id)
					}
				}
				c.log.Info("expired offsets", "partition", s.part, "records", len(kvs))
			})
		}
		s.mu.Unlock()
	}
}
