// Package compaction holds black-box tests of log compaction against a
// real broker process (tests/testbroker): real clients (franz-go and
// kafka-go) produce to and read compacted topics while the broker's log
// cleaner runs, and idempotent producers keep producing across cleaning
// passes and restarts. The broker runs with log.cleaner.backoff.ms lowered
// so passes happen within seconds.
package compaction
