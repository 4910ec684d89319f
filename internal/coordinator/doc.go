// Package coordinator is the shared runtime of the state machines that keep
// their state in internal compacted topics (__consumer_offsets, later
// __transaction_state), as DESIGN.md §9 describes: which partition a key
// lives in (Kafka's formula, so a key lands where a Java broker would put
// it), creating the topic through the metadata controller on first use,
// appending records with acks=all, and replaying a partition from its log
// start to its high watermark when this node becomes its leader.
//
// Concurrency: the functions here hold no locks of their own. Append calls
// its completion on a fresh goroutine, so callers may hold their own locks
// while appending without deadlocking against the flusher that completes
// the write.
package coordinator
