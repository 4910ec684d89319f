package handlers

// DescribeCluster (key 60), versions 0-1 (KIP-700). Brokers endpoint type
// only (1); asking for controllers (2, KIP-919) gets
// UNSUPPORTED_ENDPOINT_TYPE, as from a broker in Kafka.

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func (b *broker) describeCluster(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.DescribeClusterRequest)
	resp := kmsg.NewPtrDescribeClusterResponse()
	resp.EndpointType = 1
	if req.Version >= 1 && req.EndpointType != 1 {
		resp.ErrorCode = kerr.UnsupportedEndpointType.Code
		reply(resp)
		return
	}
	img := b.image()
	resp.ClusterID = img.ClusterID
	resp.ControllerID = img.ControllerID
	resp.ClusterAuthorizedOperations = -2147483648
	ids := make([]int32, 0, len(img.Brokers))
	for id := range img.Brokers {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		br := img.Brokers[id]
		if br.Fenced && !req.IncludeFencedBrokers {
			continue
		}
		sb := kmsg.NewDescribeClusterResponseBroker()
		sb.NodeID, sb.Host, sb.Port = br.ID, br.Host, br.Port
		sb.IsFenced = br.Fenced
		if br.Rack != "" {
			rack := br.Rack
			sb.Rack = &rack
		}
		resp.Brokers = append(resp.Brokers, sb)
	}
	reply(resp)
}
