package cluster

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Pos is where a record sits: partition and offset.
type Pos struct {
	Partition int32
	Offset    int64
}

// Checker records a history of acknowledged writes and reads. Values must
// be unique per write and named STREAM-SEQ: each stream is one producer's
// writes to one partition, sent in increasing SEQ order, so order can be
// checked per stream while several producers interleave.
type Checker struct {
	mu    sync.Mutex
	acked map[string]Pos
	seq   map[string]int64
	reads map[string]map[Pos]bool
	byPos map[Pos]string
}

// NewChecker returns an empty history.
func NewChecker() *Checker {
	return &Checker{acked: map[string]Pos{}, seq: map[string]int64{}, reads: map[string]map[Pos]bool{}, byPos: map[Pos]string{}}
}

// Ack records that the write of value (the seq-th to its partition) was
// acknowledged at pos.
func (c *Checker) Ack(value string, seq int64, pos Pos) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.acked[value] = pos
	c.seq[value] = seq
}

// Read records that value was read at pos; seq is the value's send order
// (-1 if unknown).
func (c *Checker) Read(value string, seq int64, pos Pos) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reads[value] == nil {
		c.reads[value] = map[Pos]bool{}
	}
	c.reads[value][pos] = true
	if seq >= 0 {
		if _, ok := c.seq[value]; !ok {
			c.seq[value] = seq
		}
	}
	if prev, ok := c.byPos[pos]; ok && prev != value {
		// Two values at one offset: history was rewritten under the
		// reader. Keep the first; Check reports it.
		c.byPos[Pos{pos.Partition, -1 - pos.Offset}] = value
		return
	}
	c.byPos[pos] = value
}

// Acked is how many writes were acknowledged.
func (c *Checker) Acked() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.acked)
}

// Report is what Check found. Empty slices mean a correct history.
type Report struct {
	Lost       []string // acknowledged, never read
	Duplicated []string // read at more than one position
	Moved      []string // read somewhere else than where it was acknowledged
	Reordered  []string // read before a value sent earlier to its partition
	Gaps       []string // offsets below the highest read that nobody read
	Rewritten  []string // one offset read with two different values
	Reads      int      // distinct values read
}

// OK reports whether nothing went wrong.
func (r Report) OK() bool {
	return len(r.Lost)+len(r.Duplicated)+len(r.Moved)+len(r.Reordered)+len(r.Gaps)+len(r.Rewritten) == 0
}

func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d values read; ", r.Reads)
	for _, f := range []struct {
		name string
		s    []string
	}{{"lost", r.Lost}, {"duplicated", r.Duplicated}, {"moved", r.Moved}, {"reordered", r.Reordered}, {"gaps", r.Gaps}, {"rewritten", r.Rewritten}} {
		fmt.Fprintf(&b, "%s %d", f.name, len(f.s))
		if len(f.s) > 0 {
			show := f.s
			if len(show) > 10 {
				show = show[:10]
			}
			fmt.Fprintf(&b, " %v", show)
		}
		b.WriteString("; ")
	}
	return strings.TrimSuffix(b.String(), "; ")
}

// Check compares the writes with the reads.
func (c *Checker) Check() Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	var r Report
	r.Reads = len(c.reads)
	for v, pos := range c.acked {
		got, ok := c.reads[v]
		switch {
		case !ok:
			at := "nothing"
			if other, read := c.byPos[pos]; read {
				at = other
			}
			r.Lost = append(r.Lost, fmt.Sprintf("%s (acked at %d/%d, where %s was read)", v, pos.Partition, pos.Offset, at))
		case !got[pos]:
			r.Moved = append(r.Moved, fmt.Sprintf("%s acked at %d/%d, read at %v", v, pos.Partition, pos.Offset, keys(got)))
		}
	}
	for v, got := range c.reads {
		if len(got) > 1 {
			r.Duplicated = append(r.Duplicated, fmt.Sprintf("%s at %v", v, keys(got)))
		}
	}
	perPart := map[int32][]int64{}
	for pos := range c.byPos {
		if pos.Offset < 0 {
			r.Rewritten = append(r.Rewritten, fmt.Sprintf("%d/%d", pos.Partition, -1-pos.Offset))
			continue
		}
		perPart[pos.Partition] = append(perPart[pos.Partition], pos.Offset)
	}
	for p, offs := range perPart {
		sort.Slice(offs, func(i, j int) bool { return offs[i] < offs[j] })
		next := int64(0)
		lastSeq := map[string]int64{}
		lastVal := map[string]string{}
		for _, o := range offs {
			if o > next {
				r.Gaps = append(r.Gaps, fmt.Sprintf("%d/%d-%d", p, next, o-1))
			}
			next = o + 1
			v := c.byPos[Pos{p, o}]
			if s, ok := c.seq[v]; ok {
				stream := streamOf(v)
				if last, seen := lastSeq[stream]; seen && s < last {
					r.Reordered = append(r.Reordered, fmt.Sprintf("%d/%d %s after %s", p, o, v, lastVal[stream]))
				}
				lastSeq[stream], lastVal[stream] = s, v
			}
		}
	}
	sort.Strings(r.Lost)
	sort.Strings(r.Duplicated)
	sort.Strings(r.Moved)
	return r
}

func keys(m map[Pos]bool) []Pos {
	out := make([]Pos, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Partition != out[j].Partition {
			return out[i].Partition < out[j].Partition
		}
		return out[i].Offset < out[j].Offset
	})
	return out
}

// streamOf is the STREAM part of a STREAM-SEQ value.
func streamOf(v string) string {
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		return v[:i]
	}
	return v
}
