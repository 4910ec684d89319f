package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// TestMinInsyncReplicas: with replication factor 2 and
// min.insync.replicas=2, losing the follower shrinks the ISR to the leader
// alone; acks=all is then refused with NOT_ENOUGH_REPLICAS while acks=1
// still works, and once the follower is back in the ISR acks=all works
// again.
func TestMinInsyncReplicas(t *testing.T) {
	nodes := testbroker.StartCluster(t, 3, fastFailure)
	const topic = "strict"
	adm := kadm.NewClient(client(t, seeds(nodes)))
	resp, err := adm.CreateTopic(ctxT(t), 1, 2, map[string]*string{"min.insync.replicas": kadm.StringPtr("2")}, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic: %v", err)
	}
	waitFullISR(t, nodes, topic, 2, 30*time.Second)
	produce(t, nodes, topic, "both", 50)

	ps, _ := partitionState(t, nodes, topic)
	p := ps[0]
	var follower int32 = -1
	for _, r := range p.Replicas {
		if r != p.Leader {
			follower = r
		}
	}
	t.Logf("leader %d, killing follower %d", p.Leader, follower)
	nodes[follower-1].Kill()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ps, _ = partitionState(t, nodes, topic)
		if len(ps[0].ISR) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ISR still %v 30s after the follower died", ps[0].ISR)
		}
		time.Sleep(200 * time.Millisecond)
	}

	strict := client(t, seeds(nodes), kgo.DefaultProduceTopic(topic), kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.RecordRetries(1))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res := strict.ProduceSync(ctx, &kgo.Record{Value: []byte("refused")})
	if err := res.FirstErr(); !errors.Is(err, kerr.NotEnoughReplicas) {
		t.Errorf("acks=all with the ISR below min.insync.replicas: %v, want NOT_ENOUGH_REPLICAS", err)
	}
	loose := client(t, seeds(nodes), kgo.DefaultProduceTopic(topic), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	if err := loose.ProduceSync(ctx, &kgo.Record{Value: []byte("leader only")}).FirstErr(); err != nil {
		t.Errorf("acks=1 with one in-sync replica: %v", err)
	}

	nodes[follower-1].Restart(t)
	waitFullISR(t, nodes, topic, 2, 30*time.Second)
	produce(t, nodes, topic, "again", 50)
}
