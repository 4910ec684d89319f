package handlers

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/txn"
)

// MarkerWriter is the transaction coordinator's marker writer: partitions
// this node leads get the marker directly; for the others a
// WriteTxnMarkers request goes to the leader named by the metadata image.
// Failures are returned and the coordinator retries.
func MarkerWriter(d Deps) txn.MarkerWriter {
	r := &remoteMarkers{d: d, clients: map[int32]*kgo.Client{}}
	return func(tp txn.TP, pid int64, epoch int16, commit bool, coordinatorEpoch int32, done func(error)) {
		if p := d.Parts.Get(tp.Topic, tp.Partition); p != nil && p.IsLeader() {
			writeMarker(d, tp.Topic, tp.Partition, pid, epoch, commit, coordinatorEpoch, done)
			return
		}
		go func() { done(r.send(tp, pid, epoch, commit, coordinatorEpoch)) }()
	}
}

// remoteMarkers keeps one client per remote leader.
type remoteMarkers struct {
	d       Deps
	mu      sync.Mutex
	clients map[int32]*kgo.Client
}

func (r *remoteMarkers) client(id int32) (*kgo.Client, error) {
	br, ok := r.d.Meta.Image().Brokers[id]
	if !ok || br.Fenced {
		return nil, fmt.Errorf("leader %d is not a live broker: %w", id, kerr.NotLeaderForPartition)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cl := r.clients[id]; cl != nil {
		return cl, nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(net.JoinHostPort(br.Host, strconv.Itoa(int(br.Port)))), kgo.ClientID("gregor-txn-markers"))
	if err != nil {
		return nil, fmt.Errorf("client for broker %d: %w", id, err)
	}
	r.clients[id] = cl
	return cl, nil
}

func (r *remoteMarkers) send(tp txn.TP, pid int64, epoch int16, commit bool, coordinatorEpoch int32) error {
	pi, ok := r.d.Meta.Image().Partition(tp.Topic, tp.Partition)
	if !ok {
		return kerr.UnknownTopicOrPartition
	}
	if pi.Leader < 0 || pi.Leader == r.d.NodeID {
		return kerr.NotLeaderForPartition
	}
	cl, err := r.client(pi.Leader)
	if err != nil {
		return err
	}
	req := kmsg.NewPtrWriteTxnMarkersRequest()
	m := kmsg.NewWriteTxnMarkersRequestMarker()
	m.ProducerID, m.ProducerEpoch, m.Committed, m.CoordinatorEpoch = pid, epoch, commit, coordinatorEpoch
	m.Topics = []kmsg.WriteTxnMarkersRequestMarkerTopic{{Topic: tp.Topic, Partitions: []int32{tp.Partition}}}
	req.Markers = append(req.Markers, m)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	// Addressed to the leader by id; kgo learns broker ids from a
	// metadata request, made once when it does not know the leader yet.
	raw, err := cl.Broker(int(pi.Leader)).Request(ctx, req)
	if err != nil {
		if _, merr := kmsg.NewPtrMetadataRequest().RequestWith(ctx, cl); merr == nil {
			raw, err = cl.Broker(int(pi.Leader)).Request(ctx, req)
		}
	}
	if err != nil {
		return fmt.Errorf("write marker on broker %d: %w", pi.Leader, err)
	}
	resp, ok := raw.(*kmsg.WriteTxnMarkersResponse)
	if !ok {
		err = fmt.Errorf("unexpected response %T", raw)
	}
	if err != nil {
		return fmt.Errorf("write marker on broker %d: %w", pi.Leader, err)
	}
	for _, rm := range resp.Markers {
		for _, rt := range rm.Topics {
			for _, rp := range rt.Partitions {
				if err := kerr.ErrorForCode(rp.ErrorCode); err != nil {
					return fmt.Errorf("write marker on broker %d: %w", pi.Leader, err)
				}
			}
		}
	}
	return nil
}
