// Package group is the `gregor group` command: list, describe, lag,
// reset-offsets, delete and delete-offsets for consumer groups on any
// Kafka-compatible cluster, built on franz-go's kadm. Reset is a dry run
// unless --execute is given, like kafka-consumer-groups.
//
// Concurrency: none; each command runs its requests in sequence.
package group
