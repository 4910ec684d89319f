package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

const opTimeout = 30 * time.Second

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	t.Cleanup(cancel)
	return ctx
}

func seeds(nodes []*testbroker.Broker) []string {
	var out []string
	for _, b := range nodes {
		if b.Running() {
			out = append(out, b.Addr)
		}
	}
	return out
}

func client(t *testing.T, addrs []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addrs...)}, opts...)...)
	if err != nil {
		t.Fatalf("kgo client: %v", err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// TestClusterForms: three voters agree on the brokers, the controller and a
// replicated topic, whichever node is asked; records produced with acks=all
// come back complete.
func TestClusterForms(t *testing.T) {
	nodes := testbroker.StartCluster(t, 3)
	const topic = "replicated"
	adm := kadm.NewClient(client(t, []string{nodes[0].Addr}))
	resp, err := adm.CreateTopic(ctxT(t), 3, 3, nil, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic with replication factor 3: %v", err)
	}

	controller := int32(-2)
	for _, b := range nodes {
		// Ask this node alone.
		one := kadm.NewClient(client(t, []string{b.Addr}))
		var md kadm.Metadata
		deadline := time.Now().Add(opTimeout)
		for {
			md, err = one.Metadata(ctxT(t), topic)
			if err == nil && len(md.Topics[topic].Partitions) == 3 || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("metadata from node %d: %v", b.NodeID, err)
		}
		if len(md.Brokers) != 3 {
			t.Errorf("node %d lists %d brokers, want 3", b.NodeID, len(md.Brokers))
		}
		if controller == -2 {
			controller = md.Controller
		} else if md.Controller != controller {
			t.Errorf("node %d says the controller is %d, another node said %d", b.NodeID, md.Controller, controller)
		}
		td := md.Topics[topic]
		if td.Err != nil || len(td.Partitions) != 3 {
			t.Errorf("node %d: %s has %d partitions (%v), want 3", b.NodeID, topic, len(td.Partitions), td.Err)
		}
		for _, p := range td.Partitions {
			if len(p.Replicas) != 3 || p.Leader < 1 || p.Leader > 3 {
				t.Errorf("node %d: %s/%d replicas %v leader %d", b.NodeID, topic, p.Partition, p.Replicas, p.Leader)
			}
		}
	}
	if controller < 1 || controller > 3 {
		t.Errorf("controller %d is not one of the nodes", controller)
	}

	acked := produce(t, nodes, topic, "forms", 300)
	checkAcked(t, nodes, topic, acked)
}

// TestLeaderFailover kills the leader of a replicated partition with
// SIGKILL: another in-sync replica takes over, every acknowledged record is
// still there, producing goes on, and the killed node, restarted, rejoins
// the ISR.
func TestLeaderFailover(t *testing.T) {
	nodes := testbroker.StartCluster(t, 3)
	const topic = "failover"
	adm := kadm.NewClient(client(t, seeds(nodes)))
	resp, err := adm.CreateTopic(ctxT(t), 1, 3, map[string]*string{"min.insync.replicas": kadm.StringPtr("2")}, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	acked := produce(t, nodes, topic, "before", 200)

	leader := waitLeader(t, adm, topic, -1)
	victim := nodes[leader-1]
	t.Logf("killing node %d, leader of %s/0", leader, topic)
	victim.Kill()

	adm2 := kadm.NewClient(client(t, seeds(nodes)))
	newLeader := waitLeader(t, adm2, topic, leader)
	t.Logf("new leader: node %d", newLeader)
	acked = append(acked, produce(t, nodes, topic, "after", 200)...)
	checkAcked(t, nodes, topic, acked)

	victim.Restart(t)
	deadline := time.Now().Add(opTimeout)
	var isr []int32
	for time.Now().Before(deadline) {
		md, err := adm2.Metadata(ctxT(t), topic)
		if err == nil && len(md.Topics[topic].Partitions) == 1 {
			isr = md.Topics[topic].Partitions[0].ISR
			if len(isr) == 3 {
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(isr) != 3 {
		t.Errorf("restarted node %d not back in the ISR after %v: isr %v", leader, opTimeout, isr)
	}
}

// waitLeader polls metadata until partition 0 of topic has a leader other
// than not (pass -1 for any) and returns it.
func waitLeader(t *testing.T, adm *kadm.Client, topic string, not int32) int32 {
	t.Helper()
	deadline := time.Now().Add(opTimeout)
	for time.Now().Before(deadline) {
		md, err := adm.Metadata(ctxT(t), topic)
		if err == nil {
			if ps := md.Topics[topic].Partitions; len(ps) == 1 && ps[0].Leader > 0 && ps[0].Leader != not {
				return ps[0].Leader
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s/0 has no leader other than %d after %v", topic, not, opTimeout)
	return -1
}

type ack struct {
	partition int32
	offset    int64
	value     string
}

// produce sends n records with acks=all and returns the acknowledged ones.
func produce(t *testing.T, nodes []*testbroker.Broker, topic, prefix string, n int) []ack {
	t.Helper()
	cl := client(t, seeds(nodes), kgo.DefaultProduceTopic(topic))
	rs := make([]*kgo.Record, n)
	for i := range rs {
		rs[i] = &kgo.Record{Key: []byte(fmt.Sprintf("k%d", i%17)), Value: []byte(fmt.Sprintf("%s-%d", prefix, i))}
	}
	var out []ack
	for _, res := range cl.ProduceSync(ctxT(t), rs...) {
		if res.Err != nil {
			t.Errorf("produce %s: %v", prefix, res.Err)
			continue
		}
		out = append(out, ack{res.Record.Partition, res.Record.Offset, string(res.Record.Value)})
	}
	if len(out) != n {
		t.Fatalf("%d of %d %s records acknowledged", len(out), n, prefix)
	}
	return out
}

// checkAcked consumes the topic from the running nodes and checks every
// acknowledged record is at its offset.
func checkAcked(t *testing.T, nodes []*testbroker.Broker, topic string, acked []ack) {
	t.Helper()
	cl := client(t, seeds(nodes), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	got := map[int32]map[int64]string{}
	n := 0
	ctx := ctxT(t)
	for n < len(acked) && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		fs.EachRecord(func(r *kgo.Record) {
			if got[r.Partition] == nil {
				got[r.Partition] = map[int64]string{}
			}
			if _, dup := got[r.Partition][r.Offset]; !dup {
				n++
			}
			got[r.Partition][r.Offset] = string(r.Value)
		})
	}
	lost := 0
	for _, a := range acked {
		if v, ok := got[a.partition][a.offset]; !ok || v != a.value {
			lost++
			if lost <= 10 {
				t.Errorf("acknowledged %s at p%d@%d: consumed %q", a.value, a.partition, a.offset, v)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged records missing or changed", lost, len(acked))
	}
}
