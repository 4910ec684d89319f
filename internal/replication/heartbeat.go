package replication

import (
	"context"
	"log/slog"
	"time"

	"github.com/gregor-stream/gregor/internal/metadata"
)

// Heartbeats keeps this broker's session with the controller alive
// (broker.heartbeat.interval.ms) until Stop. A broker that misses its
// session (broker.session.timeout.ms) is fenced by the controller and its
// leaderships move.
type Heartbeats struct {
	stop chan struct{}
	done chan struct{}
}

// StartHeartbeats starts heartbeating as broker id, incarnation inc.
func StartHeartbeats(meta *metadata.Node, id int32, inc [16]byte, interval time.Duration, log *slog.Logger) *Heartbeats {
	h := &Heartbeats{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		failing := false
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*interval+time.Second)
			err := meta.Heartbeat(ctx, id, inc)
			cancel()
			switch {
			case err != nil && !failing:
				log.Warn("heartbeat to controller", "err", err)
				failing = true
			case err == nil && failing:
				log.Info("heartbeat to controller recovered")
				failing = false
			}
			select {
			case <-h.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

// Stop ends the heartbeats and waits for the last one to finish.
func (h *Heartbeats) Stop() {
	close(h.stop)
	<-h.done
}
