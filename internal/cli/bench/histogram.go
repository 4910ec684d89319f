package bench

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// The histogram is log-linear over microseconds: values below 128 µs have
// a bucket each, larger ones share 64 buckets per power of two, so any
// reported quantile is within 1/64 (1.6 %) of the true value while the
// whole thing is a fixed array that goroutines update with one atomic add.
const (
	exactBuckets = 128
	subBuckets   = 64
	numBuckets   = exactBuckets + (64-7)*subBuckets
)

// histogram records durations from many goroutines without locks.
type histogram struct {
	counts [numBuckets]atomic.Uint64
	total  atomic.Uint64
	max    atomic.Uint64 // microseconds
}

func bucketOf(us uint64) int {
	if us < exactBuckets {
		return int(us)
	}
	shift := bits.Len64(us) - 7 // >= 1; keeps the top 7 bits
	sub := int(us>>shift) - subBuckets
	return exactBuckets + (shift-1)*subBuckets + sub
}

// bucketMid is the value a bucket reports: its midpoint.
func bucketMid(i int) float64 {
	if i < exactBuckets {
		return float64(i)
	}
	i -= exactBuckets
	shift := i/subBuckets + 1
	lo := uint64(i%subBuckets+subBuckets) << shift
	return float64(lo) + float64(uint64(1)<<shift)/2
}

func (h *histogram) record(d time.Duration) {
	us := uint64(max(d.Microseconds(), 0))
	h.counts[bucketOf(us)].Add(1)
	h.total.Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			return
		}
	}
}

// snapshot is a consistent-enough copy for reporting while recording goes
// on: counts are read one by one, so a snapshot taken mid-run may be off by
// the few records that landed meanwhile.
type snapshot struct {
	counts [numBuckets]uint64
	total  uint64
	max    uint64
}

func (h *histogram) snapshot() *snapshot {
	s := &snapshot{max: h.max.Load()}
	for i := range h.counts {
		c := h.counts[i].Load()
		s.counts[i] = c
		s.total += c
	}
	return s
}

// quantile returns the q-quantile (0 < q <= 1) in microseconds, or 0 with
// no samples. The top of the distribution is the exact maximum.
func (s *snapshot) quantile(q float64) float64 {
	if s.total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(s.total)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range s.counts {
		seen += c
		if seen >= rank {
			return min(bucketMid(i), float64(s.max))
		}
	}
	return float64(s.max)
}

// ms converts microseconds to milliseconds for printing.
func ms(us float64) float64 { return us / 1000 }
