package handlers

// CreateTopics (key 19), versions 2-7.
//
// Validation and placement are the controller's (metadata.Node); this
// handler translates. Explicit replica assignments, per-topic configs and
// validate_only are supported; v5+ answers with the effective configs and
// v7+ with the topic id. Duplicate names in one request get INVALID_REQUEST
// for every copy, as in Kafka.

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/metadata"
)

func (b *broker) createTopics(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.CreateTopicsRequest)
	resp := kmsg.NewPtrCreateTopicsResponse()
	seen := make(map[string]int)
	for _, t := range req.Topics {
		seen[t.Topic]++
	}
	var creates []metadata.CreateTopic
	for _, t := range req.Topics {
		if seen[t.Topic] > 1 {
			continue
		}
		ct := metadata.CreateTopic{Name: t.Topic, NumPartitions: t.NumPartitions, ReplicationFactor: t.ReplicationFactor}
		if len(t.ReplicaAssignment) > 0 {
			ct.Assignments = make(map[int32][]int32, len(t.ReplicaAssignment))
			for _, a := range t.ReplicaAssignment {
				ct.Assignments[a.Partition] = a.Replicas
			}
		}
		if len(t.Configs) > 0 {
			ct.Configs = make(map[string]string, len(t.Configs))
			for _, c := range t.Configs {
				if c.Value != nil {
					ct.Configs[c.Name] = *c.Value
				}
			}
		}
		creates = append(creates, ct)
	}
	go func() {
		timeout := time.Duration(req.TimeoutMillis) * time.Millisecond
		if timeout <= 0 {
			timeout = 30 * time.Second
		}
		ctx, cancel := context.WithTimeout(rc.Ctx, timeout)
		defer cancel()
		results := b.Meta.CreateTopics(ctx, creates, req.ValidateOnly)
		byName := make(map[string]metadata.CreateTopicResult, len(results))
		for _, res := range results {
			byName[res.Name] = res
		}
		if !req.ValidateOnly {
			b.waitHosted(ctx, creates)
		}
		for _, t := range req.Topics {
			st := kmsg.NewCreateTopicsResponseTopic()
			st.Topic = t.Topic
			st.NumPartitions, st.ReplicationFactor = -1, -1
			if seen[t.Topic] > 1 {
				st.ErrorCode = kerr.InvalidRequest.Code
				msg := "topic named more than once in the request"
				st.ErrorMessage = &msg
				resp.Topics = append(resp.Topics, st)
				continue
			}
			res := byName[t.Topic]
			st.ErrorCode = errorCode(res.Err)
			st.ErrorMessage = errorMessage(res.Err)
			if res.Err == nil {
				st.TopicID = res.ID
				st.NumPartitions = res.NumPartitions
				st.ReplicationFactor = res.ReplicationFactor
				for _, v := range res.Configs {
					c := kmsg.NewCreateTopicsResponseTopicConfig()
					c.Name = v.Name
					val := v.Value
					c.Value = &val
					c.ReadOnly = v.Def.ReadOnly
					c.Source = v.Source
					c.IsSensitive = v.Def.Sensitive
					if c.IsSensitive {
						c.Value = nil
					}
					st.Configs = append(st.Configs, c)
				}
			}
			resp.Topics = append(resp.Topics, st)
		}
		reply(resp)
	}()
}
