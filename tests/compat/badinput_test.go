package compat

import (
	"encoding/binary"
	"errors"
	"io"
	"math/rand"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/kcheck"
	"github.com/gregor-stream/gregor/tests/testbroker"
)

// request builds a size-prefixed request frame with a v1 request header
// (api key, version, correlation id, client id) and the given body.
func request(key, version int16, corrID int32, body []byte) []byte {
	const clientID = "badinput"
	frame := make([]byte, 4, 4+10+len(clientID)+len(body))
	frame = binary.BigEndian.AppendUint16(frame, uint16(key))
	frame = binary.BigEndian.AppendUint16(frame, uint16(version))
	frame = binary.BigEndian.AppendUint32(frame, uint32(corrID))
	frame = binary.BigEndian.AppendUint16(frame, uint16(len(clientID)))
	frame = append(frame, clientID...)
	frame = append(frame, body...)
	binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
	return frame
}

func dialRaw(t *testing.T, b *testbroker.Broker) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", b.Addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func write(t *testing.T, c net.Conn, p []byte) {
	t.Helper()
	c.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(p); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// expectClosed asserts that the broker closes the connection without
// answering.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	switch {
	case n > 0:
		t.Errorf("broker answered %d bytes (%x...), want the connection closed", n, buf[:min(n, 16)])
	case errors.Is(err, os.ErrDeadlineExceeded):
		t.Errorf("connection still open 10 s later, want it closed")
	case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
	default:
		t.Errorf("read: %v, want EOF", err)
	}
}

const aliveTopic = "alive"

// expectServing asserts the broker still serves a normal client.
func expectServing(t *testing.T, b *testbroker.Broker) {
	t.Helper()
	if !b.Running() {
		t.Fatalf("broker process exited")
	}
	cl := newKgo(t, b, kgo.DefaultProduceTopic(aliveTopic))
	if err := cl.ProduceSync(ctxT(t), &kgo.Record{Value: []byte(t.Name())}).FirstErr(); err != nil {
		t.Errorf("normal produce afterwards: %v", err)
	}
}

// TestBadInput feeds malformed traffic to one broker; after each case the
// broker must still serve a normal client.
func TestBadInput(t *testing.T) {
	b := testbroker.Start(t)
	createTopic(t, newAdmin(t, b), aliveTopic, 1, nil)

	t.Run("random bytes", func(t *testing.T) {
		seed := time.Now().UnixNano()
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewSource(seed))
		for i := 0; i < 20; i++ {
			c := dialRaw(t, b)
			junk := make([]byte, 1+rng.Intn(4096))
			rng.Read(junk)
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			c.Write(junk) // the broker may close mid-write; that is fine
			c.Close()
		}
		expectServing(t, b)
	})

	t.Run("negative size", func(t *testing.T) {
		c := dialRaw(t, b)
		write(t, c, []byte{0xff, 0xff, 0xff, 0xfe, 0, 18, 0, 0})
		expectClosed(t, c)
		expectServing(t, b)
	})

	t.Run("size over 100 MiB", func(t *testing.T) {
		c := dialRaw(t, b)
		frame := binary.BigEndian.AppendUint32(nil, 200<<20)
		write(t, c, append(frame, request(18, 0, 1, nil)[4:]...))
		expectClosed(t, c)
		expectServing(t, b)
	})

	t.Run("truncated frame", func(t *testing.T) {
		c := dialRaw(t, b)
		frame := request(18, 0, 7, nil)
		binary.BigEndian.PutUint32(frame, 100) // promises 100 bytes
		write(t, c, frame)
		c.(*net.TCPConn).CloseWrite()
		expectClosed(t, c)
		expectServing(t, b)
	})

	t.Run("unknown api key", func(t *testing.T) {
		c := dialRaw(t, b)
		write(t, c, request(31999, 0, 3, nil))
		expectClosed(t, c)
		expectServing(t, b)
	})

	t.Run("unsupported ApiVersions version", func(t *testing.T) {
		c := dialRaw(t, b)
		const corrID = 4242
		write(t, c, request(18, 127, corrID, nil))
		// Kafka answers with a v0 ApiVersions response: correlation id,
		// error code, then the supported ranges.
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		var size int32
		if err := binary.Read(c, binary.BigEndian, &size); err != nil {
			t.Fatalf("read response size: %v", err)
		}
		if size < 10 || size > 1<<20 {
			t.Fatalf("response size %d", size)
		}
		resp := make([]byte, size)
		if _, err := io.ReadFull(c, resp); err != nil {
			t.Fatalf("read response: %v", err)
		}
		if got := int32(binary.BigEndian.Uint32(resp)); got != corrID {
			t.Errorf("correlation id %d, want %d", got, corrID)
		}
		if code := int16(binary.BigEndian.Uint16(resp[4:])); code != kerr.UnsupportedVersion.Code {
			t.Errorf("error code %d (%v), want UNSUPPORTED_VERSION", code, kerr.ErrorForCode(code))
		}
		n := int(int32(binary.BigEndian.Uint32(resp[6:])))
		body := resp[10:]
		if n < 1 || len(body) < 6*n {
			t.Fatalf("api key array: %d entries in %d bytes", n, len(body))
		}
		found := false
		for i := 0; i < n; i++ {
			e := body[6*i:]
			key, lo, hi := int16(binary.BigEndian.Uint16(e)), int16(binary.BigEndian.Uint16(e[2:])), int16(binary.BigEndian.Uint16(e[4:]))
			if key == 18 {
				found = true
				if lo != 0 || hi < 3 {
					t.Errorf("ApiVersions range %d..%d, want 0..3 or more", lo, hi)
				}
			}
		}
		if !found {
			t.Errorf("ApiVersions itself missing from the supported ranges")
		}
		expectServing(t, b)
	})

	t.Run("unsupported Metadata version", func(t *testing.T) {
		c := dialRaw(t, b)
		write(t, c, request(3, 99, 5, nil))
		expectClosed(t, c)
		expectServing(t, b)
	})

	t.Run("garbage Metadata body", func(t *testing.T) {
		c := dialRaw(t, b)
		// Metadata v1: topics array claims 1,000,000 entries it does not have.
		write(t, c, request(3, 1, 6, []byte{0x00, 0x0f, 0x42, 0x40, 0x00}))
		expectClosed(t, c)
		expectServing(t, b)
	})

	t.Run("corrupt CRC", func(t *testing.T) {
		const topic = "corrupt"
		createTopic(t, newAdmin(t, b), topic, 1, nil)
		cl := newKgo(t, b)
		id, err := kcheck.TopicID(ctxT(t), cl, topic)
		if err != nil {
			t.Fatal(err)
		}
		batch := kcheck.BuildBatch(kcheck.BatchSpec{ProducerID: -1, ProducerEpoch: -1, BaseSequence: -1,
			Timestamp: time.Now().UnixMilli(), Records: kvs("c", 3)})
		batch[len(batch)-2] ^= 0x5a
		code, _ := produceRaw(t, cl, topic, id, batch)
		if code != kerr.CorruptMessage.Code {
			t.Errorf("batch with a bad CRC: %v, want CORRUPT_MESSAGE", kerr.ErrorForCode(code))
		}
		_, hw, _, err := kcheck.FetchAll(ctxT(t), cl, topic, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if hw != 0 {
			t.Errorf("high watermark %d after a corrupt batch, want 0", hw)
		}
		expectServing(t, b)
	})
}
