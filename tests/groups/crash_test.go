package groups

import (
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestMemberCrashSessionTimeout: a member process killed with SIGKILL (no
// LeaveGroup, no final commit) is removed after its session timeout; the
// survivors take its partitions and every record produced meanwhile is
// consumed (some twice: what it consumed after its last commit).
func TestMemberCrashSessionTimeout(t *testing.T) {
	b := startBroker(t)
	const topic, group = "crash-topic", "g-crash"
	createTopic(t, b, topic, 6)
	s := newSeen()
	first := produce(t, b, topic, "a", 300)
	m1 := startKgoMember(t, b, group, topic, kgo.CooperativeStickyBalancer(), s)
	m2 := startKgoMember(t, b, group, topic, kgo.CooperativeStickyBalancer(), s)
	m3 := startChild(t, b, group, topic, s)
	s.waitAll(t, first, 40*time.Second)
	waitStable(t, b, group, 3)

	crashed := time.Now()
	m3.kill()
	// Records keep flowing while the coordinator waits for the session
	// timeout (6s) to expire.
	var second []string
	for i := 0; i < 5; i++ {
		second = append(second, produce(t, b, topic, fmt.Sprintf("b%d", i), 40)...)
		time.Sleep(500 * time.Millisecond)
	}
	g := waitStable(t, b, group, 2)
	if took := time.Since(crashed); took < 5*time.Second {
		t.Errorf("crashed member removed after %v, before its 6s session timeout", took)
	}
	s.waitAll(t, second, 40*time.Second)
	members := []*kgoMember{m1, m2}
	waitFor(t, 20*time.Second, "survivors own all 6 partitions", func() bool {
		return len(m1.ownedParts())+len(m2.ownedParts()) == 6
	})
	checkExclusive(t, members)
	for _, m := range g.Members {
		if m.ClientID == "" {
			t.Errorf("member %s without client id", m.MemberID)
		}
	}
	m1.stop(t)
	m2.stop(t)
}
