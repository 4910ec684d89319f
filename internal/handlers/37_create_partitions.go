package handlers

// CreatePartitions (key 37), versions 0-3.
//
// Grows a topic to count partitions, with optional explicit assignments for
// the new ones; validate_only checks without changing anything. Shrinking
// or keeping the count gets INVALID_PARTITIONS.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/metadata"
)

func (b *broker) createPartitions(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.CreatePartitionsRequest)
	var reqs []metadata.CreatePartitions
	for _, t := range req.Topics {
		cp := metadata.CreatePartitions{Topic: t.Topic, Count: t.Count}
		for _, a := range t.Assignment {
			cp.Assignments = append(cp.Assignments, a.Replicas)
		}
		reqs = append(reqs, cp)
	}
	go func() {
		timeout := time.Duration(req.TimeoutMillis) * time.Millisecond
		if timeout <= 0 {
			timeout = 30 * time.Second
		}
		ctx, cancel := context.WithTimeout(rc.Ctx, timeout)
		defer cancel()
		results := b.Meta.CreatePartitions(ctx, reqs, req.ValidateOnly)
		resp := kmsg.NewPtrCreatePartitionsResponse()
		for _, res := range results {
			st := kmsg.NewCreatePartitionsResponseTopic()
			st.Topic = res.Topic
			st.ErrorCode = errorCode(res.Err)
			st.ErrorMessage = errorMessage(res.Err)
			resp.Topics = append(resp.Topics, st)
		}
		reply(resp)
	}()
}
