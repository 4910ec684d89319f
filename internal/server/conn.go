package server

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/handlers"
)

const (
	produceKey     = 0
	apiVersionsKey = 18
)

// slot is one request's place in the reply order.
type slot struct {
	correlationID int32
	key           int16
	flexibleResp  bool
	size          int64 // budget bytes to release once answered
	ch            chan kmsg.Response
	// frame is returned to the frame pool once the reply is out (pooled
	// produce frames only).
	frame []byte
}

type conn struct {
	srv     *Server
	nc      net.Conn
	id      uint64
	ctx     context.Context
	cancel  context.CancelFunc
	pending chan *slot

	closeOnce sync.Once
}

func (c *conn) close() {
	c.closeOnce.Do(func() {
		c.cancel()
		c.nc.Close()
		c.srv.budget.wake()
	})
}

func (c *conn) isClosed() bool { return c.ctx.Err() != nil }

func (c *conn) serve() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.writeLoop()
	}()
	err := c.readLoop()
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !c.isClosed() {
		c.srv.Stats.ProtocolErrors.Add(1)
		c.srv.log.Warn("closing connection", "remote", c.nc.RemoteAddr().String(), "conn", c.id, "err", err)
	}
	close(c.pending)
	<-done
	c.close()
}

func (c *conn) readLoop() error {
	br := bufio.NewReaderSize(c.nc, 64<<10)
	var sizeBuf [4]byte
	for {
		if _, err := io.ReadFull(br, sizeBuf[:]); err != nil {
			return err
		}
		size := int32(binary.BigEndian.Uint32(sizeBuf[:]))
		if size < 10 {
			return fmt.Errorf("frame size %d too small", size)
		}
		if size > c.srv.cfg.MaxRequestBytes {
			c.srv.Stats.ClosedOversized.Add(1)
			return fmt.Errorf("frame size %d over socket.request.max.bytes %d", size, c.srv.cfg.MaxRequestBytes)
		}
		if !c.srv.budget.acquire(int64(size), c.isClosed) {
			return net.ErrClosed
		}
		var frame []byte
		pooled := false
		if key, err := br.Peek(2); err == nil && key[0] == 0 && key[1] == produceKey {
			frame, pooled = getFrame(int(size))
		} else {
			frame = make([]byte, size)
		}
		if _, err := io.ReadFull(br, frame); err != nil {
			c.srv.budget.release(int64(size))
			return fmt.Errorf("read frame: %w", err)
		}
		c.srv.Stats.BytesIn.Add(int64(size) + 4)
		if err := c.dispatch(frame, pooled); err != nil {
			c.srv.budget.release(int64(size))
			if pooled {
				putFrame(frame)
			}
			return err
		}
	}
}

