package server

import (
	"bytes"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/goleak"

	"github.com/gregor-stream/gregor/internal/handlers"
)

// testTable serves ApiVersions and a Metadata handler that answers
// requests asking for a topic named "slow" late, from another goroutine,
// so reply ordering can be checked.
// TestMain fails the package if any goroutine outlives the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func testTable() *handlers.Table {
	t := &handlers.Table{}
	t.Register(&handlers.Handler{Key: 18, MinVersion: 0, MaxVersion: 4, Handle: func(rc *handlers.RequestContext, r kmsg.Request, reply handlers.Reply) {
		resp := kmsg.NewPtrApiVersionsResponse()
		resp.ApiKeys = handlers.APIVersionKeys(t)
		reply(resp)
	}})
	t.Register(&handlers.Handler{Key: 3, MinVersion: 0, MaxVersion: 12, Handle: func(rc *handlers.RequestContext, r kmsg.Request, reply handlers.Reply) {
		req := r.(*kmsg.MetadataRequest)
		resp := kmsg.NewPtrMetadataResponse()
		for _, rt := range req.Topics {
			mt := kmsg.NewMetadataResponseTopic()
			mt.Topic = rt.Topic
			resp.Topics = append(resp.Topics, mt)
		}
		if len(req.Topics) == 1 && req.Topics[0].Topic != nil && *req.Topics[0].Topic == "slow" {
			go func() {
				time.Sleep(100 * time.Millisecond)
				reply(resp)
			}()
			return
		}
		reply(resp)
	}})
	return t
}

func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s := New(cfg, testTable(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Close() })
	return s
}

func frame(key, version int16, corr int32, req kmsg.Request) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint16(b, uint16(key))
	b = binary.BigEndian.AppendUint16(b, uint16(version))
	b = binary.BigEndian.AppendUint32(b, uint32(corr))
	b = binary.BigEndian.AppendUint16(b, 4)
	b = append(b, "test"...)
	if req != nil {
		req.SetVersion(version)
		if req.IsFlexible() {
			b = append(b, 0)
		}
		b = req.AppendTo(b)
	}
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...)
}

// readResponse reads one response frame and returns its correlation id
// and the rest.
func readResponse(t *testing.T, c net.Conn) (int32, []byte) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var size [4]byte
	if _, err := io.ReadFull(c, size[:]); err != nil {
		t.Fatalf("read response size: %v", err)
	}
	body := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c, body); err != nil {
		t.Fatalf("read response: %v", err)
	}
	return int32(binary.BigEndian.Uint32(body)), body[4:]
}

// expectClosed checks that the server closed the connection.
func expectClosed(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue
		}
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("connection still open")
		}
		return
	}
}

// apiVersionsWorks checks that a fresh connection is served.
func apiVersionsWorks(t *testing.T, s *Server) {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(frame(18, 3, 7, kmsg.NewPtrApiVersionsRequest()))
	corr, body := readResponse(t, c)
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(3)
	if err := resp.ReadFrom(body); err != nil || corr != 7 || resp.ErrorCode != 0 || len(resp.ApiKeys) != 2 {
		t.Fatalf("ApiVersions: corr %d err %v resp %+v", corr, err, resp)
	}
}

func TestBadInputClosesOnlyThatConnection(t *testing.T) {
	s := startServer(t, Config{MaxRequestBytes: 1 << 20})
	cases := map[string][]byte{
		"random bytes":     {0x00, 0x00, 0x00, 0x20, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28},
		"negative size":    {0xff, 0xff, 0xff, 0xf0},
		"oversized frame":  binary.BigEndian.AppendUint32(nil, 2<<20),
		"tiny frame":       {0, 0, 0, 2, 0, 18},
		"unknown api key":  frame(999, 0, 1, nil),
		"unsupported ver.": frame(3, 99, 1, nil),
		"truncated body":   frame(3, 12, 1, nil),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.Write(b)
			expectClosed(t, c)
			apiVersionsWorks(t, s)
		})
	}
	if s.Stats.ProtocolErrors.Load() == 0 {
		t.Fatal("protocol errors not counted")
	}
}

