package metadata

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// sessions tracks, on the controller only, when each broker last
// heartbeated. It is not replicated: a new controller gives every broker a
// fresh session, so a failover never fences anyone by itself.
type sessions struct {
	mu   sync.Mutex
	last map[int32]time.Time
}

// Heartbeat renews broker id's session; a fenced broker that heartbeats
// with its current incarnation is unfenced (and elected where it is the
// only in-sync replica). The broker running inside the controller's own
// process is never fenced for missing heartbeats.
func (n *Node) Heartbeat(ctx context.Context, id int32, incarnation [16]byte) error {
	if r := n.forwardTo(); r != nil {
		return r.Heartbeat(ctx, id, incarnation, false)
	}
	if !n.IsController() {
		return fmt.Errorf("%w: controller is %s", ErrNotController, n.leaderString())
	}
	b, ok := n.Image().Brokers[id]
	if !ok {
		return fmt.Errorf("%w: %d", ErrUnknownBroker, id)
	}
	if b.Incarnation != incarnation {
		return fmt.Errorf("%w: broker %d registered again since", ErrStaleBrokerEpoch, id)
	}
	n.sess.mu.Lock()
	n.sess.last[id] = time.Now()
	n.sess.mu.Unlock()
	if b.Fenced {
		return n.UnfenceBroker(ctx, id)
	}
	return nil
}

// expireSessions fences brokers whose session ran out, while this node is
// the controller.
func (n *Node) expireSessions() {
	defer n.wg.Done()
	interval := time.Duration(n.broker.BrokerHeartbeatIntervalMs) * time.Millisecond
	timeout := time.Duration(n.broker.BrokerSessionTimeoutMs) * time.Millisecond
	tick := time.NewTicker(interval)
	defer tick.Stop()
	wasController := false
	for {
		select {
		case <-n.stop:
			return
		case <-tick.C:
		}
		if !n.IsController() {
			wasController = false
			continue
		}
		now := time.Now()
		var expired []int32
		n.sess.mu.Lock()
		if !wasController {
			// Just took over: every broker starts a fresh session.
			clear(n.sess.last)
			wasController = true
		}
		for _, b := range n.Image().BrokerList() {
			if b.ID == n.cfg.NodeID || b.Fenced {
				continue
			}
			last, ok := n.sess.last[b.ID]
			if !ok {
				n.sess.last[b.ID] = now
				continue
			}
			if now.Sub(last) > timeout {
				expired = append(expired, b.ID)
			}
		}
		n.sess.mu.Unlock()
		for _, id := range expired {
			n.logger.Warn("broker session expired, fencing", "broker", id, "timeout", timeout)
			ctx, cancel := context.WithTimeout(n.stopCtx, timeout)
			if err := n.FenceBroker(ctx, id); err != nil {
				n.logger.Warn("fence broker", "broker", id, "err", err)
			}
			cancel()
		}
	}
}
