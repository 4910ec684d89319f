// Package txn is the transaction coordinator: transactional ids, producer
// ids and epochs (fencing zombies), the partitions and consumer groups each
// transaction touches, and its two-phase end (prepare, markers, complete).
// Its state is records in the compacted internal topic __transaction_state
// in Kafka's formats (transaction log key v0, value v0/v1), partitioned by
// Kafka's hash of the transactional id; the leader of a partition
// coordinates the ids in it (DESIGN.md §9).
//
// State changes only by applying records: an operation validates, writes
// the new state of one transactional id with acks=all, and applies it when
// the write commits, with the same function that replays the partition
// when this node becomes its leader. While a write is in flight the id is
// "pending" and other operations on it get CONCURRENT_TRANSACTIONS, which
// clients retry.
//
// Ending a transaction: EndTxn writes PrepareCommit/PrepareAbort and
// answers; then the coordinator writes a marker to every partition of the
// transaction (WriteMarkers) and writes CompleteCommit/CompleteAbort. A new
// leader finishes any transaction it loads in a Prepare state. Ongoing
// transactions older than their timeout are aborted with an epoch bump, so
// the zombie producer is fenced.
//
// Producer ids come in blocks from the metadata controller (ProducerIDs),
// shared with idempotent producers.
//
// Concurrency: Coordinator.mu guards the shard map; shard.mu guards the
// transactions of one __transaction_state partition. Order: Coordinator.mu
// -> shard.mu. Marker writes and record appends complete on their own
// goroutines and take shard.mu afresh.
package txn
