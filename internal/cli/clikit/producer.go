package clikit

import (
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// CompressionNames lists the values --compression accepts.
const CompressionNames = "none|gzip|snappy|lz4|zstd"

// Compression maps a --compression value to a franz-go codec option.
func Compression(name string) (kgo.ProducerOpt, error) {
	var c kgo.CompressionCodec
	switch strings.ToLower(name) {
	case "", "none":
		c = kgo.NoCompression()
	case "gzip":
		c = kgo.GzipCompression()
	case "snappy":
		c = kgo.SnappyCompression()
	case "lz4":
		c = kgo.Lz4Compression()
	case "zstd":
		c = kgo.ZstdCompression()
	default:
		return nil, fmt.Errorf("unknown compression %q (want %s)", name, CompressionNames)
	}
	return kgo.ProducerBatchCompression(c), nil
}

// Acks maps an --acks value to producer options. Idempotent writes need
// acks=all, so the weaker settings turn idempotence off.
func Acks(v string) ([]kgo.Opt, error) {
	switch strings.ToLower(v) {
	case "all", "-1":
		return []kgo.Opt{kgo.RequiredAcks(kgo.AllISRAcks())}, nil
	case "1", "leader":
		return []kgo.Opt{kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite()}, nil
	case "0", "none":
		return []kgo.Opt{kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite()}, nil
	}
	return nil, fmt.Errorf("unknown acks %q (want all|1|0)", v)
}
