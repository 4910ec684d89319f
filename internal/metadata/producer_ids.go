package metadata

import (
	"context"
	"fmt"
	"math"
)

// AllocateProducerIDs reserves count consecutive producer ids and returns
// the first. The block is recorded in the metadata log, so no id is handed
// out twice, across restarts and controller changes.
func (n *Node) AllocateProducerIDs(ctx context.Context, count int64) (int64, error) {
	if count <= 0 || count > 1<<20 {
		return 0, fmt.Errorf("%w: producer id block of %d", ErrInvalidRequest, count)
	}
	if r := n.forwardTo(); r != nil {
		return r.AllocateProducerIDs(ctx, count)
	}
	img, err := n.lead()
	if err != nil {
		return 0, err
	}
	defer n.ctrlMu.Unlock()
	first := img.NextProducerID
	if first > math.MaxInt64-count {
		return 0, fmt.Errorf("%w: producer ids exhausted", ErrInvalidRequest)
	}
	if _, err := n.propose(ctx, []record{producerIDsRecord{Broker: n.cfg.NodeID, First: first, Count: count}}); err != nil {
		return 0, err
	}
	return first, nil
}
