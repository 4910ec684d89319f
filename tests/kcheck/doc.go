// Package kcheck inspects what a Kafka broker serves at the byte level, for
// black-box tests: it fetches raw record batches with a hand-built Fetch
// request and checks their v2 headers and CRC32C itself, independently of
// any client's decoding.
//
// Concurrency: stateless; every function is safe for concurrent use with
// its own arguments. No locks.
package kcheck
