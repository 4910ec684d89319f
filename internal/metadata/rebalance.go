package metadata

import (
	"context"
	"slices"
	"strconv"
	"time"
)

// preferredLeaderInterval is how often the controller moves leadership
// back to preferred replicas (leader.imbalance.check.interval.seconds,
// 300 by default as in Kafka); 0 when auto.leader.rebalance.enable is off.
func (n *Node) preferredLeaderInterval() time.Duration {
	b := n.cfg.Broker
	if b == nil {
		return 300 * time.Second
	}
	if v, ok := b.Raw["auto.leader.rebalance.enable"]; ok && v == "false" {
		return 0
	}
	secs, err := strconv.ParseInt(b.Raw["leader.imbalance.check.interval.seconds"], 10, 64)
	if err != nil || secs <= 0 {
		secs = 300
	}
	return time.Duration(secs) * time.Second
}

// rebalanceLeaders runs preferred-leader elections while this node is the
// controller: every partition whose first replica is live, in sync and not
// leading gets it back as leader, so leaderships spread evenly again after
// failovers.
func (n *Node) rebalanceLeaders() {
	defer n.wg.Done()
	interval := n.preferredLeaderInterval()
	if interval == 0 {
		return
	}
	tick := time.NewTicker(interval)
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
