// Package storage is the log engine: per-partition segment files holding
// record batches exactly as on the wire, their sparse offset and time
// indexes and aborted-transaction indexes, leader epoch and producer-state
// files, recovery, retention, the log cleaner (compaction) and the
// group-commit flusher. It knows nothing of the Kafka protocol; it imports
// only internal/record.
//
// # Files
//
// A Manager owns one data directory; each partition is a directory
// <topic>-<partition> with %020d.log/.index/.timeindex(/.txnindex) segments,
// leader-epoch-checkpoint, partition.metadata and %020d.snapshot producer
// state (and, during a cleaner swap, *.cleaned files and cleaner-swap). The
// data directory holds recovery-point-offset-checkpoint,
// log-start-offset-checkpoint, cleaner-offset-checkpoint and the
// clean-shutdown marker. docs/format/
// describes every file byte by byte. Replaced files are written crash-safely
// (temp file, fsync, rename, fsync directory).
//
// # Durability
//
// Appenders never fsync. With FlushAlways (the default) an append queues
// its log for the Manager's flusher goroutine, which fsyncs every queued log
// (up to 8 in parallel) and completes the WhenFlushed waiters each fsync
// covered: one fsync serves every producer that appended meanwhile (group
// commit). If an fsync fails the unflushed tail is truncated, since Linux
// may already have dropped those dirty pages; none of it was acknowledged.
// If even that truncation fails the log goes offline (every call returns
// ErrStorage) until a restart recovers it from disk, as Kafka takes a
// failed log directory offline.
//
// # Recovery
//
// The recovery point of a log is its flushed offset, checkpointed every
// CheckpointInterval and at shutdown. After a clean shutdown (the marker
// file exists) nothing is scanned: sealed segments read only their index
// sizes and the last time index entry, the active one walks the few batch
// headers after its last index entry. After a crash, segments from the one
// holding the recovery point on are scanned, each batch's length, magic
// and CRC32C checked; the first bad or torn batch and everything after it
// are truncated and the indexes rebuilt. So start-up work grows with the
// data not yet flushed, not with the log size. Producer state comes from
// the newest snapshot at or below the log end plus a replay of the batch
// headers after it.
//
// # Transactions
//
// Producer state also tracks each producer's ongoing transaction (the
// first offset of its first transactional batch after its last marker).
// AppendControl writes Kafka's COMMIT/ABORT marker and ends it; an ABORT
// adds an entry to the active segment's .txnindex. FirstUnstableOffset
// (the minimum over ongoing transactions) bounds the last stable offset;
// AbortedTransactions reads the .txnindex files for read_committed
// fetches. Followers apply the same changes from the batches they copy.
// Ongoing transactions survive restarts through the producer snapshot plus
// the replay after it, which also re-derives .txnindex entries a crash lost.
//
// # Compaction
//
// The cleaner (cleaner*.go) compacts logs with LogConfig.Compact: a
// background goroutine (or Manager.CleanNow) picks the log past
// max.compaction.lag.ms or with the highest dirty ratio at or above
// min.cleanable.dirty.ratio, builds a key -> latest offset map of its dirty
// range (bounded: log.cleaner.dedupe.buffer.size; a pass covers what fits)
// and rewrites its sealed segments below the active segment, the first
// unstable offset and the high watermark (Log.SetHighWatermark, from the
// partition layer). Kept: each key's latest record,
// tombstones and transaction markers until delete.retention.ms after their
// batch, a live producer's last batch (empty if need be). Dropped: older
// values, aborted transactional data, keyless records. Offsets never
// change. The rewritten segments are swapped in crash-safely through
// .cleaned files and a cleaner-swap manifest (docs/format/cleaner-swap.md).
// The pass reads and writes files without Log.mu (sealed segments do not
// change; a truncation or deletion meanwhile makes the swap give up) and
// takes Log.mu only to plan, to check the segments before the swap and to
// splice the new one in; its I/O is throttled by
// log.cleaner.io.max.bytes.per.second.
//
// # Index memory
//
// Only the active segment keeps index entries in memory, and only its
// newest 512-1024 per index (where tail-following consumers look). Older
// entries and sealed segments are found by binary search with ReadAt on the
// index files (served from the page cache), so memory per partition is a
// few KiB whatever the segment size or count. Index files are written as
// entries are added, never preallocated. Every segment keeps its three
// files open (as Kafka does), so file descriptors grow with segments.
//
// # Concurrency and lock order
//
// cleaner.mu -> Log.structMu -> Manager.ckMu -> Manager.mu -> Log.mu ->
// {Log.wmu, Manager.dirtyMu, Manager.delMu}; Log.flushMu -> Log.mu
// (Log.flushMu is held across one flush's fsyncs, so concurrent flushes of
// a log never publish an offset the other has not synced yet). cleaner.mu makes cleaning
// passes (the background loop's and CleanNow's) run one at a time.
// Log.structMu is held by everything that changes sealed segments
// (truncation, retention and DeleteRecords, the cleaner's swap); the swap
// holds it, not Log.mu, across its fsyncs and renames, so appends and
// reads carry on (readers keep the old segments' open files). Log.mu (RWMutex) guards a log's segments and state:
// appends, truncation and retention take it exclusively; reads take it
// shared to find the position and then read the file without it, which is
// safe because appends only write past the size a reader captured and
// deleted segments stay open for file.delete.delay.ms. The flusher takes
// Log.mu only to capture what to sync and to publish the flushed offset,
// never across an fsync. Waiter callbacks run with no lock held.
package storage
