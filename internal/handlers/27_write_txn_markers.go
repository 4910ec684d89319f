package handlers

// WriteTxnMarkers (key 27), versions 0-1.
//
// Writes a commit or abort marker for a producer to each named partition
// this node leads, answering per partition once the marker is committed.
// The transaction coordinator sends these to remote leaders; operators use
// them (`gregor txn abort`) to end a hanging transaction. Markers on
// __consumer_offsets partitions also make the group coordinator apply or
// drop that producer's transactional offset commits.

import (
	"sync"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (b *broker) writeTxnMarkers(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.WriteTxnMarkersRequest)
	resp := kmsg.NewPtrWriteTxnMarkersResponse()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, m := range req.Markers {
		rm := kmsg.NewWriteTxnMarkersResponseMarker()
		rm.ProducerID = m.ProducerID
		for _, t := range m.Topics {
			rt := kmsg.NewWriteTxnMarkersResponseMarkerTopic()
			rt.Topic = t.Topic
			rt.Partitions = make([]kmsg.WriteTxnMarkersResponseMarkerTopicPartition, len(t.Partitions))
			for i, part := range t.Partitions {
				rp := &rt.Partitions[i]
				rp.Partition = part
				wg.Add(1)
				writeMarker(b.Deps, t.Topic, part, m.ProducerID, m.ProducerEpoch, m.Committed, m.CoordinatorEpoch, func(err error) {
					mu.Lock()
					rp.ErrorCode = errorCode(err)
					mu.Unlock()
					wg.Done()
				})
			}
			rm.Topics = append(rm.Topics, rt)
		}
		resp.Markers = append(resp.Markers, rm)
	}
	go func() {
		wg.Wait()
		reply(resp)
	}()
}

// writeMarker writes one marker to a partition this node leads.
func writeMarker(d Deps, topic string, part int32, pid int64, epoch int16, commit bool, coordinatorEpoch int32, done func(error)) {
	p := d.Parts.Get(topic, part)
	if p == nil {
		if t := d.Meta.Image().Topic(topic); t != nil && part >= 0 && int(part) < len(t.Partitions) {
			done(kerr.NotLeaderForPartition)
		} else {
			done(kerr.UnknownTopicOrPartition)
		}
		return
	}
	p.AppendMarker(pid, epoch, commit, coordinatorEpoch, func(err error) {
		if tc, ok := any(d.Groups).(txnCompleter); ok && err == nil && topic == offsetsTopic && d.Groups != nil {
			tc.CompleteTxn(part, pid, commit)
		}
		done(err)
	})
}

// txnCompleter is implemented by a group coordinator that keeps
// transactional offset commits pending until their marker.
type txnCompleter interface {
	CompleteTxn(partition int32, producerID int64, commit bool)
}
