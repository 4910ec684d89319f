// Package compat holds black-box compatibility tests: every real Kafka client
// the project promises to support (franz-go, sarama, segmentio/kafka-go,
// confluent-kafka-go/librdkafka, the kcat CLI) talks to a real gregor
// process started by tests/testbroker, and the tests check what a user would:
// records come back complete, in order, byte for byte, with their keys,
// headers and timestamps; admin calls do what they say; bad input gets
// Kafka's error codes and never takes the broker down.
//
// Concurrency: each test owns its broker and clients; there is no shared
// state between tests and no locks beyond those inside the clients.
package compat
