// Package group owns consumer groups: the classic group protocol (JoinGroup,
// SyncGroup, Heartbeat, LeaveGroup and the state machine Empty ->
// PreparingRebalance -> CompletingRebalance -> Stable, Dead), the KIP-848
// consumer protocol (ConsumerGroupHeartbeat with the uniform and range
// server-side assignors, consumer_group.go and heartbeat848.go), committed
// offsets, and their persistence in the compacted internal topic
// __consumer_offsets in Kafka's own record formats (offset commit key v1 /
// value v3, group metadata key v2 / value v3), so tools that read that
// topic directly (Burrow) understand it.
//
// The group with id G lives in partition abs(hashCode(G)) % N of
// __consumer_offsets; the leader of that partition coordinates it. Each
// partition this node leads is a shard: when the node becomes leader the
// shard replays the partition and only then serves requests
// (COORDINATOR_LOAD_IN_PROGRESS until then); when it stops leading, the
// shard is dropped and clients are told NOT_COORDINATOR.
//
// Offsets change only by applying records: a commit validates, appends its
// records with acks=all, and applies them when the append completes, with
// the same function that replays the partition on load. Group metadata is
// written when a generation gets its assignment, when a group becomes
// empty, and as a tombstone when it is deleted; membership between those
// points (who is waiting in a join) is live state that a new coordinator
// rebuilds from the last written generation plus the members' rejoins.
// KIP-848 membership is not written at all (Kafka's records for it are
// not implemented): after a coordinator change those members are told
// UNKNOWN_MEMBER_ID and rejoin; their committed offsets are kept.
//
// __consumer_offsets is created with cleanup.policy=compact; until the log
// cleaner exists, Cleanup keeps it bounded by copying live records forward
// and moving the log start offset past the superseded ones (see
// cleanup.go). Offsets of empty groups expire after
// offsets.retention.minutes (expire.go).
//
// Concurrency: Coordinator.mu guards the shard map; shard.mu guards every
// group of that shard, including its timers' effects (timer callbacks take
// shard.mu and re-check that what they were armed for still holds). Lock
// order: Coordinator.mu -> shard.mu. No partition call is made under
// shard.mu: appends are started on their own goroutine (a partition may
// complete other waiters, such as a transaction marker whose completion
// calls CompleteTxn and takes shard.mu, from inside Append), and their
// completions run on yet another goroutine (package coordinator); records
// carry their log offsets, so they apply in log order whatever the order of
// completion. Replies to clients are sent under shard.mu; the server's
// reply function only hands the response to the connection's write loop.
package group
