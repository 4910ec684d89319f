// Package groups holds black-box tests of consumer groups: every real
// client's group consumer (franz-go with each balancer, sarama, kafka-go,
// confluent-kafka-go/librdkafka) against a real gregor process, member
// churn while records flow, static membership, restarts that must keep
// committed offsets, and bad requests that must get Kafka's error codes.
package groups
