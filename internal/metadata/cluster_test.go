package metadata

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// TestThreeVoters runs a three-voter quorum in one process: one controller
// at a time, followers replay the same images, and a new controller takes
// over when the first one stops.
func TestThreeVoters(t *testing.T) {
	var voters []Voter
	for id := int32(1); id <= 3; id++ {
		voters = append(voters, Voter{ID: id, Addr: freeAddr(t)})
	}
	nodes := make([]*Node, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nodes[i], errs[i] = Start(Config{NodeID: voters[i].ID, DataDir: t.TempDir(), RaftAddr: voters[i].Addr,
				Voters: voters, StartTimeout: 20 * time.Second, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i+1, err)
		}
	}
	defer func() {
		for _, n := range nodes {
			n.Close()
		}
	}()
	controller := func(skip *Node) *Node {
		deadline := time.Now().Add(15 * time.Second)
		for time.Now().Before(deadline) {
			for _, n := range nodes {
				if n != skip && n.IsController() {
					return n
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("no controller")
		return nil
	}
	ctrl := controller(nil)
	clusterID := ctrl.Image().ClusterID
	for _, n := range nodes {
		if n.Image().ClusterID != clusterID {
			t.Errorf("node %d cluster id %s, controller's %s", n.NodeID(), n.Image().ClusterID, clusterID)
		}
		if n != ctrl {
			r := n.CreateTopics(context.Background(), []CreateTopic{{Name: "x", NumPartitions: 1, ReplicationFactor: 1}}, false)
			if !errors.Is(r[0].Err, ErrNotController) {
				t.Errorf("follower %d: %v, want ErrNotController", n.NodeID(), r[0].Err)
			}
		}
	}

	// On a loaded machine leadership may move at any time: retry on the
	// current controller, as a client would on NOT_CONTROLLER.
	onController := func(skip *Node, op func(*Node) error) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			err := op(controller(skip))
			if err == nil {
				return
			}
			if !errors.Is(err, ErrNotController) || time.Now().After(deadline) {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	ctx := context.Background()
	for id := int32(1); id <= 3; id++ {
		onController(nil, func(c *Node) error {
			return c.RegisterBroker(ctx, Broker{ID: id, Host: "127.0.0.1", Port: 9090 + id})
		})
	}
	var r []CreateTopicResult
	onController(nil, func(c *Node) error {
		ctrl = c
		r = c.CreateTopics(ctx, []CreateTopic{{Name: "replicated", NumPartitions: 6, ReplicationFactor: 3}}, false)
		return r[0].Err
	})
	waitTopic := func(n *Node, name string) *Topic {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if tp := n.Image().Topic(name); tp != nil {
				return tp
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("node %d never saw %s", n.NodeID(), name)
		return nil
	}
	leaders := map[int32]int{}
	for _, n := range nodes {
		tp := waitTopic(n, "replicated")
		if tp.ID != r[0].ID || len(tp.Partitions) != 6 {
			t.Errorf("node %d sees %+v", n.NodeID(), tp)
		}
		for _, p := range tp.Partitions {
			if len(p.Replicas) != 3 {
				t.Errorf("partition %+v", p)
			}
			if n == ctrl {
				leaders[p.Leader]++
			}
		}
	}
	for id := int32(1); id <= 3; id++ {
		if leaders[id] != 2 {
			t.Errorf("leaders %v, want 2 each", leaders)
			break
		}
	}

	// The controller stops; the other two elect a new one that continues.
	ctrl.Close()
	next := controller(ctrl)
	if next.Image().ControllerID != next.NodeID() {
		t.Errorf("new controller image says %d", next.Image().ControllerID)
	}
	onController(ctrl, func(c *Node) error {
		return c.CreateTopics(ctx, []CreateTopic{{Name: "after-failover", NumPartitions: 1, ReplicationFactor: 3}}, false)[0].Err
	})
	for _, n := range nodes {
		if n != ctrl {
			waitTopic(n, "after-failover")
		}
	}
}
