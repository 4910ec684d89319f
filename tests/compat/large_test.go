package compat

import (
	"bytes"
	"errors"
	"math/rand"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// TestLargeRecords: a record just under the default message.max.bytes
// (1048588) round-trips intact; a batch over it gets MESSAGE_TOO_LARGE and
// is not appended.
func TestLargeRecords(t *testing.T) {
	b := testbroker.Start(t)
	const topic = "large"
	createTopic(t, newAdmin(t, b), topic, 1, nil)
	rng := rand.New(rand.NewSource(1))
	big := make([]byte, 900<<10) // incompressible, so the batch is as large as the value
	rng.Read(big)

	cl := newKgo(t, b, kgo.DefaultProduceTopic(topic), kgo.ProducerBatchMaxBytes(4<<20), kgo.RecordRetries(0))
	if err := cl.ProduceSync(ctxT(t), &kgo.Record{Key: []byte("big"), Value: big}).FirstErr(); err != nil {
		t.Fatalf("produce a 900 KiB record: %v", err)
	}
	huge := make([]byte, 2<<20)
	rng.Read(huge)
	err := cl.ProduceSync(ctxT(t), &kgo.Record{Key: []byte("huge"), Value: huge}).FirstErr()
	if !errors.Is(err, kerr.MessageTooLarge) {
		t.Errorf("produce a 2 MiB record: %v, want MESSAGE_TOO_LARGE", err)
	}

	got := consumeKgo(t, b, topic, 1)
	if len(got) != 1 || !bytes.Equal(got[0].Value, big) || string(got[0].Key) != "big" {
		t.Errorf("consumed %d records; want the 900 KiB one intact", len(got))
	}
	adm := newAdmin(t, b)
	if ends := endOffsets(t, adm, topic); ends[0] != 1 {
		t.Errorf("end offset %d, want 1 (the oversized batch must not be appended)", ends[0])
	}
}
