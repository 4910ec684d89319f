// Package metadata owns the cluster metadata: the records that are the only
// way it changes, the immutable Image they build, the FSM that replays them
// from the raft log (internal/quorum), and the controller that validates
// requests and turns them into records: CreateTopics, DeleteTopics,
// CreatePartitions, AlterConfigs, ElectLeaders, AlterPartition (ISR
// changes), AlterPartitionReassignments, broker registration, heartbeats
// and fencing, producer id blocks, ACLs, SCRAM credentials, client quotas,
// and quorum membership (observers).
//
// Records are JSON, one raft entry per batch, every record type versioned
// (records.go). Snapshots are the image as JSON (fsm.go). The node also
// keeps <data>/meta.properties in Kafka's format (node.id, cluster.id).
//
// Concurrency model:
//   - Images are never mutated after publication. The FSM applies a batch of
//     records to a copy of the current image (topics copied on write) and
//     publishes the result with one atomic pointer store; readers
//     (Node.Image) load it without locks. Image.Changes says what changed.
//   - The FSM runs on raft's single FSM goroutine. Subscribers are called
//     from one dispatcher goroutine, in apply order, after publication.
//   - Controller operations are serialised by Node.ctrlMu, held from
//     validation until the records are committed and applied, so two
//     requests never validate against the same stale image. The FSM checks
//     the invariants again, so a batch that slipped through is rejected as
//     a whole (atomic) and the image stays consistent.
//   - Broker sessions (sessions.go) live only in the controller's memory.
//   - Preferred-leader rebalancing (rebalance.go) runs on its own goroutine
//     on every node and acts only while the node is the controller, through
//     ElectLeaders like any other operation.
//   - Remote (remote.go): on a node that is not the controller, broker
//     registration, heartbeats, AlterPartition and producer id blocks are
//     sent to the controller over the network (internal/replication).
//
// Lock order: Node.ctrlMu -> (raft internals) -> fsm.subMu. sessions.mu is
// a leaf, never held while proposing; fsm.subMu is only held to queue
// notifications and edit the subscriber list, never while calling one.
package metadata
