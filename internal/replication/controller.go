package replication

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/metadata"
)

// Controller implements metadata.Remote: it sends controller operations to
// the node leading the metadata quorum, following the quorum's leader
// across elections until the caller's deadline.
type Controller struct {
	meta *metadata.Node
	pool *pool
}

var _ metadata.Remote = (*Controller)(nil)

// errRetry marks an answer that a later attempt, maybe at another
// controller, can change.
var errRetry = errors.New("retry at the controller")

// call sends build()'s request to the controller until check accepts the
// answer or ctx ends.
func (c *Controller) call(ctx context.Context, build func() kmsg.Request, check func(kmsg.Response) error) error {
	backoff := 20 * time.Millisecond
	var last error
	for {
		img := c.meta.Image()
		id := c.meta.Controller()
		if id < 0 {
			last = fmt.Errorf("%w: no controller elected", metadata.ErrNotController)
		} else if id == c.meta.NodeID() && c.meta.IsController() {
			// This node became the controller meanwhile; its own
			// listener answers like any other.
			last = fmt.Errorf("%w: this node is the controller now", errRetry)
		} else {
			reqCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
			resp, err := c.pool.request(reqCtx, img, id, build())
			cancel()
			if err == nil {
				err = check(resp)
				if err == nil || !errors.Is(err, errRetry) {
					return err
				}
			}
			last = err
		}
		if id == c.meta.NodeID() && c.meta.IsController() {
			return fmt.Errorf("%w: %v", metadata.ErrNotController, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: controller unreachable: %v", metadata.ErrTimeout, last)
		case <-time.After(backoff):
		}
		if backoff < 500*time.Millisecond {
			backoff *= 2
		}
	}
}

// codeErr turns a controller API error code into the metadata error the
// local operation would have returned, errRetry for the retriable ones.
func codeErr(code int16) error {
	if code == 0 {
		return nil
	}
	ke := kerr.ErrorForCode(code)
	switch {
	case errors.Is(ke, kerr.NotController), errors.Is(ke, kerr.RequestTimedOut):
		return fmt.Errorf("%w: %w", errRetry, ke)
	case errors.Is(ke, kerr.StaleBrokerEpoch):
		return fmt.Errorf("%w: %w", metadata.ErrStaleBrokerEpoch, ke)
	case errors.Is(ke, kerr.BrokerIDNotRegistered):
		return fmt.Errorf("%w: %w", metadata.ErrUnknownBroker, ke)
	case errors.Is(ke, kerr.NotLeaderForPartition):
		return fmt.Errorf("%w: %w", metadata.ErrNotLeader, ke)
	case errors.Is(ke, kerr.FencedLeaderEpoch):
		return fmt.Errorf("%w: %w", metadata.ErrFencedLeaderEpoch, ke)
	case errors.Is(ke, kerr.InvalidUpdateVersion):
		return fmt.Errorf("%w: %w", metadata.ErrInvalidUpdateVersion, ke)
	case errors.Is(ke, kerr.IneligibleReplica):
		return fmt.Errorf("%w: %w", metadata.ErrIneligibleReplica, ke)
	case errors.Is(ke, kerr.UnknownTopicID):
		return fmt.Errorf("%w: %w", metadata.ErrUnknownTopicID, ke)
	case errors.Is(ke, kerr.InvalidRequest):
		return fmt.Errorf("%w: %w", metadata.ErrInvalidRequest, ke)
	}
	return ke
}

// RegisterBroker registers b with the controller (BrokerRegistration).
func (c *Controller) RegisterBroker(ctx context.Context, b metadata.Broker) error {
	build := func() kmsg.Request {
		req := kmsg.NewPtrBrokerRegistrationRequest()
		req.BrokerID = b.ID
		req.ClusterID = c.meta.Image().ClusterID
		req.IncarnationID = b.Incarnation
		l := kmsg.NewBrokerRegistrationRequestListener()
		l.Name, l.Host, l.Port = "PLAINTEXT", b.Host, uint16(b.Port)
		req.Listeners = append(req.Listeners, l)
		if b.Rack != "" {
			rack := b.Rack
			req.Rack = &rack
		}
		return req
	}
	return c.call(ctx, build, func(r kmsg.Response) error {
		return codeErr(r.(*kmsg.BrokerRegistrationResponse).ErrorCode)
	})
}

// Heartbeat renews broker id's session; wantShutdown asks for a
// controlled shutdown instead (BrokerHeartbeat).
func (c *Controller) Heartbeat(ctx context.Context, id int32, incarnation [16]byte, wantShutdown bool) error {
	build := func() kmsg.Request {
		req := kmsg.NewPtrBrokerHeartbeatRequest()
		req.BrokerID = id
		req.BrokerEpoch = metadata.BrokerEpochOf(incarnation)
		req.CurrentMetadataOffset = int64(c.meta.Image().Offset)
		req.WantShutdown = wantShutdown
		return req
	}
	return c.call(ctx, build, func(r kmsg.Response) error {
		return codeErr(r.(*kmsg.BrokerHeartbeatResponse).ErrorCode)
	})
}

// AlterPartition asks the controller for an ISR change.
func (c *Controller) AlterPartition(ctx context.Context, a metadata.AlterPartition) (metadata.Partition, error) {
	var out metadata.Partition
	build := func() kmsg.Request {
		req := kmsg.NewPtrAlterPartitionRequest()
		req.BrokerID = a.Broker
		if b, ok := c.meta.Image().Brokers[a.Broker]; ok {
			req.BrokerEpoch = metadata.BrokerEpochOf(b.Incarnation)
		}
		t := kmsg.NewAlterPartitionRequestTopic()
		t.TopicID = a.TopicID
		p := kmsg.NewAlterPartitionRequestTopicPartition()
		p.Partition, p.LeaderEpoch, p.PartitionEpoch = a.Partition, a.LeaderEpoch, a.PartitionEpoch
		p.NewISR = a.ISR
		for _, r := range a.ISR {
			e := kmsg.NewAlterPartitionRequestTopicPartitionNewEpochISR()
			e.BrokerID, e.BrokerEpoch = r, -1
			p.NewEpochISR = append(p.NewEpochISR, e)
		}
		t.Partitions = append(t.Partitions, p)
		req.Topics = append(req.Topics, t)
		return req
	}
	err := c.call(ctx, build, func(r kmsg.Response) error {
		resp := r.(*kmsg.AlterPartitionResponse)
		if err := codeErr(resp.ErrorCode); err != nil {
			return err
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return fmt.Errorf("%w: alter partition answer without the partition", metadata.ErrInvalidRequest)
		}
		sp := resp.Topics[0].Partitions[0]
		if err := codeErr(sp.ErrorCode); err != nil {
			return err
		}
		out = metadata.Partition{Partition: sp.Partition, Leader: sp.LeaderID, LeaderEpoch: sp.LeaderEpoch, PartitionEpoch: sp.PartitionEpoch, ISR: sp.ISR}
		return nil
	})
	return out, err
}

// AllocateProducerIDs gets a block of producer ids from the controller.
func (c *Controller) AllocateProducerIDs(ctx context.Context, count int64) (int64, error) {
	var first int64
	build := func() kmsg.Request {
		req := kmsg.NewPtrAllocateProducerIDsRequest()
		req.BrokerID = c.meta.NodeID()
		if b, ok := c.meta.Image().Brokers[req.BrokerID]; ok {
			req.BrokerEpoch = metadata.BrokerEpochOf(b.Incarnation)
		}
		return req
	}
	err := c.call(ctx, build, func(r kmsg.Response) error {
		resp := r.(*kmsg.AllocateProducerIDsResponse)
		if err := codeErr(resp.ErrorCode); err != nil {
			return err
		}
		if int64(resp.ProducerIDLen) < count {
			return fmt.Errorf("%w: controller handed out %d producer ids, %d wanted", metadata.ErrInvalidRequest, resp.ProducerIDLen, count)
		}
		first = resp.ProducerIDStart
		return nil
	})
	return first, err
}

// Forward sends an admin request to the controller as it is and returns
// the controller's answer. Errors inside the answer (NOT_CONTROLLER during
// an election included) go back to the client, which retries as it would
// with Kafka.
func (c *Controller) Forward(ctx context.Context, req kmsg.Request) (kmsg.Response, error) {
	var out kmsg.Response
	err := c.call(ctx, func() kmsg.Request { return req }, func(r kmsg.Response) error {
		out = r
		return nil
	})
	return out, err
}
