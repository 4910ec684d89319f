// Package txn holds black-box tests of Kafka transactions against a real
// gregor process: librdkafka and franz-go transactional producers, commit
// and abort, read_committed and read_uncommitted consumers, a producer
// killed with SIGKILL mid-transaction and one outliving its timeout,
// fenced zombies, broker restarts in the middle of a transaction and right
// after EndTxn, raw malformed transactional requests, KIP-890 produce
// verification, transactional offset commits (require_stable), a
// three-node cluster with the coordinator killed, and
// consume-transform-produce with kgo.GroupTransactSession.
//
// Child processes: the test binary re-executes itself (see TestMain and
// childEnv) to act as a producer or a group member that a test can kill -9.
//
// Concurrency: each test drives its broker from its own goroutine; helper
// goroutines only collect consumed values under seen.mu. No nested locks.
package txn
