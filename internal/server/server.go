package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"github.com/gregor-stream/gregor/internal/handlers"
)

// Config bounds what a connection may make the broker hold.
type Config struct {
	// MaxRequestBytes is socket.request.max.bytes: a larger frame closes
	// the connection.
	MaxRequestBytes int32
	// QueuedMaxBytes is queued.max.request.bytes: request bytes held
	// broker-wide before read loops stop reading.
	QueuedMaxBytes int64
	// MaxInFlight is how many requests one connection may have unanswered.
	MaxInFlight int
}

// Server accepts Kafka connections and dispatches their requests.
type Server struct {
	cfg    Config
	table  *handlers.Table
	log    *slog.Logger
	budget *byteBudget

	ln     net.Listener
	nextID atomic.Uint64

	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool
	wg     sync.WaitGroup

	// Metrics hooks, read by httpapi.
	Stats Stats
}

// Stats are counters exported on /metrics.
type Stats struct {
	Connections     atomic.Int64
	Requests        atomic.Int64
	ProtocolErrors  atomic.Int64
	BytesIn         atomic.Int64
	BytesOut        atomic.Int64
	RequestsByKey   [128]atomic.Int64
	ClosedOversized atomic.Int64
}

// New returns a server that dispatches to table.
func New(cfg Config, table *handlers.Table, log *slog.Logger) *Server {
	if cfg.MaxRequestBytes <= 0 {
		cfg.MaxRequestBytes = 100 << 20
	}
	if cfg.QueuedMaxBytes <= 0 {
		cfg.QueuedMaxBytes = 100 << 20
	}
	if cfg.MaxInFlight <= 0 {
		cfg.MaxInFlight = 128
	}
	return &Server{
		cfg:    cfg,
		table:  table,
		log:    log,
		budget: newByteBudget(cfg.QueuedMaxBytes),
		conns:  make(map[*conn]struct{}),
	}
}

// Listen binds addr. Serve must be called afterwards.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	s.ln = ln
	return nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve accepts connections until Close.
func (s *Server) Serve() error {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("accept: %w", err)
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		c := s.newConn(nc)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			continue
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.Stats.Connections.Add(1)
		go func() {
			defer s.wg.Done()
			c.serve()
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
			s.Stats.Connections.Add(-1)
		}()
	}
}

// Close stops accepting, closes every connection and waits for their loops.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.close()
	}
	s.mu.Unlock()
	var err error
	if s.ln != nil {
		err = s.ln.Close()
	}
	s.budget.wake()
	s.wg.Wait()
	return err
}

func (s *Server) newConn(nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	return &conn{
		srv:     s,
		nc:      nc,
		id:      s.nextID.Add(1),
		ctx:     ctx,
		cancel:  cancel,
		pending: make(chan *slot, s.cfg.MaxInFlight),
	}
}

// QueuedBytes is how many request bytes the broker holds now, bounded by
// queued.max.request.bytes.
func (s *Server) QueuedBytes() int64 { return s.budget.Used() }
