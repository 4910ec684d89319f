package handlers

// DeleteTopics (key 20), versions 1-6.
//
// By name, and from v6 by topic id (KIP-516). The controller removes the
// topic from the metadata image; every replica's partition manager then
// deletes the partition directories from disk. delete.topic.enable=false
// answers TOPIC_DELETION_DISABLED.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

func (b *broker) deleteTopics(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.DeleteTopicsRequest)
	var names []string
	var ids [][16]byte
	if req.Version >= 6 {
		for _, t := range req.Topics {
			if t.Topic != nil && *t.Topic != "" {
				names = append(names, *t.Topic)
			} else {
				ids = append(ids, t.TopicID)
			}
		}
	} else {
		names = req.TopicNames
	}
	go func() {
		timeout := time.Duration(req.TimeoutMillis) * time.Millisecond
		if timeout <= 0 {
			timeout = 30 * time.Second
		}
		ctx, cancel := context.WithTimeout(rc.Ctx, timeout)
		defer cancel()
		results := b.Meta.DeleteTopics(ctx, names, ids)
		resp := kmsg.NewPtrDeleteTopicsResponse()
		for _, res := range results {
			st := kmsg.NewDeleteTopicsResponseTopic()
			if res.Name != "" {
				name := res.Name
				st.Topic = &name
			}
			st.TopicID = res.ID
			st.ErrorCode = errorCode(res.Err)
			st.ErrorMessage = errorMessage(res.Err)
			resp.Topics = append(resp.Topics, st)
		}
		reply(resp)
	}()
}
