// Package record owns the Kafka record batch v2 (magic 2) format: the bytes a
// producer sends, the bytes the log stores and the bytes a consumer fetches are
// the same, so this package is both the wire and the disk format.
//
// A Batch is a view over one whole batch in a byte slice; its accessors read
// the 61-byte header in place and never copy. Offset assignment writes the
// base offset and partition leader epoch, which sit outside the CRC, so the
// produce hot path never recomputes a checksum unless the topic asks for log
// append time. Records are decoded (and decompressed) only on demand: Records
// and Validate with deep=true.
//
// Concurrency: a Batch has no internal state; concurrent readers of the same
// bytes are safe, a setter must not race with readers. The codec functions are
// safe for concurrent use; they pool gzip/lz4 writers and share one zstd
// encoder and decoder because those are expensive to create. There are no
// locks in this package beyond the pools' own.
package record
