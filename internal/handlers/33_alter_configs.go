package handlers

// AlterConfigs (key 33), versions 0-2, and IncrementalAlterConfigs (key 44,
// versions 0-1) share this file's translation: the controller validates
// every name and value against internal/config and records the change.
// AlterConfigs replaces a resource's whole set of dynamic configs;
// IncrementalAlterConfigs applies SET, DELETE, APPEND and SUBTRACT
// operations. Changes reach running partitions through the metadata image
// (retention, segment sizes, flush policy, compression type take effect
// without a restart).

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/metadata"
)

func (b *broker) alterConfigs(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.AlterConfigsRequest)
	var reqs []metadata.AlterConfig
	for _, res := range req.Resources {
		ac := metadata.AlterConfig{ResourceType: int8(res.ResourceType), Name: res.ResourceName}
		for _, c := range res.Configs {
			ac.Ops = append(ac.Ops, metadata.ConfigOp{Name: c.Name, Value: c.Value, Op: metadata.OpSet})
		}
		reqs = append(reqs, ac)
	}
	b.runAlterConfigs(rc, reqs, false, req.ValidateOnly, func(results []metadata.AlterConfigResult) kmsg.Response {
		resp := kmsg.NewPtrAlterConfigsResponse()
		for _, res := range results {
			sr := kmsg.NewAlterConfigsResponseResource()
			sr.ResourceType = kmsg.ConfigResourceType(res.ResourceType)
			sr.ResourceName = res.Name
			sr.ErrorCode = errorCode(res.Err)
			sr.ErrorMessage = errorMessage(res.Err)
			resp.Resources = append(resp.Resources, sr)
		}
		return resp
	}, reply)
}

func (b *broker) incrementalAlterConfigs(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.IncrementalAlterConfigsRequest)
	var reqs []metadata.AlterConfig
	for _, res := range req.Resources {
		ac := metadata.AlterConfig{ResourceType: int8(res.ResourceType), Name: res.ResourceName}
		for _, c := range res.Configs {
			ac.Ops = append(ac.Ops, metadata.ConfigOp{Name: c.Name, Value: c.Value, Op: int8(c.Op)})
		}
		reqs = append(reqs, ac)
	}
	b.runAlterConfigs(rc, reqs, true, req.ValidateOnly, func(results []metadata.AlterConfigResult) kmsg.Response {
		resp := kmsg.NewPtrIncrementalAlterConfigsResponse()
		for _, res := range results {
			sr := kmsg.NewIncrementalAlterConfigsResponseResource()
			sr.ResourceType = kmsg.ConfigResourceType(res.ResourceType)
			sr.ResourceName = res.Name
			sr.ErrorCode = errorCode(res.Err)
			sr.ErrorMessage = errorMessage(res.Err)
			resp.Resources = append(resp.Resources, sr)
		}
		return resp
	}, reply)
}

func (b *broker) runAlterConfigs(rc *RequestContext, reqs []metadata.AlterConfig, incremental, validateOnly bool, build func([]metadata.AlterConfigResult) kmsg.Response, reply Reply) {
	go func() {
		ctx, cancel := context.WithTimeout(rc.Ctx, 30*time.Second)
		defer cancel()
		reply(build(b.Meta.AlterConfigs(ctx, reqs, incremental, validateOnly)))
	}()
}
