package storage

import "math"

// FlushPolicy decides when appended data is fsynced.
type FlushPolicy int

const (
	// FlushAlways: the group-commit flusher fsyncs every append and
	// WhenFlushed waits for it. The default: acks=all means on disk.
	FlushAlways FlushPolicy = iota
	// FlushInterval: fsync after FlushMs or FlushMessages, whichever first.
	FlushInterval
	// FlushNever: only segment rolls and shutdown fsync; the OS decides
	// the rest.
	FlushNever
)

// LogConfig holds the per-topic settings, named after their Kafka configs.
type LogConfig struct {
	SegmentBytes       int64 // segment.bytes
	SegmentMs          int64 // segment.ms
	SegmentIndexBytes  int32 // segment.index.bytes: caps index entries per segment
	IndexIntervalBytes int32 // index.interval.bytes
	RetentionMs        int64 // retention.ms; -1 keeps forever
	RetentionBytes     int64 // retention.bytes; -1 is unlimited
	FlushPolicy        FlushPolicy
	FlushMs            int64 // flush.ms, for FlushInterval
	FlushMessages      int64 // flush.messages, for FlushInterval
	FileDeleteDelayMs  int64 // file.delete.delay.ms
	// ProducerIDExpirationMs is producer.id.expiration.ms: producer state
	// idle (by its last batch timestamp) for longer is dropped by the
	// retention pass, which bounds its memory.
	ProducerIDExpirationMs int64

	// Compact and Delete are cleanup.policy: "delete" (the default),
	// "compact" or "compact,delete". Retention by time and size applies
	// with Delete, or when neither is set (a zero LogConfig behaves like
	// Kafka's default); the log cleaner runs with Compact.
	Compact, Delete bool
	// DeleteRetentionMs is delete.retention.ms: how long a tombstone (and
	// a transaction marker whose data is gone) stays after its batch's
	// max timestamp, so consumers near the head see it.
	DeleteRetentionMs int64
	// MinCompactionLagMs / MaxCompactionLagMs are min/max.compaction.lag.ms:
	// a record is never compacted sooner than the first, and a log whose
	// oldest dirty record is older than the second is cleaned whatever its
	// dirty ratio (and its active segment rolls by then).
	MinCompactionLagMs, MaxCompactionLagMs int64
	// MinCleanableDirtyRatio is min.cleanable.dirty.ratio.
	MinCleanableDirtyRatio float64
}

// deletes reports whether retention by time and size applies.
func (c LogConfig) deletes() bool { return c.Delete || !c.Compact }

// DefaultLogConfig returns Kafka's defaults, except the 72 h retention that
// Gregor picks and FlushAlways.
func DefaultLogConfig() LogConfig {
	return LogConfig{
		SegmentBytes:       1 << 30,
		SegmentMs:          7 * 24 * 3600 * 1000,
		SegmentIndexBytes:  10 << 20,
		IndexIntervalBytes: 4096,
		RetentionMs:        72 * 3600 * 1000,
		RetentionBytes:     -1,
		FlushPolicy:        FlushAlways,
		FlushMs:            math.MaxInt64,
		FlushMessages:      math.MaxInt64,
		FileDeleteDelayMs:  60000,
		// Kafka's default: one day.
		ProducerIDExpirationMs: 24 * 3600 * 1000,
		Delete:                 true,
		DeleteRetentionMs:      24 * 3600 * 1000,
		MaxCompactionLagMs:     math.MaxInt64,
		MinCleanableDirtyRatio: 0.5,
	}
}

// sanitized clamps values that would break the on-disk format: positions
// in the index are 32 bits, so a segment stays below 2 GiB like in Kafka.
func (c LogConfig) sanitized() LogConfig {
	d := DefaultLogConfig()
	if c.SegmentBytes <= 0 {
		c.SegmentBytes = d.SegmentBytes
	}
	if c.SegmentBytes > math.MaxInt32 {
		c.SegmentBytes = math.MaxInt32
	}
	if c.SegmentMs <= 0 {
		c.SegmentMs = d.SegmentMs
	}
	if c.SegmentIndexBytes < 2*indexEntrySize {
		c.SegmentIndexBytes = d.SegmentIndexBytes
	}
	if c.IndexIntervalBytes <= 0 {
		c.IndexIntervalBytes = 1
	}
	if c.FlushMs <= 0 {
		c.FlushMs = d.FlushMs
	}
	if c.FlushMessages <= 0 {
		c.FlushMessages = d.FlushMessages
	}
	if c.ProducerIDExpirationMs <= 0 {
		c.ProducerIDExpirationMs = d.ProducerIDExpirationMs
	}
	if c.FileDeleteDelayMs < 0 {
		c.FileDeleteDelayMs = 0
	}
	if c.DeleteRetentionMs < 0 {
		c.DeleteRetentionMs = 0
	}
	if c.MinCompactionLagMs < 0 {
		c.MinCompactionLagMs = 0
	}
	if c.MaxCompactionLagMs <= 0 {
		c.MaxCompactionLagMs = d.MaxCompactionLagMs
	}
	if c.MinCleanableDirtyRatio < 0 || c.MinCleanableDirtyRatio > 1 || c.MinCleanableDirtyRatio != c.MinCleanableDirtyRatio {
		c.MinCleanableDirtyRatio = d.MinCleanableDirtyRatio
	}
	return c
}
