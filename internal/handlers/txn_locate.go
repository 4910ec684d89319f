package handlers

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
)

// locateTxnCoordinator finds the node coordinating a transactional id: the
// leader of its __transaction_state partition. The first lookup creates
// the topic (in the background) and answers COORDINATOR_NOT_AVAILABLE,
// which clients retry.
func (b *broker) locateTxnCoordinator(rc *RequestContext, id string) (int32, *kerr.Error) {
	if b.Txns == nil {
		return -1, kerr.CoordinatorNotAvailable
	}
	if id == "" {
		return -1, kerr.InvalidRequest
	}
	img := b.image()
	t := img.Topic("__transaction_state")
	if t == nil {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := b.Txns.EnsureTopic(ctx); err != nil {
				b.Log.Warn("create __transaction_state", "err", err)
			}
		}()
		return -1, kerr.CoordinatorNotAvailable
	}
	part := b.Txns.PartitionFor(id)
	if int(part) >= len(t.Partitions) || t.Partitions[part].Leader < 0 {
		return -1, kerr.CoordinatorNotAvailable
	}
	return t.Partitions[part].Leader, nil
}
