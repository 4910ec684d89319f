package group

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/gregor-stream/gregor/internal/config"
	"github.com/gregor-stream/gregor/internal/metadata"
	"github.com/gregor-stream/gregor/internal/partition"
	"github.com/gregor-stream/gregor/internal/storage"
)

// stack is a real single-node broker core (raft metadata, storage,
// partitions) in this process, without the Kafka listener.
type stack struct {
	cfg   *config.Broker
	meta  *metadata.Node
	store *storage.Manager
	parts *partition.Manager
	unsub func()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startStack(t *testing.T, dir string, sets map[string]string) *stack {
	t.Helper()
	all := map[string]string{"offsets.topic.num.partitions": "2", "group.initial.rebalance.delay.ms": "0"}
	for k, v := range sets {
		all[k] = v
	}
	cfg, err := config.LoadBroker("", nil, all)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = dir
	log := slog.New(slog.DiscardHandler)
	store, err := storage.OpenManager(storage.Options{Dir: dir, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	meta, err := metadata.Start(metadata.Config{NodeID: 1, DataDir: dir, RaftAddr: freeAddr(t), Logger: log, Broker: cfg})
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := meta.RegisterBroker(ctx, metadata.Broker{ID: 1, Host: "127.0.0.1", Port: 9}); err != nil {
		t.Fatal(err)
	}
	parts := partition.NewManager(1, store, cfg, log)
	s := &stack{cfg: cfg, meta: meta, store: store, parts: parts}
	s.unsub = meta.Subscribe(parts.ApplyImage)
	parts.ApplyImage(nil, meta.Image())
	return s
}

func (s *stack) close() {
	s.unsub()
	s.meta.Close()
	s.store.Close()
}

// coordinator starts a group coordinator on the stack and waits until it
// serves group g.
func (s *stack) coordinator(t *testing.T, g string) (*Coordinator, func()) {
	t.Helper()
	c := New(Config{NodeID: 1, Meta: s.meta, Parts: s.parts, Broker: s.cfg, Log: slog.New(slog.DiscardHandler)})
	unsub := s.meta.Subscribe(c.OnImage)
	c.OnImage(nil, s.meta.Image())
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, e := c.Locate(g); e == nil {
			if sh, e := c.lockShard(g); e == nil {
				sh.mu.Unlock()
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("coordinator never became available")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return c, func() { unsub(); c.Close() }
}

// createTopic creates a plain topic through the controller.
func (s *stack) createTopic(t *testing.T, name string, parts int32) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := s.meta.CreateTopics(ctx, []metadata.CreateTopic{{Name: name, NumPartitions: parts, ReplicationFactor: -1}}, false)
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
}
