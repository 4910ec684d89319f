package cluster

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/gregor-stream/gregor/tests/testbroker"
)

// TestObserverJoins: a fourth node outside --voters joins with --join as a
// metadata observer and a broker: every node lists four brokers, a topic
// with replication factor 4 created through the newcomer (forwarded to the
// controller) takes acks=all writes, and its replicas on all four nodes are
// identical.
func TestObserverJoins(t *testing.T) {
	nodes := testbroker.StartCluster(t, 3, fastFailure)
	var voters []string
	for _, b := range nodes {
		voters = append(voters, fmt.Sprintf("%d@%s", b.NodeID, b.RaftAddr))
	}
	fourth := testbroker.Start(t, testbroker.WithNodeID(4), fastFailure,
		testbroker.WithArgs("--voters", strings.Join(voters, ","), "--join", nodes[1].Addr))
	all := append(nodes[:3:3], fourth)

	deadline := time.Now().Add(30 * time.Second)
	for _, b := range all {
		one := kadm.NewClient(client(t, []string{b.Addr}))
		for {
			md, err := one.Metadata(ctxT(t))
			if err == nil && len(md.Brokers) == 4 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %d does not list 4 brokers: %v %v", b.NodeID, md.Brokers, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	const topic = "four-way"
	adm := kadm.NewClient(client(t, []string{fourth.Addr}))
	resp, err := adm.CreateTopic(ctxT(t), 4, 4, map[string]*string{"min.insync.replicas": kadm.StringPtr("3")}, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("create topic through the observer: %v", err)
	}
	waitFullISR(t, all, topic, 4, 30*time.Second)
	acked := produce(t, all, topic, "four", 400)
	checkAcked(t, all, topic, acked)
	compareReplicas(t, all, topic, 4)
}
