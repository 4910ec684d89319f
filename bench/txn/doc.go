// Package txnbench compares, in one run against one fresh gregor node,
// the produce throughput of an idempotent producer with that of a
// transactional producer committing every 100 ms (the way a stream
// processor with commit.interval.ms=100 writes), with the same records.
//
// Run it with go test's benchmark runner; -benchtime sets the record count
// of each side, so both write exactly the same records:
//
//	go test -run '^$' -bench . -benchtime 100000x ./bench/txn
//	go test -run '^$' -bench . -benchtime 100000x ./bench/txn -args -value-size 100 -partitions 8
//
// It reports records/s and MB/s (1,000,000 bytes of record values) for
// each side, and for the transactional side the number of transactions
// and the mean commit latency (Flush plus EndTxn).
//
// Concurrency: one producer client per side, driven from the benchmark
// goroutine; delivery callbacks only touch atomic counters. No locks.
package txnbench
