package storage

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The text checkpoint formats follow Kafka's so operators and Kafka's own
// tools can read them: a version line, a count line, then one entry a line.

type topicPartition struct {
	Topic     string
	Partition int32
}

func (tp topicPartition) dirName() string { return fmt.Sprintf("%s-%d", tp.Topic, tp.Partition) }

// encodeOffsetCheckpoint writes "0\n<count>\n<topic> <partition> <offset>\n...".
func encodeOffsetCheckpoint(m map[topicPartition]int64) []byte {
	tps := make([]topicPartition, 0, len(m))
	for tp := range m {
		tps = append(tps, tp)
	}
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].Topic != tps[j].Topic {
			return tps[i].Topic < tps[j].Topic
		}
		return tps[i].Partition < tps[j].Partition
	})
	var b strings.Builder
	fmt.Fprintf(&b, "0\n%d\n", len(tps))
	for _, tp := range tps {
		fmt.Fprintf(&b, "%s %d %d\n", tp.Topic, tp.Partition, m[tp])
	}
	return []byte(b.String())
}

// checkpointLines splits a checkpoint into its entry lines after checking
// the version and count.
func checkpointLines(data []byte, what string) ([]string, error) {
	text := string(data)
	if !strings.HasSuffix(text, "\n") {
		return nil, fmt.Errorf("%s: no final newline: %w", what, ErrCorrupt)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 2 {
		return nil, fmt.Errorf("%s: %d lines: %w", what, len(lines), ErrCorrupt)
	}
	if lines[0] != "0" {
		return nil, fmt.Errorf("%s: version %q: %w", what, lines[0], ErrCorrupt)
	}
	n, err := strconv.Atoi(lines[1])
	if err != nil || n < 0 || n != len(lines)-2 {
		return nil, fmt.Errorf("%s: count %q with %d entries: %w", what, lines[1], len(lines)-2, ErrCorrupt)
	}
	return lines[2:], nil
}

func decodeOffsetCheckpoint(data []byte) (map[topicPartition]int64, error) {
	lines, err := checkpointLines(data, "offset checkpoint")
	if err != nil {
		return nil, err
	}
	m := make(map[topicPartition]int64, len(lines))
	for i, line := range lines {
		f := strings.Split(line, " ")
		if len(f) != 3 || f[0] == "" {
			return nil, fmt.Errorf("offset checkpoint line %d %q: %w", i, line, ErrCorrupt)
		}
		p, err1 := strconv.ParseInt(f[1], 10, 32)
		o, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || p < 0 || o < 0 {
			return nil, fmt.Errorf("offset checkpoint line %d %q: %w", i, line, ErrCorrupt)
		}
		m[topicPartition{f[0], int32(p)}] = o
	}
	return m, nil
}

type epochEntry struct {
	Epoch       int32
	StartOffset int64
}

// encodeEpochCheckpoint writes "0\n<count>\n<epoch> <startOffset>\n...".
func encodeEpochCheckpoint(entries []epochEntry) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "0\n%d\n", len(entries))
	for _, e := range entries {
		fmt.Fprintf(&b, "%d %d\n", e.Epoch, e.StartOffset)
	}
	return []byte(b.String())
}

// decodeEpochCheckpoint parses and checks that epochs and offsets increase,
// which every later lookup relies on.
func decodeEpochCheckpoint(data []byte) ([]epochEntry, error) {
	lines, err := checkpointLines(data, "leader epoch checkpoint")
	if err != nil {
		return nil, err
	}
	out := make([]epochEntry, 0, len(lines))
	for i, line := range lines {
		f := strings.Split(line, " ")
		if len(f) != 2 {
			return nil, fmt.Errorf("leader epoch line %d %q: %w", i, line, ErrCorrupt)
		}
		e, err1 := strconv.ParseInt(f[0], 10, 32)
		o, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil || e < 0 || o < 0 {
			return nil, fmt.Errorf("leader epoch line %d %q: %w", i, line, ErrCorrupt)
		}
		if n := len(out); n > 0 && (int32(e) <= out[n-1].Epoch || o < out[n-1].StartOffset) {
			return nil, fmt.Errorf("leader epoch line %d %q does not increase: %w", i, line, ErrCorrupt)
		}
		out = append(out, epochEntry{int32(e), o})
	}
	return out, nil
}

// partition.metadata: "version: 0\ntopic_id: <base64url, no padding>\n",
// the text Kafka writes with its Uuid encoding.
func encodePartitionMetadata(id [16]byte) []byte {
	return []byte("version: 0\ntopic_id: " + base64.RawURLEncoding.EncodeToString(id[:]) + "\n")
}

func decodePartitionMetadata(data []byte) ([16]byte, error) {
	var id [16]byte
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) != 2 || lines[0] != "version: 0" || !strings.HasPrefix(lines[1], "topic_id: ") {
		return id, fmt.Errorf("partition.metadata %q: %w", data, ErrCorrupt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(lines[1], "topic_id: "))
	if err != nil || len(raw) != 16 {
		return id, fmt.Errorf("partition.metadata topic id: %w", ErrCorrupt)
	}
	copy(id[:], raw)
	return id, nil
}
