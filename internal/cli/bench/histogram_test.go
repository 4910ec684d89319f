package bench

import (
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"
)

func TestBucketsRoundTrip(t *testing.T) {
	prev := -1
	for _, us := range []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 1 << 20, 1<<40 + 12345, math.MaxInt64} {
		b := bucketOf(us)
		if b < prev || b >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d, previous %d, buckets %d", us, b, prev, numBuckets)
		}
		prev = b
		mid := bucketMid(b)
		if rel := math.Abs(mid-float64(us)) / math.Max(float64(us), 1); rel > 1.0/64 {
			t.Errorf("value %d reported as %.0f (off by %.2f%%)", us, mid, rel*100)
		}
	}
}

func TestQuantilesMatchSortedSamples(t *testing.T) {
	var h histogram
	samples := make([]float64, 0, 20000)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for i := 0; i < 5000; i++ {
				// Log-normal-ish latencies from 50 µs to ~1 s.
				us := math.Exp(r.NormFloat64()*1.5 + 7)
				d := time.Duration(us) * time.Microsecond
				h.record(d)
				mu.Lock()
				samples = append(samples, float64(d.Microseconds()))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	sort.Float64s(samples)
	s := h.snapshot()
	if s.total != uint64(len(samples)) {
		t.Fatalf("total %d, want %d", s.total, len(samples))
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := samples[int(math.Ceil(q*float64(len(samples))))-1]
		got := s.quantile(q)
		if rel := math.Abs(got-want) / want; rel > 0.02 {
			t.Errorf("p%v = %.0f µs, exact %.0f µs (off %.1f%%)", q*100, got, want, rel*100)
		}
	}
	if got, want := float64(s.max), samples[len(samples)-1]; got != want {
		t.Errorf("max %v, want %v", got, want)
	}
}

func TestEmptyHistogram(t *testing.T) {
	var h histogram
	if q := h.snapshot().quantile(0.99); q != 0 {
		t.Errorf("empty p99 = %v", q)
	}
}
