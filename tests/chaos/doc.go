// Package chaos holds crash tests with real processes: a gregor broker is
// killed with SIGKILL while producers with acks=all write to it, restarted,
// and its log is checked record by record against what it acknowledged;
// cluster metadata (topics, ids, configs, partitions, offsets) must also come
// back unchanged after SIGKILL and SIGTERM.
//
// GREGOR_CHAOS_LONG=1 runs many more and longer rounds.
//
// Concurrency: one producer goroutine per partition feeds a shared franz-go
// client; acknowledgements land in a ledger guarded by its own mutex (the
// only lock). The test goroutine alone starts, kills and restarts the broker.
package chaos
