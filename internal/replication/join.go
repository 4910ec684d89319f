package replication

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ObserverListener names the listener that carries a joining node's raft
// address in a BrokerRegistration: a registration with only this listener
// asks the controller to add the node to the metadata quorum as an
// observer (a non-voter that replays the log), nothing else.
const ObserverListener = "RAFT"

// JoinAsObserver asks the controller, found through any of the Kafka
// addresses in seeds, to add node id (raft at raftAddr) to the metadata
// quorum as an observer. It retries until it succeeds or ctx ends; the
// caller runs it while metadata.Start waits for the log to reach it.
func JoinAsObserver(ctx context.Context, id int32, raftAddr string, seeds []string, log *slog.Logger) error {
	host, portStr, err := net.SplitHostPort(raftAddr)
	if err != nil {
		return fmt.Errorf("raft address %q: %w", raftAddr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port <= 0 || port > 65535 {
		return fmt.Errorf("raft port %q: bad port", portStr)
	}
	var last error
	for {
		for _, seed := range seeds {
			if last = askToJoin(ctx, seed, id, host, uint16(port)); last == nil {
				log.Info("joined the metadata quorum as an observer", "via", seed)
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("join metadata quorum: %w (last: %v)", ctx.Err(), last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// askToJoin finds the controller through seed and sends it the request.
func askToJoin(ctx context.Context, seed string, id int32, host string, port uint16) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(seed), kgo.DialTimeout(2*time.Second), kgo.RetryTimeout(0))
	if err != nil {
		return err
	}
	defer cl.Close()
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	mr, err := cl.SeedBrokers()[0].Request(rctx, kmsg.NewPtrMetadataRequest())
	if err != nil {
		return fmt.Errorf("metadata from %s: %w", seed, err)
	}
	md := mr.(*kmsg.MetadataResponse)
	addr := ""
	for _, b := range md.Brokers {
		if b.NodeID == md.ControllerID {
			addr = net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
		}
	}
	if addr == "" {
		return fmt.Errorf("%s knows no controller address (controller %d)", seed, md.ControllerID)
	}
	ctl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DialTimeout(2*time.Second), kgo.RetryTimeout(0))
	if err != nil {
		return err
	}
	defer ctl.Close()
	req := kmsg.NewPtrBrokerRegistrationRequest()
	req.BrokerID = id
	l := kmsg.NewBrokerRegistrationRequestListener()
	l.Name, l.Host, l.Port = ObserverListener, host, port
	req.Listeners = append(req.Listeners, l)
	r, err := ctl.SeedBrokers()[0].Request(rctx, req)
	if err != nil {
		return fmt.Errorf("join request to %s: %w", addr, err)
	}
	if code := r.(*kmsg.BrokerRegistrationResponse).ErrorCode; code != 0 {
		return fmt.Errorf("join request to %s: %w", addr, kerr.ErrorForCode(code))
	}
	return nil
}
