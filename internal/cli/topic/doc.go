// Package topic implements `gregor topic ...`: create, list, describe,
// delete, alter-config and add-partitions, as a kadm client of any
// Kafka-compatible cluster.
//
// Concurrency: each command runs on the caller's goroutine; the only
// shared state is the kadm client, which is safe for concurrent use. No
// locks.
package topic
