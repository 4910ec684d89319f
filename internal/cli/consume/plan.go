package consume

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/gregor-stream/gregor/internal/cli/clikit"
)

// plan is where each partition starts and where, at start-up, it ends.
type plan struct {
	positions map[int32]int64 // partition -> first offset to read
	ends      map[int32]int64 // partition -> end offset at start-up
	remaining map[int32]int64 // partitions that still have records to read
}

func planPositions(cmd *cobra.Command, conn *clikit.Conn, topic string, f from, o options) (*plan, error) {
	adm, err := conn.Admin()
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	ctx, cancel := conn.Context(cmd)
	defer cancel()

	topics, err := adm.ListTopicsWithInternal(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	d, ok := topics[topic]
	if !ok {
		return nil, fmt.Errorf("topic %s: %w", topic, kerr.UnknownTopicOrPartition)
	}
	if d.Err != nil {
		return nil, fmt.Errorf("topic %s: %w", topic, d.Err)
	}
	parts := o.partitions
	if len(parts) == 0 {
		parts = d.Partitions.Numbers()
	}
	for _, p := range parts {
		if _, ok := d.Partitions[p]; !ok {
			return nil, fmt.Errorf("topic %s has no partition %d (it has %d)", topic, p, len(d.Partitions))
		}
	}
	slices.Sort(parts)

	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("list start offsets: %w", err)
	}
	listEnds := adm.ListEndOffsets
	if strings.HasPrefix(strings.ToLower(o.isolation), "read_committed") || strings.ToLower(o.isolation) == "committed" {
		// Under read_committed the reachable end is the last stable offset.
		listEnds = adm.ListCommittedOffsets
	}
	ends, err := listEnds(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("list end offsets: %w", err)
	}
	var atTime kadm.ListedOffsets
	if f.kind == fromTime {
		if atTime, err = adm.ListOffsetsAfterMilli(ctx, f.millis, topic); err != nil {
			return nil, fmt.Errorf("list offsets after %d: %w", f.millis, err)
		}
	}
	var committed kadm.OffsetResponses
	if o.group != "" {
		if committed, err = fetchCommitted(ctx, adm, o.group, topic); err != nil {
			return nil, fmt.Errorf("fetch offsets of group %s: %w", o.group, err)
		}
	}

	pl := &plan{
		positions: make(map[int32]int64, len(parts)),
		ends:      make(map[int32]int64, len(parts)),
		remaining: make(map[int32]int64, len(parts)),
	}
	for _, p := range parts {
		lo, err := listed(starts, topic, p)
		if err != nil {
			return nil, err
		}
		hi, err := listed(ends, topic, p)
		if err != nil {
			return nil, err
		}
		var pos int64
		switch f.kind {
		case fromStart:
			pos = lo
		case fromEnd:
			pos = hi
		case fromOffset:
			pos = f.offset
		case fromTime:
			pos = hi
			if o, ok := atTime.Lookup(topic, p); ok && o.Err == nil && o.Offset >= 0 {
				pos = o.Offset
			}
		}
		if c, ok := committed.Lookup(topic, p); ok && c.Err == nil && c.At >= 0 {
			pos = c.At
		}
		pos = max(lo, min(pos, hi))
		pl.positions[p] = pos
		pl.ends[p] = hi
		if pos < hi {
			pl.remaining[p] = hi
		}
	}
	return pl, nil
}

func listed(l kadm.ListedOffsets, topic string, p int32) (int64, error) {
	o, ok := l.Lookup(topic, p)
	if !ok {
		return 0, fmt.Errorf("list offsets %s/%d: partition missing from the response", topic, p)
	}
	if o.Err != nil {
		return 0, fmt.Errorf("list offsets %s/%d: %w", topic, p, o.Err)
	}
	return o.Offset, nil
}

// fetchCommitted returns the group's committed offsets, waiting out the
// retriable answers (COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS,
// ...) a coordinator gives while it starts or moves.
func fetchCommitted(ctx context.Context, adm *kadm.Client, group, topic string) (kadm.OffsetResponses, error) {
	for {
		committed, err := adm.FetchOffsetsForTopics(ctx, group, topic)
		// Some brokers answer GROUP_ID_NOT_FOUND for a group that never
		// committed; that only means there is nothing to start from.
		if errors.Is(err, kerr.GroupIDNotFound) {
			return nil, nil
		}
		if err == nil || !kerr.IsRetriable(err) {
			return committed, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
