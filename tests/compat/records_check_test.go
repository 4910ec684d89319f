package compat

import (
	"fmt"
	"testing"
	"time"
)

// recorder collects Errorf calls so the checker itself can be tested.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestCheckConsumedCatches proves checkConsumed fails on each kind of damage
// a broker could do, and passes on a faithful copy.
func TestCheckConsumedCatches(t *testing.T) {
	w := newWorkload("self")
	sent := append(w.run("none"), w.run("gzip")...)
	// A faithful consumption: partition by key, offsets in send order.
	faithful := func() []rec {
		next := map[int32]int64{}
		out := make([]rec, len(sent))
		for i, s := range sent {
			p := int32(s.Key[len(s.Key)-1]) % 3
			out[i] = s
			out[i].Partition, out[i].Offset = p, next[p]
			next[p]++
			out[i].Headers = append([]header(nil), s.Headers...)
		}
		return out
	}
	opts := checkOpts{exactTS: true, partitionCount: 3}

	r := &recorder{TB: t}
	checkConsumed(r, sent, faithful(), opts)
	if len(r.errs) != 0 {
		t.Fatalf("faithful copy rejected: %v", r.errs)
	}

	damages := map[string]func([]rec) []rec{
		"lost record":   func(g []rec) []rec { return g[1:] },
		"duplicate":     func(g []rec) []rec { return append(g, g[3]) },
		"changed value": func(g []rec) []rec { g[2].Value = append([]byte("x"), g[2].Value...); return g },
		"changed key":   func(g []rec) []rec { g[4].Key = []byte("other"); return g },
		"lost header":   func(g []rec) []rec { g[5].Headers = g[5].Headers[:1]; return g },
		"header value":  func(g []rec) []rec { g[6].Headers[0].Value = "zzz"; return g },
		"timestamp":     func(g []rec) []rec { g[7].Timestamp = g[7].Timestamp.Add(time.Millisecond); return g },
		"offset order": func(g []rec) []rec {
			for j := 1; j < len(g); j++ {
				if g[j].Partition == g[0].Partition {
					g[0].Offset, g[j].Offset = g[j].Offset, g[0].Offset
					break
				}
			}
			return g
		},
		"key reordered": func(g []rec) []rec { g[0].Value, g[7].Value = g[7].Value, g[0].Value; return g },
		"wrong partition": func(g []rec) []rec {
			g[8].Partition = 7
			return g
		},
	}
	for name, damage := range damages {
		r := &recorder{TB: t}
		checkConsumed(r, sent, damage(faithful()), opts)
		if len(r.errs) == 0 {
			t.Errorf("%s: not detected", name)
		}
	}
}
