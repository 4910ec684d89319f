// Package metadata owns the cluster metadata: the records that are the only
// way it changes, the immutable Image they build, the FSM that replays them
// from the raft log (internal/quorum), and the controller that validates
// admin requests (CreateTopics, DeleteTopics, CreatePartitions,
// AlterConfigs, broker registration, producer id blocks) and turns them into
// records.
//
// Concurrency model:
//   - Images are never mutated after publication. The FSM applies a batch of
//     records to a copy of the current image and publishes the result with
//     one atomic pointer store; readers (Node.Image) load it without locks.
//   - The FSM runs on raft's single FSM goroutine. Subscribers are called
//     from one dispatcher goroutine, in apply order, after publication.
//   - Controller operations are serialised by Node.ctrlMu, held from
//     validation until the records are committed and applied, so two
//     requests never validate against the same stale image. The FSM checks
//     the invariants again, so a batch that slipped through is rejected as
//     a whole (atomic) and the image stays consistent.
//
// Lock order: Node.ctrlMu -> (raft internals) -> fsm.subMu. fsm.subMu is
// only held to queue notifications and to edit the subscriber list, never
// while calling a subscriber.
package metadata
