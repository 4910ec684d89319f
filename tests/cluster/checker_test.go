package cluster

import (
	"fmt"
	"strings"
	"testing"
)

// history acks n values to partition 0 at offsets 0..n-1 and returns the
// checker with nothing read yet.
func history(n int) *Checker {
	c := NewChecker()
	for i := range n {
		c.Ack(fmt.Sprintf("v-%d", i), int64(i), Pos{0, int64(i)})
	}
	return c
}

func TestCheckerAcceptsACorrectHistory(t *testing.T) {
	c := history(5)
	for i := range 5 {
		c.Read(fmt.Sprintf("v-%d", i), int64(i), Pos{0, int64(i)})
		// A consumer that reads again after a rebalance is not a duplicate.
		c.Read(fmt.Sprintf("v-%d", i), int64(i), Pos{0, int64(i)})
	}
	if r := c.Check(); !r.OK() || r.Reads != 5 {
		t.Fatalf("correct history reported as %v", r)
	}
}

func TestCheckerCatchesInjectedLoss(t *testing.T) {
	c := history(5)
	for _, i := range []int{0, 1, 3, 4} {
		c.Read(fmt.Sprintf("v-%d", i), int64(i), Pos{0, int64(i)})
	}
	r := c.Check()
	if len(r.Lost) != 1 || !strings.HasPrefix(r.Lost[0], "v-2 ") {
		t.Fatalf("lost %v, want [v-2] (%v)", r.Lost, r)
	}
	if len(r.Gaps) != 1 {
		t.Fatalf("gaps %v, want the hole at offset 2", r.Gaps)
	}
	if r.OK() {
		t.Fatal("a history with a lost write passed")
	}
}

func TestCheckerCatchesDuplicatesReorderingAndRewrites(t *testing.T) {
	c := history(3)
	c.Read("v-0", 0, Pos{0, 0})
	c.Read("v-2", 2, Pos{0, 1}) // sent after v-1, stored before it
	c.Read("v-1", 1, Pos{0, 2})
	c.Read("v-1", 1, Pos{0, 3}) // the retry stored twice
	c.Read("x", -1, Pos{0, 0})  // another value at an offset already read
	r := c.Check()
	if len(r.Duplicated) != 1 || len(r.Reordered) == 0 || len(r.Rewritten) != 1 || len(r.Moved) != 2 {
		t.Fatalf("report %v", r)
	}
}

func TestCheckerOrdersEachStreamOnItsOwn(t *testing.T) {
	c := NewChecker()
	// Two producers interleave on one partition: a-1 lands before b-0,
	// which is fine; only a stream going backwards is reordering.
	for i, v := range []string{"a-0", "a-1", "b-0", "a-2", "b-1"} {
		var seq int64
		fmt.Sscanf(v[2:], "%d", &seq)
		c.Ack(v, seq, Pos{0, int64(i)})
		c.Read(v, seq, Pos{0, int64(i)})
	}
	if r := c.Check(); !r.OK() {
		t.Fatalf("interleaved streams reported as %v", r)
	}
	c.Ack("a-3", 3, Pos{0, 5})
	c.Read("a-3", 3, Pos{0, 5})
	c.Ack("b-2", 2, Pos{0, 7})
	c.Read("b-2", 2, Pos{0, 7})
	c.Read("b-5", 5, Pos{0, 6}) // b-5 before b-2: reordered
	if r := c.Check(); len(r.Reordered) != 1 {
		t.Fatalf("reordered %v, want the b stream going back (%v)", r.Reordered, r)
	}
}
