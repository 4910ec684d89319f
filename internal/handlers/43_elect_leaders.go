package handlers

// ElectLeaders (key 43), versions 0-2: preferred (move leadership back to
// the first replica when it is in sync) or unclean elections, run by the
// controller; other nodes forward the request there (cluster_apis.go).
// A null topic list means every partition.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/metadata"
)

func (b *broker) electLeaders(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.ElectLeadersRequest)
	resp := kmsg.NewPtrElectLeadersResponse()
	if req.ElectionType != metadata.ElectPreferred && req.ElectionType != metadata.ElectUnclean {
		resp.ErrorCode = kerr.InvalidRequest.Code
		reply(resp)
		return
	}
	var parts map[string][]int32
	if req.Topics != nil {
		parts = make(map[string][]int32, len(req.Topics))
		for _, t := range req.Topics {
			parts[t.Topic] = append(parts[t.Topic], t.Partitions...)
		}
	}
	timeout := time.Duration(req.TimeoutMillis) * time.Millisecond
	if timeout <= 0 || timeout > forwardTimeout {
		timeout = forwardTimeout
	}
	go func() {
		ctx, cancel := context.WithTimeout(rc.Ctx, timeout)
		defer cancel()
		results := b.Meta.ElectLeaders(ctx, req.ElectionType, parts)
		byTopic := map[string]int{}
		for _, res := range results {
			i, ok := byTopic[res.Topic]
			if !ok {
				i = len(resp.Topics)
				byTopic[res.Topic] = i
				t := kmsg.NewElectLeadersResponseTopic()
				t.Topic = res.Topic
				resp.Topics = append(resp.Topics, t)
			}
			p := kmsg.NewElectLeadersResponseTopicPartition()
			p.Partition = res.Partition
			if res.Err != nil {
				p.ErrorCode = errorCode(res.Err)
				msg := res.Err.Error()
				p.ErrorMessage = &msg
			}
			resp.Topics[i].Partitions = append(resp.Topics[i].Partitions, p)
		}
		reply(resp)
	}()
}
