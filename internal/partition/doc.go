// Package partition owns the partition replicas hosted by this node: for
// each one its log, its role (leader or follower) and leader epoch, the high
// watermark, and the waits that depend on them: acks=all produce requests
// waiting for the high watermark, and fetch requests waiting for data.
//
// The high watermark is the lowest log end offset in the ISR, as in Kafka.
// acks=all completes once the high watermark passes the batch AND the
// leader's group-commit flusher has made it durable (per the topic's flush
// policy; followers fsync before they fetch further), so an acknowledged
// write is on disk on every in-sync replica.
//
// Replication (replica.go): on the leader, a follower's fetch
// (ReadAsReplica) reads up to the log end and records the follower's log
// end; a follower that caught up with the high watermark within the
// current leader epoch is added to the ISR, one that has not caught up for
// replica.lag.time.max.ms is removed (Manager.RunISRChecks), both through
// the controller (AlterPartition); the high watermark is computed over the
// maximal ISR (a follower being added counts at once, one being removed
// until the removal is committed), so no replica the controller may elect
// lacks a record below it. On a follower,
// AppendAsFollower and TruncateAsFollower are called by
// internal/replication's fetcher and check the role they were called for
// is still current.
//
// Idempotence: sequence and epoch checks run inside storage.Log.Append,
// under the log's lock, so the check and the append are one atomic step.
//
// Locks: Partition.replicaMu serialises follower appends and truncation
// with role changes (order: replicaMu -> Partition.mu). Manager.mu guards
// the partition map only. Partition.mu guards role,
// epoch, ISR, follower offsets and the waiter lists; it is never held across
// a call into storage that can block on I/O, except Append, which takes
// log.mu inside (order: Partition.mu -> log.mu is never used; Append is
// called without Partition.mu, serialised by the log itself).
package partition
