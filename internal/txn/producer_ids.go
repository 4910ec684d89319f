package txn

import (
	"context"
	"sync"

	"github.com/gregor-stream/gregor/internal/metadata"
)

const producerIDBlock = 1000

// ProducerIDs hands out producer ids from blocks the controller records in
// the metadata log, so an id is never reused, even across restarts.
type ProducerIDs struct {
	Meta *metadata.Node
	mu   sync.Mutex
	next int64
	end  int64
}

// Next returns an unused producer id.
func (p *ProducerIDs) Next(ctx context.Context) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.next >= p.end {
		first, err := p.Meta.AllocateProducerIDs(ctx, producerIDBlock)
		if err != nil {
			return -1, err
		}
		p.next, p.end = first, first+producerIDBlock
	}
	id := p.next
	p.next++
	return id, nil
}
