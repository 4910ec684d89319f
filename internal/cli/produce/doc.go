// Package produce implements `gregor produce TOPIC`: one record per input
// line, sent with a franz-go producer.
//
// Concurrency: one goroutine reads lines and hands them to the main
// goroutine over a channel (so Ctrl-C is noticed while a read blocks); kgo
// runs delivery callbacks on its own goroutine, which only touch atomic
// counters and a mutex-guarded first error. Lock order: none nest.
package produce