func TestUnsupportedApiVersionsAnswersWithV0(t *testing.T) {
	s := startServer(t, Config{})
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write(frame(18, 127, 5, nil))
	corr, body := readResponse(t, c)
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(0)
	if err := resp.ReadFrom(body); err != nil {
		t.Fatal(err)
	}
	if corr != 5 || resp.ErrorCode != kerr.UnsupportedVersion.Code || len(resp.ApiKeys) == 0 {
		t.Fatalf("corr %d resp %+v", corr, resp)
	}
	// The connection stays usable for the retry with a supported version.
	c.Write(frame(18, 0, 6, kmsg.NewPtrApiVersionsRequest()))
	if corr, _ := readResponse(t, c); corr != 6 {
		t.Fatalf("retry corr = %d", corr)
	}
}

func TestRepliesInRequestOrder(t *testing.T) {
	s := startServer(t, Config{})
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	slow, fast := "slow", "fast"
	var buf bytes.Buffer
	r1 := kmsg.NewPtrMetadataRequest()
	r1.Topics = []kmsg.MetadataRequestTopic{{Topic: &slow}}
	r2 := kmsg.NewPtrMetadataRequest()
	r2.Topics = []kmsg.MetadataRequestTopic{{Topic: &fast}}
	buf.Write(frame(3, 12, 1, r1))
	buf.Write(frame(3, 12, 2, r2))
	c.Write(buf.Bytes())
	for want := int32(1); want <= 2; want++ {
		corr, body := readResponse(t, c)
		if corr != want {
			t.Fatalf("response %d came with correlation id %d", want, corr)
		}
		resp := kmsg.NewPtrMetadataResponse()
		resp.SetVersion(12)
		// Flexible responses carry a header tag section first.
		if err := resp.ReadFrom(body[1:]); err != nil {
			t.Fatal(err)
		}
		name := map[int32]string{1: slow, 2: fast}[want]
		if len(resp.Topics) != 1 || *resp.Topics[0].Topic != name {
			t.Fatalf("response %d: %+v", want, resp.Topics)
		}
	}
}

// FuzzDispatch feeds arbitrary frames through header parsing and body
// decoding; nothing may panic, and errors close the connection.
func FuzzDispatch(f *testing.F) {
	f.Add(frame(18, 3, 1, kmsg.NewPtrApiVersionsRequest())[4:])
	f.Add(frame(3, 12, 1, kmsg.NewPtrMetadataRequest())[4:])
	f.Add(frame(3, 4, 1, kmsg.NewPtrMetadataRequest())[4:])
	f.Add([]byte{0, 3, 0, 9, 0, 0, 0, 1, 255, 255, 5, 1, 2, 3})
	s := New(Config{}, testTable(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, bconn := net.Pipe()
		defer a.Close()
		defer bconn.Close()
		c := s.newConn(a)
		defer c.close()
		_ = c.dispatch(append([]byte(nil), b...), false)
		close(c.pending)
		for sl := range c.pending {
			select {
			case <-sl.ch:
			case <-time.After(time.Second):
				t.Fatal("handler never replied")
			}
		}
	})
}

func TestFramePoolSizeClasses(t *testing.T) {
	for _, n := range []int{minPooledFrame, minPooledFrame + 1, 1 << 20, maxPooledFrame} {
		buf, pooled := getFrame(n)
		if !pooled || len(buf) != n || cap(buf) < n || cap(buf)&(cap(buf)-1) != 0 {
			t.Fatalf("getFrame(%d): len %d cap %d pooled %v", n, len(buf), cap(buf), pooled)
		}
		putFrame(buf)
	}
	for _, n := range []int{100, maxPooledFrame + 1} {
		if _, pooled := getFrame(n); pooled {
			t.Fatalf("getFrame(%d) pooled", n)
		}
	}
}