// dispatch decodes one frame and starts its handler. An error closes the
// connection.
func (c *conn) dispatch(frame []byte, pooled bool) error {
	hdr, rest, err := parseHeader(frame)
	if err != nil {
		return fmt.Errorf("parse header: %w", err)
	}
	c.srv.Stats.Requests.Add(1)
	if hdr.apiKey >= 0 && int(hdr.apiKey) < len(c.srv.Stats.RequestsByKey) {
		c.srv.Stats.RequestsByKey[hdr.apiKey].Add(1)
	}
	h := c.srv.table.Lookup(hdr.apiKey)
	if h == nil {
		return fmt.Errorf("unknown api key %d (version %d, client %q)", hdr.apiKey, hdr.apiVersion, hdr.clientID)
	}
	sl := &slot{correlationID: hdr.correlationID, key: hdr.apiKey, size: int64(len(frame)), ch: make(chan kmsg.Response, 1)}
	if pooled && hdr.apiKey == produceKey {
		sl.frame = frame
	}
	if hdr.apiVersion < h.MinVersion || hdr.apiVersion > h.MaxVersion {
		if hdr.apiKey != apiVersionsKey {
			return fmt.Errorf("unsupported version %d of %s (supported %d-%d)", hdr.apiVersion, kmsg.NameForKey(hdr.apiKey), h.MinVersion, h.MaxVersion)
		}
		// Kafka answers an ApiVersions it cannot parse with
		// UNSUPPORTED_VERSION in a v0 body, so the client can retry with a
		// version from the list.
		resp := kmsg.NewPtrApiVersionsResponse()
		resp.ErrorCode = kerr.UnsupportedVersion.Code
		resp.ApiKeys = handlers.APIVersionKeys(c.srv.table)
		resp.SetVersion(0)
		c.pending <- sl
		sl.ch <- resp
		return nil
	}
	req := kmsg.RequestForKey(hdr.apiKey)
	req.SetVersion(hdr.apiVersion)
	body := rest
	if req.IsFlexible() {
		if body, err = skipTags(rest); err != nil {
			return fmt.Errorf("parse header tags of %s: %w", kmsg.NameForKey(hdr.apiKey), err)
		}
	}
	if u, ok := req.(kmsg.UnsafeReadFrom); ok {
		err = u.UnsafeReadFrom(body)
	} else {
		err = req.ReadFrom(body)
	}
	if err != nil {
		return fmt.Errorf("decode %s v%d: %w", kmsg.NameForKey(hdr.apiKey), hdr.apiVersion, err)
	}
	resp := req.ResponseKind()
	resp.SetVersion(hdr.apiVersion)
	sl.flexibleResp = resp.IsFlexible() && hdr.apiKey != apiVersionsKey
	select {
	case c.pending <- sl:
	case <-c.ctx.Done():
		return net.ErrClosed
	}
	rc := &handlers.RequestContext{
		Ctx:           c.ctx,
		ClientID:      hdr.clientID,
		ClientAddr:    c.nc.RemoteAddr(),
		ConnID:        c.id,
		CorrelationID: hdr.correlationID,
		Version:       hdr.apiVersion,
	}
	var once sync.Once
	reply := func(r kmsg.Response) {
		once.Do(func() {
			if r != nil {
				r.SetVersion(hdr.apiVersion)
			}
			sl.ch <- r
		})
	}
	func() {
		defer func() {
			if p := recover(); p != nil {
				c.srv.log.Error("handler panic", "api", kmsg.NameForKey(hdr.apiKey), "version", hdr.apiVersion, "panic", p)
				c.close()
			}
		}()
		h.Handle(rc, req, reply)
	}()
	return nil
}

func (c *conn) writeLoop() {
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	buf := make([]byte, 0, 4096)
	for sl := range c.pending {
		var resp kmsg.Response
		select {
		case resp = <-sl.ch:
		case <-c.ctx.Done():
			// The handler may still be using the frame: leave it to
			// the garbage collector.
			c.srv.budget.release(sl.size)
			continue
		}
		c.srv.budget.release(sl.size)
		if resp == nil {
			c.recycle(sl)
			continue
		}
		buf = buf[:0]
		buf = append(buf, 0, 0, 0, 0)
		buf = binary.BigEndian.AppendUint32(buf, uint32(sl.correlationID))
		if sl.flexibleResp {
			buf = append(buf, 0)
		}
		buf = resp.AppendTo(buf)
		binary.BigEndian.PutUint32(buf, uint32(len(buf)-4))
		if c.isClosed() {
			continue
		}
		if _, err := bw.Write(buf); err != nil {
			c.close()
			continue
		}
		c.srv.Stats.BytesOut.Add(int64(len(buf)))
		c.recycle(sl)
		if len(c.pending) == 0 {
			if err := bw.Flush(); err != nil {
				c.close()
			}
		}
		if cap(buf) > 1<<20 {
			buf = make([]byte, 0, 4096)
		}
	}
}

// recycle returns a produce frame to the pool once its reply has been
// encoded: the reply was the handler's last use of it.
func (c *conn) recycle(sl *slot) {
	if sl.frame != nil {
		putFrame(sl.frame)
		sl.frame = nil
	}
}
