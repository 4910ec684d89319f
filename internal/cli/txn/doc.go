// Package txn is the `gregor txn` command: list and describe the
// transactions of any Kafka-compatible cluster, show the producers with
// open transactions on a partition, and abort a hanging transaction by
// writing an abort marker to the partition leader, the way Kafka's
// kafka-transactions.sh does.
//
// It uses franz-go's kadm for ListTransactions, DescribeTransactions and
// DescribeProducers, and a raw kmsg WriteTxnMarkers request for abort.
//
// Concurrency: each command runs on the caller's goroutine; the franz-go
// client it builds is closed before it returns. No locks.
package txn
