package groups

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestStaticMemberRestartNoRebalance: a static member (group.instance.id,
// KIP-345) that restarts within its session timeout gets its partitions
// back without a rebalance: the generation does not move and the other
// member keeps its partitions throughout.
func TestStaticMemberRestartNoRebalance(t *testing.T) {
	b := startBroker(t)
	const topic, group = "static-topic", "g-static"
	createTopic(t, b, topic, 4)
	s := newSeen()
	first := produce(t, b, topic, "a", 200)
	mA := startKgoMember(t, b, group, topic, kgo.RangeBalancer(), s, kgo.InstanceID("static-a"))
	mB := startKgoMember(t, b, group, topic, kgo.RangeBalancer(), s, kgo.InstanceID("static-b"))
	s.waitAll(t, first, 40*time.Second)
	g := waitStable(t, b, group, 2)
	_, gen := mB.cl.GroupMetadata()
	ownedB := mB.ownedParts()
	if len(ownedB) == 0 {
		t.Fatalf("member b owns nothing: %+v", g)
	}

	// A static member's client does not send LeaveGroup on close; the
	// coordinator keeps its slot for the session timeout.
	mA.cancel()
	<-mA.done
	_ = mA.cl.CommitMarkedOffsets(ctxT(t))
	mA.cl.Close()

	mA2 := startKgoMember(t, b, group, topic, kgo.RangeBalancer(), s, kgo.InstanceID("static-a"))
	defer mA2.stop(t)
	defer mB.stop(t)
	second := produce(t, b, topic, "b", 100)
	s.waitAll(t, second, 40*time.Second)
	waitStable(t, b, group, 2)
	if _, got := mB.cl.GroupMetadata(); got != gen {
		t.Errorf("generation moved from %d to %d: the static member's return rebalanced the group", gen, got)
	}
	if _, got := mA2.cl.GroupMetadata(); got != gen {
		t.Errorf("returning static member is in generation %d, want %d", got, gen)
	}
	if now := mB.ownedParts(); len(now) != len(ownedB) {
		t.Errorf("member b owned %v, now %v", ownedB, now)
	}
}
