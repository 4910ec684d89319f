package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// latency is a quantile summary in milliseconds.
type latency struct {
	P50  float64 `json:"p50_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p999_ms"`
	Max  float64 `json:"max_ms"`
}

func summarize(s *snapshot) latency {
	return latency{
		P50:  ms(s.quantile(0.50)),
		P99:  ms(s.quantile(0.99)),
		P999: ms(s.quantile(0.999)),
		Max:  ms(float64(s.max)),
	}
}

// result is the outcome of one bench run.
type result struct {
	Kind          string  `json:"kind"` // produce or consume
	Topic         string  `json:"topic"`
	Records       int64   `json:"records"`
	Bytes         int64   `json:"bytes"`
	Errors        int64   `json:"errors"`
	ElapsedSec    float64 `json:"elapsed_s"`
	RecordsPerSec float64 `json:"records_per_s"`
	MBPerSec      float64 `json:"mb_per_s"`
	// Latency is produce call to acknowledgement for produce, and the
	// round trip of each Fetch request for consume.
	Latency  latency `json:"latency"`
	Requests uint64  `json:"latency_samples"`

	RecordSize  int    `json:"record_size,omitempty"`
	Acks        string `json:"acks,omitempty"`
	Compression string `json:"compression,omitempty"`
	Producers   int    `json:"producers,omitempty"`
	Partitions  int    `json:"partitions"`
	FirstError  string `json:"first_error,omitempty"`
}

func newResult(kind, topic string, records, bytes, errs int64, elapsed time.Duration, lat *snapshot) result {
	secs := elapsed.Seconds()
	r := result{
		Kind:       kind,
		Topic:      topic,
		Records:    records,
		Bytes:      bytes,
		Errors:     errs,
		ElapsedSec: secs,
		Latency:    summarize(lat),
		Requests:   lat.total,
	}
	if secs > 0 {
		r.RecordsPerSec = float64(records) / secs
		r.MBPerSec = float64(bytes) / 1e6 / secs
	}
	return r
}

func (r result) write(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	latName := "produce call to ack"
	if r.Kind == "consume" {
		latName = "fetch round trip"
	}
	_, err := fmt.Fprintf(w, "%s %s: %d records, %d bytes in %.2fs\n"+
		"  throughput: %.0f records/s, %.2f MB/s\n"+
		"  latency (%s, %d samples): p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n"+
		"  errors: %d\n",
		r.Kind, r.Topic, r.Records, r.Bytes, r.ElapsedSec,
		r.RecordsPerSec, r.MBPerSec,
		latName, r.Requests, r.Latency.P50, r.Latency.P99, r.Latency.P999, r.Latency.Max,
		r.Errors)
	if err == nil && r.FirstError != "" {
		_, err = fmt.Fprintf(w, "  first error: %s\n", r.FirstError)
	}
	return err
}

// ticker prints one progress line per second until stopped.
type ticker struct {
	done chan struct{}
	wg   chan struct{}
}

// startTicker calls line every second with the time since start; the
// line is printed to w.
func startTicker(w io.Writer, start time.Time, line func(elapsed, interval time.Duration) string) *ticker {
	t := &ticker{done: make(chan struct{}), wg: make(chan struct{})}
	go func() {
		defer close(t.wg)
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		last := start
		for {
			select {
			case <-t.done:
				return
			case now := <-tk.C:
				fmt.Fprintln(w, line(now.Sub(start), now.Sub(last)))
				last = now
			}
		}
	}()
	return t
}

func (t *ticker) stop() {
	if t == nil {
		return
	}
	close(t.done)
	<-t.wg
}
