// Package bench implements `gregor bench produce` and `gregor bench
// consume`, load generators in the spirit of kafka-producer-perf-test and
// kafka-consumer-perf-test that print live progress and a latency summary.
//
// Concurrency: bench produce runs one goroutine per --producers client;
// kgo delivery callbacks and the progress ticker run on their own
// goroutines. Everything they share is atomic (counters, histogram
// buckets); the first error sits behind errMu, which nests under nothing.
package bench
