package replication

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/metadata"
)

// pool holds one client per broker address. A request goes straight to
// the broker it is meant for (the seed broker of that address's client),
// never routed by the client's own view of the cluster.
type pool struct {
	nodeID int32
	log    *slog.Logger

	mu      sync.Mutex
	clients map[string]*kgo.Client
	closed  bool
}

func newPool(nodeID int32, log *slog.Logger) *pool {
	return &pool{nodeID: nodeID, log: log, clients: make(map[string]*kgo.Client)}
}

// request sends req to the broker with the given id, found in img.
func (p *pool) request(ctx context.Context, img *metadata.Image, id int32, req kmsg.Request) (kmsg.Response, error) {
	b, ok := img.Brokers[id]
	if !ok {
		return nil, fmt.Errorf("broker %d: %w", id, metadata.ErrUnknownBroker)
	}
	addr := net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
	cl, err := p.client(addr)
	if err != nil {
		return nil, err
	}
	seeds := cl.SeedBrokers()
	if len(seeds) == 0 {
		return nil, fmt.Errorf("no connection to %s", addr)
	}
	return seeds[0].Request(ctx, req)
}

func (p *pool) client(addr string) (*kgo.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, metadata.ErrClosed
	}
	if cl, ok := p.clients[addr]; ok {
		return cl, nil
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addr),
		kgo.ClientID("gregor-broker-"+strconv.Itoa(int(p.nodeID))),
		kgo.DialTimeout(2*time.Second),
		kgo.RetryTimeout(0),
		// Never discover the cluster: requests name their broker.
		kgo.MetadataMinAge(time.Hour),
		kgo.MetadataMaxAge(time.Hour),
	)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", addr, err)
	}
	p.clients[addr] = cl
	return cl, nil
}

// close closes every client; requests fail from then on.
func (p *pool) close() {
	p.mu.Lock()
	clients := p.clients
	p.clients = nil
	p.closed = true
	p.mu.Unlock()
	for _, cl := range clients {
		cl.Close()
	}
}
