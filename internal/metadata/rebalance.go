package metadata

import (
	"context"
	"slices"
	"time"
)

// preferredLeaderInterval is how often the controller moves leadership
// back to preferred replicas: Kafka's default
// leader.imbalance.check.interval.seconds (300).
const preferredLeaderInterval = 300 * time.Second

// rebalanceLeaders runs preferred-leader elections while this node is the
// controller: every partition whose first replica is live, in sync and not
// leading gets it back as leader, so leaderships spread evenly again after
// failovers.
func (n *Node) rebalanceLeaders() {
	defer n.wg.Done()
	tick := time.NewTicker(preferredLeaderInterval)
	defer tick.Stop()
	for {
		select {
		case <-n.stop:
			return
		case <-tick.C:
		}
		if !n.IsController() {
			continue
		}
		parts := imbalanced(n.Image())
		if len(parts) == 0 {
			continue
		}
		ctx, cancel := context.WithTimeout(n.stopCtx, 10*time.Second)
		moved := 0
		for _, res := range n.ElectLeaders(ctx, ElectPreferred, parts) {
			if res.Err == nil {
				moved++
			}
		}
		cancel()
		if moved > 0 {
			n.logger.Info("preferred leaders elected", "partitions", moved)
		}
	}
}

// imbalanced lists the partitions whose preferred replica could lead but
// does not.
func imbalanced(img *Image) map[string][]int32 {
	out := map[string][]int32{}
	for _, name := range img.TopicNames() {
		for _, p := range img.Topics[name].Partitions {
			if len(p.Replicas) == 0 {
				continue
			}
			pref := p.Replicas[0]
			b, ok := img.Brokers[pref]
			if p.Leader == pref || !ok || b.Fenced || !slices.Contains(p.ISR, pref) {
				continue
			}
			out[name] = append(out[name], p.Partition)
		}
	}
	return out
}
