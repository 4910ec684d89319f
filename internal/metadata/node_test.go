package metadata

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gregor-stream/gregor/internal/config"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type testNode struct {
	*Node
	dir, addr string
	broker    *config.Broker
}

func startNode(t *testing.T, dir, addr string, b *config.Broker) *testNode {
	t.Helper()
	n, err := Start(Config{NodeID: 1, DataDir: dir, RaftAddr: addr, Broker: b,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	return &testNode{Node: n, dir: dir, addr: addr, broker: b}
}

// newNode starts a fresh single-node cluster with broker 1 registered.
func newNode(t *testing.T) *testNode {
	t.Helper()
	n := startNode(t, t.TempDir(), freeAddr(t), nil)
	t.Cleanup(func() { n.Close() })
	if err := n.RegisterBroker(context.Background(), Broker{ID: 1, Host: "127.0.0.1", Port: 9092}); err != nil {
		t.Fatal(err)
	}
	return n
}

func (n *testNode) restart(t *testing.T) *testNode {
	t.Helper()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	m := startNode(t, n.dir, n.addr, n.broker)
	t.Cleanup(func() { m.Close() })
	return m
}

func TestStartBootstrapsCluster(t *testing.T) {
	dir := t.TempDir()
	start := time.Now()
	n := startNode(t, dir, freeAddr(t), nil)
	t.Logf("ready in %v", time.Since(start))
	defer n.Close()
	img := n.Image()
	if len(img.ClusterID) != 22 {
		t.Errorf("cluster id %q", img.ClusterID)
	}
	if img.ControllerID != 1 || !n.IsController() || n.Controller() != 1 {
		t.Errorf("controller %d", img.ControllerID)
	}
	data, err := os.ReadFile(filepath.Join(dir, "meta.properties"))
	if err != nil {
		t.Fatal(err)
	}
	props, err := config.ParseProperties(string(data))
	if err != nil {
		t.Fatal(err)
	}
	if props["version"] != "1" || props["node.id"] != "1" || props["cluster.id"] != img.ClusterID {
		t.Errorf("meta.properties %q", props)
	}
	if _, err := os.Stat(filepath.Join(dir, "metadata", "raft.log")); err != nil {
		t.Errorf("raft log not under metadata/: %v", err)
	}

	// The same directory under another node id is refused.
	n.Close()
	_, err = Start(Config{NodeID: 2, DataDir: dir, RaftAddr: freeAddr(t), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil || !strings.Contains(err.Error(), "belongs to node 1") {
		t.Errorf("node id mismatch: %v", err)
	}
}

func TestCreateTopicsAndRestart(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	notified := make(chan string, 16)
	cancel := n.Subscribe(func(prev, next *Image) {
		for name := range next.Topics {
			if prev.Topics[name] == nil {
				if !next.TopicChanged(name) {
					t.Errorf("new topic %s not in Changes %+v", name, next.Changes)
				}
				notified <- name
			}
		}
		for name := range prev.Topics {
			if next.Topics[name] != prev.Topics[name] && !next.TopicChanged(name) {
				t.Errorf("changed topic %s not in Changes", name)
			}
		}
	})
	defer cancel()

	res := n.CreateTopics(ctx, []CreateTopic{
		{Name: "orders", NumPartitions: 3, ReplicationFactor: 1, Configs: map[string]string{"retention.ms": "1000", "cleanup.policy": "compact"}},
		{Name: "clicks", NumPartitions: -1, ReplicationFactor: -1},
	}, false)
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.Name, r.Err)
		}
		if r.ID == ([16]byte{}) {
			t.Errorf("%s: zero id", r.Name)
		}
	}
	if res[0].NumPartitions != 3 || res[1].NumPartitions != 1 || res[1].ReplicationFactor != 1 {
		t.Errorf("results %+v", res)
	}
	img := n.Image()
	orders := img.Topic("orders")
	if orders == nil || len(orders.Partitions) != 3 || img.TopicByID(res[0].ID) != orders {
		t.Fatalf("orders in image: %+v", orders)
	}
	for i, p := range orders.Partitions {
		if p.Partition != int32(i) || p.Leader != 1 || len(p.Replicas) != 1 || len(p.ISR) != 1 {
			t.Errorf("partition %+v", p)
		}
	}
	if tc := img.TopicConfig("orders", 1, nil); tc.RetentionMs != 1000 || !tc.Compact {
		t.Errorf("orders config %+v", tc)
	}
	select {
	case <-notified:
	case <-time.After(5 * time.Second):
		t.Fatal("subscriber not called")
	}

	// Already exists.
	res = n.CreateTopics(ctx, []CreateTopic{{Name: "orders", NumPartitions: 1, ReplicationFactor: 1}}, false)
	if !errors.Is(res[0].Err, ErrTopicExists) {
		t.Errorf("recreate: %v", res[0].Err)
	}

	before := n.Image()
	m := n.restart(t)
	after := m.Image()
	if after.ClusterID != before.ClusterID {
		t.Errorf("cluster id changed %s -> %s", before.ClusterID, after.ClusterID)
	}
	for _, name := range []string{"orders", "clicks"} {
		a, b := before.Topic(name), after.Topic(name)
		if b == nil || a.ID != b.ID || len(a.Partitions) != len(b.Partitions) {
			t.Errorf("%s after restart: %+v (was %+v)", name, b, a)
		}
	}
	if after.TopicConfigs["orders"]["retention.ms"] != "1000" {
		t.Errorf("configs after restart %v", after.TopicConfigs)
	}
	if _, ok := after.Brokers[1]; !ok {
		t.Error("broker registration lost")
	}
}

func TestRestartOnAnotherRaftAddr(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	if r := n.CreateTopics(ctx, []CreateTopic{{Name: "moved", NumPartitions: 1, ReplicationFactor: 1}}, false); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
	n.Close()
	m := startNode(t, n.dir, freeAddr(t), nil)
	defer m.Close()
	if m.Image().Topic("moved") == nil {
		t.Fatal("topic lost")
	}
	if r := m.CreateTopics(ctx, []CreateTopic{{Name: "again", NumPartitions: 1, ReplicationFactor: 1}}, false); r[0].Err != nil {
		t.Fatal(r[0].Err)
	}
}

func TestSubscribeInOrderAndCancel(t *testing.T) {
	n := newNode(t)
	ctx := context.Background()
	type pair struct{ prev, next *Image }
	got := make(chan pair, 100)
	cancel := n.Subscribe(func(prev, next *Image) { got <- pair{prev, next} })
	const count = 20
	for i := 0; i < count; i++ {
		name := "s" + string(rune('a'+i))
		if r := n.CreateTopics(ctx, []CreateTopic{{Name: name, NumPartitions: 1, ReplicationFactor: 1}}, false); r[0].Err != nil {
			t.Fatal(r[0].Err)
		}
	}
	var last *Image
	for i := 0; i < count; i++ {
		var p pair
		select {
		case p = <-got:
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d notifications", i)
		}
		if last != nil && p.prev != last {
			t.Fatalf("notification %d: prev is not the previous next", i)
		}
		if p.next.Offset <= p.prev.Offset {
			t.Fatalf("offsets not increasing: %d -> %d", p.prev.Offset, p.next.Offset)
		}
		last = p.next
	}
	if last != n.Image() {
		t.Error("last notification is not the current image")
	}
	cancel()
	n.CreateTopics(ctx, []CreateTopic{{Name: "after-cancel", NumPartitions: 1, ReplicationFactor: 1}}, false)
	// The dispatcher delivers in order; a later subscriber seeing the new
	// image proves the cancelled one had its chance to be (wrongly) called.
	done := make(chan struct{})
	cancel2 := n.Subscribe(func(prev, next *Image) {})
	defer cancel2()
	n.CreateTopics(ctx, []CreateTopic{{Name: "after-cancel2", NumPartitions: 1, ReplicationFactor: 1}}, false)
	go func() {
		for n.Image().Topic("after-cancel2") == nil {
			time.Sleep(time.Millisecond)
		}
		close(done)
	}()
	<-done
	time.Sleep(50 * time.Millisecond)
	select {
	case p := <-got:
		t.Errorf("cancelled subscriber called at offset %d", p.next.Offset)
	default:
	}
}
