package cluster

import (
	"fmt"
	"testing"
)

// history acks n values to partition 0 at offsets 0..n-1 and returns the
// checker with nothing read yet.
func history(n int) *Checker {
	c := NewChecker()
	for i := range n {
		c.Ack(fmt.Sprintf("v%d", i), int64(i), Pos{0, int64(i)})
	}
	return c
}

func TestCheckerAcceptsACorrectHistory(t *testing.T) {
	c := history(5)
	for i := range 5 {
		c.Read(fmt.Sprintf("v%d", i), int64(i), Pos{0, int64(i)})
		// A consumer that reads again after a rebalance is not a duplicate.
		c.Read(fmt.Sprintf("v%d", i), int64(i), Pos{0, int64(i)})
	}
	if r := c.Check(); !r.OK() || r.Reads != 5 {
		t.Fatalf("correct history reported as %v", r)
	}
}

func TestCheckerCatchesInjectedLoss(t *testing.T) {
	c := history(5)
	for _, i := range []int{0, 1, 3, 4} {
		c.Read(fmt.Sprintf("v%d", i), int64(i), Pos{0, int64(i)})
	}
	r := c.Check()
	if len(r.Lost) != 1 || r.Lost[0] != "v2" {
		t.Fatalf("lost %v, want [v2] (%v)", r.Lost, r)
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
	c.Read("v0", 0, Pos{0, 0})
	c.Read("v2", 2, Pos{0, 1}) // sent after v1, stored before it
	c.Read("v1", 1, Pos{0, 2})
	c.Read("v1", 1, Pos{0, 3}) // the retry stored twice
	c.Read("x", -1, Pos{0, 0}) // another value at an offset already read
	r := c.Check()
	if len(r.Duplicated) != 1 || len(r.Reordered) == 0 || len(r.Rewritten) != 1 || len(r.Moved) != 2 {
		t.Fatalf("report %v", r)
	}
}
