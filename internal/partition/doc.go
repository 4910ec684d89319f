// Package partition owns the partition replicas hosted by this node: for
// each one its log, its role (leader or follower) and leader epoch, the high
// watermark, and the waits that depend on them: acks=all produce requests
// waiting for the high watermark, and fetch requests waiting for data.
//
// The high watermark is the lowest of the leader's durable offset (what the
// group-commit flusher has fsynced, per the topic's flush policy) and the log
// end offsets of the in-sync followers. Using the durable offset rather than
// the log end offset means a consumer never reads a record that a crash of
// the leader could take back.
//
// Idempotence: sequence and epoch checks run inside storage.Log.Append,
// under the log's lock, so the check and the append are one atomic step.
//
// Locks: Manager.mu guards the partition map only. Partition.mu guards role,
// epoch, ISR, follower offsets and the waiter lists; it is never held across
// a call into storage that can block on I/O, except Append, which takes
// log.mu inside (order: Partition.mu -> log.mu is never used; Append is
// called without Partition.mu, serialised by the log itself).
package partition
