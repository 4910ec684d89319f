package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gregor-stream/gregor/internal/config"
	"github.com/gregor-stream/gregor/internal/metadata"
	"github.com/gregor-stream/gregor/internal/replication"
)

// controlledShutdownTimeout bounds how long a stopping broker waits for
// its leaderships to move.
const controlledShutdownTimeout = 10 * time.Second

// newIncarnation names this run of the broker: a restart registers anew,
// and heartbeats of a previous run are refused.
func newIncarnation() ([16]byte, error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return id, fmt.Errorf("incarnation id: %w", err)
	}
	return id, nil
}

// controlledShutdown moves this broker's leaderships to other in-sync
// replicas before it stops, so clients switch leaders at once instead of
// waiting for the session to expire. A lone broker keeps its partitions:
// there is nowhere to move them.
func controlledShutdown(meta *metadata.Node, id int32, incarnation [16]byte, log *slog.Logger) {
	img := meta.Image()
	others := 0
	for bid, b := range img.Brokers {
		if bid != id && !b.Fenced {
			others++
		}
	}
	if others == 0 {
		return
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), controlledShutdownTimeout)
	defer cancel()
	// Retried: the controller may move (to this node, too) meanwhile.
	var err error
	for err = meta.ControlledShutdown(ctx, id, incarnation); errors.Is(err, metadata.ErrNotController) && ctx.Err() == nil; err = meta.ControlledShutdown(ctx, id, incarnation) {
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		log.Warn("controlled shutdown", "err", err)
		return
	}
	// The fence is committed at the controller; wait until this node's
	// image shows it, so the partition manager has handed over.
	for ctx.Err() == nil {
		if b, ok := meta.Image().Brokers[id]; !ok || b.Fenced {
			log.Info("controlled shutdown: leaderships moved", "took", time.Since(start).Round(time.Millisecond))
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	log.Warn("controlled shutdown: fence not seen before the deadline")
}

// joinIfObserver starts asking the cluster at join to take this node in as
// a metadata observer when it is not one of the voters; metadata.Start
// then returns once the log reached it. The returned func stops asking.
func joinIfObserver(cfg *config.Broker, voters []config.Voter, join []string, log *slog.Logger) (func(), error) {
	if len(voters) == 0 {
		return func() {}, nil
	}
	for _, v := range voters {
		if v.ID == cfg.NodeID {
			return func() {}, nil
		}
	}
	if len(join) == 0 {
		return nil, fmt.Errorf("node %d is not in --voters: give --join with the Kafka address of a cluster node to join it as an observer", cfg.NodeID)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := replication.JoinAsObserver(ctx, cfg.NodeID, cfg.RaftAddr, join, log.With("component", "join")); err != nil && ctx.Err() == nil {
			log.Error("join cluster", "err", err)
		}
	}()
	return func() { cancel(); <-done }, nil
}
