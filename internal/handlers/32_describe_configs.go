package handlers

// DescribeConfigs (key 32), versions 0-4.
//
// Topic (2) and broker (4) resources. Every config is reported with its
// effective value and source (topic override, dynamic broker, static
// broker, default); v1+ lists synonyms on request, v3+ types and
// documentation. A broker resource named "" is the cluster-wide dynamic
// default; one naming another node answers from that node's view, which is
// this node's static configs until configs are forwarded in a cluster.

import (
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/config"
)

const (
	resourceTopic  = 2
	resourceBroker = 4
)

func (b *broker) describeConfigs(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.DescribeConfigsRequest)
	resp := kmsg.NewPtrDescribeConfigsResponse()
	img := b.image()
	for _, res := range req.Resources {
		sr := kmsg.NewDescribeConfigsResponseResource()
		sr.ResourceType = res.ResourceType
		sr.ResourceName = res.ResourceName
		var values []config.Value
		switch res.ResourceType {
		case resourceTopic:
			if _, ok := img.Topics[res.ResourceName]; !ok {
				sr.ErrorCode = kerr.UnknownTopicOrPartition.Code
				resp.Resources = append(resp.Resources, sr)
				continue
			}
			values = img.ResolveTopic(res.ResourceName, b.NodeID, b.Config)
		case resourceBroker:
			if res.ResourceName != "" {
				id, err := strconv.ParseInt(res.ResourceName, 10, 32)
				if err != nil || id < 0 {
					sr.ErrorCode = kerr.InvalidRequest.Code
					resp.Resources = append(resp.Resources, sr)
					continue
				}
			}
			values = config.ResolveBroker(b.Config, img.BrokerConfigs[res.ResourceName], img.BrokerConfigs[""])
		default:
			sr.ErrorCode = kerr.InvalidRequest.Code
			resp.Resources = append(resp.Resources, sr)
			continue
		}
		want := make(map[string]bool, len(res.ConfigNames))
		for _, n := range res.ConfigNames {
			want[n] = true
		}
		for _, v := range values {
			if len(want) > 0 && !want[v.Name] {
				continue
			}
			c := kmsg.NewDescribeConfigsResponseResourceConfig()
			c.Name = v.Name
			val := v.Value
			c.Value = &val
			c.ReadOnly = v.Def.ReadOnly
			c.Source = kmsg.ConfigSource(v.Source)
			c.IsDefault = v.Source == config.SourceDefault
			c.IsSensitive = v.Def.Sensitive
			if c.IsSensitive {
				c.Value = nil
			}
			c.ConfigType = kmsg.ConfigType(v.Def.Type)
			if req.IncludeDocumentation {
				doc := v.Def.Doc
				c.Documentation = &doc
			}
			if req.IncludeSynonyms {
				for _, s := range v.Synonyms {
					syn := kmsg.NewDescribeConfigsResponseResourceConfigConfigSynonym()
					syn.Name = s.Name
					sv := s.Value
					syn.Value = &sv
					syn.Source = kmsg.ConfigSource(s.Source)
					c.ConfigSynonyms = append(c.ConfigSynonyms, syn)
				}
			}
			sr.Configs = append(sr.Configs, c)
		}
		resp.Resources = append(resp.Resources, sr)
	}
	reply(resp)
}
