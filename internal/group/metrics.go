package group

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	descCommitted = prometheus.NewDesc("gregor_group_committed_offset",
		"Committed offset of a consumer group, by partition.", []string{"group", "topic", "partition"}, nil)
	descLag = prometheus.NewDesc("gregor_group_lag",
		"Records between a group's committed offset and the partition's high watermark (partitions led by this node).",
		[]string{"group", "topic", "partition"}, nil)
	descMembers = prometheus.NewDesc("gregor_group_members",
		"Members of a consumer group coordinated by this node.", []string{"group", "state"}, nil)
)

// Collector exports committed offsets, lag and membership of the groups
// this node coordinates.
func (c *Coordinator) Collector() prometheus.Collector { return collector{c} }

type collector struct{ c *Coordinator }

func (collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descCommitted
	ch <- descLag
	ch <- descMembers
}

func (k collector) Collect(ch chan<- prometheus.Metric) {
	type row struct {
		group, topic string
		part         int32
		off          int64
	}
	var rows []row
	for _, s := range k.c.allShards() {
		s.mu.Lock()
		if s.loaded && !s.closed {
			for _, g := range s.groups {
				n, st := len(g.members), g.state.String()
				if g.consumer != nil {
					n, st = len(g.consumer.members), g.consumer.state()
				}
				ch <- prometheus.MustNewConstMetric(descMembers, prometheus.GaugeValue, float64(n), g.id, st)
				for tp, o := range g.offsets {
					rows = append(rows, row{g.id, tp.topic, tp.part, o.Offset})
				}
			}
		}
		s.mu.Unlock()
	}
	// Partition lookups happen outside shard locks.
	for _, r := range rows {
		p := strconv.Itoa(int(r.part))
		ch <- prometheus.MustNewConstMetric(descCommitted, prometheus.GaugeValue, float64(r.off), r.group, r.topic, p)
		if part := k.c.cfg.Parts.Get(r.topic, r.part); part != nil && part.IsLeader() {
			lag := part.HighWatermark() - r.off
			if lag < 0 {
				lag = 0
			}
			ch <- prometheus.MustNewConstMetric(descLag, prometheus.GaugeValue, float64(lag), r.group, r.topic, p)
		}
	}
}
