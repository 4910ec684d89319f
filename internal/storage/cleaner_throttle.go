package storage

import (
	"errors"
	"time"
)

// errCleanerStopped ends a cleaning pass because the manager is closing.
var errCleanerStopped = errors.New("cleaner stopped")

// throttler bounds the cleaner's I/O to log.cleaner.io.max.bytes.per.second
// (read plus written), sleeping whenever it gets ahead of the rate. It is
// used by the cleaner goroutine only.
type throttler struct {
	rate  float64 // bytes per second; <= 0 means unlimited
	stop  <-chan struct{}
	start time.Time
	bytes float64
	slept time.Duration
}

// window bounds how far back the average reaches, so a long idle spell
// does not bank an unlimited burst.
const throttleWindow = time.Second

func (t *throttler) wait(n int64) error {
	select {
	case <-t.stop:
		return errCleanerStopped
	default:
	}
	if t.rate <= 0 {
		return nil
	}
	now := time.Now()
	if t.start.IsZero() || now.Sub(t.start) > throttleWindow {
		t.start, t.bytes = now, 0
	}
	t.bytes += float64(n)
	due := t.start.Add(time.Duration(t.bytes / t.rate * float64(time.Second)))
	if d := due.Sub(now); d > 0 {
		tm := time.NewTimer(d)
		defer tm.Stop()
		select {
		case <-t.stop:
			return errCleanerStopped
		case <-tm.C:
			t.slept += d
		}
	}
	return nil
}
