package httpapi

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/partition"
	"github.com/gregor-stream/gregor/internal/server"
	"github.com/gregor-stream/gregor/internal/storage"
)

// BrokerCollector exports the Kafka listener's counters and every hosted
// partition's offsets and size.
type BrokerCollector struct {
	Server *server.Server
	Parts  *partition.Manager
	Store  *storage.Manager
}

var (
	descConns         = prometheus.NewDesc("gregor_connections", "Open Kafka connections.", nil, nil)
	descRequests      = prometheus.NewDesc("gregor_requests_total", "Kafka requests received, by API.", []string{"api"}, nil)
	descProtoErrs     = prometheus.NewDesc("gregor_protocol_errors_total", "Connections closed for a protocol violation.", nil, nil)
	descBytesIn       = prometheus.NewDesc("gregor_network_received_bytes_total", "Bytes read from Kafka connections.", nil, nil)
	descQueued        = prometheus.NewDesc("gregor_queued_request_bytes", "Request bytes held in memory, bounded by queued.max.request.bytes.", nil, nil)
	descBytesOut      = prometheus.NewDesc("gregor_network_sent_bytes_total", "Bytes written to Kafka connections.", nil, nil)
	descLEO           = prometheus.NewDesc("gregor_partition_log_end_offset", "Next offset to be written.", []string{"topic", "partition"}, nil)
	descLSO           = prometheus.NewDesc("gregor_partition_log_start_offset", "First offset still in the log.", []string{"topic", "partition"}, nil)
	descHW            = prometheus.NewDesc("gregor_partition_high_watermark", "Offset below which records are committed.", []string{"topic", "partition"}, nil)
	descSize          = prometheus.NewDesc("gregor_partition_size_bytes", "Bytes of log segments on disk.", []string{"topic", "partition"}, nil)
	descCleanerBytes  = prometheus.NewDesc("gregor_cleaner_cleaned_bytes_total", "Bytes of compacted-topic segments the log cleaner rewrote (before cleaning).", nil, nil)
	descCleanerPasses = prometheus.NewDesc("gregor_cleaner_passes_total", "Log cleaner passes.", nil, nil)
	descDirtyRatio    = prometheus.NewDesc("gregor_cleaner_dirty_ratio", "Dirty share of the cleanable part of a compacted partition.", []string{"topic", "partition"}, nil)
	descSinceClean    = prometheus.NewDesc("gregor_cleaner_seconds_since_last_clean", "Seconds since the cleaner last finished a pass on the partition (-1: never since start).", []string{"topic", "partition"}, nil)
	descLeader        = prometheus.NewDesc("gregor_partition_leader", "1 when this node leads the partition.", []string{"topic", "partition"}, nil)
)

// Describe implements prometheus.Collector.
func (c *BrokerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descConns, descRequests, descProtoErrs, descBytesIn, descBytesOut, descQueued, descLEO, descLSO, descHW, descSize, descLeader, descCleanerBytes, descCleanerPasses, descDirtyRatio, descSinceClean} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *BrokerCollector) Collect(ch chan<- prometheus.Metric) {
	st := &c.Server.Stats
	ch <- prometheus.MustNewConstMetric(descConns, prometheus.GaugeValue, float64(st.Connections.Load()))
	ch <- prometheus.MustNewConstMetric(descProtoErrs, prometheus.CounterValue, float64(st.ProtocolErrors.Load()))
	ch <- prometheus.MustNewConstMetric(descBytesIn, prometheus.CounterValue, float64(st.BytesIn.Load()))
	ch <- prometheus.MustNewConstMetric(descBytesOut, prometheus.CounterValue, float64(st.BytesOut.Load()))
	ch <- prometheus.MustNewConstMetric(descQueued, prometheus.GaugeValue, float64(c.Server.QueuedBytes()))
	for k := range st.RequestsByKey {
		if n := st.RequestsByKey[k].Load(); n > 0 {
			ch <- prometheus.MustNewConstMetric(descRequests, prometheus.CounterValue, float64(n), kmsg.NameForKey(int16(k)))
		}
	}
	if c.Store != nil {
		cs := c.Store.CleanerStats()
		ch <- prometheus.MustNewConstMetric(descCleanerBytes, prometheus.CounterValue, float64(cs.BytesCleaned))
		ch <- prometheus.MustNewConstMetric(descCleanerPasses, prometheus.CounterValue, float64(cs.Passes))
		for _, ps := range cs.Partitions {
			part := itoa(ps.Partition)
			ch <- prometheus.MustNewConstMetric(descDirtyRatio, prometheus.GaugeValue, ps.DirtyRatio, ps.Topic, part)
			since := -1.0
			if ps.SinceLastClean >= 0 {
				since = ps.SinceLastClean.Seconds()
			}
			ch <- prometheus.MustNewConstMetric(descSinceClean, prometheus.GaugeValue, since, ps.Topic, part)
		}
	}
	for _, p := range c.Parts.All() {
		part := itoa(p.Index)
		l := p.Log()
		ch <- prometheus.MustNewConstMetric(descLEO, prometheus.GaugeValue, float64(l.LogEndOffset()), p.Topic, part)
		ch <- prometheus.MustNewConstMetric(descLSO, prometheus.GaugeValue, float64(l.LogStartOffset()), p.Topic, part)
		ch <- prometheus.MustNewConstMetric(descHW, prometheus.GaugeValue, float64(p.HighWatermark()), p.Topic, part)
		ch <- prometheus.MustNewConstMetric(descSize, prometheus.GaugeValue, float64(l.Size()), p.Topic, part)
		leader := 0.0
		if p.IsLeader() {
			leader = 1
		}
		ch <- prometheus.MustNewConstMetric(descLeader, prometheus.GaugeValue, leader, p.Topic, part)
	}
}

func itoa(v int32) string { return strconv.Itoa(int(v)) }
