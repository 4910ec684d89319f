package handlers

// Metadata (key 3), versions 0-12.
//
// Brokers come from the metadata image (registered, unfenced brokers with
// their advertised listeners). Topics are listed by name or, from v10, by
// topic id (KIP-516). Unknown topics are auto-created when the request
// allows it (v4+) and auto.create.topics.enable is on, with num.partitions
// and default.replication.factor; the reply waits for the creation to
// commit, so the first answer already has a leader. Authorized operations
// (KIP-430) are reported as "all" until ACLs exist.

import (
	"context"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gregor-stream/gregor/internal/metadata"
)

const internalTopicPrefix = "__"

func (b *broker) metadata(rc *RequestContext, r kmsg.Request, reply Reply) {
	req := r.(*kmsg.MetadataRequest)
	img := b.image()

	// Auto-create first, so that the answer reflects the new topics.
	if req.Topics != nil && (req.Version < 4 || req.AllowAutoTopicCreation) && b.Config.AutoCreateTopics {
		var create []metadata.CreateTopic
		for _, t := range req.Topics {
			if t.Topic == nil {
				continue
			}
			if _, ok := img.Topics[*t.Topic]; !ok {
				create = append(create, metadata.CreateTopic{Name: *t.Topic, NumPartitions: -1, ReplicationFactor: -1})
			}
		}
		if len(create) > 0 {
			go func() {
				ctx, cancel := context.WithTimeout(rc.Ctx, 10*time.Second)
				defer cancel()
				results := b.Meta.CreateTopics(ctx, create, false)
				errs := make(map[string]error)
				for _, res := range results {
					if res.Err != nil {
						errs[res.Name] = res.Err
					}
				}
				b.waitHosted(ctx, create)
				reply(b.metadataResponse(req, b.image(), errs))
			}()
			return
		}
	}
	reply(b.metadataResponse(req, img, nil))
}

// waitHosted waits until freshly created topics have their local replicas
// open, so clients that produce right after the answer find a leader.
func (b *broker) waitHosted(ctx context.Context, topics []metadata.CreateTopic) {
	for {
		img := b.image()
		ready := true
		for _, ct := range topics {
			t, ok := img.Topics[ct.Name]
			if !ok {
				continue
			}
			for _, p := range t.Partitions {
				if p.Leader == b.NodeID && b.Parts.Get(t.Name, p.Partition) == nil {
					ready = false
				} else if p.Leader == b.NodeID && !b.Parts.Get(t.Name, p.Partition).IsLeader() {
					ready = false
				}
			}
		}
		if ready {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (b *broker) metadataResponse(req *kmsg.MetadataRequest, img *metadata.Image, createErrs map[string]error) *kmsg.MetadataResponse {
	resp := kmsg.NewPtrMetadataResponse()
	ids := make([]int32, 0, len(img.Brokers))
	for id, br := range img.Brokers {
		if !br.Fenced {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		br := img.Brokers[id]
		mb := kmsg.NewMetadataResponseBroker()
		mb.NodeID, mb.Host, mb.Port = br.ID, br.Host, br.Port
		if br.Rack != "" {
			rack := br.Rack
			mb.Rack = &rack
		}
		resp.Brokers = append(resp.Brokers, mb)
	}
	cid := img.ClusterID
	resp.ClusterID = &cid
	resp.ControllerID = img.ControllerID
	resp.AuthorizedOperations = -2147483648

	var topics []*metadata.Topic
	var missing []kmsg.MetadataResponseTopic
	// A null list is "every topic"; so is an empty one in v0.
	if req.Topics == nil || (req.Version == 0 && len(req.Topics) == 0) {
		for _, t := range img.Topics {
			topics = append(topics, t)
		}
		sort.Slice(topics, func(i, j int) bool { return topics[i].Name < topics[j].Name })
	} else {
		for _, rt := range req.Topics {
			var t *metadata.Topic
			var ok bool
			if rt.Topic != nil {
				t, ok = img.Topics[*rt.Topic]
			} else {
				t, ok = img.TopicsByID[rt.TopicID]
			}
			if ok {
				topics = append(topics, t)
				continue
			}
			mt := kmsg.NewMetadataResponseTopic()
			mt.Topic = rt.Topic
			mt.TopicID = rt.TopicID
			mt.ErrorCode = kerr.UnknownTopicOrPartition.Code
			if rt.Topic == nil {
				mt.ErrorCode = kerr.UnknownTopicID.Code
			} else if err := createErrs[*rt.Topic]; err != nil {
				mt.ErrorCode = errorCode(err)
			}
			missing = append(missing, mt)
		}
	}
	for _, t := range topics {
		mt := kmsg.NewMetadataResponseTopic()
		name := t.Name
		mt.Topic = &name
		mt.TopicID = t.ID
		mt.IsInternal = len(name) > 2 && name[:2] == internalTopicPrefix
		if req.IncludeTopicAuthorizedOperations {
			mt.AuthorizedOperations = allTopicOperations
		}
		for _, p := range t.Partitions {
			mp := kmsg.NewMetadataResponseTopicPartition()
			mp.Partition = p.Partition
			mp.Leader = p.Leader
			mp.LeaderEpoch = p.LeaderEpoch
			mp.Replicas = p.Replicas
			mp.ISR = p.ISR
			mp.OfflineReplicas = p.Offline
			if p.Leader < 0 {
				mp.ErrorCode = kerr.LeaderNotAvailable.Code
			}
			mt.Partitions = append(mt.Partitions, mp)
		}
		resp.Topics = append(resp.Topics, mt)
	}
	resp.Topics = append(resp.Topics, missing...)
	return resp
}

// allTopicOperations is the KIP-430 bit set of every topic operation
// (READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS,
// ALTER_CONFIGS), reported until ACLs exist.
const allTopicOperations = 1<<3 | 1<<4 | 1<<5 | 1<<6 | 1<<7 | 1<<8 | 1<<10 | 1<<11
