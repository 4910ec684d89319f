//go:build tools

// Package tools pins the modules the project depends on before every
// importer exists, so that parallel work never races on go.mod.
package tools

import (
	_ "github.com/IBM/sarama"
	_ "github.com/confluentinc/confluent-kafka-go/v2/kafka"
	_ "github.com/hashicorp/raft"
	_ "github.com/klauspost/compress/snappy"
	_ "github.com/klauspost/compress/zstd"
	_ "github.com/pierrec/lz4/v4"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/segmentio/kafka-go"
	_ "github.com/spf13/cobra"
	_ "github.com/twmb/franz-go/pkg/kadm"
	_ "github.com/twmb/franz-go/pkg/kerr"
	_ "github.com/twmb/franz-go/pkg/kgo"
	_ "github.com/twmb/franz-go/pkg/kmsg"
	_ "go.uber.org/goleak"
)
