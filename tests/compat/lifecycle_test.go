package compat

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// partitionDirs lists the data directories of a topic's partitions.
func partitionDirs(t *testing.T, b *testbroker.Broker, topic string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(b.DataDir, topic+"-*"))
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.IsDir() && !strings.Contains(filepath.Base(m), "-delete") {
			dirs = append(dirs, m)
		}
	}
	return dirs
}

// TestDeleteTopicByIDRemovesData deletes a topic by its id (DeleteTopics
// v6, KIP-516): it leaves the metadata and its partition directories leave
// the disk.
func TestDeleteTopicByIDRemovesData(t *testing.T) {
	b := testbroker.Start(t)
	adm := newAdmin(t, b)
	cl := newKgo(t, b)
	const topic = "doomed"
	createTopic(t, adm, topic, 3, nil)
	if err := cl.ProduceSync(ctxT(t), &kgo.Record{Topic: topic, Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if n := len(partitionDirs(t, b, topic)); n != 3 {
		t.Fatalf("%d partition dirs before delete, want 3", n)
	}
	details, err := adm.ListTopics(ctxT(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	id := details[topic].ID
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TimeoutMillis = 10000
	rt := kmsg.NewDeleteTopicsRequestTopic()
	rt.TopicID = id
	req.Topics = append(req.Topics, rt)
	req.SetVersion(6)
	resp, err := req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != 0 || resp.Topics[0].TopicID != id {
		t.Fatalf("delete by id: %+v", resp.Topics)
	}
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	name := topic
	mt.Topic = &name
	meta.Topics = append(meta.Topics, mt)
	mresp, err := meta.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if code := mresp.Topics[0].ErrorCode; code != kerr.UnknownTopicOrPartition.Code {
		t.Fatalf("metadata for %s after delete: code %d, want UNKNOWN_TOPIC_OR_PARTITION", topic, code)
	}
	waitFor(t, func() bool { return len(partitionDirs(t, b, topic)) == 0 }, "partition directories removed from disk")
	// Deleting an unknown id answers UNKNOWN_TOPIC_ID.
	resp, err = req.RequestWith(ctxT(t), cl)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Topics[0].ErrorCode; got != kerr.UnknownTopicID.Code {
		t.Fatalf("second delete: code %d, want UNKNOWN_TOPIC_ID", got)
	}
}

// TestProduceV0Refused: Produce is advertised from v0 (librdkafka <= 2.11
// keys gzip/snappy/lz4 support on it) but the old message formats are not
// stored: v0-v2 get UNSUPPORTED_VERSION per partition and nothing is
// appended, and the connection keeps working.
func TestProduceV0Refused(t *testing.T) {
	b := testbroker.Start(t)
	adm := newAdmin(t, b)
	cl := newKgo(t, b)
	const topic = "legacy"
	createTopic(t, adm, topic, 1, nil)
	c := dialRaw(t, b)
	for i, v := range []int16{0, 2} {
		req := kmsg.NewPtrProduceRequest()
		req.Acks = 1
		req.TimeoutMillis = 5000
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = topic
		rp := kmsg.NewProduceRequestTopicPartition()
		// A message set v0 holding one message (offset, size, crc, magic 0,
		// attributes, null key, value "x").
		rp.Records = []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 15, 0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 1, 'x'}
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		req.SetVersion(v)
		corr := int32(100 + i)
		write(t, c, request(0, v, corr, req.AppendTo(nil)))
		body := readFrame(t, c, corr)
		resp := kmsg.NewPtrProduceResponse()
		resp.SetVersion(v)
		if err := resp.ReadFrom(body); err != nil {
			t.Fatalf("produce v%d response: %v", v, err)
		}
		if code := resp.Topics[0].Partitions[0].ErrorCode; code != kerr.UnsupportedVersion.Code {
			t.Fatalf("produce v%d: code %d, want UNSUPPORTED_VERSION", v, code)
		}
	}
	if ends := endOffsets(t, adm, topic); ends[0] != 0 {
		t.Fatalf("end offset %d after refused produces", ends[0])
	}
	if err := cl.ProduceSync(ctxT(t), &kgo.Record{Topic: topic, Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatalf("normal produce afterwards: %v", err)
	}
}

// TestTopicLimitsAndCompression: max.message.bytes refuses a larger batch
// with MESSAGE_TOO_LARGE, and compression.type on the topic recompresses
// what producers send.
func TestTopicLimitsAndCompression(t *testing.T) {
	b := testbroker.Start(t)
	adm := newAdmin(t, b)
	small, zstd := "2000", "zstd"
	createTopic(t, adm, "small", 1, map[string]*string{"max.message.bytes": &small})
	createTopic(t, adm, "zstd-topic", 1, map[string]*string{"compression.type": &zstd})
	cl := newKgo(t, b, kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerBatchMaxBytes(1<<20))
	err := cl.ProduceSync(ctxT(t), &kgo.Record{Topic: "small", Value: make([]byte, 5000)}).FirstErr()
	if !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("5000-byte record to a 2000-byte topic: %v, want MESSAGE_TOO_LARGE", err)
	}
	gz := newKgo(t, b, kgo.ProducerBatchCompression(kgo.GzipCompression()))
	var rs []*kgo.Record
	for i := 0; i < 20; i++ {
		rs = append(rs, &kgo.Record{Topic: "zstd-topic", Value: []byte(strings.Repeat("compress me ", 20))})
	}
	if err := gz.ProduceSync(ctxT(t), rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	checkStoredBatches(t, b, "zstd-topic", 1, []string{"zstd"})
	if got := consumeKgo(t, b, "zstd-topic", 20); len(got) != 20 {
		t.Fatalf("consumed %d of 20 recompressed records", len(got))
	}
}

// waitFor polls cond until it holds or the operation timeout passes.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	ctx := ctxT(t)
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting: %s", what)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// readFrame reads one response frame and checks its correlation id; it
// returns the body after the (v0) response header.
func readFrame(t *testing.T, c net.Conn, corr int32) []byte {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		t.Fatalf("read response: %v", err)
	}
	buf := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("read response: %v", err)
	}
	if got := int32(binary.BigEndian.Uint32(buf)); got != corr {
		t.Fatalf("correlation id %d, want %d", got, corr)
	}
	return buf[4:]
}
