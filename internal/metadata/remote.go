package metadata

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Remote carries controller operations to the controller over the network
// when this node is not the controller (internal/replication implements it
// with Kafka's controller APIs). Without a Remote those operations fail with
// ErrNotController on a non-controller, as on a single node they never do.
type Remote interface {
	RegisterBroker(ctx context.Context, b Broker) error
	Heartbeat(ctx context.Context, id int32, incarnation [16]byte, wantShutdown bool) error
	AlterPartition(ctx context.Context, req AlterPartition) (Partition, error)
	AllocateProducerIDs(ctx context.Context, count int64) (int64, error)
	// Forward sends an admin request to the controller and returns its
	// answer, for requests a non-controller cannot serve.
	Forward(ctx context.Context, req kmsg.Request) (kmsg.Response, error)
}

type remoteHolder struct{ r Remote }

// SetRemote installs the path to a remote controller.
func (n *Node) SetRemote(r Remote) { n.remote.Store(&remoteHolder{r}) }

// Remote returns the installed path to a remote controller, or nil.
func (n *Node) Remote() Remote {
	if h := n.remote.Load(); h != nil {
		return h.r
	}
	return nil
}

// forwardTo returns the remote to use when this node is not the
// controller, nil when the operation must run here.
func (n *Node) forwardTo() Remote {
	if n.IsController() {
		return nil
	}
	return n.Remote()
}

// BrokerEpochOf is the broker epoch the Kafka controller APIs carry for an
// incarnation: its first eight bytes as a non-negative number, so one
// registration maps to one epoch without another record field.
func BrokerEpochOf(incarnation [16]byte) int64 {
	return int64(binary.BigEndian.Uint64(incarnation[:8]) & math.MaxInt64)
}

// ControlledShutdown moves broker id's leaderships away and fences it, so
// it can stop without clients seeing a dead leader. The broker must stop
// heartbeating first, or its next heartbeat unfences it again.
func (n *Node) ControlledShutdown(ctx context.Context, id int32, incarnation [16]byte) error {
	if r := n.forwardTo(); r != nil {
		return r.Heartbeat(ctx, id, incarnation, true)
	}
	b, ok := n.Image().Brokers[id]
	if !ok {
		return fmt.Errorf("%w: %d", ErrUnknownBroker, id)
	}
	if b.Incarnation != incarnation {
		return fmt.Errorf("%w: broker %d registered again since", ErrStaleBrokerEpoch, id)
	}
	if b.Fenced {
		return nil
	}
	return n.FenceBroker(ctx, id)
}
